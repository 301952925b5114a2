"""The scheduler's part in sharing job stores between schedulers (``shared=True``).

Each due run is claimed in the store with a lease before it is submitted, marked started before
the executor has it, its lease renewed while it is in flight and its claim released when it ends;
runs whose scheduler stopped renewing are taken over or reported (see ``docs/shared.md`` and
:mod:`triggerkit.jobstores.claims`). :class:`SharedStoreMixin` is a base of
:class:`~triggerkit.schedulers.base.BaseScheduler`, which owns the state used here.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ..errors import MaxInstancesReachedError
from ..events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_OUTCOME_UNKNOWN,
    EVENT_JOB_REMOVED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
    JobExecutionEvent,
    JobSubmissionEvent,
    SchedulerEvent,
)
from ..executors.base import BaseExecutor
from ..job import Job
from ..jobstores.base import BaseJobStore
from ..jobstores.claims import Claim, ExpiredClaim, PlannedRuns, RunKey
from ._planner import plan_runs

__all__ = ["SharedStoreMixin"]

#: the event codes that end a run (its claim is released when they are dispatched)
_RUN_ENDED = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
#: the most due jobs one shared pass claims from a store (the rest in the next pass, at once)
_CLAIMS = 500
#: seconds before a shared pass looks again at due jobs another scheduler is claiming
_CONTENDED_RETRY = 0.05
_UTC = timezone.utc


class SharedStoreMixin:
    """Claims, leases and take-over of runs in the shared job stores of one scheduler."""

    _logger: logging.Logger
    _jobstores: dict[str, BaseJobStore]
    _jobstores_lock: Any
    _store_failures: dict[str, int]
    shared: bool
    shared_lease: float
    shared_poll_interval: float
    #: shared mode: this scheduler's id in claims (set by :meth:`start`)
    scheduler_id: str | None
    _in_flight: dict[str, set[RunKey]]
    _in_flight_lock: threading.Lock
    _leases_renewed_at: dict[str, datetime]
    _shared_aliases: set[str]

    if TYPE_CHECKING:  # provided by BaseScheduler

        @property
        def running(self) -> bool: ...

        def wakeup(self) -> None: ...

        def _now(self) -> datetime: ...

        def _lookup_executor(self, alias: str) -> BaseExecutor: ...

        def _dispatch_event(self, event: SchedulerEvent) -> None: ...

        def _store_failed(
            self, store_alias: str, now: datetime, exc: BaseException
        ) -> datetime: ...

    def _init_shared(self) -> None:
        """No store shared yet, no id, nothing in flight."""
        self.scheduler_id = None
        self._in_flight = {}
        self._in_flight_lock = threading.Lock()
        self._leases_renewed_at = {}
        self._shared_aliases = set()

    def _start_shared(self) -> None:
        """Take a scheduler id for this start and forget the claims of an earlier one."""
        if not self.shared:
            return
        # Made at start, not in __init__: a scheduler created before a fork (gunicorn's
        # pre-fork model) and started in each child gets one id per process.
        self.scheduler_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._in_flight = {}
        self._leases_renewed_at = {}
        self._shared_aliases = set()

    def _run_ended(self, event: SchedulerEvent) -> None:
        """Release the claim of the run that ``event`` ends, if it ends one of a shared store."""
        if (
            self.shared
            and event.code & _RUN_ENDED
            and isinstance(event, JobExecutionEvent)
            and event.jobstore is not None
        ):
            self._release_run(event.jobstore, (event.job_id, event.scheduled_run_time))

    def _enable_shared(self, alias: str, store: BaseJobStore) -> None:
        if not self.shared:
            return
        if not store.supports_shared:
            self._logger.warning(
                "Job store %r (%s) cannot be shared between schedulers: its jobs run in this "
                "scheduler only",
                alias,
                type(store).__name__,
            )
            return
        store.enable_shared()
        self._shared_aliases.add(alias)
        try:
            watched = store.watch_changes(self._store_changed)
        except Exception:
            # Never fatal: the loop still looks at the store every shared_poll_interval.
            self._logger.exception(
                "Job store %r could not watch for changes; polling it every %g s",
                alias,
                self.shared_poll_interval,
            )
            watched = False
        if watched:
            self._logger.debug("Job store %r tells this scheduler of changes made by others", alias)

    def _store_changed(self) -> None:
        """A shared store's watcher saw a job change made by another scheduler: look at once.

        Called from the store's watcher thread; ``wakeup`` is thread-safe in every scheduler.
        An error here is logged and never reaches the watcher: the poll interval still bounds
        the delay.
        """
        if not self.running:
            return
        try:
            self.wakeup()
        except Exception:
            if self.running:
                self._logger.exception("Could not wake the scheduler for a job store change")

    def _process_shared_store(
        self, alias: str, store: BaseJobStore, now: datetime, events: list[SchedulerEvent]
    ) -> datetime | None:
        """Claim and submit the due runs of a shared store; return when to look again."""
        owner = self.scheduler_id
        assert owner is not None
        lease_until = now + timedelta(seconds=self.shared_lease)
        to_run: list[tuple[Job, list[datetime]]] = []
        try:
            self._renew_leases(alias, store, now)
            for expired in store.take_expired_claims(now, owner, lease_until):
                job = self._recover_run(alias, store, expired, now, events)
                if job is not None:
                    to_run.append((job, [expired.run_time]))
            claims = store.claim_due_runs(
                now, owner, lease_until, functools.partial(self._plan_shared, now=now), _CLAIMS
            )
        except Exception as exc:
            # Runs taken over or claimed here stay unstarted: when their lease ends, a
            # scheduler takes them over.
            return self._store_failed(alias, now, exc)
        for claim in claims:
            if self._report_claim(alias, claim, events):
                to_run.append((claim.job, claim.run_times))
        keys = [(job.id, run_time) for job, run_times in to_run for run_time in run_times]
        if keys:
            # Marked started BEFORE the executor has them: a run can end before any later write,
            # and a crash after this point must never let another scheduler run it again (it is
            # reported as of unknown outcome instead).
            try:
                marked = set(store.mark_runs_started(owner, keys))
            except Exception as exc:
                self._logger.warning(
                    "Could not record %d claimed run(s) as started in job store %r: not running "
                    "them; a scheduler takes them over when their lease ends",
                    len(keys),
                    alias,
                )
                return self._store_failed(alias, now, exc)
            if len(marked) < len(keys):
                # Our lease ran out before the mark (a pass slower than the lease) and another
                # scheduler took these claims over: it runs or reports them, never both of us.
                self._logger.warning(
                    "%d claimed run(s) in job store %r were taken over by another scheduler "
                    "before this one started them (its lease of %g s ran out): not running them "
                    "here",
                    len(keys) - len(marked),
                    alias,
                    self.shared_lease,
                )
                to_run = [
                    (job, [t for t in run_times if (job.id, t) in marked])
                    for job, run_times in to_run
                ]
        for job, run_times in to_run:
            if run_times:
                self._submit_runs(alias, job, run_times, events)
        if len(claims) >= _CLAIMS:
            return now.astimezone(_UTC)  # more are due: claim them in the next pass, at once
        try:
            store_next = store.get_next_run_time()
        except Exception as exc:
            return self._store_failed(alias, now, exc)
        self._store_failures.pop(alias, None)
        if store_next is None:
            return None
        store_next = store_next.astimezone(_UTC)
        if not claims and store_next <= now.astimezone(_UTC):
            # Due, but another scheduler holds those jobs (locked, or in its transaction): look
            # again shortly rather than spin on the store until it commits.
            return now.astimezone(_UTC) + timedelta(seconds=_CONTENDED_RETRY)
        return store_next

    def _plan_shared(self, job: Job, now: datetime) -> PlannedRuns:
        """The planner a shared store calls for each due job it locked (see jobstores.claims)."""
        try:
            plan = plan_runs(job, now)
        except Exception as exc:
            self._logger.exception('Error processing job "%s" -- pausing it', job)
            job._modify(next_run_time=None)
            return PlannedRuns([], None, error=exc)
        if plan.resume_at is not None:
            next_run: datetime | None = plan.resume_at
        elif plan.run_times:
            next_run = plan.next_fire
        else:
            next_run = job.next_run_time
        job._modify(next_run_time=next_run)
        return PlannedRuns(plan.run_times, next_run, plan.skipped)

    def _report_claim(self, alias: str, claim: Claim, events: list[SchedulerEvent]) -> bool:
        """Log and report what a claim skipped or removed; True if it has runs to submit."""
        job = claim.job
        if claim.skipped is not None:
            self._logger.warning(
                'Run times of job "%s" from %s to %s were missed by more than the grace time; '
                "skipped them without reporting each one",
                job,
                claim.skipped[0],
                claim.skipped[1],
            )
        if claim.busy:
            self._logger.warning(
                'Execution of job "%s" skipped: maximum number of running instances reached '
                "(%d) across the schedulers sharing job store %r",
                job,
                job.max_instances,
                alias,
            )
            events.append(JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, job.id, alias, claim.busy))
        if claim.removed:
            self._dispatch_event(JobEvent(EVENT_JOB_REMOVED, job.id, alias))
            self._logger.info("Removed job %s", job.id)
        return bool(claim.run_times)

    def _submit_runs(
        self, alias: str, job: Job, run_times: list[datetime], events: list[SchedulerEvent]
    ) -> list[RunKey]:
        keys: list[RunKey] = [(job.id, run_time) for run_time in run_times]
        with self._in_flight_lock:
            self._in_flight.setdefault(alias, set()).update(keys)
        try:
            executor = self._lookup_executor(job.executor)
            executor.submit_job(job, run_times)
        except MaxInstancesReachedError:
            self._logger.warning(
                'Execution of job "%s" skipped: maximum number of running instances reached (%d)',
                job,
                job.max_instances,
            )
            events.append(JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, job.id, alias, run_times))
        except BaseException:
            # Not handed to the executor (shut down under us, or broken): the run is known not
            # to have started; report it missed and free its claim.
            if self.running:
                self._logger.exception(
                    'Error submitting job "%s" to executor "%s"', job, job.executor
                )
            self._logger.warning(
                'Run(s) of job "%s" at %s not submitted: reported as missed',
                job,
                ", ".join(str(run_time) for run_time in run_times),
            )
            for run_time in run_times:
                self._dispatch_event(JobExecutionEvent(EVENT_JOB_MISSED, job.id, alias, run_time))
            return []
        else:
            events.append(JobSubmissionEvent(EVENT_JOB_SUBMITTED, job.id, alias, run_times))
            return keys
        for key in keys:  # skipped (max instances, reported): nothing runs, free the claims
            self._release_run(alias, key)
        return []

    def _recover_run(
        self,
        alias: str,
        store: BaseJobStore,
        expired: ExpiredClaim,
        now: datetime,
        events: list[SchedulerEvent],
    ) -> Job | None:
        """Return the job of a run to take over, or report the run (whose claiming scheduler
        stopped renewing its lease) and release it."""
        job_id, run_time = expired.job_id, expired.run_time
        key: RunKey = (job_id, run_time)
        job = expired.job
        late = now.astimezone(_UTC) - run_time
        if expired.started:
            self._logger.warning(
                "Run of job %r scheduled at %s was handed to an executor by scheduler %s, whose "
                "claim expired: its outcome is unknown; it is not run again",
                job_id,
                run_time,
                expired.previous_owner,
            )
            code = EVENT_JOB_OUTCOME_UNKNOWN
        elif job is None:
            self._logger.warning(
                "Run of job %r scheduled at %s (claimed by scheduler %s, which stopped) is "
                "dropped: its job cannot be restored",
                job_id,
                run_time,
                expired.previous_owner,
            )
            code = EVENT_JOB_MISSED
        elif job.misfire_grace_time is not None and late > timedelta(
            seconds=job.misfire_grace_time
        ):
            self._logger.warning(
                'Run time of job "%s" was missed by %s (claimed by scheduler %s, which stopped)',
                job,
                late,
                expired.previous_owner,
            )
            code = EVENT_JOB_MISSED
        else:
            self._logger.info(
                'Taking over run of job "%s" scheduled at %s from scheduler %s',
                job,
                run_time,
                expired.previous_owner,
            )
            return job
        events.append(JobExecutionEvent(code, job_id, alias, run_time))
        owner = self.scheduler_id
        assert owner is not None
        store.release_runs(owner, [key])
        return None

    def _renew_leases(self, alias: str, store: BaseJobStore, now: datetime) -> None:
        """Extend the leases of this scheduler's runs in flight, every third of a lease."""
        last = self._leases_renewed_at.get(alias)
        if last is not None and (now - last).total_seconds() < self.shared_lease / 3:
            return
        with self._in_flight_lock:
            runs = list(self._in_flight.get(alias, ()))
        owner = self.scheduler_id
        assert owner is not None
        if runs:
            store.renew_claims(owner, runs, now + timedelta(seconds=self.shared_lease))
        self._leases_renewed_at[alias] = now

    def _renew_all_leases(self) -> None:
        now = self._now()
        with self._jobstores_lock:
            for alias in list(self._shared_aliases):
                try:
                    self._renew_leases(alias, self._jobstores[alias], now)
                except Exception as exc:
                    self._store_failed(alias, now, exc)

    def _release_run(self, alias: str, key: RunKey) -> None:
        """Delete the claim of a run that ended (called from the executors' threads too)."""
        with self._in_flight_lock:
            runs = self._in_flight.get(alias)
            if runs is None or key not in runs:
                return
            runs.discard(key)
        store = self._jobstores.get(alias)
        owner = self.scheduler_id
        if store is None or owner is None:
            return
        try:
            store.release_runs(owner, [key])
        except Exception:
            self._logger.exception(
                "Could not release the claim on run %s of job %r in job store %r: when its "
                "lease ends it will be reported as of unknown outcome",
                key[1],
                key[0],
                alias,
            )
