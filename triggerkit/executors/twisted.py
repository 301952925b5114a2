"""The Twisted executor, at APScheduler 3's ``apscheduler.executors.twisted`` path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .base import BaseExecutor, run_job

if TYPE_CHECKING:
    from ..job import Job
    from ..schedulers.base import BaseScheduler

__all__ = ["TwistedExecutor"]


class TwistedExecutor(BaseExecutor):
    """Run jobs in the reactor's thread pool.

    Plugin alias: ``twisted``
    """

    _reactor: Any

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        super().start(scheduler, alias)
        self._reactor = scheduler.reactor  # type: ignore[attr-defined]

    def _do_submit_job(self, job: Job, run_times: Sequence[datetime]) -> None:
        def callback(success: bool, result: Any) -> None:
            # ``result`` is the events, or a Failure that re-raises the error with its traceback
            self._finish_run(job.id, lambda: result if success else result.raiseException())

        self._reactor.getThreadPool().callInThreadWithCallback(
            callback, run_job, job, job._jobstore_alias, run_times, self._logger.name
        )
