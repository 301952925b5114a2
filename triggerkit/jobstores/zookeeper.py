"""The ZooKeeper job store, at APScheduler 3's ``apscheduler.jobstores.zookeeper`` path.

Layout (APScheduler 3.11's): one znode per job, ``<path>/<job id>``, whose data is a pickled dict
``{"next_run_time": <UTC timestamp or None>, "job_state": <Job.__getstate__() dict>}``. With
``serializer="json"`` the data is the JSON job state instead. Jobs are ordered by next run time,
then by the znode's creation time, as APScheduler orders them.

Shared by several schedulers (``shared=True``, see :mod:`triggerkit.jobstores.claims`), the store
keeps one persistent claim node per claimed run under ``<path>.claims``
(:mod:`triggerkit.jobstores._zookeeper_claims`) and bumps ``<path>.changes`` on every add, update
and removal, which the other schedulers watch. A claim is one ZooKeeper transaction per due job:
``set_data`` (or ``delete``) of the job node *checked against the version read* plus a
``create`` per claimed run. Two schedulers claiming the same job read the same version; the
first transaction wins, the other fails as a whole and passes the job over (it is re-read in
the next pass, no longer due). Both side nodes are created only by :meth:`enable_shared`.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import ConflictingIdError, JobLookupError
from ..util import maybe_ref
from ._nodevalue import NodeValue
from ._zookeeper_claims import ClaimData, claim_name, parse_claim_name, run_key
from .base import BaseJobStore
from .claims import (
    Claim,
    ExpiredClaim,
    Planner,
    RunKey,
    from_micros,
    plan_claim,
    to_micros,
)
from .serializers import make_serializer

try:
    from kazoo.client import KazooClient, KazooState
    from kazoo.exceptions import (
        BadVersionError,
        ConnectionLoss,
        NodeExistsError,
        NoNodeError,
    )
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "ZooKeeperJobStore requires kazoo: pip install 'triggerkit-cron[zookeeper]'"
    ) from exc

if TYPE_CHECKING:
    from ..job import Job
    from ..schedulers.base import BaseScheduler

__all__ = ["ZooKeeperJobStore"]

#: how many times a claim change that lost a race with another change is tried again
_RETRIES = 20


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
        #: shared mode (enable_shared): the claims parent and the node bumped on every change
        base = self.path.rstrip("/")
        self.claims_path = f"{base}.claims"
        self.changes_path = f"{base}.changes"
        self._shared = False
        self._on_change: Callable[[], None] | None = None
        self._watch_lock = threading.Lock()

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
        self._stop_watching()
        if self.close_connection_on_exit and not self._closed:
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
        self._publish()

    def update_job(self, job: Job) -> None:
        data = self.encode_job(job)
        self._ensure_path()
        try:
            self._wait(self.client.set_async(self._node(job.id), data))
        except NoNodeError:
            raise JobLookupError(job.id) from None
        self._publish()

    def remove_job(self, job_id: str) -> None:
        self._ensure_path()
        try:
            self._wait(self.client.delete_async(self._node(job_id)))
        except NoNodeError:
            raise JobLookupError(job_id) from None
        self._publish()

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
        if results:
            self._publish()

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
        if removed:
            self._publish()
        return removed

    def remove_all_jobs(self) -> None:
        self._connect()
        try:
            self.client.delete(self.path, recursive=True)
        except NoNodeError:
            pass
        self._ensured_path = False
        self._publish()

    def _load_jobs(self) -> list[Job]:
        """Read every job node (the reads pipelined), skipping those that cannot be restored.

        Order: next run time, then creation time (APScheduler's order); paused jobs last.
        """
        return [job for job, _data, _version in self._read_jobs()]

    def _read_jobs(self, skip_known: bool = False) -> list[tuple[Job, bytes, int]]:
        """Every job that can be restored, with its node's value and version, in
        :meth:`_load_jobs`' order; ``skip_known`` passes over the nodes that failed before."""
        self._ensure_path()
        names = self._wait(self.client.get_children_async(self.path))
        if skip_known:
            known_bad = self.unloadable_job_ids
            names = [name for name in names if name not in known_bad]
        pending = [(name, self.client.get_async(self._node(name))) for name in names]
        loaded: list[tuple[float, int, str, Job, bytes, int]] = []
        for name, result in pending:
            try:
                data, stat = self._wait(result)
            except NoNodeError:  # removed since it was listed
                continue
            job = self.decode_job(name, data)
            if job is not None:
                run_time = job.next_run_time
                key = run_time.timestamp() if run_time is not None else float("inf")
                loaded.append((key, stat.ctime, name, job, data, stat.version))
        loaded.sort(key=lambda item: item[:3])
        return [(job, data, version) for _, _, _, job, data, version in loaded]

    # -- shared by several schedulers (claim nodes; see triggerkit.jobstores._zookeeper_claims) --

    supports_shared = True

    def enable_shared(self) -> None:
        """Create ``<path>.claims`` and ``<path>.changes`` (persistent; beside the jobs node).

        :raises ValueError: if the jobs are kept at the root (``path="/"``): the side nodes
            would be read as jobs
        """
        if self.path == "/":
            raise ValueError(
                'path: "/" cannot be shared between schedulers: the claim nodes are kept beside '
                'the jobs node, so it must be a node of its own (e.g. "/apscheduler")'
            )
        self._connect()
        self._wait(self.client.ensure_path_async(self.claims_path))
        self._wait(self.client.ensure_path_async(self.changes_path))
        self._shared = True

    def _claim_node(self, job_id: str, run_time: datetime | int) -> str:
        """The claim node of a run (its time as a datetime or in microseconds)."""
        micros = run_time if isinstance(run_time, int) else to_micros(run_time)
        return f"{self.claims_path}/{claim_name(job_id, micros)}"

    def _read_claims(
        self, job_ids: set[str] | None = None
    ) -> list[tuple[str, int, ClaimData, int]]:
        """Every claim (of ``job_ids`` only, if given): job id, run time (us), data, version."""
        self._connect()
        names = self._wait(self.client.get_children_async(self.claims_path))
        pending = []
        for name in names:
            parsed = parse_claim_name(name)
            if parsed is not None and (job_ids is None or parsed[0] in job_ids):
                pending.append((parsed, self.client.get_async(f"{self.claims_path}/{name}")))
        claims = []
        for (job_id, micros), result in pending:
            try:
                data, stat = self._wait(result)
            except NoNodeError:  # released since it was listed
                continue
            claim = ClaimData.loads(data)
            if claim is not None:
                claims.append((job_id, micros, claim, stat.version))
        return claims

    def claim_due_runs(
        self,
        now: datetime,
        owner: str,
        lease_until: datetime,
        planner: Planner,
        limit: int = 500,
    ) -> list[Claim]:
        due = [
            entry
            for entry in self._read_jobs(skip_known=True)
            if entry[0].next_run_time is not None and entry[0].next_run_time <= now
        ][:limit]
        if not due:
            return []
        now_us, lease_us = to_micros(now), to_micros(lease_until)
        # Read AFTER the jobs: a claim made since then changed its job's version, so the
        # transaction below fails; one made before is in this list (max_instances holds).
        live: dict[str, int] = {}
        for job_id, _, held, _ in self._read_claims({job.id for job, _, _ in due}):
            if held.counted and held.lease >= now_us:
                live[job_id] = live.get(job_id, 0) + 1
        pending = []
        for job, data, version in due:
            claim = plan_claim(job, planner, live.get(job.id, 0))
            transaction = self.client.transaction()
            if claim.removed:
                transaction.delete(self._node(job.id), version=version)
            else:
                transaction.set_data(self._node(job.id), self.encode_job(job), version=version)
            for run_time in claim.run_times:
                record = ClaimData(
                    owner, lease_us, counted=run_time is claim.run_times[-1], job=data
                )
                transaction.create(self._claim_node(job.id, run_time), record.dumps())
            pending.append((claim, transaction.commit_async()))
        claims = []
        for claim, result in pending:
            outcome = self._wait(result)
            failed = [item for item in outcome if isinstance(item, Exception)]
            if not failed:
                claims.append(claim)
            elif any(isinstance(item, NodeExistsError) for item in failed):
                self.logger.warning(
                    "Job %r was not claimed: a claim on one of its runs (%s) exists already",
                    claim.job.id,
                    ", ".join(str(run_time) for run_time in claim.run_times),
                )
            # else BadVersionError / NoNodeError: another scheduler claimed, changed or removed
            # the job since it was read; it is read again in the next pass
        return claims

    def _change_owned(
        self,
        owner: str,
        runs: Iterable[RunKey],
        change: Callable[[ClaimData], ClaimData | None],
    ) -> set[str]:
        """Apply ``change`` to ``owner``'s claims on ``runs`` (``None``: delete the claim), each
        write checked against the version read; a write that lost a race is tried again.
        Return the claim nodes changed."""
        nodes = [self._claim_node(job_id, run_time) for job_id, run_time in runs]
        changed: set[str] = set()
        if not nodes:
            return changed
        self._connect()
        for _ in range(_RETRIES):
            reads = [(node, self.client.get_async(node)) for node in nodes]
            writes = []
            for node, result in reads:
                try:
                    data, stat = self._wait(result)
                except NoNodeError:
                    continue
                claim = ClaimData.loads(data)
                if claim is None or claim.owner != owner:
                    continue
                new = change(claim)
                if new is None:
                    write = self.client.delete_async(node, version=stat.version)
                else:
                    write = self.client.set_async(node, new.dumps(), version=stat.version)
                writes.append((node, write))
            nodes = []
            for node, write in writes:
                try:
                    self._wait(write)
                except NoNodeError:
                    continue
                except BadVersionError:  # changed between our read and write: read it again
                    nodes.append(node)
                else:
                    changed.add(node)
            if not nodes:
                return changed
        self.logger.warning("Could not change %d claim(s): they kept changing", len(nodes))
        return changed

    def mark_runs_started(self, owner: str, runs: Iterable[RunKey]) -> list[RunKey]:
        runs = list(runs)
        changed = self._change_owned(owner, runs, lambda claim: claim.but(started=True))
        return [run for run in runs if self._claim_node(*run) in changed]

    def renew_claims(self, owner: str, runs: Iterable[RunKey], lease_until: datetime) -> None:
        lease = to_micros(lease_until)
        self._change_owned(owner, runs, lambda claim: claim.but(lease=lease))

    def release_runs(self, owner: str, runs: Iterable[RunKey]) -> None:
        self._change_owned(owner, runs, lambda claim: None)

    def take_expired_claims(
        self, now: datetime, owner: str, lease_until: datetime, limit: int = 100
    ) -> list[ExpiredClaim]:
        now_us, lease_us = to_micros(now), to_micros(lease_until)
        expired = sorted(
            (micros, job_id, claim, version)
            for job_id, micros, claim, version in self._read_claims()
            if claim.lease < now_us
        )[:limit]
        # A takeover is a set_data checked against the version read: of two takers (or a
        # taker and a late renewal by the owner) one write wins, the other fails.
        writes = [
            (
                job_id,
                micros,
                claim,
                self.client.set_async(
                    self._claim_node(job_id, micros),
                    claim.but(owner=owner, lease=lease_us).dumps(),
                    version=version,
                ),
            )
            for micros, job_id, claim, version in expired
        ]
        taken = []
        for job_id, micros, claim, write in writes:
            try:
                self._wait(write)
            except (BadVersionError, NoNodeError):
                continue
            job = None
            if not claim.started and claim.job:
                job = self.decode_job(job_id, claim.job)
            taken.append(ExpiredClaim(job_id, from_micros(micros), claim.owner, claim.started, job))
        return taken

    def live_claim_owners(self, now: datetime) -> dict[RunKey, str]:
        now_us = to_micros(now)
        return {
            run_key(job_id, micros): claim.owner
            for job_id, micros, claim, _ in self._read_claims()
            if claim.lease >= now_us
        }

    # -- changes seen by the other schedulers ------------------------------------------------

    def _publish(self) -> None:
        """Bump ``<path>.changes`` (shared mode only): the other schedulers' watches fire.

        A failed bump is only logged: the others still see the change at their next poll.
        """
        if not self._shared:
            return
        try:
            self._wait(self.client.set_async(self.changes_path, b""))
        except Exception as exc:
            self.logger.debug("Could not signal a job change to other schedulers: %s", exc)

    def watch_changes(self, on_change: Callable[[], None]) -> bool:
        """Watch ``<path>.changes`` (a kazoo ``DataWatch``, re-armed by kazoo after every event
        and reconnection) and call ``on_change`` when it changes and after every reconnection
        to the server (changes may have been missed meanwhile)."""
        with self._watch_lock:
            self._on_change = on_change
        self.client.add_listener(self._connection_changed)
        self.client.DataWatch(self.changes_path, self._changes_seen)
        return True

    def _changes_seen(self, data: bytes | None, stat: Any, event: Any = None) -> bool | None:
        """The DataWatch's callback (kazoo's thread); returning False ends the watch."""
        with self._watch_lock:
            on_change = self._on_change
        if on_change is None:
            return False
        on_change()
        return None

    def _connection_changed(self, state: str) -> None:
        """kazoo's connection listener (must not block): wake the scheduler once connected again."""
        if state == KazooState.CONNECTED:
            with self._watch_lock:
                on_change = self._on_change
            if on_change is not None:
                on_change()

    def _stop_watching(self) -> None:
        with self._watch_lock:
            watching, self._on_change = self._on_change is not None, None
        if watching:
            self.client.remove_listener(self._connection_changed)

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (client={self.client})>"
