"""The etcd job store, at APScheduler 3's ``apscheduler.jobstores.etcd`` path.

Layout (APScheduler 3.11's): one key per job, ``<path>/<job id>``, whose value is a pickled dict
``{"next_run_time": <UTC timestamp or None>, "job_state": <Job.__getstate__() dict>}``. With
``serializer="json"`` the value is the JSON job state instead. Jobs are ordered by next run time,
then by id (etcd returns keys in byte order).

Only keys under ``<path>/`` are read and removed: APScheduler reads and removes every key that
starts with ``<path>``, which reaches into a sibling such as ``/apscheduler2``.
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import ConflictingIdError, JobLookupError
from ..util import maybe_ref
from ._nodevalue import NodeValue
from .base import BaseJobStore
from .serializers import make_serializer

try:
    with warnings.catch_warnings():
        # etcd3 0.12's generated protobuf modules use descriptor calls that protobuf 3.20
        # deprecates on import; nothing the store does depends on them.
        warnings.filterwarnings("ignore", "Call to deprecated create function", DeprecationWarning)
        from etcd3 import Etcd3Client
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "EtcdJobStore requires etcd3 (and protobuf<=3.21): pip install 'triggerkit[etcd]'"
    ) from exc

if TYPE_CHECKING:
    from ..job import Job

__all__ = ["EtcdJobStore"]

_TXN_OPS = 128  # etcd's default --max-txn-ops: the most operations one transaction may hold


class EtcdJobStore(BaseJobStore):
    """Keep jobs in etcd, one key per job under ``path``.

    Leftover keyword arguments go to etcd3's ``Etcd3Client`` (``host``, ``port``, ``timeout``, ...).

    Plugin alias: ``etcd``

    :param path: the key prefix the jobs are kept under (a ``/`` is added between it and the id)
    :param client: an ``Etcd3Client`` (or a ``module:name`` reference to one) to use instead of
        connection arguments
    :param close_connection_on_exit: close a client passed in ``client`` when the store shuts
        down (a client the store made itself is always closed)
    :param pickle_protocol: pickle protocol level for the ``pickle`` serializer
    :param serializer: ``"pickle"`` (APScheduler's format, the default) or ``"json"`` (plain data:
        reading the keys runs no code)
    """

    def __init__(
        self,
        path: str = "/apscheduler",
        client: Any = None,
        close_connection_on_exit: bool = False,
        pickle_protocol: int = pickle.DEFAULT_PROTOCOL,
        serializer: Any = "pickle",
        **connect_args: Any,
    ) -> None:
        super().__init__()
        if not path:
            raise ValueError('The "path" parameter must not be empty')
        self.path = path
        self.pickle_protocol = pickle_protocol
        self.close_connection_on_exit = close_connection_on_exit
        self.serializer = NodeValue(make_serializer(serializer, pickle_protocol))
        self._owns_client = not client
        if not client:
            # One range request reads every job; gRPC's default 4 MB cap on a reply would stop
            # it at a few thousand jobs (APScheduler's store fails there).
            connect_args.setdefault("grpc_options", [("grpc.max_receive_message_length", -1)])
        self.client = maybe_ref(client) if client else Etcd3Client(**connect_args)
        self._prefix = path.rstrip("/") + "/"

    def shutdown(self) -> None:
        if self._owns_client or self.close_connection_on_exit:
            self.client.close()

    def _key(self, job_id: str) -> str:
        return self._prefix + job_id

    def lookup_job(self, job_id: str) -> Job | None:
        data, _meta = self.client.get(self._key(job_id))
        return None if data is None else self.decode_job(job_id, data)

    def get_due_jobs(self, now: datetime) -> list[Job]:
        return [
            job
            for job in self._load_jobs()
            if job.next_run_time is not None and job.next_run_time <= now
        ]

    def get_next_run_time(self) -> datetime | None:
        jobs = self._load_jobs()
        return jobs[0].next_run_time if jobs else None

    def get_all_jobs(self) -> list[Job]:
        return self._load_jobs()

    def add_job(self, job: Job) -> None:
        if not self.client.put_if_not_exists(self._key(job.id), self.encode_job(job)):
            raise ConflictingIdError(job.id)

    def update_job(self, job: Job) -> None:
        key = self._key(job.id)
        ops = self.client.transactions
        succeeded, _responses = self.client.transaction(
            compare=[ops.version(key) > 0],
            success=[ops.put(key, self.encode_job(job))],
            failure=[],
        )
        if not succeeded:
            raise JobLookupError(job.id)

    def remove_job(self, job_id: str) -> None:
        key = self._key(job_id)
        ops = self.client.transactions
        succeeded, _responses = self.client.transaction(
            compare=[ops.version(key) > 0], success=[ops.delete(key)], failure=[]
        )
        if not succeeded:
            raise JobLookupError(job_id)

    def update_jobs(self, jobs: Iterable[Job]) -> None:
        """Write every job's new version in transactions of up to 128 jobs (etcd's default
        ``--max-txn-ops``); a batch that finds a job removed is redone job by job."""
        ops = self.client.transactions
        encoded = [(job, self._key(job.id), self.encode_job(job)) for job in jobs]
        for start in range(0, len(encoded), _TXN_OPS):
            batch = encoded[start : start + _TXN_OPS]
            succeeded, _responses = self.client.transaction(
                compare=[ops.version(key) > 0 for _job, key, _data in batch],
                success=[ops.put(key, data) for _job, key, data in batch],
                failure=[],
            )
            if not succeeded:
                super().update_jobs(job for job, _key, _data in batch)

    def remove_jobs(self, job_ids: Iterable[str]) -> list[str]:
        """Remove several jobs in transactions of up to 128; return the ids that were stored."""
        ops = self.client.transactions
        ids = list(job_ids)
        removed: list[str] = []
        for start in range(0, len(ids), _TXN_OPS):
            batch = ids[start : start + _TXN_OPS]
            succeeded, _responses = self.client.transaction(
                compare=[ops.version(self._key(job_id)) > 0 for job_id in batch],
                success=[ops.delete(self._key(job_id)) for job_id in batch],
                failure=[],
            )
            removed.extend(batch if succeeded else super().remove_jobs(batch))
        return removed

    def remove_all_jobs(self) -> None:
        self.client.delete_prefix(self._prefix)

    def _load_jobs(self) -> list[Job]:
        """Read every job in one range request, skipping those that cannot be restored.

        Order: next run time, then id; paused jobs last.
        """
        loaded: list[tuple[float, str, Job]] = []
        for data, meta in self.client.get_prefix(self._prefix):
            job_id = meta.key.decode("utf-8", "replace")[len(self._prefix) :]
            job = self.decode_job(job_id, data)
            if job is not None:
                run_time = job.next_run_time
                key = run_time.timestamp() if run_time is not None else float("inf")
                loaded.append((key, job_id, job))
        loaded.sort(key=lambda item: item[:2])
        return [item[2] for item in loaded]

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (client={self.client})>"
