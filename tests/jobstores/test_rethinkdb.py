"""The RethinkDB job store on the RethinkDB wire protocol (reqlite, see docs/stores.md for what
that stand-in does not prove): APScheduler 3.11.3's layout, both ways."""

from __future__ import annotations

import pickle
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from apscheduler.jobstores.rethinkdb import RethinkDBJobStore as APSRethinkDBJobStore
from apscheduler_layout import CORRUPT, ApschedulerLayoutTests
from apscheduler_written import (
    T0,
    LoadFailures,
    add_tied_jobs,
    check_batch_updates_pass_over_removed_jobs,
    make_job,
    started_stores,
)
from claim_steps import (
    check_a_change_during_a_claim_stands,
    check_a_crash_after_the_lock,
    check_a_crash_before_the_commit,
    check_a_finished_job_rescheduled_meanwhile_is_kept,
    plan_next_second,
)
from rethinkdb import RethinkDB
from rethinkdb.errors import ReqlDriverError
from sched_helpers import shared_scheduler
from servers import ensure_server

from triggerkit.jobstores.claims import to_micros
from triggerkit.jobstores.rethinkdb import RethinkDBJobStore

pytestmark = pytest.mark.external_service

job = make_job
r = RethinkDB()


def port() -> int:
    return int(ensure_server("rethinkdb")["TK_RETHINK_PORT"])


@pytest.fixture
def database() -> str:
    return f"triggerkit_test_{uuid.uuid4().hex}"


@pytest.fixture
def conn(database: str) -> Iterator[Any]:
    connection = r.connect(host="127.0.0.1", port=port())
    yield connection
    if database in r.db_list().run(connection):
        r.db_drop(database).run(connection)
    connection.close()


@pytest.fixture
def make_store(database: str, failures: LoadFailures, conn: Any) -> Iterator[Any]:
    def open_store(**kwargs: Any) -> RethinkDBJobStore:
        return RethinkDBJobStore(database=database, host="127.0.0.1", port=port(), **kwargs)

    with started_stores(open_store, failures) as (make, _stores):
        yield make


@pytest.fixture
def aps_store(database: str) -> Callable[[], Any]:
    return lambda: APSRethinkDBJobStore(database=database, host="127.0.0.1", port=port())


def documents(conn: Any, database: str) -> dict[str, Any]:
    return {doc["id"]: doc for doc in r.db(database).table("jobs").run(conn)}


class RethinkDocuments:
    """The documents of table ``jobs``, one a job, through the RethinkDB driver."""

    def __init__(self, conn: Any, database: str) -> None:
        self.conn, self.database = conn, database

    def snapshot(self) -> dict[str, Any]:
        return documents(self.conn, self.database)

    def put(self, job_id: str, next_run_time: float | None, state: dict[str, Any]) -> None:
        self._insert(job_id, next_run_time, pickle.dumps(state))

    def put_corrupt(self, job_id: str) -> None:
        self._insert(job_id, 1.0, CORRUPT)

    def stored(self, job_id: str) -> bytes:
        return bytes(self.snapshot()[job_id]["job_state"])

    def _insert(self, job_id: str, next_run_time: float | None, state: bytes) -> None:
        document = {"id": job_id, "next_run_time": next_run_time, "job_state": r.binary(state)}
        r.db(self.database).table("jobs").insert(document).run(self.conn)


@pytest.fixture
def raw(conn: Any, database: str) -> RethinkDocuments:
    return RethinkDocuments(conn, database)


class TestApschedulerLayout(ApschedulerLayoutTests):
    pass


def test_a_document_has_apschedulers_fields_and_index(
    database: str, make_store: Any, conn: Any
) -> None:
    make_store().add_job(job("a", 30))
    make_store().add_job(job("p", None))  # a second start finds the table and index in place
    docs = documents(conn, database)
    assert set(docs["a"]) == {"id", "next_run_time", "job_state"}
    assert docs["a"]["next_run_time"] == (T0 + timedelta(seconds=30)).timestamp()
    assert docs["p"]["next_run_time"] is None
    state = pickle.loads(docs["a"]["job_state"])
    assert state["id"] == "a" and state["func"] == "builtins:print"
    assert r.db(database).table("jobs").index_list().run(conn) == ["next_run_time"]


def test_batch_updates_pass_over_removed_jobs_and_removals_report_what_was_stored(
    make_store: Any,
) -> None:
    check_batch_updates_pass_over_removed_jobs(make_store())


def test_due_jobs_leave_paused_ones_out_and_ties_go_by_id(make_store: Any) -> None:
    store = make_store()
    add_tied_jobs(store)
    store.add_job(job("later", 50))
    # reqlite's between(minval, ...) returns rows whose next_run_time is null; they must not
    # come out as due
    assert [j.id for j in store.get_due_jobs(T0 + timedelta(seconds=10))] == [
        "early",
        "a",
        "m",
        "z",
    ]
    assert [j.id for j in store.get_all_jobs()] == ["early", "a", "m", "z", "later", "paused"]


def test_a_dropped_connection_is_replaced_on_the_next_operation(make_store: Any) -> None:
    store = make_store()
    store.add_job(job("a", 10))
    dropped = store.conn
    dropped.close(noreply_wait=False)  # as if the server had closed it
    assert [j.id for j in store.get_all_jobs()] == ["a"]
    assert store.conn is not dropped and store.conn.is_open()


def test_after_shutdown_the_store_does_not_connect_again(make_store: Any) -> None:
    store = make_store()
    store.shutdown()
    with pytest.raises(ReqlDriverError):
        store.get_all_jobs()


# --- shared by several schedulers: each step of a claim, one claimer at a time ---------------
# reqlite does not apply a conditional update atomically when claimers race (docs/shared.md):
# these tests, and the claims contract in test_claims.py, never run two claimers at once.


@pytest.fixture
def shared(make_store: Any) -> tuple[RethinkDBJobStore, RethinkDBJobStore]:
    a, b = make_store(), make_store()
    a.enable_shared()
    b.enable_shared()
    return a, b


def test_claims_live_in_a_side_table_made_by_enable_shared(
    make_store: Any, conn: Any, database: str
) -> None:
    store = make_store()
    store.add_job(job("j1", 0))
    assert r.db(database).table_list().run(conn) == [store.table_name]
    store.enable_shared()
    assert sorted(r.db(database).table_list().run(conn)) == [
        store.table_name,
        f"{store.table_name}_claims",
    ]
    store.claim_due_runs(T0, "a", T0 + timedelta(seconds=30), plan_next_second)
    document = r.db(database).table(store.table_name).get("j1").run(conn)
    assert sorted(document) == ["id", "job_state", "next_run_time"]  # the lock is gone
    assert document["next_run_time"] == (T0 + timedelta(seconds=1)).timestamp()
    claim = r.db(database).table(f"{store.table_name}_claims").get(f"{to_micros(T0)}:j1")
    assert claim.run(conn)["owner"] == "a"


def test_a_crash_after_the_lock_hands_nothing_out(
    shared: tuple[RethinkDBJobStore, RethinkDBJobStore], monkeypatch: Any
) -> None:
    check_a_crash_after_the_lock(shared, job("j1", 0), T0, monkeypatch)


def test_a_crash_before_the_commit_runs_each_run_once(
    shared: tuple[RethinkDBJobStore, RethinkDBJobStore], monkeypatch: Any
) -> None:
    j1 = job("j1", 0)  # max_instances=1
    check_a_crash_before_the_commit(shared, j1, T0, monkeypatch, lambda a: (a, "_commit"))


def test_a_change_during_a_claim_is_not_overwritten(
    shared: tuple[RethinkDBJobStore, RethinkDBJobStore], conn: Any, database: str
) -> None:
    a, b = shared
    a.add_job(job("j1", 0))
    check_a_change_during_a_claim_stands(a, b, T0, job("j1", None))
    document = r.db(database).table(a.table_name).get("j1").run(conn)
    assert sorted(document) == ["id", "job_state", "next_run_time"]


def test_a_claimed_job_that_cannot_be_restored_is_kept_and_unlocked(
    shared: tuple[RethinkDBJobStore, RethinkDBJobStore], conn: Any, database: str
) -> None:
    a, b = shared
    table = r.db(database).table(a.table_name)
    table.insert(
        {"id": "bad", "next_run_time": T0.timestamp(), "job_state": r.binary(b"junk")}
    ).run(conn)
    assert a.claim_due_runs(T0, "a", T0 + timedelta(seconds=30), plan_next_second) == []
    assert sorted(table.get("bad").run(conn)) == ["id", "job_state", "next_run_time"]
    assert b.live_claim_owners(T0) == {}


def test_a_finished_job_rescheduled_meanwhile_is_kept(
    shared: tuple[RethinkDBJobStore, RethinkDBJobStore],
) -> None:
    a, b = shared
    a.add_job(job("once", 0))
    check_a_finished_job_rescheduled_meanwhile_is_kept(a, b, T0, job("once", 3600))


def test_a_scheduler_runs_and_takes_over_claims_on_rethinkdb(make_store: Any) -> None:
    """One shared scheduler at a time (sequential): it runs a due job's run exactly once,
    releases the claim, and takes over a claim that a dead scheduler left."""
    import threading

    from triggerkit.events import EVENT_JOB_EXECUTED, EVENT_JOB_OUTCOME_UNKNOWN

    store = make_store()
    dead = make_store()
    dead.enable_shared()
    done = threading.Event()
    events: list[Any] = []

    def listen(event: Any) -> None:
        events.append(event)
        if len(events) >= 3:
            done.set()

    scheduler = shared_scheduler(store)
    scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_OUTCOME_UNKNOWN)
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    for job_id in ("left", "started"):
        dead.add_job(job(job_id, 0))
        stored = dead.lookup_job(job_id)
        assert stored is not None
        stored._modify(next_run_time=now, misfire_grace_time=30)
        dead.update_job(stored)
    # a scheduler that claimed both, handed "started" to its executor, and died
    dead.claim_due_runs(now, "dead", now + timedelta(seconds=1), plan_next_second)
    dead.mark_runs_started("dead", [("started", now)])
    dead.remove_all_jobs()
    scheduler.add_job(print, "date", run_date=now, id="fresh", args=["fresh run"])
    scheduler.start()
    try:
        assert done.wait(15), events
    finally:
        scheduler.shutdown()
    assert sorted((e.job_id, e.code) for e in events) == [
        ("fresh", EVENT_JOB_EXECUTED),
        ("left", EVENT_JOB_EXECUTED),
        ("started", EVENT_JOB_OUTCOME_UNKNOWN),
    ]
    assert dead.live_claim_owners(datetime(1970, 1, 1, tzinfo=timezone.utc)) == {}
