"""The RethinkDB job store, at APScheduler 3's ``apscheduler.jobstores.rethinkdb`` path.

Layout (APScheduler 3.11's): database ``apscheduler``, table ``jobs``, one document per job
``{"id": <job id>, "next_run_time": <UTC timestamp or null>, "job_state": <binary>}`` with a
secondary index on ``next_run_time``; ``job_state`` holds the pickled ``Job.__getstate__()`` dict
(or, with ``serializer="json"``, the JSON job state). Jobs are ordered by next run time, then id.

Shared by several schedulers (``shared=True``, see :mod:`triggerkit.jobstores.claims`), a claim
takes the same three steps as MongoDB's, each a conditional single-document write (``update`` or
``replace`` of a function that ``r.branch``-es on the document), which a RethinkDB server applies
atomically:

1. **lock** each due job whose ``next_run_time`` is still the one read and that no live lock is
   on: ``tk_lock`` (this pass's token) and ``tk_lock_until`` (lease deadline, microseconds);
2. **record** one document per planned run in the table ``<table>_claims``, primary key
   ``"<run time us>:<job id>"`` (a run already recorded, by a claimer that died before step 3,
   is not claimed again);
3. **commit**: replace the job by its advanced version (or delete it) only if ``tk_lock`` is
   still this pass's token, dropping the lock.

The only server that can be had here, reqlite (a JavaScript stand-in), does not apply those
writes atomically under concurrency: the tests check the protocol one claimer at a time, and
what that does not prove is in docs/shared.md.
"""

from __future__ import annotations

import contextlib
import functools
import pickle
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import ConflictingIdError, JobLookupError
from ..util import datetime_to_utc_timestamp, maybe_ref
from .base import BaseJobStore
from .claims import Claim, ExpiredClaim, Planner, RunKey, from_micros, plan_claim, to_micros
from .serializers import make_serializer

try:
    from rethinkdb import RethinkDB
    from rethinkdb.errors import ReqlDriverError, ReqlOpFailedError
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "RethinkDBJobStore requires rethinkdb: pip install 'triggerkit-cron[rethinkdb]'"
    ) from exc

if TYPE_CHECKING:
    from ..job import Job
    from ..schedulers.base import BaseScheduler

__all__ = ["RethinkDBJobStore"]

_INDEX = "next_run_time"
_PAGE = 16  # rows per page when looking for the first job that can be restored
# The claim lock on a job document (shared=True only): this pass's token, and its deadline (us)
_LOCK, _LOCK_UNTIL = "tk_lock", "tk_lock_until"


def _claim_id(job_id: str, run_time: datetime) -> str:
    return f"{to_micros(run_time)}:{job_id}"


_F = TypeVar("_F", bound=Callable[..., Any])


def _locked(method: _F) -> _F:
    """Run ``method`` holding the store's lock: the driver's connection is not thread-safe, and
    a scheduler uses its store from several threads (its loop, and with ``shared=True`` the
    executor threads that release claims when runs end)."""

    @functools.wraps(method)
    def locked(self: RethinkDBJobStore, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return method(self, *args, **kwargs)

    return locked  # type: ignore[return-value]


def _constant(value: Any) -> Callable[[Any], Any]:
    """A one-argument function giving ``value`` (the driver reads a function's argument count:
    no default-argument lambdas in ReQL)."""
    return lambda _: value


class RethinkDBJobStore(BaseJobStore):
    """Keep jobs in a RethinkDB table, one document per job.

    Leftover keyword arguments go to the driver's ``r.connect()`` (``host``, ``port``, ...).

    Plugin alias: ``rethinkdb``

    :param database: the database the table is in (created when missing)
    :param table: the table the jobs are kept in (created when missing)
    :param client: a connection (or a ``module:name`` reference to one) to use instead of
        connection arguments
    :param pickle_protocol: pickle protocol level for the ``pickle`` serializer
    :param serializer: ``"pickle"`` (APScheduler's format, the default) or ``"json"`` (plain data:
        reading the table runs no code)
    """

    def __init__(
        self,
        database: str = "apscheduler",
        table: str = "jobs",
        client: Any = None,
        pickle_protocol: int = pickle.HIGHEST_PROTOCOL,
        serializer: Any = "pickle",
        **connect_args: Any,
    ) -> None:
        super().__init__()
        if not database:
            raise ValueError('The "database" parameter must not be empty')
        if not table:
            raise ValueError('The "table" parameter must not be empty')
        self.database = database
        self.table_name = table
        self.table: Any = None
        self.client = client
        self.pickle_protocol = pickle_protocol
        self.serializer = make_serializer(serializer, pickle_protocol)
        self.connect_args = connect_args
        self.r = RethinkDB()
        self.conn: Any = None
        self._closed = False
        #: held by every operation (see _locked)
        self.lock = threading.RLock()
        #: the claims table of a shared store (``<table>_claims``; made by enable_shared)
        self.claims_table_name = f"{table}_claims"
        self.claims: Any = None

    @_locked
    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        super().start(scheduler, alias)
        self._open()

    def _open(self) -> Any:
        """Return the table, connected: every operation starts here.

        The first call connects and creates the database, table and index when missing (so a
        store used before or without start() works). Later calls connect again when the server
        dropped the connection (it went away and came back: the operation that met the outage
        raised the driver's error, the scheduler retried). After shutdown() the connection
        stays closed.
        """
        if self.table is not None:
            if not self._closed and not self._connection_open():
                self._reconnect()
            return self.table
        r = self.r
        if self.client:
            self.conn = maybe_ref(self.client)
        else:
            self.conn = r.connect(db=self.database, **self.connect_args)
        if self.database not in r.db_list().run(self.conn):
            r.db_create(self.database).run(self.conn)
        db = r.db(self.database)
        if self.table_name not in db.table_list().run(self.conn):
            db.table_create(self.table_name).run(self.conn)
        table = db.table(self.table_name)
        if _INDEX not in table.index_list().run(self.conn):
            table.index_create(_INDEX).run(self.conn)
            table.index_wait(_INDEX).run(self.conn)
        self.table = table
        return table

    def _connection_open(self) -> bool:
        try:
            return bool(self.conn.is_open())
        except AttributeError:  # the driver's is_open() fails once the socket is gone
            return False

    def _reconnect(self) -> None:
        if self.client:  # the caller's connection: reopen it in place
            self.conn.reconnect(noreply_wait=False)
            return
        # A fresh connection: the driver cannot reopen one whose socket broke (its close()
        # and reconnect() fail on the missing socket).
        broken, self.conn = self.conn, self.r.connect(db=self.database, **self.connect_args)
        with contextlib.suppress(AttributeError, OSError, ReqlDriverError):
            broken.close(noreply_wait=False)

    @_locked
    def shutdown(self) -> None:
        self._closed = True
        if self.conn is not None:
            self.conn.close()

    @_locked
    def lookup_job(self, job_id: str) -> Job | None:
        document = self._open().get(job_id).run(self.conn)
        if document is None:
            return None
        return self.decode_job(job_id, bytes(document["job_state"]))

    @_locked
    def get_due_jobs(self, now: datetime) -> list[Job]:
        r = self.r
        timestamp = datetime_to_utc_timestamp(now)
        # The index finds the due rows without a table scan; the null filter is for reqlite,
        # whose between() returns rows with a null next_run_time (a real server leaves them out).
        query = (
            self._open()
            .between(r.minval, timestamp, index=_INDEX, right_bound="closed")
            .filter(r.row[_INDEX] != None)  # noqa: E711 - a ReQL expression, not a Python test
            .order_by(_INDEX, "id")
        )
        return self._decode_documents(query.run(self.conn))

    @_locked
    def get_next_run_time(self) -> datetime | None:
        # In index order, the first row that can be restored: a row that cannot be restored is
        # kept but must not pull the scheduler's wake-up into the past for ever. The first page
        # is small, as nearly always its first row is the answer.
        query = (
            self._open()
            .order_by(index=self.r.asc(_INDEX))
            .filter(
                self.r.row[_INDEX] != None  # noqa: E711 - a ReQL expression
            )
        )
        skip = 0
        while True:
            page = list(query.skip(skip).limit(_PAGE).run(self.conn))
            for document in page:
                job = self.decode_job(document["id"], bytes(document["job_state"]))
                if job is not None:
                    return job.next_run_time
            if len(page) < _PAGE:
                return None
            skip += _PAGE

    @_locked
    def get_all_jobs(self) -> list[Job]:
        # Scheduled jobs stream through the index (an in-memory order_by of the whole table
        # stops at the server's 100,000-element array limit); paused ones (null) come last.
        r = self.r
        scheduled = self._decode_documents(
            self._open()
            .order_by(index=r.asc(_INDEX))
            .filter(r.row[_INDEX] != None)  # noqa: E711 - a ReQL expression
            .run(self.conn)
        )
        scheduled.sort(key=lambda job: (job.next_run_time, job.id))
        paused = self._decode_documents(
            self._open().filter(r.row[_INDEX] == None).run(self.conn)  # noqa: E711
        )
        paused.sort(key=lambda job: job.id)
        return scheduled + paused

    def _document(self, job: Job) -> dict[str, Any]:
        return {
            "id": job.id,
            _INDEX: datetime_to_utc_timestamp(job.next_run_time),
            "job_state": self.r.binary(self.encode_job(job)),
        }

    @_locked
    def add_job(self, job: Job) -> None:
        result = self._open().insert(self._document(job)).run(self.conn)
        if result["errors"]:
            if "Duplicate primary key" in str(result.get("first_error", "")):
                raise ConflictingIdError(job.id)
            raise RuntimeError(f"could not insert job {job.id!r}: {result.get('first_error')}")

    @_locked
    def update_job(self, job: Job) -> None:
        document = self._document(job)
        del document["id"]
        row = self._open().get(job.id)
        if self.claims is not None:
            # shared: drop a claimer's lock too, so that claim's commit cannot overwrite this
            result = row.replace(
                lambda d: self.r.branch(
                    d.eq(None), d, d.without(_LOCK, _LOCK_UNTIL).merge(document)
                )
            ).run(self.conn)
        else:
            result = row.update(document).run(self.conn)
        if result["skipped"] or result["errors"]:
            raise JobLookupError(job.id)

    @_locked
    def remove_job(self, job_id: str) -> None:
        result = self._open().get(job_id).delete().run(self.conn)
        if result["deleted"] != 1:
            raise JobLookupError(job_id)

    @_locked
    def update_jobs(self, jobs: Iterable[Job]) -> None:
        """Write every job's new version in one query; a removed job is passed over."""
        documents = [self._document(job) for job in jobs]
        if documents:
            table = self._open()
            if self.claims is not None:  # shared: drop a claimer's lock too (see update_job)
                self.r.expr(documents).for_each(
                    lambda document: table.get(document["id"]).replace(
                        lambda d: self.r.branch(
                            d.eq(None), d, d.without(_LOCK, _LOCK_UNTIL).merge(document)
                        )
                    )
                ).run(self.conn)
                return
            self.r.expr(documents).for_each(
                lambda document: table.get(document["id"]).update(document.without("id"))
            ).run(self.conn)

    @_locked
    def remove_jobs(self, job_ids: Iterable[str]) -> list[str]:
        """Remove several jobs in one query; return the ids that were stored."""
        ids = list(job_ids)
        if not ids:
            return []
        stored = set(self._open().get_all(*ids)["id"].run(self.conn))
        if stored:
            self._open().get_all(*stored).delete().run(self.conn)
        return [job_id for job_id in ids if job_id in stored]

    @_locked
    def remove_all_jobs(self) -> None:
        self._open().delete().run(self.conn)

    # -- shared by several schedulers (see the module docstring) ----------------------------

    supports_shared = True

    @_locked
    def enable_shared(self) -> None:
        """Create the claims table (beside the jobs table, whose layout is unchanged)."""
        self._open()
        db = self.r.db(self.database)
        if self.claims_table_name not in db.table_list().run(self.conn):
            try:
                db.table_create(self.claims_table_name).run(self.conn)
            except ReqlOpFailedError:  # another scheduler made it first
                if self.claims_table_name not in db.table_list().run(self.conn):
                    raise
        self.claims = db.table(self.claims_table_name)

    def _claims(self) -> Any:
        self._open()  # reconnects if the server dropped the connection
        return self.claims

    @_locked
    def claim_due_runs(
        self,
        now: datetime,
        owner: str,
        lease_until: datetime,
        planner: Planner,
        limit: int = 500,
    ) -> list[Claim]:
        r = self.r
        now_us, lease_us = to_micros(now), to_micros(lease_until)
        token = f"{owner}|{uuid.uuid4().hex[:12]}"
        locked = self._lock_due(now, now_us, token, lease_us, limit)
        if not locked:
            return []
        ids = r.expr([job_id for job_id, _ in locked])
        counted = (
            self._claims()
            .filter(
                lambda c: ids.contains(c["job_id"]) & (c["lease_until"] >= now_us) & c["counted"]
            )["job_id"]
            .run(self.conn)
        )
        live = Counter(counted)
        planned: list[Claim] = []
        for job_id, data in locked:
            job = self.decode_job(job_id, data)
            if job is None:  # kept as it is, unlocked; reported by decode_job
                self._commit(job_id, token, lambda d: d.without(_LOCK, _LOCK_UNTIL))
                continue
            claim = plan_claim(job, planner, live[job_id])
            planned.append(claim)
            self._record(claim, owner, lease_us, data)
            if claim.busy:
                # a busy run recorded already belongs to a claimer that died before its commit:
                # it is taken over, not reported as busy
                busy = [_claim_id(job_id, t) for t in claim.busy]
                recorded = set(self._claims().get_all(*busy)["id"].run(self.conn))
                claim.busy = [t for t in claim.busy if _claim_id(job_id, t) not in recorded]
            if claim.removed:
                claim.removed = self._commit(job_id, token, lambda d: None)
            else:
                self._commit(job_id, token, _constant(self._document(job)))
        return planned

    def _lock_due(
        self, now: datetime, now_us: int, token: str, lease_us: int, limit: int
    ) -> list[tuple[str, bytes]]:
        """Lock up to ``limit`` due jobs nobody holds; return their ids and states."""
        r = self.r
        due = (
            self._open()
            .between(r.minval, datetime_to_utc_timestamp(now), index=_INDEX, right_bound="closed")
            .filter(r.row[_INDEX] != None)  # noqa: E711 - a ReQL expression (see get_due_jobs)
            .order_by(_INDEX, "id")
            .limit(limit)
            .pluck("id", _INDEX, _LOCK_UNTIL)
            .run(self.conn)
        )
        known_bad = self.unloadable_job_ids
        locked = []
        for document in due:
            job_id = document["id"]
            if job_id in known_bad or document.get(_LOCK_UNTIL, -1) >= now_us:
                continue  # reported once already / another scheduler is claiming it
            # a one-argument function: the driver makes a ReQL function of that many arguments
            still_free = (r.row[_INDEX] == document[_INDEX]) & (
                r.row[_LOCK_UNTIL].default(-1) < now_us
            )
            result = (
                self._open()
                .get(job_id)
                .update(
                    r.branch(still_free, {_LOCK: token, _LOCK_UNTIL: lease_us}, {}),
                    return_changes=True,
                )
                .run(self.conn)
            )
            if result["replaced"] == 1:
                new = result["changes"][0]["new_val"]
                if new.get(_LOCK) == token:
                    locked.append((job_id, bytes(new["job_state"])))
        return locked

    def _record(self, claim: Claim, owner: str, lease_us: int, data: bytes) -> None:
        """Insert the claim documents of ``claim``'s runs; a run recorded already (by a claimer
        that died before its commit) is taken out of the claim: that record stands."""
        job_id = claim.job.id
        records = [
            {
                "id": _claim_id(job_id, run_time),
                "job_id": job_id,
                "run_time": to_micros(run_time),
                "owner": owner,
                "lease_until": lease_us,
                "started": False,
                "counted": run_time is claim.run_times[-1],
                "job_state": self.r.binary(data),
            }
            for run_time in claim.run_times
        ]
        if not records:
            return
        result = self._claims().insert(records, return_changes=True).run(self.conn)
        if not result["errors"]:
            return
        inserted = {change["new_val"]["id"] for change in result.get("changes", [])}
        kept = [t for t in claim.run_times if _claim_id(job_id, t) in inserted]
        if kept and kept[-1] != claim.run_times[-1]:
            # the run that counted an instance was taken out: let the last one kept count
            self._claims().get(_claim_id(job_id, kept[-1])).update({"counted": True}).run(self.conn)
        claim.run_times = kept

    def _commit(self, job_id: str, token: str, new: Callable[[Any], Any]) -> bool:
        """Replace the job by ``new(document)`` (``None`` deletes it) if this pass still holds
        its lock; True if it did."""
        r = self.r
        result = (
            self._open()
            .get(job_id)
            .replace(lambda d: r.branch(d[_LOCK].default(None) == token, new(d), d))
            .run(self.conn)
        )
        return bool(result["replaced"] or result["deleted"])

    def _owned(self, owner: str, runs: Iterable[RunKey], change: Any) -> None:
        """Apply ``change`` (a function of a claim document) to ``owner``'s claims on ``runs``."""
        ids = [_claim_id(job_id, run_time) for job_id, run_time in runs]
        if ids:
            r, claims = self.r, self._claims()
            r.expr(ids).for_each(
                lambda key: claims.get(key).replace(
                    lambda c: r.branch(c["owner"].default(None) == owner, change(c), c)
                )
            ).run(self.conn)

    @_locked
    def mark_runs_started(self, owner: str, runs: Iterable[RunKey]) -> list[RunKey]:
        runs = list(runs)
        self._owned(owner, runs, lambda c: c.merge({"started": True}))
        ids = [_claim_id(job_id, run_time) for job_id, run_time in runs]
        if not ids:
            return []
        held = {
            doc["id"]
            for doc in self._claims()
            .get_all(*ids)
            .filter({"owner": owner, "started": True})
            .pluck("id")
            .run(self.conn)
        }
        return [run for run, claim_id in zip(runs, ids, strict=True) if claim_id in held]

    @_locked
    def renew_claims(self, owner: str, runs: Iterable[RunKey], lease_until: datetime) -> None:
        lease_us = to_micros(lease_until)
        self._owned(owner, runs, lambda c: c.merge({"lease_until": lease_us}))

    @_locked
    def release_runs(self, owner: str, runs: Iterable[RunKey]) -> None:
        self._owned(owner, runs, lambda c: None)

    @_locked
    def take_expired_claims(
        self, now: datetime, owner: str, lease_until: datetime, limit: int = 100
    ) -> list[ExpiredClaim]:
        r, now_us, lease_us = self.r, to_micros(now), to_micros(lease_until)
        expired = list(
            self._claims()
            .filter(r.row["lease_until"] < now_us)
            .order_by("run_time")
            .limit(limit)
            .pluck("id", "owner")
            .run(self.conn)
        )
        taken = []
        for document in expired:
            previous = document["owner"]
            # one taker: the claim moves only if it is still expired and nobody moved it since
            still_expired = (r.row["owner"] == previous) & (r.row["lease_until"] < now_us)
            result = (
                self._claims()
                .get(document["id"])
                .update(
                    r.branch(still_expired, {"owner": owner, "lease_until": lease_us}, {}),
                    return_changes=True,
                )
                .run(self.conn)
            )
            if result["replaced"] != 1:
                continue
            claim = result["changes"][0]["old_val"]
            job_id, started = claim["job_id"], bool(claim["started"])
            job = None if started else self.decode_job(job_id, bytes(claim["job_state"]))
            taken.append(
                ExpiredClaim(job_id, from_micros(int(claim["run_time"])), previous, started, job)
            )
        return taken

    @_locked
    def live_claim_owners(self, now: datetime) -> dict[RunKey, str]:
        now_us = to_micros(now)
        documents = (
            self._claims()
            .filter(self.r.row["lease_until"] >= now_us)
            .pluck("job_id", "run_time", "owner")
            .run(self.conn)
        )
        return {(d["job_id"], from_micros(int(d["run_time"]))): d["owner"] for d in documents}

    def _decode_documents(self, documents: Any) -> list[Job]:
        jobs = []
        for document in documents:
            job = self.decode_job(document["id"], bytes(document["job_state"]))
            if job is not None:
                jobs.append(job)
        return jobs

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (connection={self.conn})>"
