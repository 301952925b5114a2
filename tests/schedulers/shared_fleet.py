"""A fleet of scheduler processes sharing one job store (``shared=True``), for the exactly-once
tests (test_shared.py) and bench/shared.py.

Run as a script, one process per scheduler::

    python shared_fleet.py worker STORE TABLE RUNS_URL SECONDS [--prefork N] [--poll S]

(``SECONDS`` < 0: run until stdin is closed; a worker prints ``<pid> started`` once running.
``--poll S``: ``shared_poll_interval=S`` and a lease of ``3 S``; default 0.5 and 3.)

``STORE`` is an SQLAlchemy URL (``TABLE`` is the jobs table), ``redis://HOST:PORT`` (``TABLE``
is the key prefix), ``zookeeper://HOST:PORT`` (``TABLE`` is the jobs node, under ``/``),
``etcd://HOST:PORT`` (the jobs live under ``/TABLE/``) or ``mongodb://HOST:PORT`` (``TABLE`` is
the collection).

Every job calls :func:`record_run`, which inserts the run's identity (job id, scheduled time, from
:func:`triggerkit.runs.current_run`) into the ``fleet_runs`` table of ``RUNS_URL`` (a unique key):
a second run of the same scheduled run would fail there and is written to ``fleet_dups``. Runs the
schedulers report instead of running (missed, outcome unknown) go to ``fleet_reports``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from triggerkit.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_OUTCOME_UNKNOWN,
    EVENT_JOB_SUBMITTED,
)
from triggerkit.jobstores.base import BaseJobStore
from triggerkit.jobstores.sqlalchemy import SQLAlchemyJobStore
from triggerkit.runs import current_run
from triggerkit.schedulers.background import BackgroundScheduler

RUNS_ENV = "TK_FLEET_RUNS_URL"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

metadata = MetaData()
runs_t = Table(
    "fleet_runs",
    metadata,
    Column("job_id", String(191), primary_key=True),
    Column("run_time", BigInteger, primary_key=True, autoincrement=False),
    Column("pid", Integer, nullable=False),
    Column("ran_at", Float, nullable=False),
)
dups_t = Table(
    "fleet_dups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", String(191), nullable=False),
    Column("run_time", BigInteger, nullable=False),
    Column("pid", Integer, nullable=False),
)
reports_t = Table(
    "fleet_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", String(191), nullable=False),
    Column("run_time", BigInteger, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("pid", Integer, nullable=False),
)

_engine: list[Engine] = []


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def create_runs_tables(url: str, fresh: bool = False) -> None:
    """Create the runs tables (in the parent, before the workers start: no create race);
    ``fresh`` drops them first (a server database used for several runs)."""
    if fresh:
        metadata.drop_all(runs_engine(url))
    metadata.create_all(runs_engine(url))


def runs_engine(url: str | None = None) -> Engine:
    """The engine of the runs database (one per process, made on first use)."""
    url = url or os.environ[RUNS_ENV]
    if not _engine or _engine[0].url.render_as_string(hide_password=False) != url:
        engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        _engine[:] = [engine]
    return _engine[0]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 60000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def record_run() -> None:
    """The fleet's job: insert this run's identity; a second run of it lands in fleet_dups."""
    run = current_run()
    assert run is not None
    key = {"job_id": run.job_id, "run_time": micros(run.scheduled_run_time), "pid": os.getpid()}
    engine = runs_engine()
    try:
        with engine.begin() as connection:
            connection.execute(runs_t.insert().values(ran_at=time.time(), **key))
    except IntegrityError:
        with engine.begin() as connection:
            connection.execute(dups_t.insert().values(**key))


def report(event: Any) -> None:
    """Listener: write runs that were reported instead of run (and job errors)."""
    if event.code == EVENT_JOB_MAX_INSTANCES:
        kind, run_times = "busy", list(event.scheduled_run_times)
    else:
        kinds = {EVENT_JOB_OUTCOME_UNKNOWN: "unknown", EVENT_JOB_MISSED: "missed"}
        kind, run_times = kinds.get(event.code, "error"), [event.scheduled_run_time]
    if kind == "error":
        logging.getLogger("fleet").warning("job error: %s", event.exception)
    with runs_engine().begin() as connection:
        for run_time in run_times:
            connection.execute(
                reports_t.insert().values(
                    job_id=event.job_id, run_time=micros(run_time), kind=kind, pid=os.getpid()
                )
            )


def open_store(store_url: str, table: str) -> BaseJobStore:
    """The store the fleet shares: SQLAlchemy, or Redis for a ``redis://host:port`` URL."""
    if store_url.startswith("redis://"):
        from triggerkit.jobstores.redis import RedisJobStore

        host, _, port = store_url[len("redis://") :].partition(":")
        return RedisJobStore(
            jobs_key=f"{table}.jobs", run_times_key=f"{table}.run_times", host=host, port=int(port)
        )
    if store_url.startswith("zookeeper://"):
        from triggerkit.jobstores.zookeeper import ZooKeeperJobStore

        hosts = store_url[len("zookeeper://") :]
        return ZooKeeperJobStore(path=f"/{table}", hosts=hosts, close_connection_on_exit=True)
    if store_url.startswith("etcd://"):
        from triggerkit.jobstores.etcd import EtcdJobStore

        host, _, port = store_url[len("etcd://") :].partition(":")
        return EtcdJobStore(path=f"/{table}", host=host, port=int(port))
    if store_url.startswith("mongodb://"):
        from triggerkit.jobstores.mongodb import MongoDBJobStore

        host, _, port = store_url[len("mongodb://") :].partition(":")
        return MongoDBJobStore(
            database="triggerkit_fleet",
            collection=table,
            host=host,
            port=int(port),
            directConnection=True,
        )
    return SQLAlchemyJobStore(url=store_url, tablename=table)


def make_scheduler(
    store_url: str, table: str, store: BaseJobStore | None = None, **options: Any
) -> BackgroundScheduler:
    store = store or open_store(store_url, table)
    options.setdefault("shared_lease", 3)
    options.setdefault("shared_poll_interval", 0.5)
    scheduler = BackgroundScheduler(
        shared=True,
        jobstores={"default": store},
        executors={"default": {"type": "threadpool", "max_workers": 20}},
        timezone="UTC",
        **options,
    )
    scheduler.add_listener(
        report,
        EVENT_JOB_MISSED | EVENT_JOB_OUTCOME_UNKNOWN | EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES,
    )
    return scheduler


def add_jobs(
    store_url: str, table: str, count: int, start: datetime, seconds: int, grace: int = 60
) -> int:
    """Add ``count`` jobs running every second from ``start`` for ``seconds`` runs each;
    return the number of runs expected."""
    if RUNS_ENV in os.environ:
        create_runs_tables(os.environ[RUNS_ENV])
    scheduler = make_scheduler(store_url, table)
    scheduler.start(paused=True)
    try:
        for number in range(count):
            scheduler.add_job(
                "shared_fleet:record_run",
                "interval",
                seconds=1,
                start_date=start,
                end_date=start + timedelta(seconds=seconds - 1),
                id=f"job{number:04d}",
                coalesce=False,
                misfire_grace_time=grace,
                max_instances=50,
            )
    finally:
        scheduler.shutdown()
    return count * seconds


def fetch(runs_url: str) -> tuple[set[tuple[str, int]], list[Any], list[Any], list[Any]]:
    """The runs recorded (as a set), every runs row, the duplicates and the reports."""
    engine = runs_engine(runs_url)
    with engine.begin() as connection:
        rows = connection.execute(select(runs_t)).all()
        dups = connection.execute(select(dups_t)).all()
        reports = connection.execute(select(reports_t)).all()
    return {(r.job_id, r.run_time) for r in rows}, rows, dups, reports


def expected_runs(count: int, start: datetime, seconds: int) -> set[tuple[str, int]]:
    return {
        (f"job{number:04d}", micros(start + timedelta(seconds=second)))
        for number in range(count)
        for second in range(seconds)
    }


HERE = Path(__file__).resolve().parent


def spawn(
    store_url: str, table: str, runs_url: str, seconds: float, *extra: str, **popen: Any
) -> subprocess.Popen[str]:
    """Start a :func:`worker` process (``extra``: ``--prefork N``, ``--poll S``).

    Its output is read as text from a pipe; ``popen`` adds or overrides ``subprocess.Popen``
    options (``stdin=subprocess.PIPE`` for ``seconds`` < 0, ``stderr``).
    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), str(HERE.parent)]))
    command = [sys.executable, str(HERE / "shared_fleet.py"), "worker", store_url, table]
    options: dict[str, Any] = {"env": env, "stdout": subprocess.PIPE, "text": True, **popen}
    return subprocess.Popen([*command, runs_url, str(seconds), *extra], **options)


def worker(
    store_url: str,
    table: str,
    runs_url: str,
    seconds: float,
    prefork: int = 0,
    poll: float | None = None,
) -> None:
    os.environ[RUNS_ENV] = runs_url
    logging.basicConfig(
        level=os.environ.get("TK_FLEET_LOG", "WARNING"),
        format=f"%(asctime)s [{os.getpid()}] %(name)s %(message)s",
    )
    store = open_store(store_url, table)
    options = {} if poll is None else {"shared_poll_interval": poll, "shared_lease": 3 * poll}
    scheduler = make_scheduler(store_url, table, store, **options)
    if prefork:
        # gunicorn-style: the scheduler (and its store's engine, with a pooled connection) is
        # made in the parent; each forked child starts it.
        if isinstance(store, SQLAlchemyJobStore):
            with store.engine.connect():
                pass
        children = []
        for _ in range(prefork):
            pid = os.fork()
            if pid == 0:
                _run(scheduler, seconds)
                os._exit(0)
            children.append(pid)
        status = 0
        for pid in children:
            status |= os.waitpid(pid, 0)[1]
        sys.exit(1 if status else 0)
    _run(scheduler, seconds)


def _run(scheduler: BackgroundScheduler, seconds: float) -> None:
    """Run the scheduler for ``seconds`` (negative: until stdin is closed)."""
    submitted: list[int] = []
    scheduler.add_listener(lambda event: submitted.append(1), EVENT_JOB_SUBMITTED)
    scheduler.start()
    print(f"{os.getpid()} started", flush=True)
    if seconds < 0:
        sys.stdin.read()
    else:
        time.sleep(seconds)
    scheduler.shutdown(wait=True)
    print(f"{os.getpid()} submitted {len(submitted)}", flush=True)


if __name__ == "__main__":
    _, command, *args = sys.argv
    assert command == "worker", command
    prefork, poll = 0, None
    if "--prefork" in args:
        index = args.index("--prefork")
        prefork = int(args[index + 1])
        del args[index : index + 2]
    if "--poll" in args:
        index = args.index("--poll")
        poll = float(args[index + 1])
        del args[index : index + 2]
    worker(args[0], args[1], args[2], float(args[3]), prefork, poll)
