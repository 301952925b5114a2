"""The executor interface and the job runner, at APScheduler 3's ``apscheduler.executors.base``.

:func:`run_job` is what every executor runs (in a thread, process, greenlet or inline): it
checks each scheduled run time against the job's ``misfire_grace_time``, calls the job and turns
the outcome into :class:`~triggerkit.events.JobExecutionEvent` objects that the executor hands
back to the scheduler for dispatch.
"""

from __future__ import annotations

import logging
import sys
import traceback
from abc import ABCMeta, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .. import _clock
from ..errors import MaxInstancesReachedError
from ..events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from ..runs import running

if TYPE_CHECKING:
    import threading

    from ..job import Job
    from ..schedulers.base import BaseScheduler

__all__ = ["BaseExecutor", "MaxInstancesReachedError", "run_coroutine_job", "run_job"]


class BaseExecutor(metaclass=ABCMeta):
    """Abstract base class that defines the interface that every executor must implement."""

    _scheduler: BaseScheduler | None = None
    _lock: threading.RLock | Any = None
    _logger = logging.getLogger("triggerkit.executors")

    def __init__(self) -> None:
        super().__init__()
        self._instances: defaultdict[str, int] = defaultdict(int)

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        """Bind the executor to ``scheduler``; called when the scheduler starts or adds it.

        :param scheduler: the scheduler that is starting this executor
        :param alias: alias of this executor as it was assigned to the scheduler
        """
        self._scheduler = scheduler
        self._lock = scheduler._create_lock()
        self._logger = logging.getLogger(f"triggerkit.executors.{alias}")

    def shutdown(self, wait: bool = True) -> None:  # noqa: B027 - optional hook
        """Shut down this executor.

        :param wait: ``True`` to wait until all submitted jobs have been executed
        """

    def submit_job(self, job: Job, run_times: Sequence[datetime]) -> None:
        """Submit the job for execution.

        :param job: the job to execute
        :param run_times: the times at which the job should have run
        :raises MaxInstancesReachedError: if the maximum number of allowed instances for this
            job has been reached
        """
        if self._lock is None:
            raise RuntimeError("This executor has not been started yet")
        with self._lock:
            if self._instances[job.id] >= job.max_instances:
                raise MaxInstancesReachedError(job)
            # Count the instance before submitting: an inline executor finishes (and releases
            # the slot) before _do_submit_job returns.
            self._instances[job.id] += 1
            try:
                self._do_submit_job(job, run_times)
            except BaseException:
                self._release(job.id)
                raise

    def check_job(self, job: Job) -> None:  # noqa: B027 - optional hook
        """Reject at ``add_job`` time a job this executor could never run.

        The default accepts every job; the process pool checks that the job can be pickled.

        :raises TypeError: naming what this executor cannot handle
        """

    @abstractmethod
    def _do_submit_job(self, job: Job, run_times: Sequence[datetime]) -> None:
        """Perform the actual task of scheduling ``run_job`` to be called."""

    def _release(self, job_id: str) -> None:
        self._instances[job_id] -= 1
        if self._instances[job_id] <= 0:
            del self._instances[job_id]

    def _run_job_success(self, job_id: str, events: Sequence[JobExecutionEvent]) -> None:
        """Release the job's instance slot and dispatch ``events`` to the scheduler."""
        with self._lock:
            self._release(job_id)
        if self._scheduler is not None:
            for event in events:
                self._scheduler._dispatch_event(event)

    def _run_job_error(
        self, job_id: str, exc: BaseException, tb: TracebackType | None = None
    ) -> None:
        """Release the job's instance slot and log an error raised by the machinery itself."""
        with self._lock:
            self._release(job_id)
        self._logger.error("Error running job %s", job_id, exc_info=(type(exc), exc, tb))

    def _finish_run(self, job_id: str, outcome: Callable[[], Sequence[JobExecutionEvent]]) -> None:
        """Complete one submitted run: the one completion path of every executor.

        ``outcome`` returns the run's events (``future.result`` and the like); they are dispatched
        and the job's instance slot is freed. If ``outcome`` raises, the error is logged by
        :meth:`_run_job_error` instead, which frees the slot too.
        """
        try:
            events = outcome()
        except BaseException as exc:
            self._run_job_error(job_id, exc, exc.__traceback__)
        else:
            self._run_job_success(job_id, events)

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"


def _missed(
    job: Job, jobstore_alias: str | None, run_time: datetime, logger: logging.Logger
) -> JobExecutionEvent | None:
    """Return an ``EVENT_JOB_MISSED`` event if ``run_time`` is beyond the grace time."""
    if job.misfire_grace_time is None:
        return None
    # this module's ``datetime`` may be patched (as in APScheduler 3): then it is the clock
    now = datetime.now(timezone.utc) if datetime is not _clock.REAL_DATETIME else None
    late = (now or _clock.now(timezone.utc)) - run_time
    if late <= timedelta(seconds=job.misfire_grace_time):
        return None
    logger.warning('Run time of job "%s" was missed by %s', job, late)
    return JobExecutionEvent(EVENT_JOB_MISSED, job.id, jobstore_alias, run_time)


def _failed(
    job: Job, jobstore_alias: str | None, run_time: datetime, logger: logging.Logger
) -> JobExecutionEvent:
    exc, tb = sys.exc_info()[1:]
    assert exc is not None
    formatted = "".join(traceback.format_tb(tb))
    logger.exception('Job "%s" raised an exception', job)
    event = JobExecutionEvent(
        EVENT_JOB_ERROR, job.id, jobstore_alias, run_time, exception=exc, traceback=formatted
    )
    # Drop the frames' locals so the exception kept in the event does not pin them.
    if tb is not None:
        traceback.clear_frames(tb)
    return event


def run_job(
    job: Job, jobstore_alias: str | None, run_times: Sequence[datetime], logger_name: str
) -> list[JobExecutionEvent]:
    """Run ``job`` once per run time inside the grace period; return the resulting events.

    Called in the executor's worker (thread, process, greenlet); the events are dispatched by
    the scheduler. A job that raises yields an ``EVENT_JOB_ERROR`` event and a logged traceback.
    """
    events: list[JobExecutionEvent] = []
    logger = logging.getLogger(logger_name)
    for run_time in run_times:
        missed = _missed(job, jobstore_alias, run_time, logger)
        if missed is not None:
            events.append(missed)
            continue
        logger.info('Running job "%s" (scheduled at %s)', job, run_time)
        try:
            with running(job.id, run_time, jobstore_alias):
                retval = job.func(*job.args, **job.kwargs)
        except BaseException:
            events.append(_failed(job, jobstore_alias, run_time, logger))
        else:
            events.append(
                JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, jobstore_alias, run_time, retval)
            )
            logger.info('Job "%s" executed successfully', job)
    return events


async def run_coroutine_job(
    job: Job, jobstore_alias: str | None, run_times: Sequence[datetime], logger_name: str
) -> list[JobExecutionEvent]:
    """Coroutine version of :func:`run_job`: awaits ``job.func`` once per run time."""
    events: list[JobExecutionEvent] = []
    logger = logging.getLogger(logger_name)
    for run_time in run_times:
        missed = _missed(job, jobstore_alias, run_time, logger)
        if missed is not None:
            events.append(missed)
            continue
        logger.info('Running job "%s" (scheduled at %s)', job, run_time)
        try:
            with running(job.id, run_time, jobstore_alias):
                retval = await job.func(*job.args, **job.kwargs)
        except BaseException:
            events.append(_failed(job, jobstore_alias, run_time, logger))
        else:
            events.append(
                JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, jobstore_alias, run_time, retval)
            )
            logger.info('Job "%s" executed successfully', job)
    return events
