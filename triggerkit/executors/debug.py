"""The inline executor, at APScheduler 3's ``apscheduler.executors.debug`` path."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from .base import BaseExecutor, run_job

if TYPE_CHECKING:
    from ..job import Job

__all__ = ["DebugExecutor"]


class DebugExecutor(BaseExecutor):
    """Run jobs directly in the calling thread (the scheduler's); for debugging and tests."""

    def _do_submit_job(self, job: Job, run_times: Sequence[datetime]) -> None:
        try:
            events = run_job(job, job._jobstore_alias, run_times, self._logger.name)
        except BaseException:
            exc, tb = sys.exc_info()[1:]
            assert exc is not None
            self._run_job_error(job.id, exc, tb)
        else:
            self._run_job_success(job.id, events)
