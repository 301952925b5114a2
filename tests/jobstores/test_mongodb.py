"""MongoDBJobStore beyond the contract: APScheduler 3.11's layout, a collection APScheduler
wrote, the batch hooks, and the rows it keeps where APScheduler deletes them."""

from __future__ import annotations

import importlib
import pickle
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from apscheduler_written import check_jobs_with_args, write_jobs_with_args
from bson.binary import Binary
from claim_steps import (
    check_a_change_during_a_claim_stands,
    check_a_crash_after_the_lock,
    check_a_crash_before_the_commit,
    check_a_finished_job_rescheduled_meanwhile_is_kept,
    plan_next_second,
)
from store_factories import (
    LAYOUT_T0 as T0,
)
from store_factories import (
    added_then_moved,
    aps_mongo_twin,
    job_func,
    started_store,
)
from store_factories import (
    layout_job as make_job,
)

from triggerkit.errors import JobLookupError
from triggerkit.events import EVENT_ALL, EVENT_JOB_LOAD_FAILED
from triggerkit.jobstores.claims import to_micros
from triggerkit.jobstores.mongodb import MongoDBJobStore
from triggerkit.schedulers.blocking import BlockingScheduler

UTC = timezone.utc
client_for_ref: Any = None


@pytest.fixture
def store(scheduler: BlockingScheduler) -> Iterator[MongoDBJobStore]:
    with started_store("mongo", scheduler, MongoDBJobStore, lambda s: s.collection.drop()) as s:
        yield s


def test_it_writes_apscheduler_3_11s_layout(store: MongoDBJobStore, scheduler: Any) -> None:
    store.add_job(make_job(scheduler, "a", T0))
    store.add_job(make_job(scheduler, "p", None))
    docs = {d["_id"]: d for d in store.collection.find({})}
    assert sorted(docs) == ["a", "p"]
    assert set(docs["a"]) == {"_id", "next_run_time", "job_state"}
    assert docs["a"]["next_run_time"] == T0.timestamp()
    assert isinstance(docs["a"]["next_run_time"], float)
    assert docs["p"]["next_run_time"] is None
    state = pickle.loads(docs["a"]["job_state"])
    assert state["id"] == "a" and state["next_run_time"] == T0
    # The index exists (nx-27017 names it its own way and does not report "sparse": the
    # sparse option itself is checked on a real mongod only; see docs/stores.md).
    keys = [info["key"] for info in store.collection.index_information().values()]
    assert [("next_run_time", 1)] in keys


def test_a_collection_apscheduler_wrote_opens_unchanged(store: MongoDBJobStore) -> None:
    written = write_jobs_with_args(aps_mongo_twin(store), job_func, T0)
    before = sorted(store.collection.find({}), key=lambda d: d["_id"])

    check_jobs_with_args(store, written)
    assert sorted(store.collection.find({}), key=lambda d: d["_id"]) == before


def test_a_row_apscheduler_would_delete_is_kept(store: MongoDBJobStore, scheduler: Any) -> None:
    events: list[Any] = []
    scheduler.add_listener(events.append, EVENT_ALL)
    store.add_job(make_job(scheduler, "good", T0 + timedelta(seconds=5)))
    bad = {"_id": "bad", "next_run_time": T0.timestamp(), "job_state": Binary(b"not a pickle")}
    store.collection.insert_one(bad)

    assert [job.id for job in store.get_due_jobs(T0 + timedelta(seconds=10))] == ["good"]
    assert [e.job_id for e in events if e.code == EVENT_JOB_LOAD_FAILED] == ["bad"]
    # The bad row's time is earlier, but the loop must not wake up for it over and over.
    assert store.get_next_run_time() == T0 + timedelta(seconds=5)
    assert store.collection.find_one({"_id": "bad"})["job_state"] == b"not a pickle"

    # APScheduler 3's own store deletes it on the same read: the difference we make.
    twin = aps_mongo_twin(store)
    twin.get_due_jobs(T0 + timedelta(seconds=10))
    assert store.collection.find_one({"_id": "bad"}) is None
    twin.shutdown()


def test_the_batch_hooks(store: MongoDBJobStore, scheduler: Any) -> None:
    jobs = added_then_moved(store, scheduler)
    writes: list[int] = []
    original = store.collection.bulk_write

    def counting(requests: Any, **kw: Any) -> Any:
        writes.append(len(requests))
        return original(requests, **kw)

    store.collection.bulk_write = counting  # Collection is a plain object: patch the instance
    store.update_jobs([*jobs, make_job(scheduler, "gone", T0)])
    assert writes == [6]
    assert store.lookup_job("gone") is None  # passed over, not created
    assert [j.id for j in store.get_all_jobs()] == ["j0", "j1", "j2", "j3", "j4"]
    assert store.collection.find_one({"_id": "j4"})["next_run_time"] is None
    assert store.remove_jobs(["j0", "nope", "j4"]) == ["j0", "j4"]
    assert sorted(d["_id"] for d in store.collection.find({})) == ["j1", "j2", "j3"]
    with pytest.raises(JobLookupError):
        store.update_job(make_job(scheduler, "j0", T0))
    assert [j.id for j in store.acquire_due_jobs(T0 + timedelta(hours=2), limit=2)] == [
        "j1",
        "j2",
    ]


@pytest.mark.parametrize("kwargs", [{"database": ""}, {"collection": ""}], ids=str)
def test_it_refuses_empty_names(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        MongoDBJobStore(**kwargs)


def test_it_takes_a_client_by_reference_and_warns_on_connection(store: MongoDBJobStore) -> None:
    global client_for_ref
    client_for_ref = store.client
    try:
        other = MongoDBJobStore(client=f"{__name__}:client_for_ref")
        assert other.client is store.client
        with pytest.warns(DeprecationWarning, match="client"):
            assert other.connection is store.client
    finally:
        client_for_ref = None


def test_it_is_the_mongodb_plugin() -> None:
    sched = BlockingScheduler(timezone="UTC")
    sched.add_jobstore("mongodb", "m", collection="c", port=1234, connect=False)
    store = sched._lookup_jobstore("m")
    try:
        assert isinstance(store, MongoDBJobStore)
        assert repr(store).startswith("<MongoDBJobStore (client=MongoClient(")
        assert store.collection.name == "c" and store.client.options.write_concern.document == {
            "w": 1
        }
    finally:
        store.shutdown()


def test_a_missing_driver_names_the_class_and_the_extra(monkeypatch: Any) -> None:
    monkeypatch.setitem(sys.modules, "pymongo", None)
    monkeypatch.delitem(sys.modules, "triggerkit.jobstores.mongodb")
    with pytest.raises(ImportError, match=r"MongoDBJobStore.*triggerkit-cron\[mongodb\]"):
        importlib.import_module("triggerkit.jobstores.mongodb")


# --- shared by several schedulers: the steps of a claim, and a crash between them ------------


def shared_twin(store: MongoDBJobStore) -> MongoDBJobStore:
    """Another claimer: its own store object and client on the same collection."""
    host, port = store.client.address
    twin = MongoDBJobStore(
        database=store.collection.database.name,
        collection=store.collection.name,
        host=host,
        port=port,
        directConnection=True,
    )
    twin.start(BlockingScheduler(timezone="UTC"), "default")
    twin.enable_shared()
    return twin


@pytest.fixture
def shared(store: MongoDBJobStore) -> Iterator[tuple[MongoDBJobStore, MongoDBJobStore]]:
    store.enable_shared()
    other = shared_twin(store)
    yield store, other
    store.claims.drop()
    other.shutdown()


def test_the_layout_is_untouched_by_claims(
    shared: tuple[MongoDBJobStore, MongoDBJobStore], scheduler: Any
) -> None:
    a, _ = shared
    a.add_job(make_job(scheduler, "j1", T0))
    a.claim_due_runs(T0, "a", T0 + timedelta(seconds=30), plan_next_second)
    document = a.collection.find_one({"_id": "j1"})
    assert sorted(document) == ["_id", "job_state", "next_run_time"]  # the lock is gone
    assert document["next_run_time"] == (T0 + timedelta(seconds=1)).timestamp()
    claim = a.claims.find_one({})
    assert claim["_id"] == f"{to_micros(T0)}:j1" and claim["owner"] == "a"


def test_no_claims_collection_without_sharing(store: MongoDBJobStore, scheduler: Any) -> None:
    store.add_job(make_job(scheduler, "j1", T0))
    assert store.claims.name not in store.collection.database.list_collection_names()


def test_a_crash_after_the_lock_hands_nothing_out(
    shared: tuple[MongoDBJobStore, MongoDBJobStore], scheduler: Any, monkeypatch: Any
) -> None:
    check_a_crash_after_the_lock(shared, make_job(scheduler, "j1", T0), T0, monkeypatch)


def test_a_crash_before_the_commit_runs_each_run_once(
    shared: tuple[MongoDBJobStore, MongoDBJobStore], scheduler: Any, monkeypatch: Any
) -> None:
    j1 = make_job(scheduler, "j1", T0)  # max_instances=1
    check_a_crash_before_the_commit(
        shared, j1, T0, monkeypatch, lambda a: (a.collection, "bulk_write")
    )


def test_a_change_during_a_claim_is_not_overwritten(
    shared: tuple[MongoDBJobStore, MongoDBJobStore], scheduler: Any
) -> None:
    a, b = shared
    a.add_job(make_job(scheduler, "j1", T0))
    check_a_change_during_a_claim_stands(a, b, T0, make_job(scheduler, "j1", None))
    assert sorted(a.collection.find_one({"_id": "j1"})) == ["_id", "job_state", "next_run_time"]


def test_a_claimed_job_that_cannot_be_restored_is_kept_and_unlocked(
    shared: tuple[MongoDBJobStore, MongoDBJobStore],
) -> None:
    a, b = shared
    a.collection.insert_one(
        {"_id": "bad", "next_run_time": T0.timestamp(), "job_state": Binary(b"not a pickle")}
    )
    assert a.claim_due_runs(T0, "a", T0 + timedelta(seconds=30), plan_next_second) == []
    document = b.collection.find_one({"_id": "bad"})
    assert sorted(document) == ["_id", "job_state", "next_run_time"]
    assert b.live_claim_owners(T0) == {}


def test_a_finished_job_removed_by_another_is_not_reported_removed_twice(
    shared: tuple[MongoDBJobStore, MongoDBJobStore], scheduler: Any
) -> None:
    a, b = shared
    a.add_job(make_job(scheduler, "once", T0))
    replacement = make_job(scheduler, "once", T0 + timedelta(hours=1))
    check_a_finished_job_rescheduled_meanwhile_is_kept(a, b, T0, replacement)


def test_four_claimers_racing_claim_and_take_over_each_run_once(
    shared: tuple[MongoDBJobStore, MongoDBJobStore], scheduler: Any
) -> None:
    """4 threads, each with its own client, race claims over 30 jobs for 4 seconds of runs,
    then race to take over the (expired) claims: every run is claimed once, taken over once."""
    import threading

    a, b = shared
    for number in range(30):
        a.add_job(make_job(scheduler, f"j{number:02d}", T0, max_instances=100))
    claimers = [a, b, shared_twin(a), shared_twin(a)]
    claimed: list[tuple[str, datetime]] = []
    taken: list[tuple[str, datetime]] = []
    errors: list[BaseException] = []

    def race(work: Any) -> None:
        barrier = threading.Barrier(len(claimers))

        def run(index: int, store: MongoDBJobStore) -> None:
            try:
                barrier.wait()
                work(index, store)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=pair) for pair in enumerate(claimers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def claim(index: int, store: MongoDBJobStore) -> None:
        for step in range(4):
            now = T0 + timedelta(seconds=step)
            for c in store.claim_due_runs(
                now, f"c{index}", now + timedelta(seconds=10), plan_next_second, limit=5
            ):
                claimed.extend((c.job.id, t) for t in c.run_times)  # list.extend: thread-safe

    def take(index: int, store: MongoDBJobStore) -> None:
        later = T0 + timedelta(seconds=30)
        for expired in store.take_expired_claims(
            later, f"t{index}", later + timedelta(seconds=10), limit=200
        ):
            taken.append((expired.job_id, expired.run_time))

    try:
        race(claim)
        assert errors == []
        assert len(claimed) == len(set(claimed))
        # what the racers left due (jobs locked by another, passes that hit their limit) is
        # still there, not lost: one claimer sweeps it up
        last = T0 + timedelta(seconds=3)
        while swept := a.claim_due_runs(last, "sweep", last, plan_next_second):
            claimed.extend((c.job.id, t) for c in swept for t in c.run_times)
        expected = {(f"j{n:02d}", T0 + timedelta(seconds=s)) for n in range(30) for s in range(4)}
        assert len(claimed) == len(set(claimed)) and set(claimed) == expected
        race(take)
        assert errors == []
        assert sorted(taken) == sorted(expected)  # each taken over by exactly one racer
    finally:
        for extra in claimers[2:]:
            extra.shutdown()
