"""A job store in any database SQLAlchemy speaks, at APScheduler 3's
``apscheduler.jobstores.sqlalchemy`` path and with its table layout.

The table (``apscheduler_jobs`` by default) has APScheduler 3.11's three columns: ``id``
(``Unicode(191)``, primary key), ``next_run_time`` (``Float(25)``, indexed; a UTC epoch, ``NULL``
for a paused job) and ``job_state`` (``LargeBinary``, the serialized job). A database that an
APScheduler 3 application wrote opens as it is; its rows are rewritten (as triggerkit state) only
when their job changes.

SQLite needs no server: ``SQLAlchemyJobStore(url="sqlite:///jobs.sqlite")``. The scheduler's
due-jobs pass writes all its next run times in one transaction (:meth:`update_jobs`).

Shared by several schedulers (``shared=True``, see :mod:`triggerkit.jobstores.claims`), the store
adds a side table ``<tablename>_claims`` (``job_id``, ``run_time`` in integer microseconds since
the epoch, both the primary key; ``owner``; ``lease_until``; ``started``; ``job_state``, the job
as it was claimed, for a takeover after a crash) and leaves the jobs table
as APScheduler 3.11 lays it out. A claim locks the due rows with ``SELECT ... FOR UPDATE SKIP
LOCKED`` (PostgreSQL; other schedulers pass over locked rows instead of waiting) or runs in a
``BEGIN IMMEDIATE`` transaction on a WAL-mode file (SQLite: one writer at a time across processes).

Shared on PostgreSQL (psycopg 3 or psycopg2), every add, update and removal also sends a
``NOTIFY`` on the channel :attr:`SQLAlchemyJobStore.notify_channel`, in the same transaction (so
it is sent only if the change commits), and :meth:`~SQLAlchemyJobStore.watch_changes` listens on
a connection of its own (:mod:`triggerkit.jobstores.watcher`). SQLite cannot notify: the other
schedulers see changes when they next poll (``shared_poll_interval``).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import select as _select
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

try:
    from sqlalchemy import (
        BigInteger,
        Boolean,
        Column,
        Float,
        LargeBinary,
        MetaData,
        Table,
        Unicode,
        and_,
        bindparam,
        create_engine,
        event,
        func,
        inspect,
        select,
    )
    from sqlalchemy.exc import DBAPIError, IntegrityError
    from sqlalchemy.sql.expression import ColumnElement, null
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ImportError(
        "SQLAlchemyJobStore requires SQLAlchemy: pip install 'triggerkit-cron[sqlalchemy]'"
    ) from exc

from ..errors import ConflictingIdError, JobLookupError
from ..util import maybe_ref
from .base import BaseJobStore
from .claims import Claim, ExpiredClaim, Planner, RunKey, plan_claim
from .claims import from_micros as _from_micros
from .claims import to_micros as _micros
from .serializers import Serializer, make_serializer
from .watcher import WatchingStore, new_token

if TYPE_CHECKING:
    from ..job import Job
    from ..schedulers.base import BaseScheduler

__all__ = ["SQLAlchemyJobStore"]

_UTC = timezone.utc
# Ids per statement in IN (...) lists: far below every database's bound-parameter limit.
_CHUNK = 500
#: how long a SQLite connection waits for another process's write lock (milliseconds)
_SQLITE_BUSY_MS = 60_000
#: the DB-API drivers whose connections can LISTEN (see _PgListener)
_LISTEN_DRIVERS = ("psycopg", "psycopg2")
#: PostgreSQL's longest identifier, in bytes (a LISTEN channel is one)
_PG_NAME_MAX = 63


def _timestamp(run_time: datetime | None) -> float | None:
    return run_time.timestamp() if run_time is not None else None


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class SQLAlchemyJobStore(WatchingStore, BaseJobStore):
    """Store jobs in a database table through SQLAlchemy.

    Plugin alias: ``sqlalchemy``

    :param str url: connection string (see the SQLAlchemy documentation on
        :ref:`engine configuration <sqlalchemy:database_urls>`); ``sqlite:///jobs.sqlite`` keeps
        the jobs in a local file, with no server
    :param engine: an SQLAlchemy :class:`~sqlalchemy.engine.Engine` to use instead of creating a
        new one based on ``url`` (or a ``module:name`` reference to one)
    :param str tablename: name of the table to store jobs in
    :param metadata: a :class:`~sqlalchemy.schema.MetaData` instance to use instead of creating
        a new one (or a reference to one)
    :param int pickle_protocol: pickle protocol level to use (for serialization), defaults to the
        highest available
    :param str tableschema: name of the (existing) schema in the target database where the table
        should be
    :param dict engine_options: keyword arguments to :func:`~sqlalchemy.create_engine` (ignored
        if ``engine`` is given)
    :param serializer: ``"pickle"`` (APScheduler 3's format; unpickling runs code named by the
        data) or ``"json"`` (plain data, see :mod:`triggerkit.jobstores.serializers`)
    """

    def __init__(
        self,
        url: str | None = None,
        engine: Any = None,
        tablename: str = "apscheduler_jobs",
        metadata: Any = None,
        pickle_protocol: int = pickle.HIGHEST_PROTOCOL,
        tableschema: str | None = None,
        engine_options: dict[str, Any] | None = None,
        serializer: str | Serializer = "pickle",
    ) -> None:
        super().__init__()
        self.pickle_protocol = pickle_protocol
        self.serializer = make_serializer(serializer, pickle_protocol)
        metadata = maybe_ref(metadata) or MetaData()
        if engine:
            self.engine = maybe_ref(engine)
        elif url:
            self.engine = create_engine(url, **(engine_options or {}))
        else:
            raise ValueError('Need either "engine" or "url" defined')

        # 191 = max key length in MySQL for InnoDB/utf8mb4 tables, 25 = precision that
        # translates to an 8-byte float (as in APScheduler 3)
        self.jobs_t = Table(
            tablename,
            metadata,
            Column("id", Unicode(191), primary_key=True),
            Column("next_run_time", Float(25), index=True),
            Column("job_state", LargeBinary, nullable=False),
            schema=tableschema,
        )
        self.claims_t = Table(
            f"{tablename}_claims",
            metadata,
            Column("job_id", Unicode(191), primary_key=True),
            Column("run_time", BigInteger, primary_key=True, autoincrement=False),
            Column("owner", Unicode(191), nullable=False),
            Column("lease_until", BigInteger, nullable=False, index=True),
            Column("started", Boolean, nullable=False, default=False),
            Column("job_state", LargeBinary, nullable=False),
            # the last run time of each submission: one instance for max_instances
            Column("counted", Boolean, nullable=False, default=False),
            schema=tableschema,
        )
        self._engine_pid = os.getpid()
        self._shared = False
        #: the PostgreSQL channel changes are announced on (once shared; ``None`` elsewhere)
        self.notify_channel: str | None = None
        self._token = ""
        self._watcher = None

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        super().start(scheduler, alias)
        if os.getpid() != self._engine_pid:
            # Created before a fork (gunicorn's pre-fork model): the parent's pooled connections
            # must not be used (nor closed) here; open new ones.
            self.engine.dispose(close=False)
            self._engine_pid = os.getpid()
        self._create(self.jobs_t)

    # -- reading -------------------------------------------------------------------------------

    def lookup_job(self, job_id: str) -> Job | None:
        query = select(self.jobs_t.c.job_state).where(self.jobs_t.c.id == job_id)
        with self.engine.begin() as connection:
            data = connection.execute(query).scalar()
        return self.decode_job(job_id, data) if data is not None else None

    def get_due_jobs(self, now: datetime) -> list[Job]:
        return self._get_jobs(self.jobs_t.c.next_run_time <= now.timestamp(), skip_known=True)

    def get_next_run_time(self) -> datetime | None:
        conditions: list[ColumnElement[bool]] = [self.jobs_t.c.next_run_time != null()]
        skipped = self.unloadable_job_ids
        if skipped:
            # A row that cannot be restored must not set the wake-up time: the scheduler would
            # wake at once, skip it and ask again, forever.
            conditions.append(self.jobs_t.c.id.not_in(sorted(skipped)))
        query = (
            select(self.jobs_t.c.next_run_time)
            .where(and_(*conditions))
            .order_by(self.jobs_t.c.next_run_time)
            .limit(1)
        )
        with self.engine.begin() as connection:
            timestamp = connection.execute(query).scalar()
        return datetime.fromtimestamp(timestamp, _UTC) if timestamp is not None else None

    def get_all_jobs(self) -> list[Job]:
        jobs = self._get_jobs()
        self._fix_paused_jobs_sorting(jobs)
        return jobs

    def _get_jobs(self, *conditions: Any, skip_known: bool = False) -> list[Job]:
        where = list(conditions)
        skipped = self.unloadable_job_ids if skip_known else frozenset()
        if skipped:
            where.append(self.jobs_t.c.id.not_in(sorted(skipped)))
        query = select(self.jobs_t.c.id, self.jobs_t.c.job_state).order_by(
            self.jobs_t.c.next_run_time, self.jobs_t.c.id
        )
        if where:
            query = query.where(and_(*where))
        with self.engine.begin() as connection:
            rows = connection.execute(query).all()
        jobs = []
        for job_id, data in rows:
            job = self.decode_job(job_id, data)
            if job is not None:
                jobs.append(job)
        return jobs

    # -- writing -------------------------------------------------------------------------------

    def add_job(self, job: Job) -> None:
        insert = self.jobs_t.insert().values(
            id=job.id,
            next_run_time=_timestamp(job.next_run_time),
            job_state=self.encode_job(job),
        )
        with self.engine.begin() as connection:
            try:
                connection.execute(insert)
            except IntegrityError:
                raise ConflictingIdError(job.id) from None
            self._notify(connection)

    def update_job(self, job: Job) -> None:
        update = (
            self.jobs_t.update()
            .values(next_run_time=_timestamp(job.next_run_time), job_state=self.encode_job(job))
            .where(self.jobs_t.c.id == job.id)
        )
        with self.engine.begin() as connection:
            if connection.execute(update).rowcount == 0:
                raise JobLookupError(job.id)
            self._notify(connection)
        self.forget_unloadable(job.id)

    def update_jobs(self, jobs: Iterable[Job]) -> None:
        """Write every job's new state in one transaction (one ``executemany``); rows that are
        gone are passed over."""
        jobs = list(jobs)
        params = [
            {
                "b_id": job.id,
                "b_next_run_time": _timestamp(job.next_run_time),
                "b_job_state": self.encode_job(job),
            }
            for job in jobs
        ]
        if not params:
            return
        update = (
            self.jobs_t.update()
            .where(self.jobs_t.c.id == bindparam("b_id"))
            .values(
                next_run_time=bindparam("b_next_run_time"),
                job_state=bindparam("b_job_state"),
            )
        )
        with self.engine.begin() as connection:
            connection.execute(update, params)
            self._notify(connection)
        for job in jobs:
            self.forget_unloadable(job.id)

    def remove_job(self, job_id: str) -> None:
        delete = self.jobs_t.delete().where(self.jobs_t.c.id == job_id)
        with self.engine.begin() as connection:
            if connection.execute(delete).rowcount == 0:
                raise JobLookupError(job_id)
            self._notify(connection)
        self.forget_unloadable(job_id)

    def remove_jobs(self, job_ids: Iterable[str]) -> list[str]:
        """Delete the given jobs in one transaction; return the ids that were stored."""
        wanted = list(dict.fromkeys(job_ids))
        removed: list[str] = []
        if not wanted:
            return removed
        id_col = self.jobs_t.c.id
        with self.engine.begin() as connection:
            for chunk in _chunks(wanted):
                if getattr(self.engine.dialect, "delete_returning", False):  # SQLAlchemy 2
                    delete = self.jobs_t.delete().where(id_col.in_(chunk)).returning(id_col)
                    removed.extend(connection.execute(delete).scalars())
                else:
                    present = connection.execute(select(id_col).where(id_col.in_(chunk)))
                    removed.extend(present.scalars())
                    connection.execute(self.jobs_t.delete().where(id_col.in_(chunk)))
            if removed:
                self._notify(connection)
        for job_id in removed:
            self.forget_unloadable(job_id)
        return removed

    def remove_all_jobs(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(self.jobs_t.delete())
            self._notify(connection)
        self.forget_unloadable()

    # -- shared by several schedulers ------------------------------------------------------------

    supports_shared = True

    def enable_shared(self) -> None:
        """Create the claims table; on SQLite, switch the file to WAL and every transaction to
        ``BEGIN IMMEDIATE`` (the write lock is taken first, so two claims never interleave)."""
        if not self._shared and self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
            self.engine.dispose()  # connections opened before the listeners: reopen them
        self._shared = True
        self._create(self.claims_t)
        if self.engine.dialect.name == "postgresql":
            # A token per process and per start: a store made before a fork gets one per child.
            self._token = new_token()
            self.notify_channel = _channel_name(self.jobs_t)

    def _notify(self, connection: Any) -> None:
        """Announce a change of the jobs table, in the caller's transaction (sent at commit)."""
        if self.notify_channel is not None:
            connection.execute(select(func.pg_notify(self.notify_channel, self._token)))

    def watch_changes(self, on_change: Callable[[], None]) -> bool:
        """On PostgreSQL, ``LISTEN`` on :attr:`notify_channel` in a daemon thread with its own
        connection (taken from the engine and detached from its pool) and call ``on_change`` for
        every other store object's change, and once after each reconnection. ``False``
        (the scheduler polls) on SQLite and other databases, and with a driver other than
        psycopg 3 or psycopg2."""
        self._stop_watching()
        if self.notify_channel is None:
            return False
        if self.engine.dialect.driver not in _LISTEN_DRIVERS:
            self._logger.info(
                "Job store %r: driver %r cannot LISTEN (use psycopg): changes made by other "
                "schedulers are seen by polling",
                self._alias,
                self.engine.dialect.driver,
            )
            return False
        channel, token, engine = self.notify_channel, self._token, self.engine

        def connect() -> _PgListener:
            return _PgListener(engine, channel, token)

        return self._start_watching(
            f"triggerkit-listen-{self._alias}", connect, on_change, self._logger
        )

    def _create(self, table: Table) -> None:
        """Create ``table`` unless it exists; several processes starting at once on a new
        database race here, and the loser finds the winner's table."""
        try:
            table.create(self.engine, checkfirst=True)
        except DBAPIError:
            if not inspect(self.engine).has_table(table.name, schema=table.schema):
                raise

    def claim_due_runs(
        self,
        now: datetime,
        owner: str,
        lease_until: datetime,
        planner: Planner,
        limit: int = 500,
    ) -> list[Claim]:
        jobs_t, claims_t = self.jobs_t, self.claims_t
        conditions: list[ColumnElement[bool]] = [jobs_t.c.next_run_time <= now.timestamp()]
        skipped = self.unloadable_job_ids
        if skipped:
            conditions.append(jobs_t.c.id.not_in(sorted(skipped)))
        query = (
            select(jobs_t.c.id, jobs_t.c.job_state)
            .where(and_(*conditions))
            .order_by(jobs_t.c.next_run_time, jobs_t.c.id)
            .limit(limit)
            .with_for_update(of=jobs_t, skip_locked=True)
        )
        now_us, lease_us = _micros(now), _micros(lease_until)
        claims: list[Claim] = []
        with self.engine.begin() as connection:
            rows = connection.execute(query).all()
            if not rows:
                return claims
            live: dict[str, int] = {}
            ids = [row[0] for row in rows]
            for chunk in _chunks(ids):
                count = (
                    select(claims_t.c.job_id, func.count())
                    .where(
                        claims_t.c.job_id.in_(chunk),
                        claims_t.c.lease_until >= now_us,
                        claims_t.c.counted,
                    )
                    .group_by(claims_t.c.job_id)
                )
                live.update({job_id: n for job_id, n in connection.execute(count).all()})
            updates: list[dict[str, Any]] = []
            removals: list[str] = []
            new_claims: list[dict[str, Any]] = []
            for job_id, data in rows:
                job = self.decode_job(job_id, data)
                if job is None:
                    continue
                claim = plan_claim(job, planner, live.get(job_id, 0))
                claims.append(claim)
                new_claims.extend(
                    {
                        "job_id": job_id,
                        "run_time": _micros(run_time),
                        "owner": owner,
                        "lease_until": lease_us,
                        "started": False,
                        "job_state": data,
                        "counted": run_time is claim.run_times[-1],
                    }
                    for run_time in claim.run_times
                )
                if claim.removed:
                    removals.append(job_id)
                else:
                    updates.append(
                        {
                            "b_id": job_id,
                            "b_next_run_time": _timestamp(job.next_run_time),
                            "b_job_state": self.encode_job(job),
                        }
                    )
            if updates:
                update = (
                    jobs_t.update()
                    .where(jobs_t.c.id == bindparam("b_id"))
                    .values(
                        next_run_time=bindparam("b_next_run_time"),
                        job_state=bindparam("b_job_state"),
                    )
                )
                connection.execute(update, updates)
            for chunk in _chunks(removals):
                connection.execute(jobs_t.delete().where(jobs_t.c.id.in_(chunk)))
            if new_claims:
                connection.execute(claims_t.insert(), new_claims)
        return claims

    def _claim_keys(self, runs: Iterable[RunKey]) -> list[dict[str, Any]]:
        return [{"k_job_id": job_id, "k_run_time": _micros(run_time)} for job_id, run_time in runs]

    def _claim_where(self, owner: str) -> ColumnElement[bool]:
        c = self.claims_t.c
        return and_(
            c.job_id == bindparam("k_job_id"),
            c.run_time == bindparam("k_run_time"),
            c.owner == owner,
        )

    def mark_runs_started(self, owner: str, runs: Iterable[RunKey]) -> list[RunKey]:
        runs = list(runs)
        keys = self._claim_keys(runs)
        if not keys:
            return []
        c = self.claims_t.c
        update = self.claims_t.update().where(self._claim_where(owner)).values(started=True)
        with self.engine.begin() as connection:
            connection.execute(update, keys)
            # In the same transaction: the claims still ours (a claim another scheduler took
            # over has another owner and stays out).
            held: set[tuple[str, int]] = set()
            for chunk in _chunks(list(dict.fromkeys(job_id for job_id, _ in runs))):
                rows = connection.execute(
                    select(c.job_id, c.run_time).where(
                        c.job_id.in_(chunk), c.owner == owner, c.started
                    )
                )
                held.update((job_id, run_time) for job_id, run_time in rows)
        return [run for run in runs if (run[0], _micros(run[1])) in held]

    def renew_claims(self, owner: str, runs: Iterable[RunKey], lease_until: datetime) -> None:
        keys = self._claim_keys(runs)
        if keys:
            update = (
                self.claims_t.update()
                .where(self._claim_where(owner))
                .values(lease_until=_micros(lease_until))
            )
            with self.engine.begin() as connection:
                connection.execute(update, keys)

    def release_runs(self, owner: str, runs: Iterable[RunKey]) -> None:
        keys = self._claim_keys(runs)
        if keys:
            delete = self.claims_t.delete().where(self._claim_where(owner))
            with self.engine.begin() as connection:
                connection.execute(delete, keys)

    def take_expired_claims(
        self, now: datetime, owner: str, lease_until: datetime, limit: int = 100
    ) -> list[ExpiredClaim]:
        c = self.claims_t.c
        query = (
            select(c.job_id, c.run_time, c.owner, c.started, c.job_state)
            .where(c.lease_until < _micros(now))
            .order_by(c.run_time)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with self.engine.begin() as connection:
            rows = connection.execute(query).all()
            if not rows:
                return []
            update = (
                self.claims_t.update()
                .where(
                    and_(
                        c.job_id == bindparam("k_job_id"),
                        c.run_time == bindparam("k_run_time"),
                        c.owner == bindparam("k_owner"),
                    )
                )
                .values(owner=owner, lease_until=_micros(lease_until))
            )
            connection.execute(
                update,
                [{"k_job_id": j, "k_run_time": r, "k_owner": o} for j, r, o, _, _ in rows],
            )
        return [
            ExpiredClaim(
                job_id,
                _from_micros(run_time),
                previous,
                bool(started),
                None if started else self.decode_job(job_id, data),
            )
            for job_id, run_time, previous, started, data in rows
        ]

    def live_claim_owners(self, now: datetime) -> dict[RunKey, str]:
        c = self.claims_t.c
        query = select(c.job_id, c.run_time, c.owner).where(c.lease_until >= _micros(now))
        with self.engine.begin() as connection:
            rows = connection.execute(query).all()
        return {(job_id, _from_micros(run_time)): o for job_id, run_time, o in rows}

    def shutdown(self) -> None:
        self._stop_watching()
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (url={self.engine.url})>"


def _channel_name(table: Table) -> str:
    """The NOTIFY channel of a jobs table: ``triggerkit:[schema.]table``, or a digest of that
    name when it is longer than PostgreSQL allows."""
    name = f"triggerkit:{table.fullname}"
    if len(name.encode()) > _PG_NAME_MAX:
        digest = hashlib.sha1(table.fullname.encode(), usedforsecurity=False).hexdigest()
        name = f"triggerkit:{digest}"
    return name


class _PgListener:
    """One ``LISTEN`` connection (psycopg 3 or psycopg2), for :class:`ChangeWatcher`."""

    def __init__(self, engine: Any, channel: str, token: str) -> None:
        self._channel = channel
        self._token = token
        self._proxy = engine.raw_connection()
        self._proxy.detach()  # its own connection, closed by close(), never back in the pool
        conn = self._conn = self._proxy.dbapi_connection
        conn.autocommit = True
        cursor = conn.cursor()
        try:
            cursor.execute('LISTEN "{}"'.format(channel.replace('"', '""')))
        finally:
            cursor.close()

    def _others(self, notices: Iterable[Any]) -> bool:
        return any(n.channel == self._channel and n.payload != self._token for n in notices)

    def wait(self, timeout: float) -> bool:
        conn = self._conn
        if callable(getattr(conn, "notifies", None)):  # psycopg 3
            return self._others(conn.notifies(timeout=timeout, stop_after=1))
        # psycopg2: wait for the socket, then read what arrived
        if conn.notifies or _select.select([conn], [], [], timeout)[0]:
            conn.poll()
        notices, conn.notifies[:] = list(conn.notifies), []
        return self._others(notices)

    def close(self) -> None:
        self._proxy.close()


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Transactions are begun by _sqlite_begin (the driver's own implicit BEGIN is turned off).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
