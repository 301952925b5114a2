"""The etcd job store, at APScheduler 3's ``apscheduler.jobstores.etcd`` path.

Layout (APScheduler 3.11's): one key per job, ``<path>/<job id>``, whose value is a pickled dict
``{"next_run_time": <UTC timestamp or None>, "job_state": <Job.__getstate__() dict>}``. With
``serializer="json"`` the value is the JSON job state instead. Jobs are ordered by next run time,
then by id (etcd returns keys in byte order).

Only keys under ``<path>/`` are read and removed: APScheduler reads and removes every key that
starts with ``<path>``, which reaches into a sibling such as ``/apscheduler2``.

Shared by several schedulers (``shared=True``): a claim is one etcd transaction per due job that
compares the job key's ``mod_revision`` with the one read (an optimistic lock) and, if it still
holds, writes the advanced job and one claim key per run under ``<path>.claims/`` (see
:mod:`triggerkit.jobstores._etcd_claims`, which also says why claim keys carry no etcd lease).
Changes made by others are seen through an etcd watch on ``<path>/``
(:mod:`triggerkit.jobstores._etcd_watch`).
"""

from __future__ import annotations

import os
import pickle
import warnings
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import ConflictingIdError, JobLookupError
from ..util import maybe_ref
from ._etcd_claims import TXN_BYTES, ClaimValue, Conditional, run_conditionals
from ._nodevalue import NodeValue
from .base import BaseJobStore
from .claims import Claim, ExpiredClaim, Planner, RunKey, from_micros, plan_claim, to_micros
from .serializers import make_serializer

try:
    with warnings.catch_warnings():
        # etcd3 0.12's generated protobuf modules use descriptor calls that protobuf 3.20
        # deprecates on import; nothing the store does depends on them.
        warnings.filterwarnings("ignore", "Call to deprecated create function", DeprecationWarning)
        from etcd3 import Etcd3Client, utils
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "EtcdJobStore requires etcd3 (and protobuf<=3.21): pip install 'triggerkit-cron[etcd]'"
    ) from exc

from ._etcd_watch import PrefixWatcher  # noqa: E402 - needs etcd3 imported as above

if TYPE_CHECKING:
    from ..job import Job
    from ..schedulers.base import BaseScheduler

__all__ = ["EtcdJobStore"]

_TXN_OPS = 128  # etcd's default --max-txn-ops: the most operations one transaction may hold
#: the most runs of one job a claim records in one pass (the rest are claimed in the next one):
#: its nested transaction (the job's write + a put per run) must leave room in etcd's 128
_RUNS_PER_CLAIM = 100
#: rounds of read + conditional write before a claim that keeps changing is left alone
_CHANGE_TRIES = 20


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
        self._connect_args = connect_args
        self._client_pid = os.getpid()
        self._prefix = path.rstrip("/") + "/"
        #: where claims live in shared mode (a sibling of the jobs' prefix)
        self.claims_prefix = path.rstrip("/") + ".claims/"
        self._watcher: PrefixWatcher | None = None

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        """Bind the store to ``scheduler``. In a process forked after the store was made (a
        pre-fork server: scheduler made in the parent, started in each worker), a client the
        store made is made again: a gRPC channel does not survive a fork."""
        if self._owns_client and self._client_pid != os.getpid():
            self.client = Etcd3Client(**self._connect_args)
            self._client_pid = os.getpid()
        super().start(scheduler, alias)

    def shutdown(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
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

    # -- shared by several schedulers (see triggerkit.jobstores._etcd_claims) -----------------

    supports_shared = True

    def enable_shared(self) -> None:
        """Nothing to create (claim keys are written with the first claim); checks that the
        server runs nested transactions (etcd 3.3 or later).

        :raises TypeError: if the server is older than etcd 3.3
        """
        version = str(self.client.status().version)
        major, minor = (int(part) for part in version.split(".")[:2])
        if (major, minor) < (3, 3):
            raise TypeError(
                f"EtcdJobStore needs etcd 3.3 or later to be shared (shared=True): the server "
                f"runs {version}"
            )

    def _claim_key(self, job_id: str, run_time: datetime) -> str:
        return f"{self.claims_prefix}{job_id}/{to_micros(run_time)}"

    def _run_key(self, key: bytes) -> RunKey:
        job_id, _, micros = key.decode("utf-8", "replace")[len(self.claims_prefix) :].rpartition(
            "/"
        )
        return job_id, from_micros(int(micros))

    def _read_claims(self, kvs: Iterable[tuple[bytes, Any]]) -> list[tuple[str, ClaimValue, int]]:
        """(key, value, mod_revision) of every claim key in ``kvs`` that can be read; others
        are logged and left alone."""
        claims = []
        for data, meta in kvs:
            key = meta.key.decode("utf-8", "replace")
            try:
                self._run_key(meta.key)
                claims.append((key, ClaimValue.decode(data), meta.mod_revision))
            except (ValueError, KeyError, TypeError) as exc:
                self._logger.error("Unreadable claim key %r (%s): left as it is", key, exc)
        return claims

    def _all_claims(self) -> list[tuple[str, ClaimValue, int]]:
        return self._read_claims(self.client.get_prefix(self.claims_prefix))

    def _prefix_op(self, prefix: str) -> Any:
        end = utils.increment_last_byte(utils.to_bytes(prefix))
        return self.client.transactions.get(prefix, end)

    def claim_due_runs(
        self,
        now: datetime,
        owner: str,
        lease_until: datetime,
        planner: Planner,
        limit: int = 500,
    ) -> list[Claim]:
        # One snapshot of the jobs and the claims (a single read revision): a claim made by
        # another scheduler after it changed the job key too, so this claim's compare fails.
        _ok, (job_kvs, claim_kvs) = self.client.transaction(
            compare=[],
            success=[self._prefix_op(self._prefix), self._prefix_op(self.claims_prefix)],
            failure=[],
        )
        now_us, lease_us = to_micros(now), to_micros(lease_until)
        live: dict[str, int] = {}
        for key, value, _revision in self._read_claims(claim_kvs):
            if value.counted and value.lease >= now_us:
                job_id = self._run_key(key.encode("utf-8"))[0]
                live[job_id] = live.get(job_id, 0) + 1
        known_bad = self.unloadable_job_ids
        due: list[tuple[datetime, str, Job, bytes, int]] = []
        for data, meta in job_kvs:
            job_id = meta.key.decode("utf-8", "replace")[len(self._prefix) :]
            if job_id in known_bad:
                continue
            job = self.decode_job(job_id, data)
            if job is not None and job.next_run_time is not None and job.next_run_time <= now:
                due.append((job.next_run_time, job_id, job, data, meta.mod_revision))
        due.sort(key=lambda item: item[:2])
        ops = self.client.transactions
        planned: list[Claim] = []
        writes: list[Conditional] = []
        for _when, job_id, job, data, revision in due[:limit]:
            claim = plan_claim(job, planner, live.get(job_id, 0))
            key = self._key(job_id)
            # Each claim key carries the job as claimed: one txn may hold ~1 MB, so a large
            # job records fewer runs per pass (the others stay due for the next pass).
            most = max(1, min(_RUNS_PER_CLAIM, TXN_BYTES // (2 * len(data) + 256) - 1))
            state = job.__getstate__()
            if len(claim.run_times) > most:
                state["next_run_time"] = claim.run_times[most]
                claim.run_times = claim.run_times[:most]
                claim.removed = False
            if claim.removed:
                write = [ops.delete(key)]
                size = len(key)
            else:
                new = self.serializer.dumps(state)
                write = [ops.put(key, new)]
                size = len(key) + len(new)
            for run_time in claim.run_times:
                claim_data = ClaimValue(
                    owner, lease_us, False, run_time is claim.run_times[-1], bytes(data)
                ).encode()
                claim_key = self._claim_key(job_id, run_time)
                write.append(ops.put(claim_key, claim_data))
                size += len(claim_key) + len(claim_data)
            planned.append(claim)
            writes.append(Conditional([ops.mod(key) == revision], write, size))
        done = run_conditionals(self.client, writes)
        claims = [claim for claim, ok in zip(planned, done, strict=True) if ok]
        for claim in claims:
            self.forget_unloadable(claim.job.id)
        return claims

    def _owned(self, owner: str, keys: list[str]) -> list[tuple[str, ClaimValue, int]]:
        """Read these claim keys (128 per round trip); keep those ``owner`` holds."""
        ops = self.client.transactions
        found: list[tuple[str, ClaimValue, int]] = []
        for start in range(0, len(keys), _TXN_OPS):
            chunk = keys[start : start + _TXN_OPS]
            _ok, responses = self.client.transaction(
                compare=[], success=[ops.get(key) for key in chunk], failure=[]
            )
            for kvs in responses:
                found.extend(c for c in self._read_claims(kvs) if c[1].owner == owner)
        return found

    def _rewrite(self, claims: Iterable[tuple[str, ClaimValue | None, int]]) -> list[bool]:
        """Write each claim's new value (``None``: delete it) unless its key changed since it
        was read."""
        ops = self.client.transactions
        writes = []
        for key, value, revision in claims:
            if value is None:
                writes.append(Conditional([ops.mod(key) == revision], [ops.delete(key)], len(key)))
            else:
                data = value.encode()
                write = [ops.put(key, data)]
                writes.append(Conditional([ops.mod(key) == revision], write, len(key) + len(data)))
        return run_conditionals(self.client, writes)

    def _change_owned(
        self,
        owner: str,
        runs: Iterable[RunKey],
        change: Callable[[ClaimValue], ClaimValue | None],
    ) -> set[str]:
        """Apply ``change`` to ``owner``'s claims on ``runs`` and return the claim keys changed.
        A claim changed meanwhile (this scheduler's lease renewal and a run's release run in
        different threads) is read and changed again; one another scheduler took over is left
        alone."""
        keys = list(dict.fromkeys(self._claim_key(job_id, when) for job_id, when in runs))
        changed: set[str] = set()
        for _attempt in range(_CHANGE_TRIES):
            if not keys:
                return changed
            claims = self._owned(owner, keys)
            done = self._rewrite((key, change(value), rev) for key, value, rev in claims)
            changed.update(claim[0] for claim, ok in zip(claims, done, strict=True) if ok)
            keys = [claim[0] for claim, ok in zip(claims, done, strict=True) if not ok]
        self._logger.warning("Claims %s kept changing; left as they are", keys)
        return changed

    def mark_runs_started(self, owner: str, runs: Iterable[RunKey]) -> list[RunKey]:
        def started(value: ClaimValue) -> ClaimValue:
            value.started = True
            return value

        runs = list(runs)
        changed = self._change_owned(owner, runs, started)
        return [run for run in runs if self._claim_key(*run) in changed]

    def renew_claims(self, owner: str, runs: Iterable[RunKey], lease_until: datetime) -> None:
        lease = to_micros(lease_until)

        def renewed(value: ClaimValue) -> ClaimValue:
            value.lease = lease
            return value

        self._change_owned(owner, runs, renewed)

    def release_runs(self, owner: str, runs: Iterable[RunKey]) -> None:
        self._change_owned(owner, runs, lambda value: None)

    def take_expired_claims(
        self, now: datetime, owner: str, lease_until: datetime, limit: int = 100
    ) -> list[ExpiredClaim]:
        now_us = to_micros(now)
        expired = [
            (self._run_key(key.encode("utf-8")), key, value, revision)
            for key, value, revision in self._all_claims()
            if value.lease < now_us
        ]
        expired.sort(key=lambda item: (item[0][1], item[0][0]))
        expired = expired[:limit]
        taken = [
            ClaimValue(owner, to_micros(lease_until), value.started, value.counted, value.job_data)
            for _run, _key, value, _revision in expired
        ]
        done = self._rewrite(
            (key, new, revision)
            for (_run, key, _value, revision), new in zip(expired, taken, strict=True)
        )
        return [
            ExpiredClaim(
                job_id,
                run_time,
                value.owner,
                value.started,
                None if value.started else self.decode_job(job_id, value.job_data),
            )
            for ((job_id, run_time), _key, value, _revision), ok in zip(expired, done, strict=True)
            if ok
        ]

    def live_claim_owners(self, now: datetime) -> dict[RunKey, str]:
        now_us = to_micros(now)
        return {
            self._run_key(key.encode("utf-8")): value.owner
            for key, value, _revision in self._all_claims()
            if value.lease >= now_us
        }

    def watch_changes(self, on_change: Callable[[], None]) -> bool:
        """Watch ``<path>/`` in a daemon thread: every job added, changed or removed (by anyone,
        claims included) calls ``on_change``; the watch is re-made after an outage, then
        ``on_change`` is called once. Stopped by :meth:`shutdown`."""
        if self._watcher is not None:
            self._watcher.stop()
        self._watcher = PrefixWatcher(self.client, self._prefix, on_change)
        self._watcher.start()
        return True

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (client={self.client})>"
