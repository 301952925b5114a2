"""Thread and process pool executors, at APScheduler 3's ``apscheduler.executors.pool`` path."""

from __future__ import annotations

import concurrent.futures
import pickle
import threading
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .base import BaseExecutor, run_job

if TYPE_CHECKING:
    from ..events import JobExecutionEvent
    from ..job import Job
    from ..schedulers.base import BaseScheduler

__all__ = ["BasePoolExecutor", "ProcessPoolExecutor", "ThreadPoolExecutor"]


class BasePoolExecutor(BaseExecutor):
    """Run jobs in a :mod:`concurrent.futures` pool.

    A pool shut down with the scheduler is replaced with a fresh one when the scheduler starts
    again (when the executor knows how to make one: the built-in pools do).
    """

    def __init__(self, pool: concurrent.futures.Executor) -> None:
        super().__init__()
        self._pool = pool
        self._pool_shut_down = False

    def _new_pool(self) -> concurrent.futures.Executor | None:
        """Return a fresh pool to replace one that was shut down (``None``: cannot)."""
        return None

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        super().start(scheduler, alias)
        if self._pool_shut_down:
            fresh = self._new_pool()
            if fresh is not None:
                self._pool = fresh
                self._pool_shut_down = False

    def _submit(self, job: Job, run_times: Sequence[datetime]) -> concurrent.futures.Future[Any]:
        return self._pool.submit(run_job, job, job._jobstore_alias, run_times, self._logger.name)

    def _do_submit_job(self, job: Job, run_times: Sequence[datetime]) -> None:
        def callback(future: concurrent.futures.Future[Any]) -> None:
            self._finish_run(job.id, future.result)

        self._submit(job, run_times).add_done_callback(callback)

    def _in_own_worker(self) -> bool:
        """True when called from a job running in this executor's pool."""
        return False

    def shutdown(self, wait: bool = True) -> None:
        # A job may shut the scheduler down from one of the pool's threads: waiting would join
        # that very thread, so the pool is shut without waiting for the jobs still running.
        self._pool.shutdown(wait and not self._in_own_worker())
        self._pool_shut_down = True


class ThreadPoolExecutor(BasePoolExecutor):
    """Run jobs in a thread pool.

    Plugin alias: ``threadpool``

    :param max_workers: the maximum number of spawned threads
    :param pool_kwargs: dict of keyword arguments to pass to the underlying
        ``concurrent.futures.ThreadPoolExecutor`` constructor
    """

    def __init__(self, max_workers: int = 10, pool_kwargs: dict[str, Any] | None = None) -> None:
        self._max_workers = int(max_workers)
        self._pool_kwargs = pool_kwargs or {}
        self._worker_state = threading.local()
        super().__init__(self._new_pool())

    def _new_pool(self) -> concurrent.futures.ThreadPoolExecutor:
        return concurrent.futures.ThreadPoolExecutor(self._max_workers, **self._pool_kwargs)

    def _submit(self, job: Job, run_times: Sequence[datetime]) -> concurrent.futures.Future[Any]:
        return self._pool.submit(self._run_marked, job, run_times, self._logger.name)

    def _run_marked(
        self, job: Job, run_times: Sequence[datetime], logger_name: str
    ) -> list[JobExecutionEvent]:
        state = self._worker_state
        state.running = True
        try:
            return run_job(job, job._jobstore_alias, run_times, logger_name)
        finally:
            state.running = False

    def _in_own_worker(self) -> bool:
        return bool(getattr(self._worker_state, "running", False))


class ProcessPoolExecutor(BasePoolExecutor):
    """Run jobs in a process pool.

    Plugin alias: ``processpool``. Jobs travel to the workers pickled, so their function must be
    importable by reference (a module-level function, not a lambda or nested function) and their
    arguments picklable; :meth:`check_job` rejects other jobs when they are added. A pool broken
    by a crashed worker is replaced with a fresh one.

    :param max_workers: the maximum number of spawned processes
    :param pool_kwargs: dict of keyword arguments to pass to the underlying
        ``concurrent.futures.ProcessPoolExecutor`` constructor
    """

    def __init__(self, max_workers: int = 10, pool_kwargs: dict[str, Any] | None = None) -> None:
        self._max_workers = int(max_workers)
        self._pool_kwargs = pool_kwargs or {}
        super().__init__(self._new_pool())

    def _new_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(self._max_workers, **self._pool_kwargs)

    def check_job(self, job: Job) -> None:
        if job.func_ref is None:
            raise TypeError(
                f'Job "{job.name}" (id={job.id}) cannot run in a process pool: its function '
                f"{job.func!r} cannot be pickled by reference. Use a module-level function "
                "(not a lambda, nested function, partial or method of an unpicklable object), "
                "or pass it as a 'module:function' text reference."
            )
        try:
            pickle.dumps((job.args, job.kwargs))
        except Exception as exc:
            raise TypeError(
                f'Job "{job.name}" (id={job.id}) cannot run in a process pool: its args or '
                f"kwargs cannot be pickled ({exc})"
            ) from exc

    def _submit(self, job: Job, run_times: Sequence[datetime]) -> concurrent.futures.Future[Any]:
        try:
            return super()._submit(job, run_times)
        except BrokenProcessPool:
            self._logger.warning("Process pool is broken; replacing pool with a fresh instance")
            self._pool.shutdown(wait=False)
            self._pool = self._new_pool()
            return super()._submit(job, run_times)
