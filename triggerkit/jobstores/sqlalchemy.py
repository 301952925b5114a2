"""A job store in any database SQLAlchemy speaks, at APScheduler 3's
``apscheduler.jobstores.sqlalchemy`` path and with its table layout.

The table (``apscheduler_jobs`` by default) has APScheduler 3.11's three columns: ``id``
(``Unicode(191)``, primary key), ``next_run_time`` (``Float(25)``, indexed; a UTC epoch, ``NULL``
for a paused job) and ``job_state`` (``LargeBinary``, the serialized job). A database that an
APScheduler 3 application wrote opens as it is; its rows are rewritten (as triggerkit state) only
when their job changes.

SQLite needs no server: ``SQLAlchemyJobStore(url="sqlite:///jobs.sqlite")``. The scheduler's
due-jobs pass writes all its next run times in one transaction (:meth:`update_jobs`).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

try:
    from sqlalchemy import (
        Column,
        Float,
        LargeBinary,
        MetaData,
        Table,
        Unicode,
        and_,
        bindparam,
        create_engine,
        select,
    )
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.sql.expression import ColumnElement, null
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ImportError(
        "SQLAlchemyJobStore requires SQLAlchemy: pip install 'triggerkit-cron[sqlalchemy]'"
    ) from exc

from ..errors import ConflictingIdError, JobLookupError
from ..util import maybe_ref
from .base import BaseJobStore
from .serializers import Serializer, make_serializer

if TYPE_CHECKING:
    from ..job import Job
    from ..schedulers.base import BaseScheduler

__all__ = ["SQLAlchemyJobStore"]

_UTC = timezone.utc
# Ids per statement in IN (...) lists: far below every database's bound-parameter limit.
_CHUNK = 500


def _timestamp(run_time: datetime | None) -> float | None:
    return run_time.timestamp() if run_time is not None else None


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class SQLAlchemyJobStore(BaseJobStore):
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

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        super().start(scheduler, alias)
        self.jobs_t.create(self.engine, checkfirst=True)

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

    def update_job(self, job: Job) -> None:
        update = (
            self.jobs_t.update()
            .values(next_run_time=_timestamp(job.next_run_time), job_state=self.encode_job(job))
            .where(self.jobs_t.c.id == job.id)
        )
        with self.engine.begin() as connection:
            if connection.execute(update).rowcount == 0:
                raise JobLookupError(job.id)
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
        for job in jobs:
            self.forget_unloadable(job.id)

    def remove_job(self, job_id: str) -> None:
        delete = self.jobs_t.delete().where(self.jobs_t.c.id == job_id)
        with self.engine.begin() as connection:
            if connection.execute(delete).rowcount == 0:
                raise JobLookupError(job_id)
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
        for job_id in removed:
            self.forget_unloadable(job_id)
        return removed

    def remove_all_jobs(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(self.jobs_t.delete())
        self.forget_unloadable()

    def shutdown(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (url={self.engine.url})>"
