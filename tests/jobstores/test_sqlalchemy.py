"""SQLAlchemyJobStore beyond the contract: APScheduler 3.11's signature and table, databases that
the real APScheduler 3.11.3 wrote (SQLite and PostgreSQL), the one-transaction due-jobs pass, and
an unloadable row that neither spins the scheduler nor gets deleted."""

from __future__ import annotations

import inspect
import pickle
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from store_factories import RECORDED, job_func, postgres_url, record, sqlite_url, unique_name

from triggerkit.events import EVENT_ALL, EVENT_JOB_LOAD_FAILED
from triggerkit.executors.debug import DebugExecutor
from triggerkit.jobstores.sqlalchemy import SQLAlchemyJobStore
from triggerkit.schedulers.background import BackgroundScheduler
from triggerkit.schedulers.base import BaseScheduler

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
URLS = {"sqlite": sqlite_url, "postgres": postgres_url}


class ManualScheduler(BaseScheduler):
    """A scheduler whose loop runs only when the test calls :meth:`tick`."""

    def wakeup(self) -> None:
        pass

    def tick(self) -> float | None:
        return self._process_jobs()


def rows(url: str, table: str) -> dict[str, tuple[float | None, bytes]]:
    """The raw rows of ``table``: id -> (next_run_time, job_state)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            result = connection.execute(
                sa.text(f"SELECT id, next_run_time, job_state FROM {table}")  # noqa: S608
            )
            return {row[0]: (row[1], bytes(row[2])) for row in result}
    finally:
        engine.dispose()


@pytest.fixture(params=list(URLS))
def url(request: pytest.FixtureRequest) -> str:
    return URLS[request.param]()


def test_the_signature_is_apschedulers_plus_serializer() -> None:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore as Aps

    ours = list(inspect.signature(SQLAlchemyJobStore).parameters.values())
    theirs = list(inspect.signature(Aps).parameters.values())
    assert [(p.name, p.default) for p in ours[:-1]] == [(p.name, p.default) for p in theirs]
    assert (ours[-1].name, ours[-1].default) == ("serializer", "pickle")


def test_a_store_needs_an_url_or_an_engine() -> None:
    with pytest.raises(ValueError, match='Need either "engine" or "url" defined'):
        SQLAlchemyJobStore()


def test_engine_options_an_engine_object_and_references(tmp_path: Any) -> None:
    store = SQLAlchemyJobStore(
        url=f"sqlite:///{tmp_path}/a.sqlite", engine_options={"pool_pre_ping": True}
    )
    assert store.engine.pool._pre_ping is True
    assert repr(store) == f"<SQLAlchemyJobStore (url=sqlite:///{tmp_path}/a.sqlite)>"
    engine = sa.create_engine(f"sqlite:///{tmp_path}/b.sqlite")
    assert SQLAlchemyJobStore(engine=engine).engine is engine
    module = type(sys)("tk_engine_holder")
    module.engine = engine  # type: ignore[attr-defined]
    module.metadata = sa.MetaData()  # type: ignore[attr-defined]
    sys.modules["tk_engine_holder"] = module
    try:
        store = SQLAlchemyJobStore(
            engine="tk_engine_holder:engine", metadata="tk_engine_holder:metadata"
        )
        assert store.engine is engine and store.jobs_t.metadata is module.metadata  # type: ignore[attr-defined]
    finally:
        del sys.modules["tk_engine_holder"]
    assert SQLAlchemyJobStore(url="sqlite://", pickle_protocol=2).serializer.protocol == 2  # type: ignore[attr-defined]
    engine.dispose()


def test_the_table_is_apschedulers(url: str) -> None:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore as Aps

    ours_name, theirs_name = unique_name("ours"), unique_name("theirs")
    ours = SQLAlchemyJobStore(url=url, tablename=ours_name)
    theirs = Aps(url=url, tablename=theirs_name)
    ours.start(ManualScheduler(), "default")
    theirs.start(None, "default")
    inspector = sa.inspect(ours.engine)

    def layout(table: str) -> Any:
        columns = [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)]
        indexes = sorted(
            (tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(table)
        )
        return columns, indexes, inspector.get_pk_constraint(table)["constrained_columns"]

    try:
        assert layout(ours_name) == layout(theirs_name)
        assert layout(ours_name)[1] == [(("next_run_time",), False)]
        assert layout(ours_name)[2] == ["id"]
    finally:
        ours.shutdown()
        theirs.shutdown()


def test_tableschema_puts_the_table_in_that_schema() -> None:
    url = postgres_url()
    schema = unique_name("schema")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    store = SQLAlchemyJobStore(url=url, tableschema=schema)
    store.start(ManualScheduler(), "default")
    try:
        assert sa.inspect(engine).get_table_names(schema=schema) == ["apscheduler_jobs"]
    finally:
        store.shutdown()
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


# --- a database APScheduler 3.11.3 wrote ---------------------------------------------------------


def _aps_triggers() -> dict[str, Any]:
    from apscheduler.triggers.combining import AndTrigger, OrTrigger
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.date import DateTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    return {
        "cron": CronTrigger(day_of_week="mon-fri", hour="9-17/2", minute=30, timezone=BERLIN),
        "cron_last": CronTrigger(day="last fri", month="*/2", hour=23, timezone="UTC"),
        "interval": IntervalTrigger(hours=5, minutes=3, timezone=BERLIN),
        "date": DateTrigger(run_date=datetime(2033, 3, 27, 2, 30), timezone=BERLIN),
        "or": OrTrigger(
            [CronTrigger(hour=3, timezone=BERLIN), IntervalTrigger(hours=7, timezone=UTC)]
        ),
        "and": AndTrigger(
            [CronTrigger(hour="*/2", timezone=UTC), CronTrigger(minute=0, timezone=UTC)]
        ),
    }


@pytest.fixture
def aps_database(url: str) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """A table written by APScheduler 3.11.3's own store through its own scheduler."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore as Aps
    from apscheduler.schedulers.background import BackgroundScheduler as ApsScheduler

    table = unique_name("aps")
    store = Aps(url=url, tablename=table)
    scheduler = ApsScheduler(timezone=BERLIN, jobstores={"default": store})
    scheduler.start(paused=True)
    triggers = _aps_triggers()
    for job_id, trigger in triggers.items():
        job = scheduler.add_job(
            job_func,
            trigger,
            id=job_id,
            name=f"name {job_id}",
            args=(job_id, 2, [3.5]),
            kwargs={"when": datetime(2030, 1, 1, tzinfo=BERLIN)},
            misfire_grace_time=30,
            coalesce=False,
            max_instances=3,
        )
        assert job.trigger is trigger
    scheduler.pause_job("interval")  # a paused row: next_run_time NULL
    expected = {job.id: job.next_run_time for job in scheduler.get_jobs()}
    scheduler.shutdown()
    store.shutdown()  # APScheduler's loop reopens a connection after shutdown
    yield url, table, expected, triggers
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP TABLE {table}"))
    engine.dispose()


def test_an_apscheduler_database_opens_with_the_same_jobs_and_run_times(
    aps_database: tuple[str, str, dict[str, Any], dict[str, Any]],
) -> None:
    url, table, expected, triggers = aps_database
    before = rows(url, table)
    assert set(before) == set(expected) and before["interval"][0] is None
    assert all(b"apscheduler.triggers" in state for _, state in before.values())

    scheduler = BackgroundScheduler(timezone=BERLIN)
    events: list[Any] = []
    scheduler.add_listener(events.append, EVENT_ALL)
    scheduler.add_jobstore(SQLAlchemyJobStore(url=url, tablename=table), "default")
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert {job_id: job.next_run_time for job_id, job in jobs.items()} == expected
        probe = datetime(2031, 6, 1, 12, tzinfo=UTC)
        for job_id, job in jobs.items():
            assert type(job.trigger).__module__.startswith("triggerkit.triggers")
            assert job.func is job_func and job.name == f"name {job_id}"
            assert job.args == (job_id, 2, [3.5])
            assert job.kwargs == {"when": datetime(2030, 1, 1, tzinfo=BERLIN)}
            assert (job.misfire_grace_time, job.coalesce, job.max_instances) == (30, False, 3)
            assert str(job.trigger) == str(triggers[job_id])
            fire = triggers[job_id].get_next_fire_time(None, probe)
            assert job.trigger.get_next_fire_time(None, probe) == fire
        store = scheduler._lookup_jobstore("default")
        assert store.lookup_job("cron") is not None
        store.get_due_jobs(datetime(2040, 1, 1, tzinfo=UTC))
        store.get_next_run_time()
        # Read over and over: not one byte rewritten, nothing deleted.
        assert rows(url, table) == before
        assert [e for e in events if e.code == EVENT_JOB_LOAD_FAILED] == []

        # A change rewrites that row alone, as triggerkit state.
        scheduler.modify_job("cron", args=("changed",))
        after = rows(url, table)
        assert {k: v for k, v in after.items() if k != "cron"} == {
            k: v for k, v in before.items() if k != "cron"
        }
        assert after["cron"][0] == before["cron"][0]
        assert b"triggerkit.triggers" in after["cron"][1]
        assert b"apscheduler" not in after["cron"][1]
    finally:
        scheduler.shutdown()


# --- the due-jobs pass writes once ------------------------------------------------------------


def test_the_due_jobs_pass_writes_every_next_run_time_in_one_transaction(url: str) -> None:
    store = SQLAlchemyJobStore(url=url, tablename=unique_name("pass"))
    scheduler = ManualScheduler(
        timezone="UTC",
        executors={"default": DebugExecutor()},
        job_defaults={"misfire_grace_time": 600},
    )
    scheduler.add_jobstore(store, "default")
    scheduler.start()
    runs = RECORDED
    runs.clear()
    commits: list[int] = []
    statements: list[tuple[str, bool]] = []
    try:
        past = datetime.now(UTC) - timedelta(seconds=5)
        for i in range(60):
            scheduler.add_job(
                record,
                "interval",
                hours=1,
                id=f"j{i:02}",
                args=(i,),
                next_run_time=past,
            )
        for i in range(5):  # date jobs: removed after their one run
            scheduler.add_job(record, "date", run_date=past, id=f"d{i}", args=(100 + i,))
        sa.event.listen(store.engine, "commit", lambda conn: commits.append(1))
        sa.event.listen(
            store.engine,
            "before_cursor_execute",
            lambda conn, cursor, statement, params, context, executemany: statements.append(
                (statement.split()[0], executemany)
            ),
        )
        scheduler.tick()
        assert sorted(runs) == [*range(60), *range(100, 105)]
        writes = [s for s in statements if s[0] in ("UPDATE", "DELETE", "INSERT")]
        # each finished date job is removed at once (APScheduler's event order); the 60 next
        # run times go in one executemany
        assert writes == [("DELETE", False)] * 5 + [("UPDATE", True)]
        # the read, the five removals, the updates, the wake-up time
        assert len(commits) == 8
        now = datetime.now(UTC)
        jobs = store.get_all_jobs()
        assert len(jobs) == 60
        assert all(job.next_run_time is not None and job.next_run_time > now for job in jobs)
        stored = rows(url, store.jobs_t.name)
        assert all(
            stored[job.id][0] == pytest.approx(job.next_run_time.timestamp()) for job in jobs
        )
    finally:
        scheduler.shutdown()


# --- an unloadable row --------------------------------------------------------------------------


def test_an_unloadable_due_row_neither_spins_the_scheduler_nor_is_deleted(url: str) -> None:
    table = unique_name("broken")
    store = SQLAlchemyJobStore(url=url, tablename=table)
    scheduler = BackgroundScheduler(timezone="UTC")
    failures: list[Any] = []
    RECORDED.clear()
    scheduler.add_listener(failures.append, EVENT_JOB_LOAD_FAILED)
    scheduler.add_jobstore(store, "default")
    scheduler.start(paused=True)
    try:
        broken_state = pickle.dumps({"version": 1, "id": "broken", "func": "gone.module:f"})
        with store.engine.begin() as connection:
            connection.execute(
                store.jobs_t.insert().values(
                    id="broken", next_run_time=time.time() - 60, job_state=broken_state
                )
            )
        scheduler.add_job(record, "interval", seconds=0.2, id="good", args=("good",))
        scheduler.resume()
        deadline = time.monotonic() + 30
        while "good" not in RECORDED and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "good" in RECORDED
        time.sleep(1.0)  # room for many passes if the broken row woke the loop each time
        passes_with_failures = len(failures)
        assert 1 <= passes_with_failures <= 3  # noticed once, then left out of the wake-up time
        assert all(e.job_id == "broken" and "gone.module" in e.reason for e in failures)
    finally:
        scheduler.shutdown()
    assert rows(url, table)["broken"][1] == broken_state


def test_without_sqlalchemy_the_import_error_names_the_class_and_the_extra() -> None:
    import subprocess

    code = "import sys; sys.modules['sqlalchemy'] = None\nimport triggerkit.jobstores.sqlalchemy\n"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode != 0
    assert (
        "ImportError: SQLAlchemyJobStore requires SQLAlchemy: "
        "pip install 'triggerkit[sqlalchemy]'" in proc.stderr
    )


def test_the_alias_and_a_config_dict_build_the_store(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/cfg.sqlite"
    scheduler = ManualScheduler(
        {"apscheduler.jobstores.default": {"type": "sqlalchemy", "url": url, "serializer": "json"}}
    )
    scheduler.start()
    try:
        store = scheduler._lookup_jobstore("default")
        assert isinstance(store, SQLAlchemyJobStore)
        assert type(store.serializer).__name__ == "JsonSerializer"
        scheduler.add_job(job_func, "interval", minutes=1, id="cfg", args=(1,))
        assert rows(url, "apscheduler_jobs")["cfg"][1].startswith(b'{"format":"triggerkit.job"')
    finally:
        scheduler.shutdown()
