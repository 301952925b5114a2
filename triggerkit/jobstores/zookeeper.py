"""The ZooKeeper job store, at APScheduler 3's ``apscheduler.jobstores.zookeeper`` path.

Layout (APScheduler 3.11's): one znode per job, ``<path>/<job id>``, whose data is a pickled dict
``{"next_run_time": <UTC timestamp or None>, "job_state": <Job.__getstate__() dict>}``. With
``serializer="json"`` the data is the JSON job state instead. Jobs are ordered by next run time,
then by the znode's creation time, as APScheduler orders them.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import ConflictingIdError, JobLookupError
from ..util import maybe_ref
from ._nodevalue import NodeValue
from .base import BaseJobStore
from .serializers import make_serializer

try:
    from kazoo.client import KazooClient
    from kazoo.exceptions import ConnectionLoss, NodeExistsError, NoNodeError
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "ZooKeeperJobStore requires kazoo: pip install 'triggerkit[zookeeper]'"
    ) from exc

if TYPE_CHECKING:
    from ..job import Job
    from ..schedulers.base import BaseScheduler

__all__ = ["ZooKeeperJobStore"]


class ZooKeeperJobStore(BaseJobStore):
    """Keep jobs in a ZooKeeper tree, one znode per job under ``path``.

    Leftover keyword arguments go to kazoo's ``KazooClient`` (``hosts="127.0.0.1:2181"``, ...).

    Plugin alias: ``zookeeper``

    :param path: the znode the jobs are kept under
    :param client: a ``KazooClient`` (or a ``module:name`` reference to one) to use instead of
        connection arguments
    :param close_connection_on_exit: stop and close the client when the store shuts down
    :param pickle_protocol: pickle protocol level for the ``pickle`` serializer
    :param serializer: ``"pickle"`` (APScheduler's format, the default) or ``"json"`` (plain data:
        reading the tree runs no code)
    """

    def __init__(
        self,
        path: str = "/apscheduler",
        client: Any = None,
        close_connection_on_exit: bool = False,
        pickle_protocol: int = pickle.HIGHEST_PROTOCOL,
        serializer: Any = "pickle",
        **connect_args: Any,
    ) -> None:
        super().__init__()
        if not path:
            raise ValueError('The "path" parameter must not be empty')
        self.path = path.rstrip("/") or "/"
        self.pickle_protocol = pickle_protocol
        self.close_connection_on_exit = close_connection_on_exit
        self.serializer = NodeValue(make_serializer(serializer, pickle_protocol))
        self.client = maybe_ref(client) if client else KazooClient(**connect_args)
        self._ensured_path = False
        self._closed = False
        self._started_client = False
        # how long one operation waits for the server (kazoo's own default session timeout)
        self._op_timeout = float(connect_args.get("timeout", 10.0))

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        super().start(scheduler, alias)
        self._connect()

    def _connect(self) -> None:
        """Make sure the client is connected before an operation.

        The first use starts the client (so a store used before or without start() works). A
        client that lost its server reconnects in the background: the operation fails at once
        (``ConnectionLoss``) instead of waiting in kazoo's queue until the server is back, so
        the scheduler logs it and retries. A client closed at shutdown stays closed.
        """
        if self.client.connected or self._closed:
            return
        if not self._started_client:
            self._started_client = True
            self.client.start()
            return
        raise ConnectionLoss(
            f"not connected to ZooKeeper (state {self.client.state}); kazoo is reconnecting"
        )

    def _wait(self, result: Any) -> Any:
        """The outcome of a kazoo async call, waiting at most the operation timeout."""
        return result.get(timeout=self._op_timeout)

    def shutdown(self) -> None:
        if self.close_connection_on_exit:
            self._closed = True
            self.client.stop()
            self.client.close()

    def _node(self, job_id: str) -> str:
        return f"{self.path.rstrip('/')}/{job_id}"

    def _ensure_path(self) -> None:
        self._connect()
        if not self._ensured_path:
            self._wait(self.client.ensure_path_async(self.path))
            self._ensured_path = True

    def lookup_job(self, job_id: str) -> Job | None:
        self._ensure_path()
        try:
            data, _stat = self._wait(self.client.get_async(self._node(job_id)))
        except NoNodeError:
            return None
        return self.decode_job(job_id, data)

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
        data = self.encode_job(job)
        self._ensure_path()
        try:
            self._wait(self.client.create_async(self._node(job.id), data))
        except NodeExistsError:
            raise ConflictingIdError(job.id) from None

    def update_job(self, job: Job) -> None:
        data = self.encode_job(job)
        self._ensure_path()
        try:
            self._wait(self.client.set_async(self._node(job.id), data))
        except NoNodeError:
            raise JobLookupError(job.id) from None

    def remove_job(self, job_id: str) -> None:
        self._ensure_path()
        try:
            self._wait(self.client.delete_async(self._node(job_id)))
        except NoNodeError:
            raise JobLookupError(job_id) from None

    def update_jobs(self, jobs: Iterable[Job]) -> None:
        """Write every job's new version, the writes pipelined; a removed job is passed over."""
        pending = [(job.id, self.encode_job(job)) for job in jobs]
        self._ensure_path()
        results = [
            (job_id, self.client.set_async(self._node(job_id), data)) for job_id, data in pending
        ]
        for job_id, result in results:
            try:
                self._wait(result)
            except NoNodeError:
                self.logger.debug("Job %s was removed while it was being processed", job_id)

    def remove_jobs(self, job_ids: Iterable[str]) -> list[str]:
        """Remove several jobs, the deletions pipelined; return the ids that were stored."""
        self._ensure_path()
        results = [(job_id, self.client.delete_async(self._node(job_id))) for job_id in job_ids]
        removed = []
        for job_id, result in results:
            try:
                self._wait(result)
            except NoNodeError:
                continue
            removed.append(job_id)
        return removed

    def remove_all_jobs(self) -> None:
        self._connect()
        try:
            self.client.delete(self.path, recursive=True)
        except NoNodeError:
            pass
        self._ensured_path = False

    def _load_jobs(self) -> list[Job]:
        """Read every job node (the reads pipelined), skipping those that cannot be restored.

        Order: next run time, then creation time (APScheduler's order); paused jobs last.
        """
        self._ensure_path()
        names = self._wait(self.client.get_children_async(self.path))
        pending = [(name, self.client.get_async(self._node(name))) for name in names]
        loaded: list[tuple[float, int, str, Job]] = []
        for name, result in pending:
            try:
                data, stat = self._wait(result)
            except NoNodeError:  # removed since it was listed
                continue
            job = self.decode_job(name, data)
            if job is not None:
                run_time = job.next_run_time
                key = run_time.timestamp() if run_time is not None else float("inf")
                loaded.append((key, stat.ctime, name, job))
        loaded.sort(key=lambda item: item[:3])
        return [item[3] for item in loaded]

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (client={self.client})>"
