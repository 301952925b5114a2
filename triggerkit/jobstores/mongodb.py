"""The MongoDB job store, at APScheduler 3's ``apscheduler.jobstores.mongodb`` path.

Layout (APScheduler 3.11's, so a collection it wrote opens as it is): one document per job,
``{"_id": job id, "next_run_time": UTC POSIX timestamp as a float, or null when paused,
"job_state": the serialized state as BSON binary}``, with a sparse ascending index on
``next_run_time``. The scheduler's pass writes all its due jobs back in one ``bulk_write``.
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import ConflictingIdError, JobLookupError
from ..util import datetime_to_utc_timestamp, maybe_ref, utc_timestamp_to_datetime
from .base import BaseJobStore
from .serializers import make_serializer

try:
    from bson.binary import Binary
    from pymongo import ASCENDING, MongoClient, UpdateOne
    from pymongo.errors import DuplicateKeyError
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "MongoDBJobStore requires the pymongo package: pip install 'triggerkit[mongodb]'"
    ) from exc

if TYPE_CHECKING:
    from ..job import Job
    from ..schedulers.base import BaseScheduler

__all__ = ["MongoDBJobStore"]

# The index serves this order; ties in next run time are put in id order here, in Python (a
# sort on ("next_run_time", "_id") would make the server sort every matching document itself).
_ORDER = [("next_run_time", ASCENDING)]
_STATE = ["_id", "job_state"]


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

    def update_job(self, job: Job) -> None:
        result = self.collection.update_one({"_id": job.id}, {"$set": self._changes(job)})
        self.forget_unloadable(job.id)
        if result and result.matched_count == 0:
            raise JobLookupError(job.id)

    def update_jobs(self, jobs: Iterable[Job]) -> None:
        """Store several jobs' new versions in one ``bulk_write``; unknown ids are passed over."""
        requests = []
        for job in jobs:
            requests.append(UpdateOne({"_id": job.id}, {"$set": self._changes(job)}))
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

    def shutdown(self) -> None:
        self.client.close()

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (client={self.client})>"


def _tie_order(job: Job) -> tuple[bool, float, str]:
    timestamp = datetime_to_utc_timestamp(job.next_run_time)
    return (timestamp is None, timestamp or 0.0, job.id)
