"""The MongoDB job store, at APScheduler 3's ``apscheduler.jobstores.mongodb`` path.

Layout (APScheduler 3.11's, so a collection it wrote opens as it is): one document per job,
``{"_id": job id, "next_run_time": UTC POSIX timestamp as a float, or null when paused,
"job_state": the serialized state as BSON binary}``, with a sparse ascending index on
``next_run_time``. The scheduler's pass writes all its due jobs back in one ``bulk_write``.

Shared by several schedulers (``shared=True``, see :mod:`triggerkit.jobstores.claims`), a claim
takes three steps around the scheduler's planner, each atomic on one document or one batch:

1. **lock**: ``find_one_and_update`` per due job, matching the job only if its ``next_run_time``
   is still the one read and no live lock is on it, and setting ``tk_lock`` (a token made for
   this pass) and ``tk_lock_until`` (the lease deadline, integer microseconds);
2. **record**: the planned runs are inserted into the side collection ``<collection>_claims``,
   one document per run whose ``_id`` is ``"<run time us>:<job id>"`` (unique: a run can be
   recorded once); a run whose document exists already (recorded by a claimer that died before
   step 3) is not claimed again;
3. **commit**: one ``bulk_write`` stores each advanced job (or deletes a finished one) only where
   ``tk_lock`` is still this pass's token, and drops the lock.

A run is claimed once its claim document exists. A crash after step 1 leaves a lock that expires
with the lease: nothing was handed out. A crash after step 2 leaves claims that another scheduler
takes over when their lease ends, and a job that the next claimer advances past them. While
shared, :meth:`MongoDBJobStore.update_job` drops a job's lock, so a claim in progress cannot
overwrite a change made meanwhile (its commit no longer matches).
"""

from __future__ import annotations

import pickle
import uuid
import warnings
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import ConflictingIdError, JobLookupError
from ..util import datetime_to_utc_timestamp, maybe_ref, utc_timestamp_to_datetime
from .base import BaseJobStore
from .claims import Claim, ExpiredClaim, Planner, RunKey, from_micros, plan_claim, to_micros
from .serializers import make_serializer

try:
    from bson.binary import Binary
    from bson.int64 import Int64
    from pymongo import ASCENDING, DeleteOne, MongoClient, UpdateOne
    from pymongo.errors import BulkWriteError, DuplicateKeyError
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "MongoDBJobStore requires the pymongo package: pip install 'triggerkit-cron[mongodb]'"
    ) from exc

if TYPE_CHECKING:
    from ..job import Job
    from ..schedulers.base import BaseScheduler

__all__ = ["MongoDBJobStore"]

# The index serves this order; ties in next run time are put in id order here, in Python (a
# sort on ("next_run_time", "_id") would make the server sort every matching document itself).
_ORDER = [("next_run_time", ASCENDING)]
_STATE = ["_id", "job_state"]
# The claim lock on a job document (shared=True only): this pass's token, and its deadline (us)
_LOCK, _LOCK_UNTIL = "tk_lock", "tk_lock_until"
_UNLOCK = {_LOCK: "", _LOCK_UNTIL: ""}
_DUPLICATE_KEY = 11000


def _free_at(now_us: int) -> dict[str, Any]:
    """The filter of a job document that no claimer holds at ``now_us``."""
    return {"$or": [{_LOCK_UNTIL: {"$exists": False}}, {_LOCK_UNTIL: {"$lt": now_us}}]}


def _claim_id(job_id: str, run_time: datetime) -> str:
    return f"{to_micros(run_time)}:{job_id}"


class MongoDBJobStore(BaseJobStore):
    """Store jobs in a MongoDB collection.

    Leftover keyword arguments go to :class:`pymongo.mongo_client.MongoClient` (``host``,
    ``port``...); ``w`` defaults to 1, as in APScheduler 3.

    Plugin alias: ``mongodb``

    :param database: database to store jobs in
    :param collection: collection to store jobs in
    :param client: a :class:`~pymongo.mongo_client.MongoClient` (or a ``module:name`` reference
        to one) to use instead of connection arguments
    :param pickle_protocol: pickle protocol level to write with (``serializer="pickle"``)
    :param serializer: ``"pickle"`` (APScheduler 3's format; unpickling runs code named by the
        data) or ``"json"`` (plain data; see :mod:`triggerkit.jobstores.serializers`)
    """

    def __init__(
        self,
        database: str = "apscheduler",
        collection: str = "jobs",
        client: Any = None,
        pickle_protocol: int = pickle.HIGHEST_PROTOCOL,
        serializer: Any = "pickle",
        **connect_args: Any,
    ) -> None:
        super().__init__()
        if not database:
            raise ValueError('The "database" parameter must not be empty')
        if not collection:
            raise ValueError('The "collection" parameter must not be empty')
        self.pickle_protocol = pickle_protocol
        self.serializer = make_serializer(serializer, pickle_protocol)
        if client:
            self.client: Any = maybe_ref(client)
        else:
            connect_args.setdefault("w", 1)
            self.client = MongoClient(**connect_args)
        self.collection: Any = self.client[database][collection]
        #: the claims of a shared store (``<collection>_claims``; created by enable_shared)
        self.claims: Any = self.client[database][f"{collection}_claims"]
        self._shared = False

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        super().start(scheduler, alias)
        self.collection.create_index("next_run_time", sparse=True)

    @property
    def connection(self) -> Any:
        """Deprecated alias of :attr:`client` (as in APScheduler 3)."""
        warnings.warn(
            'The "connection" member is deprecated -- use "client" instead',
            DeprecationWarning,
            stacklevel=2,
        )
        return self.client

    # -- reading ---------------------------------------------------------------------------

    def lookup_job(self, job_id: str) -> Job | None:
        document = self.collection.find_one({"_id": job_id}, ["job_state"])
        if document is None:
            return None
        return self.decode_job(job_id, document["job_state"])

    def get_due_jobs(self, now: datetime) -> list[Job]:
        return self.acquire_due_jobs(now)

    def acquire_due_jobs(self, now: datetime, limit: int | None = None) -> list[Job]:
        conditions: dict[str, Any] = {"next_run_time": {"$lte": datetime_to_utc_timestamp(now)}}
        known_bad = self.unloadable_job_ids
        if known_bad:  # reported once already; get_job()/get_jobs() try them again
            conditions["_id"] = {"$nin": sorted(known_bad)}
        cursor = self.collection.find(conditions, _STATE, sort=_ORDER)
        if limit is not None:
            cursor = cursor.limit(limit)
        return self._decode_all(cursor)

    def get_next_run_time(self) -> datetime | None:
        conditions: dict[str, Any] = {"next_run_time": {"$ne": None}}
        known_bad = self.unloadable_job_ids
        if known_bad:
            # Rows that failed to load keep their run times: look past them, or the scheduler
            # would wake up for them at once, again and again.
            conditions["_id"] = {"$nin": sorted(known_bad)}
        document = self.collection.find_one(conditions, ["next_run_time"], sort=_ORDER)
        return utc_timestamp_to_datetime(document["next_run_time"]) if document else None

    def get_all_jobs(self) -> list[Job]:
        jobs = self._decode_all(self.collection.find({}, _STATE, sort=_ORDER))
        self._fix_paused_jobs_sorting(jobs)
        return jobs

    def _decode_all(self, documents: Iterable[dict[str, Any]]) -> list[Job]:
        """Restore the documents' jobs (passing over unloadable ones), ties in id order."""
        jobs = []
        for document in documents:
            job = self.decode_job(document["_id"], document["job_state"])
            if job is not None:
                jobs.append(job)
        jobs.sort(key=_tie_order)  # stable: only jobs with equal run times move
        return jobs

    # -- writing ---------------------------------------------------------------------------

    def _changes(self, job: Job) -> dict[str, Any]:
        return {
            "next_run_time": datetime_to_utc_timestamp(job.next_run_time),
            "job_state": Binary(self.encode_job(job)),
        }

    def add_job(self, job: Job) -> None:
        try:
            self.collection.insert_one({"_id": job.id, **self._changes(job)})
        except DuplicateKeyError:
            raise ConflictingIdError(job.id) from None

    def _update(self, job: Job) -> dict[str, Any]:
        """The update of a job's document; while shared it also drops a claimer's lock (that
        claim's commit then no longer matches, and cannot overwrite this change)."""
        update: dict[str, Any] = {"$set": self._changes(job)}
        if self._shared:
            update["$unset"] = _UNLOCK
        return update

    def update_job(self, job: Job) -> None:
        result = self.collection.update_one({"_id": job.id}, self._update(job))
        self.forget_unloadable(job.id)
        if result and result.matched_count == 0:
            raise JobLookupError(job.id)

    def update_jobs(self, jobs: Iterable[Job]) -> None:
        """Store several jobs' new versions in one ``bulk_write``; unknown ids are passed over."""
        requests = []
        for job in jobs:
            requests.append(UpdateOne({"_id": job.id}, self._update(job)))
            self.forget_unloadable(job.id)
        if requests:
            self.collection.bulk_write(requests, ordered=False)

    def remove_job(self, job_id: str) -> None:
        result = self.collection.delete_one({"_id": job_id})
        self.forget_unloadable(job_id)
        if result and result.deleted_count == 0:
            raise JobLookupError(job_id)

    def remove_jobs(self, job_ids: Iterable[str]) -> list[str]:
        """Remove several jobs in two round trips; return the ids that were stored."""
        ids = list(job_ids)
        if not ids:
            return []
        found = {doc["_id"] for doc in self.collection.find({"_id": {"$in": ids}}, ["_id"])}
        if found:
            self.collection.delete_many({"_id": {"$in": list(found)}})
        for job_id in ids:
            self.forget_unloadable(job_id)
        return [job_id for job_id in ids if job_id in found]

    def remove_all_jobs(self) -> None:
        self.collection.delete_many({})
        self.forget_unloadable()

    # -- shared by several schedulers (see the module docstring) ----------------------------

    supports_shared = True

    def enable_shared(self) -> None:
        """Index the claims collection (created on first use); the jobs keep their layout."""
        self._shared = True
        self.claims.create_index("lease_until")
        self.claims.create_index("job_id")

    def claim_due_runs(
        self,
        now: datetime,
        owner: str,
        lease_until: datetime,
        planner: Planner,
        limit: int = 500,
    ) -> list[Claim]:
        now_us, lease_us = to_micros(now), Int64(to_micros(lease_until))
        token = f"{owner}|{uuid.uuid4().hex[:12]}"
        locked = self._lock_due(now, now_us, token, lease_us, limit)
        if not locked:
            return []
        live = Counter(
            document["job_id"]
            for document in self.claims.find(
                {
                    "job_id": {"$in": [job_id for job_id, _ in locked]},
                    "lease_until": {"$gte": now_us},
                    "counted": True,
                },
                ["job_id"],
            )
        )
        commits: list[Any] = []
        planned: list[Claim] = []
        records: list[dict[str, Any]] = []
        for job_id, data in locked:
            where = {"_id": job_id, _LOCK: token}
            job = self.decode_job(job_id, data)
            if job is None:  # kept as it is, unlocked; reported by decode_job
                commits.append(UpdateOne(where, {"$unset": _UNLOCK}))
                continue
            claim = plan_claim(job, planner, live[job_id])
            planned.append(claim)
            for run_time in claim.run_times:
                records.append(
                    {
                        "_id": _claim_id(job_id, run_time),
                        "job_id": job_id,
                        "run_time": Int64(to_micros(run_time)),
                        "owner": owner,
                        "lease_until": lease_us,
                        "started": False,
                        "counted": run_time is claim.run_times[-1],
                        "job_state": Binary(data),
                    }
                )
            if claim.removed:
                commits.append(DeleteOne(where))
            else:
                commits.append(UpdateOne(where, {"$set": self._changes(job), "$unset": _UNLOCK}))
        self._record(planned, records)
        self._drop_recorded_busy(planned)
        result = self.collection.bulk_write(commits, ordered=False)
        if result.matched_count + result.deleted_count < len(commits):
            self._check_removals(planned)
        return planned

    def _lock_due(
        self, now: datetime, now_us: int, token: str, lease_us: Int64, limit: int
    ) -> list[tuple[str, bytes]]:
        """Lock up to ``limit`` due jobs nobody holds; return their ids and states."""
        conditions: dict[str, Any] = {"next_run_time": {"$lte": datetime_to_utc_timestamp(now)}}
        known_bad = self.unloadable_job_ids
        if known_bad:
            conditions["_id"] = {"$nin": sorted(known_bad)}
        due = self.collection.find(conditions, ["next_run_time", _LOCK_UNTIL], sort=_ORDER)
        locked = []
        for document in due.limit(limit):
            if document.get(_LOCK_UNTIL, -1) >= now_us:
                continue  # another scheduler is claiming it
            got = self.collection.find_one_and_update(
                {
                    "_id": document["_id"],
                    "next_run_time": document["next_run_time"],
                    **_free_at(now_us),
                },
                {"$set": {_LOCK: token, _LOCK_UNTIL: lease_us}},
                projection=["job_state"],
            )
            if got is not None:
                locked.append((document["_id"], bytes(got["job_state"])))
        return locked

    def _record(self, planned: list[Claim], records: list[dict[str, Any]]) -> None:
        """Insert the claim documents; a run recorded already (by a claimer that died before
        its commit) is taken out of its claim: that claimer's record stands."""
        if not records:
            return
        try:
            self.claims.insert_many(records, ordered=False)
            return
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(error.get("code") != _DUPLICATE_KEY for error in errors):
                raise
            taken = {records[error["index"]]["_id"] for error in errors}
        for claim in planned:
            kept = [t for t in claim.run_times if _claim_id(claim.job.id, t) not in taken]
            if kept != claim.run_times and kept:
                # the run that counted an instance was taken out: let the last one kept count
                self.claims.update_one(
                    {"_id": _claim_id(claim.job.id, kept[-1])}, {"$set": {"counted": True}}
                )
            claim.run_times = kept

    def _drop_recorded_busy(self, planned: list[Claim]) -> None:
        """A run found busy (``max_instances`` reached) that is recorded already belongs to a
        claimer that died before its commit: it is taken over, not reported as busy."""
        busy = [_claim_id(claim.job.id, t) for claim in planned for t in claim.busy]
        if busy:
            recorded = {d["_id"] for d in self.claims.find({"_id": {"$in": busy}}, ["_id"])}
            for claim in planned:
                claim.busy = [t for t in claim.busy if _claim_id(claim.job.id, t) not in recorded]

    def _check_removals(self, planned: list[Claim]) -> None:
        """Some commits did not match (the job was changed or re-locked meanwhile): a finished
        job whose document is still there was not removed by this claim."""
        removed = [claim for claim in planned if claim.removed]
        if removed:
            ids = [claim.job.id for claim in removed]
            still = {doc["_id"] for doc in self.collection.find({"_id": {"$in": ids}}, ["_id"])}
            for claim in removed:
                claim.removed = claim.job.id not in still

    @staticmethod
    def _owned(owner: str, runs: Iterable[RunKey]) -> dict[str, Any] | None:
        ids = [_claim_id(job_id, run_time) for job_id, run_time in runs]
        return {"_id": {"$in": ids}, "owner": owner} if ids else None

    def mark_runs_started(self, owner: str, runs: Iterable[RunKey]) -> list[RunKey]:
        runs = list(runs)
        where = self._owned(owner, runs)
        if not where:
            return []
        self.claims.update_many(where, {"$set": {"started": True}})
        # Read back which are still ours: a claim taken over meanwhile (lease ran out) has
        # another owner. Taken over after the update, it is started, so the taker reports it.
        held = {doc["_id"] for doc in self.claims.find({**where, "started": True}, ["_id"])}
        return [run for run in runs if _claim_id(*run) in held]

    def renew_claims(self, owner: str, runs: Iterable[RunKey], lease_until: datetime) -> None:
        where = self._owned(owner, runs)
        if where:
            self.claims.update_many(where, {"$set": {"lease_until": Int64(to_micros(lease_until))}})

    def release_runs(self, owner: str, runs: Iterable[RunKey]) -> None:
        where = self._owned(owner, runs)
        if where:
            self.claims.delete_many(where)

    def take_expired_claims(
        self, now: datetime, owner: str, lease_until: datetime, limit: int = 100
    ) -> list[ExpiredClaim]:
        expired = self.claims.find(
            {"lease_until": {"$lt": to_micros(now)}},
            ["job_id", "run_time", "owner", "lease_until", "started"],
            sort=[("run_time", ASCENDING)],
        ).limit(limit)
        taken = []
        for document in expired:
            # one taker: the claim moves only if nobody moved or renewed it since it was read
            got = self.claims.find_one_and_update(
                {
                    "_id": document["_id"],
                    "owner": document["owner"],
                    "lease_until": document["lease_until"],
                },
                {"$set": {"owner": owner, "lease_until": Int64(to_micros(lease_until))}},
                projection=["job_state"],
            )
            if got is None:
                continue
            job_id, started = document["job_id"], bool(document["started"])
            job = None if started else self.decode_job(job_id, bytes(got["job_state"]))
            taken.append(
                ExpiredClaim(
                    job_id, from_micros(document["run_time"]), document["owner"], started, job
                )
            )
        return taken

    def live_claim_owners(self, now: datetime) -> dict[RunKey, str]:
        documents = self.claims.find(
            {"lease_until": {"$gte": to_micros(now)}}, ["job_id", "run_time", "owner"]
        )
        return {(d["job_id"], from_micros(d["run_time"])): d["owner"] for d in documents}

    def shutdown(self) -> None:
        self.client.close()

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (client={self.client})>"


def _tie_order(job: Job) -> tuple[bool, float, str]:
    timestamp = datetime_to_utc_timestamp(job.next_run_time)
    return (timestamp is None, timestamp or 0.0, job.id)
