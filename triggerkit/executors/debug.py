"""The inline executor, at APScheduler 3's ``apscheduler.executors.debug`` path."""

from __future__ import annotations

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
        self._finish_run(
            job.id, lambda: run_job(job, job._jobstore_alias, run_times, self._logger.name)
        )
