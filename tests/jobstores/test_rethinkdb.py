"""The RethinkDB job store on the RethinkDB wire protocol (reqlite, see docs/stores.md for what
that stand-in does not prove): APScheduler 3.11.3's layout, both ways."""

from __future__ import annotations

import json
import pickle
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from apscheduler.jobstores.rethinkdb import RethinkDBJobStore as APSRethinkDBJobStore
from apscheduler_written import (
    FIRST_RUN,
    T0,
    LoadFailures,
    check_apscheduler_jobs,
    make_job,
    write_with_apscheduler,
)
from rethinkdb import RethinkDB
from rethinkdb.errors import ReqlDriverError
from servers import ensure_server

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
def failures() -> LoadFailures:
    return LoadFailures()


@pytest.fixture
def conn(database: str) -> Iterator[Any]:
    connection = r.connect(host="127.0.0.1", port=port())
    yield connection
    if database in r.db_list().run(connection):
        r.db_drop(database).run(connection)
    connection.close()


@pytest.fixture
def make_store(database: str, failures: LoadFailures, conn: Any) -> Iterator[Any]:
    stores: list[RethinkDBJobStore] = []

    def make(**kwargs: Any) -> RethinkDBJobStore:
        store = RethinkDBJobStore(database=database, host="127.0.0.1", port=port(), **kwargs)
        store.start(failures.scheduler, "default")
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.shutdown()


def aps_store(database: str) -> Any:
    return APSRethinkDBJobStore(database=database, host="127.0.0.1", port=port())


def documents(conn: Any, database: str) -> dict[str, Any]:
    return {doc["id"]: doc for doc in r.db(database).table("jobs").run(conn)}


def test_it_opens_the_jobs_apscheduler_wrote_without_rewriting_them(
    database: str, make_store: Any, conn: Any
) -> None:
    expected = write_with_apscheduler(aps_store(database))
    before = documents(conn, database)
    assert len(before) == 4
    check_apscheduler_jobs(make_store(), expected)
    assert documents(conn, database) == before  # read only: nothing written back


def test_apscheduler_reads_the_documents_triggerkit_writes_back(
    database: str, make_store: Any
) -> None:
    expected = write_with_apscheduler(aps_store(database))
    store = make_store()
    changed = store.lookup_job("every5")
    changed.next_run_time = FIRST_RUN + timedelta(hours=2)
    store.update_job(changed)
    store.add_job(job("new", 0))

    reader = aps_store(database)
    reader.start(None, "default")
    try:
        runs = {aps_job.id: aps_job.next_run_time for aps_job in reader.get_all_jobs()}
    finally:
        reader.shutdown()
    assert set(runs) == set(expected) | {"new"}
    assert runs["every5"] == FIRST_RUN + timedelta(hours=2)
    assert runs["new"] == T0


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


def test_documents_that_cannot_load_are_skipped_reported_and_kept(
    database: str, make_store: Any, conn: Any, failures: LoadFailures
) -> None:
    store = make_store()
    store.add_job(job("good", 10))
    state = job("moved", 5).__getstate__()
    state["func"] = "no_such_module_anywhere:gone"
    table = r.db(database).table("jobs")
    moved_ts = (T0 + timedelta(seconds=5)).timestamp()
    table.insert(
        [
            {"id": "moved", "next_run_time": moved_ts, "job_state": r.binary(pickle.dumps(state))},
            {"id": "corrupt", "next_run_time": 1.0, "job_state": r.binary(b"\x80\x05garbage")},
        ]
    ).run(conn)

    assert [j.id for j in store.get_all_jobs()] == ["good"]
    assert [j.id for j in store.get_due_jobs(T0 + timedelta(seconds=60))] == ["good"]
    assert store.get_next_run_time() == T0 + timedelta(seconds=10)
    assert store.lookup_job("moved") is None
    assert sorted(documents(conn, database)) == ["corrupt", "good", "moved"]
    assert {"moved", "corrupt"} <= set(failures.job_ids())


def test_the_json_serializer_writes_plain_data_and_never_unpickles(
    database: str, make_store: Any, conn: Any, failures: LoadFailures
) -> None:
    store = make_store(serializer="json")
    store.add_job(job("a", 10))
    assert json.loads(documents(conn, database)["a"]["job_state"])  # plain JSON, no pickle
    assert store.lookup_job("a").next_run_time == T0 + timedelta(seconds=10)

    state = pickle.dumps(job("p", 0).__getstate__())
    r.db(database).table("jobs").insert(
        {"id": "p", "next_run_time": T0.timestamp(), "job_state": r.binary(state)}
    ).run(conn)
    assert [j.id for j in store.get_all_jobs()] == ["a"]
    assert "p" in failures.job_ids()
    assert "p" in documents(conn, database)


def test_a_pickle_store_reads_what_a_json_store_wrote(make_store: Any) -> None:
    make_store(serializer="json").add_job(job("a", 10))
    assert make_store().lookup_job("a").next_run_time == T0 + timedelta(seconds=10)


def test_batch_updates_pass_over_removed_jobs_and_removals_report_what_was_stored(
    make_store: Any,
) -> None:
    store = make_store()
    a, b, c = job("a", 10), job("b", 20), job("c", 30)
    for each in (a, b, c):
        store.add_job(each)
    store.remove_job("b")
    a.next_run_time, b.next_run_time = T0 + timedelta(seconds=40), T0
    store.update_jobs([a, b])
    assert [(j.id, j.next_run_time) for j in store.get_all_jobs()] == [
        ("c", T0 + timedelta(seconds=30)),
        ("a", T0 + timedelta(seconds=40)),
    ]
    assert store.remove_jobs(["a", "b", "c"]) == ["a", "c"]
    assert store.get_all_jobs() == []


def test_due_jobs_leave_paused_ones_out_and_ties_go_by_id(make_store: Any) -> None:
    store = make_store()
    for job_id in ("z", "m", "a"):
        store.add_job(job(job_id, 10))
    store.add_job(job("paused", None))
    store.add_job(job("early", 5))
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
