"""The RethinkDB job store, at APScheduler 3's ``apscheduler.jobstores.rethinkdb`` path.

Layout (APScheduler 3.11's): database ``apscheduler``, table ``jobs``, one document per job
``{"id": <job id>, "next_run_time": <UTC timestamp or null>, "job_state": <binary>}`` with a
secondary index on ``next_run_time``; ``job_state`` holds the pickled ``Job.__getstate__()`` dict
(or, with ``serializer="json"``, the JSON job state). Jobs are ordered by next run time, then id.
"""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import ConflictingIdError, JobLookupError
from ..util import datetime_to_utc_timestamp, maybe_ref
from .base import BaseJobStore
from .serializers import make_serializer

try:
    from rethinkdb import RethinkDB
    from rethinkdb.errors import ReqlDriverError
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "RethinkDBJobStore requires rethinkdb: pip install 'triggerkit[rethinkdb]'"
    ) from exc

if TYPE_CHECKING:
    from ..job import Job
    from ..schedulers.base import BaseScheduler

__all__ = ["RethinkDBJobStore"]

_INDEX = "next_run_time"
_PAGE = 16  # rows per page when looking for the first job that can be restored


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

    def shutdown(self) -> None:
        self._closed = True
        if self.conn is not None:
            self.conn.close()

    def lookup_job(self, job_id: str) -> Job | None:
        document = self._open().get(job_id).run(self.conn)
        if document is None:
            return None
        return self.decode_job(job_id, bytes(document["job_state"]))

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

    def add_job(self, job: Job) -> None:
        result = self._open().insert(self._document(job)).run(self.conn)
        if result["errors"]:
            if "Duplicate primary key" in str(result.get("first_error", "")):
                raise ConflictingIdError(job.id)
            raise RuntimeError(f"could not insert job {job.id!r}: {result.get('first_error')}")

    def update_job(self, job: Job) -> None:
        document = self._document(job)
        del document["id"]
        result = self._open().get(job.id).update(document).run(self.conn)
        if result["skipped"] or result["errors"]:
            raise JobLookupError(job.id)

    def remove_job(self, job_id: str) -> None:
        result = self._open().get(job_id).delete().run(self.conn)
        if result["deleted"] != 1:
            raise JobLookupError(job_id)

    def update_jobs(self, jobs: Iterable[Job]) -> None:
        """Write every job's new version in one query; a removed job is passed over."""
        documents = [self._document(job) for job in jobs]
        if documents:
            table = self._open()
            self.r.expr(documents).for_each(
                lambda document: table.get(document["id"]).update(document.without("id"))
            ).run(self.conn)

    def remove_jobs(self, job_ids: Iterable[str]) -> list[str]:
        """Remove several jobs in one query; return the ids that were stored."""
        ids = list(job_ids)
        if not ids:
            return []
        stored = set(self._open().get_all(*ids)["id"].run(self.conn))
        if stored:
            self._open().get_all(*stored).delete().run(self.conn)
        return [job_id for job_id in ids if job_id in stored]

    def remove_all_jobs(self) -> None:
        self._open().delete().run(self.conn)

    def _decode_documents(self, documents: Any) -> list[Job]:
        jobs = []
        for document in documents:
            job = self.decode_job(document["id"], bytes(document["job_state"]))
            if job is not None:
                jobs.append(job)
        return jobs

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (connection={self.conn})>"
