"""Scheduler events, at APScheduler 3's ``apscheduler.events`` path.

The ``EVENT_*`` codes are bit flags with APScheduler 3's values, so masks built for APScheduler
(``EVENT_JOB_EXECUTED | EVENT_JOB_ERROR``) mean the same here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

__all__ = [
    "EVENT_ALL",
    "EVENT_ALL_APSCHEDULER",
    "EVENT_ALL_JOBS_REMOVED",
    "EVENT_EXECUTOR_ADDED",
    "EVENT_EXECUTOR_REMOVED",
    "EVENT_JOBSTORE_ADDED",
    "EVENT_JOBSTORE_REMOVED",
    "EVENT_JOB_ADDED",
    "EVENT_JOB_ERROR",
    "EVENT_JOB_EXECUTED",
    "EVENT_JOB_LOAD_FAILED",
    "EVENT_JOB_MAX_INSTANCES",
    "EVENT_JOB_MISSED",
    "EVENT_JOB_MODIFIED",
    "EVENT_JOB_OUTCOME_UNKNOWN",
    "EVENT_JOB_REMOVED",
    "EVENT_JOB_SUBMITTED",
    "EVENT_SCHEDULER_PAUSED",
    "EVENT_SCHEDULER_RESUMED",
    "EVENT_SCHEDULER_SHUTDOWN",
    "EVENT_SCHEDULER_START",
    "EVENT_SCHEDULER_STARTED",
    "JobEvent",
    "JobExecutionEvent",
    "JobLoadFailedEvent",
    "JobSubmissionEvent",
    "SchedulerEvent",
]

EVENT_SCHEDULER_STARTED = EVENT_SCHEDULER_START = 2**0
EVENT_SCHEDULER_SHUTDOWN = 2**1
EVENT_SCHEDULER_PAUSED = 2**2
EVENT_SCHEDULER_RESUMED = 2**3
EVENT_EXECUTOR_ADDED = 2**4
EVENT_EXECUTOR_REMOVED = 2**5
EVENT_JOBSTORE_ADDED = 2**6
EVENT_JOBSTORE_REMOVED = 2**7
EVENT_ALL_JOBS_REMOVED = 2**8
EVENT_JOB_ADDED = 2**9
EVENT_JOB_REMOVED = 2**10
EVENT_JOB_MODIFIED = 2**11
EVENT_JOB_EXECUTED = 2**12
EVENT_JOB_ERROR = 2**13
EVENT_JOB_MISSED = 2**14
EVENT_JOB_SUBMITTED = 2**15
EVENT_JOB_MAX_INSTANCES = 2**16
#: triggerkit's own: a stored job could not be restored (its row is kept; see JobLoadFailedEvent)
EVENT_JOB_LOAD_FAILED = 2**17
#: triggerkit's own (shared stores): a run claimed by a scheduler that died after handing it to
#: its executor; whether it ran is unknown, and it is not run again (a JobExecutionEvent)
EVENT_JOB_OUTCOME_UNKNOWN = 2**18
EVENT_ALL = (
    EVENT_SCHEDULER_STARTED
    | EVENT_SCHEDULER_SHUTDOWN
    | EVENT_SCHEDULER_PAUSED
    | EVENT_SCHEDULER_RESUMED
    | EVENT_EXECUTOR_ADDED
    | EVENT_EXECUTOR_REMOVED
    | EVENT_JOBSTORE_ADDED
    | EVENT_JOBSTORE_REMOVED
    | EVENT_ALL_JOBS_REMOVED
    | EVENT_JOB_ADDED
    | EVENT_JOB_REMOVED
    | EVENT_JOB_MODIFIED
    | EVENT_JOB_EXECUTED
    | EVENT_JOB_ERROR
    | EVENT_JOB_MISSED
    | EVENT_JOB_SUBMITTED
    | EVENT_JOB_MAX_INSTANCES
    | EVENT_JOB_LOAD_FAILED
    | EVENT_JOB_OUTCOME_UNKNOWN
)
#: APScheduler 3's ``EVENT_ALL`` (every code but ours): ``add_listener``'s default mask, so a
#: listener written for APScheduler 3 gets no event kind it does not know.
EVENT_ALL_APSCHEDULER = EVENT_ALL & ~(EVENT_JOB_LOAD_FAILED | EVENT_JOB_OUTCOME_UNKNOWN)


class SchedulerEvent:
    """An event that concerns the scheduler itself.

    :param code: the type code of this event
    :param alias: alias of the job store or executor that was added or removed (if applicable)
    """

    def __init__(self, code: int, alias: str | None = None) -> None:
        self.code = code
        self.alias = alias

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (code={self.code})>"


class JobEvent(SchedulerEvent):
    """An event that concerns a job.

    :param code: the type code of this event
    :param job_id: identifier of the job in question
    :param jobstore: alias of the job store containing the job in question
    """

    def __init__(self, code: int, job_id: str, jobstore: str | None) -> None:
        super().__init__(code)
        self.job_id = job_id
        self.jobstore = jobstore


class JobSubmissionEvent(JobEvent):
    """An event that concerns the submission of a job to its executor.

    :param scheduled_run_times: a list of datetimes when the job was intended to run
    """

    def __init__(
        self,
        code: int,
        job_id: str,
        jobstore: str | None,
        scheduled_run_times: Sequence[datetime],
    ) -> None:
        super().__init__(code, job_id, jobstore)
        self.scheduled_run_times = scheduled_run_times


class JobExecutionEvent(JobEvent):
    """An event that concerns the running of a job within its executor.

    :param scheduled_run_time: the time when the job was scheduled to be run
    :param retval: the return value of the successfully executed job
    :param exception: the exception raised by the job
    :param traceback: a formatted traceback for the exception
    """

    def __init__(
        self,
        code: int,
        job_id: str,
        jobstore: str | None,
        scheduled_run_time: datetime,
        retval: Any = None,
        exception: BaseException | None = None,
        traceback: str | None = None,
    ) -> None:
        super().__init__(code, job_id, jobstore)
        self.scheduled_run_time = scheduled_run_time
        self.retval = retval
        self.exception = exception
        self.traceback = traceback


class JobLoadFailedEvent(JobEvent):
    """A persistent store could not restore a stored job (code ``EVENT_JOB_LOAD_FAILED``).

    The store logged it, skips the job and keeps its row as it is; a later start with the code
    fixed restores it.

    :param reason: why the job could not be restored, in words
    :param exception: the exception raised while restoring it
    """

    def __init__(
        self,
        code: int,
        job_id: str,
        jobstore: str | None,
        reason: str,
        exception: BaseException | None = None,
    ) -> None:
        super().__init__(code, job_id, jobstore)
        self.reason = reason
        self.exception = exception
