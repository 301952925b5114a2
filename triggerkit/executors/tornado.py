"""The Tornado executor, at APScheduler 3's ``apscheduler.executors.tornado`` path."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

try:
    from tornado.gen import convert_yielded
    from tornado.ioloop import IOLoop
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "TornadoExecutor requires tornado: pip install 'triggerkit-cron[tornado]'"
    ) from exc

from ..util import iscoroutinefunction_partial
from .base import BaseExecutor, run_coroutine_job, run_job

if TYPE_CHECKING:
    from ..job import Job
    from ..schedulers.base import BaseScheduler

__all__ = ["TornadoExecutor"]


class TornadoExecutor(BaseExecutor):
    """Run jobs either in a thread pool or directly on the I/O loop.

    If the job function is a native coroutine function, it is scheduled to be run directly in
    the I/O loop as soon as possible. All other functions are run in a thread pool.

    Plugin alias: ``tornado``

    :param max_workers: maximum number of worker threads in the thread pool
    """

    _ioloop: IOLoop

    def __init__(self, max_workers: int = 10) -> None:
        super().__init__()
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers)

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        super().start(scheduler, alias)
        self._ioloop = scheduler.io_loop  # type: ignore[attr-defined]

    def shutdown(self, wait: bool = True) -> None:
        self.executor.shutdown(wait)

    def _do_submit_job(self, job: Job, run_times: Sequence[datetime]) -> None:
        def callback(future: Any) -> None:
            self._finish_run(job.id, future.result)

        if iscoroutinefunction_partial(job.func):
            coro = run_coroutine_job(job, job._jobstore_alias, run_times, self._logger.name)
            future: Any = convert_yielded(coro)
            future.add_done_callback(callback)
        else:
            future = self.executor.submit(
                run_job, job, job._jobstore_alias, run_times, self._logger.name
            )
            # Report on the I/O loop, like the coroutine case.
            self._ioloop.add_future(future, callback)
