"""The job store interface, at APScheduler 3's ``apscheduler.jobstores.base`` path.

A job store keeps jobs ordered by ``next_run_time``. The scheduler loop asks each store for the
jobs that are due with :meth:`BaseJobStore.acquire_due_jobs` — **the extension point for
persistent stores shared by several schedulers**: a store that can claim rows atomically (an
``UPDATE ... RETURNING`` with a lease column, a Redis ``ZPOPMIN`` script, a Mongo
``find_one_and_update``) overrides it so that each due run is handed to exactly one scheduler.
The scheduler then releases every claimed job in the same pass, either with
:meth:`~BaseJobStore.update_job` (carrying the next run time) or with
:meth:`~BaseJobStore.remove_job`; a store should let a claim expire after a lease period so
that a scheduler that crashed mid-pass does not hold jobs forever.

The default :meth:`~BaseJobStore.acquire_due_jobs` simply calls :meth:`~BaseJobStore.get_due_jobs`,
which is right for a store used by one scheduler (APScheduler 3's model).

After a pass the scheduler hands every due job back at once through
:meth:`~BaseJobStore.update_jobs` and :meth:`~BaseJobStore.remove_jobs`; a database store overrides
them to write the whole batch in one round trip.

Persistent stores turn jobs into bytes with :meth:`~BaseJobStore.encode_job` and back with
:meth:`~BaseJobStore.decode_job`, through the serializer chosen by their ``serializer=`` argument
(:mod:`triggerkit.jobstores.serializers`). A row that cannot be restored is logged, reported as an
``EVENT_JOB_LOAD_FAILED`` event, skipped, and **kept**: no store deletes it on its own.
"""

from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import ConflictingIdError, JobLookupError, TransientJobError
from ..events import EVENT_JOB_LOAD_FAILED, JobLoadFailedEvent
from .serializers import PickleSerializer, Serializer

if TYPE_CHECKING:
    from ..job import Job
    from ..schedulers.base import BaseScheduler
    from .claims import Claim, ExpiredClaim, Planner, RunKey

__all__ = ["BaseJobStore", "ConflictingIdError", "JobLookupError", "TransientJobError"]


class BaseJobStore(metaclass=ABCMeta):
    """Abstract base class that defines the interface that every job store must implement."""

    _scheduler: BaseScheduler | None = None
    _alias: str | None = None
    _logger = logging.getLogger("triggerkit.jobstores")
    #: how :meth:`encode_job` and :meth:`decode_job` turn job states into bytes; persistent
    #: stores set it from their ``serializer`` and ``pickle_protocol`` arguments
    serializer: Serializer = PickleSerializer()

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        """Bind the store to ``scheduler`` under ``alias``; called when the scheduler starts.

        :param scheduler: the scheduler that is starting this job store
        :param alias: alias of this job store as it was assigned to the scheduler
        """
        self._scheduler = scheduler
        self._alias = alias
        self._logger = logging.getLogger(f"triggerkit.jobstores.{alias}")

    def shutdown(self) -> None:  # noqa: B027 - a hook with nothing to do by default
        """Free any resources still bound to this job store."""

    def _reconstitute_job(self, job_state: dict[str, Any]) -> Job:
        """Rebuild a job from its :meth:`Job.__getstate__ <triggerkit.job.Job.__getstate__>`
        dict and bind it to this store's scheduler; for persistent stores."""
        from ..job import Job

        job = Job.__new__(Job)
        job.__setstate__(job_state)
        if self._scheduler is not None:
            job._scheduler = self._scheduler
        job._jobstore_alias = self._alias
        return job

    @property
    def alias(self) -> str | None:
        """The alias the store was started under (``None`` before :meth:`start`)."""
        return self._alias

    @property
    def logger(self) -> logging.Logger:
        """The store's logger: ``triggerkit.jobstores.<alias>`` once started."""
        return self._logger

    def encode_job(self, job: Job) -> bytes:
        """Return ``job``'s state as bytes, with the store's serializer.

        :raises ValueError: if the job's callable has no importable reference
        :raises JobSerializationError: if the JSON serializer cannot carry a value of the job
        """
        return self.serializer.dumps(job.__getstate__())

    def decode_job(self, job_id: str, data: bytes) -> Job | None:
        """Restore a job from the bytes :meth:`encode_job` (or APScheduler 3) wrote.

        A row that cannot be restored (its function no longer imports, corrupt bytes, a pickle
        under ``serializer="json"``) gives ``None``: the job id and the reason are logged at
        ERROR, an ``EVENT_JOB_LOAD_FAILED`` :class:`~triggerkit.events.JobLoadFailedEvent` goes
        to the scheduler's listeners, and the row is left as it is for a later start to restore.
        """
        unloadable: set[str] = self.__dict__.setdefault("_unloadable", set())
        try:
            state = self.serializer.loads(data)
            job = self._reconstitute_job(state)
        except Exception as exc:
            unloadable.add(job_id)
            reason = f"{type(exc).__name__}: {exc}"
            self._logger.error(
                "Unable to restore job %r (%s) -- skipping it; its row is kept", job_id, reason
            )
            if self._scheduler is not None:
                self._scheduler.dispatch_event(
                    JobLoadFailedEvent(EVENT_JOB_LOAD_FAILED, job_id, self._alias, reason, exc)
                )
            return None
        unloadable.discard(job_id)
        return job

    @property
    def unloadable_job_ids(self) -> frozenset[str]:
        """The ids of the stored rows that :meth:`decode_job` could not restore in this process.

        A store leaves them out of :meth:`get_next_run_time` (else the scheduler would wake at
        once for a job it cannot run, again and again) and may leave them out of
        :meth:`get_due_jobs`; :meth:`lookup_job` and :meth:`get_all_jobs` try them again.
        """
        return frozenset(self.__dict__.get("_unloadable", ()))

    def forget_unloadable(self, job_id: str | None = None) -> None:
        """Drop ``job_id`` (every id if ``None``) from :attr:`unloadable_job_ids`: its row was
        rewritten or removed."""
        unloadable: set[str] | None = self.__dict__.get("_unloadable")
        if unloadable:
            if job_id is None:
                unloadable.clear()
            else:
                unloadable.discard(job_id)

    def update_jobs(self, jobs: Iterable[Job]) -> None:
        """Store the new versions of several jobs; a job no longer stored is passed over.

        The scheduler calls it once per pass with every due job it rescheduled. The default
        calls :meth:`update_job` for each; a database store overrides it to write one batch.
        """
        for job in jobs:
            try:
                self.update_job(job)
            except JobLookupError:
                self._logger.debug("Job %s was removed while it was being processed", job.id)

    def remove_jobs(self, job_ids: Iterable[str]) -> list[str]:
        """Remove several jobs; return the ids that were stored (and are now removed).

        The scheduler calls it once per pass with every due job that has no next run time.
        The default calls :meth:`remove_job` for each; a database store overrides it.
        """
        removed = []
        for job_id in job_ids:
            try:
                self.remove_job(job_id)
            except JobLookupError:
                continue
            removed.append(job_id)
        return removed

    def _fix_paused_jobs_sorting(self, jobs: list[Job]) -> None:
        """Move paused jobs (``next_run_time is None``) after the scheduled ones, in place."""
        paused = [job for job in jobs if job.next_run_time is None]
        if paused:
            jobs[:] = [job for job in jobs if job.next_run_time is not None] + paused

    @abstractmethod
    def lookup_job(self, job_id: str) -> Job | None:
        """Return a specific job, or ``None`` if it isn't found.

        The job store is responsible for setting the ``scheduler`` and ``jobstore`` attributes of
        the returned job to point to the scheduler and itself, respectively.
        """

    @abstractmethod
    def get_due_jobs(self, now: datetime) -> list[Job]:
        """Return the list of jobs that have ``next_run_time`` earlier or equal to ``now``.

        The returned jobs must be sorted by next run time (ascending).
        """

    def acquire_due_jobs(self, now: datetime, limit: int | None = None) -> list[Job]:
        """Claim and return up to ``limit`` due jobs, earliest first; the loop's entry point.

        Override it in a store shared by several schedulers to claim the jobs atomically (see
        the module docstring). Every claimed job is released in the same scheduler pass by
        :meth:`update_job` or :meth:`remove_job`.

        :param now: the current time; jobs with ``next_run_time <= now`` are due
        :param limit: the largest number of jobs to return (``None`` for all)
        """
        jobs = self.get_due_jobs(now)
        return jobs if limit is None else jobs[:limit]

    # -- several schedulers on one store (``shared=True``; see triggerkit.jobstores.claims) ----

    #: ``True`` in a store that implements the claim methods below
    supports_shared: bool = False

    def enable_shared(self) -> None:
        """Prepare the store for claims (create a claims table, ...); called by a scheduler
        started with ``shared=True``, after :meth:`start`.

        :raises TypeError: if the store cannot be shared between schedulers
        """
        raise TypeError(
            f"{type(self).__name__} cannot be shared between schedulers (shared=True): use a "
            "store that supports it (SQLAlchemyJobStore, RedisJobStore, MongoDBJobStore, "
            "ZooKeeperJobStore, EtcdJobStore, RethinkDBJobStore)"
        )

    def claim_due_runs(
        self,
        now: datetime,
        owner: str,
        lease_until: datetime,
        planner: Planner,
        limit: int = 500,
    ) -> list[Claim]:
        """Atomically claim the due runs of up to ``limit`` due jobs, earliest first.

        For each due job, in one atomic step: call ``planner(job)``, store the job with the
        planned next run time (delete it if there is none), and record one claim row per planned
        run time, owned by ``owner`` until ``lease_until`` -- unless ``max_instances`` claims
        of the job are live already, in which case the runs are returned as ``busy``.
        """
        raise NotImplementedError

    def mark_runs_started(self, owner: str, runs: Iterable[RunKey]) -> list[RunKey]:
        """Record that ``owner`` is handing these claimed runs to an executor; return the runs
        marked.

        Only a claim ``owner`` still holds is marked. A run missing from the answer was taken
        over by another scheduler (``owner``'s lease ran out before this call) and must not be
        run by ``owner``: the taker runs or reports it.
        """
        raise NotImplementedError

    def renew_claims(self, owner: str, runs: Iterable[RunKey], lease_until: datetime) -> None:
        """Extend the leases of ``owner``'s claims on these runs to ``lease_until``."""
        raise NotImplementedError

    def release_runs(self, owner: str, runs: Iterable[RunKey]) -> None:
        """Delete ``owner``'s claims on these runs (they ended, or were reported)."""
        raise NotImplementedError

    def take_expired_claims(
        self, now: datetime, owner: str, lease_until: datetime, limit: int = 100
    ) -> list[ExpiredClaim]:
        """Atomically move the claims whose lease ended before ``now`` to ``owner`` (new lease
        ``lease_until``) and return them; the caller runs or reports each and releases it."""
        raise NotImplementedError

    def live_claim_owners(self, now: datetime) -> dict[RunKey, str]:
        """Every claim with a lease still running at ``now`` -> its owner (for tests, tools)."""
        raise NotImplementedError

    def watch_changes(self, on_change: Callable[[], None]) -> bool:
        """Call ``on_change()`` whenever a job of this store is added, modified, paused or
        removed through another store object (another scheduler, process or host).

        Called by a scheduler started with ``shared=True``, after :meth:`enable_shared`. A store
        that can be told of changes (PostgreSQL LISTEN/NOTIFY, Redis pub/sub, ZooKeeper and etcd
        watches) starts a watcher and returns ``True``; ``on_change`` may then be called from any
        thread, may be called for the caller's own changes and spuriously, and must be cheap
        (the scheduler only wakes up). The watcher survives store errors (it reconnects and calls
        ``on_change`` once it is back, since changes may have been missed) and stops in
        :meth:`shutdown`. The default returns ``False``: the scheduler polls the store every
        ``shared_poll_interval`` seconds (it also does with a watcher, as a safety net).
        """
        return False

    @abstractmethod
    def get_next_run_time(self) -> datetime | None:
        """Return the earliest run time of all the jobs stored, or ``None`` if there are none."""

    @abstractmethod
    def get_all_jobs(self) -> list[Job]:
        """Return all jobs: scheduled ones by next run time ascending, then paused ones."""

    @abstractmethod
    def add_job(self, job: Job) -> None:
        """Add the given job to this store.

        :raises ConflictingIdError: if there is another job in this store with the same ID
        """

    @abstractmethod
    def update_job(self, job: Job) -> None:
        """Replace the job in the store with the given newer version.

        :raises JobLookupError: if the job does not exist
        """

    @abstractmethod
    def remove_job(self, job_id: str) -> None:
        """Remove the given job from this store.

        :raises JobLookupError: if the job does not exist
        """

    @abstractmethod
    def remove_all_jobs(self) -> None:
        """Remove all jobs from this store."""

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"
