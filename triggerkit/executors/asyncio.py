"""The asyncio executor, at APScheduler 3's ``apscheduler.executors.asyncio`` path."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..util import iscoroutinefunction_partial
from .base import BaseExecutor, run_coroutine_job, run_job

if TYPE_CHECKING:
    from ..job import Job
    from ..schedulers.base import BaseScheduler

__all__ = ["AsyncIOExecutor"]


class AsyncIOExecutor(BaseExecutor):
    """Run jobs in the default executor of the event loop.

    If the job function is a native coroutine function, it is scheduled to be run directly in
    the event loop as soon as possible. All other functions are run in the event loop's default
    executor which is usually a thread pool.

    Plugin alias: ``asyncio``
    """

    _eventloop: asyncio.AbstractEventLoop

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        super().start(scheduler, alias)
        self._eventloop = scheduler.event_loop  # type: ignore[attr-defined]
        self._pending_futures: set[asyncio.Future[Any]] = set()

    def shutdown(self, wait: bool = True) -> None:
        # There is no way to honor wait=True without converting this method into a coroutine.
        for future in self._pending_futures:
            if not future.done():
                future.cancel()
        self._pending_futures.clear()

    def _do_submit_job(self, job: Job, run_times: Sequence[datetime]) -> None:
        def callback(future: asyncio.Future[Any]) -> None:
            self._pending_futures.discard(future)
            self._finish_run(job.id, future.result)  # a cancelled run raises CancelledError

        future: asyncio.Future[Any]
        if iscoroutinefunction_partial(job.func):
            coro = run_coroutine_job(job, job._jobstore_alias, run_times, self._logger.name)
            future = self._eventloop.create_task(coro)
        else:
            future = self._eventloop.run_in_executor(
                None, run_job, job, job._jobstore_alias, run_times, self._logger.name
            )
        future.add_done_callback(callback)
        self._pending_futures.add(future)
