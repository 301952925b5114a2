"""What a store shared by several schedulers hands back when it claims runs.

With ``shared=True`` a scheduler does not read due jobs and write their next run times later:
it asks the store to *claim* them (:meth:`BaseJobStore.claim_due_runs
<triggerkit.jobstores.base.BaseJobStore.claim_due_runs>`), and the store, in ONE atomic step,
locks each due job, asks the scheduler's planner which run times are due and what the next run
time is, writes that next run time, and records a claim row per run: the run's identity (job id,
scheduled time), the claiming scheduler's id, a lease deadline and whether the run was handed to an
executor yet. No other scheduler can claim the same run: the job's next run time is already past
it, and the claim row's key (job id, run time) is unique.

The scheduler renews the leases of its runs while they are in flight and deletes each claim row
when its run ends. A claim whose lease ran out belonged to a scheduler that died: another
scheduler takes it over (:meth:`~triggerkit.jobstores.base.BaseJobStore.take_expired_claims`)
and runs it if it had not been handed to an executor yet and is still within the job's
``misfire_grace_time``; otherwise it reports it (missed, or outcome unknown) and never runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..job import Job

__all__ = [
    "Claim",
    "ExpiredClaim",
    "PlannedRuns",
    "Planner",
    "RunKey",
    "from_micros",
    "plan_claim",
    "to_micros",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICRO = timedelta(microseconds=1)


def to_micros(moment: datetime) -> int:
    """An aware instant as integer microseconds since the epoch (exact, unlike a float): how
    the stores key claims."""
    return (moment - _EPOCH) // _MICRO


def from_micros(micros: int) -> datetime:
    """The UTC instant :func:`to_micros` gave ``micros`` for."""
    return _EPOCH + timedelta(microseconds=micros)


#: (job id, scheduled run time): the identity of one run
RunKey = tuple[str, datetime]


@dataclass
class PlannedRuns:
    """The planner's answer for one due job.

    :var run_times: the run times to run now
    :var next_run_time: the job's next run time after them (``None``: the job is finished)
    :var skipped: ``(first, last)`` run times skipped beyond the grace time without a report
    :var error: the job's trigger raised this; the planner paused the job

    The planner has already set the job's ``next_run_time`` to :attr:`next_run_time`.
    """

    run_times: list[datetime]
    next_run_time: datetime | None
    skipped: tuple[datetime, datetime] | None = None
    error: BaseException | None = None


#: the scheduler's callback: which runs of this due job to run, and its next run time
Planner = Callable[["Job"], PlannedRuns]


@dataclass
class Claim:
    """One due job the store locked and advanced for the claiming scheduler.

    :var job: the job, its ``next_run_time`` already advanced and stored
    :var run_times: the runs claimed by this scheduler (a claim row each)
    :var busy: due runs NOT claimed because ``max_instances`` runs of the job are in flight
        across all the schedulers (report them as ``EVENT_JOB_MAX_INSTANCES``)
    :var skipped: as :attr:`PlannedRuns.skipped`
    :var removed: the job had no next run time and its row was deleted
    :var error: the job's trigger raised this; the job was paused (``next_run_time`` ``None``)
    """

    job: Job
    run_times: list[datetime] = field(default_factory=list)
    busy: list[datetime] = field(default_factory=list)
    skipped: tuple[datetime, datetime] | None = None
    removed: bool = False
    error: BaseException | None = None


@dataclass
class ExpiredClaim:
    """A claim row whose lease ran out, now taken over by the calling scheduler.

    :var job_id: the run's job id
    :var run_time: the run's scheduled time (aware, UTC)
    :var previous_owner: the id of the scheduler that had claimed it
    :var started: whether that scheduler had handed the run to an executor (outcome unknown)
    :var job: the job as it was when the run was claimed (kept with the claim, so a run of a
        job that finished or was removed since can still be taken over); ``None`` if it cannot
        be restored
    """

    job_id: str
    run_time: datetime
    previous_owner: str
    started: bool
    job: Job | None = None


def plan_claim(job: Job, planner: Planner, live: int) -> Claim:
    """Ask ``planner`` about one due job locked by a store's claim (``live``: the job's claims
    whose lease is running, across all schedulers) and say what to store and record."""
    plan = planner(job)
    claim = Claim(job, skipped=plan.skipped, error=plan.error)
    if plan.run_times:
        if live >= job.max_instances:
            claim.busy = list(plan.run_times)
        else:
            claim.run_times = list(plan.run_times)
    claim.removed = job.next_run_time is None and plan.error is None
    return claim
