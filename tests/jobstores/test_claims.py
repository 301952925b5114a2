"""Claims with leases (``shared=True``) on every store that supports them, on its real server.

The store-level contract of :mod:`triggerkit.jobstores.claims`: a claim advances the job and
records one claim row per run in one atomic step, so two claimers (threads here, each with its
own store object and connections; processes in tests/schedulers/test_shared.py) never get the
same run; ``max_instances`` counts live claims across all claimers; an expired claim is taken over
exactly once; the jobs table keeps APScheduler 3.11's layout when sharing is off.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from servers import ensure_server
from store_factories import FACTORIES, store_job

from triggerkit.job import Job
from triggerkit.jobstores.base import BaseJobStore
from triggerkit.jobstores.claims import PlannedRuns
from triggerkit.jobstores.memory import MemoryJobStore
from triggerkit.schedulers.blocking import BlockingScheduler

UTC = timezone.utc
T0 = datetime(2031, 3, 4, 5, 6, 7, tzinfo=UTC)
SHARED = ["sqlite", "postgres", "redis", "zookeeper", "etcd", "mongo", "rethinkdb"]
#: the stores whose test server makes a claim atomic under concurrency: reqlite, the RethinkDB
#: stand-in, does not (docs/shared.md), so RethinkDB is tested one claimer at a time
RACING = [name for name in SHARED if name != "rethinkdb"]


def twin(store: BaseJobStore) -> BaseJobStore:
    """A second store object on the same table/keys, with its own connections."""
    from triggerkit.jobstores.sqlalchemy import SQLAlchemyJobStore

    if isinstance(store, SQLAlchemyJobStore):
        url = store.engine.url.render_as_string(hide_password=False)
        return SQLAlchemyJobStore(url=url, tablename=store.jobs_t.name)
    from triggerkit.jobstores.zookeeper import ZooKeeperJobStore

    if isinstance(store, ZooKeeperJobStore):
        hosts = f"127.0.0.1:{ensure_server('zookeeper')['TK_ZK_PORT']}"
        return ZooKeeperJobStore(path=store.path, hosts=hosts, close_connection_on_exit=True)
    from triggerkit.jobstores.etcd import EtcdJobStore

    if isinstance(store, EtcdJobStore):
        port = int(ensure_server("etcd")["TK_ETCD_PORT"])
        return EtcdJobStore(path=store.path, host="127.0.0.1", port=port)
    from triggerkit.jobstores.mongodb import MongoDBJobStore

    if isinstance(store, MongoDBJobStore):
        host, port = store.client.address
        return MongoDBJobStore(
            database=store.collection.database.name,
            collection=store.collection.name,
            host=host,
            port=port,
            directConnection=True,
        )
    from triggerkit.jobstores.rethinkdb import RethinkDBJobStore

    if isinstance(store, RethinkDBJobStore):
        return RethinkDBJobStore(
            database=store.database, table=store.table_name, **store.connect_args
        )
    from triggerkit.jobstores.redis import RedisJobStore

    assert isinstance(store, RedisJobStore)
    kwargs = store.redis.connection_pool.connection_kwargs
    return RedisJobStore(
        jobs_key=store.jobs_key,
        run_times_key=store.run_times_key,
        host=kwargs["host"],
        port=kwargs["port"],
    )


class Side:
    """One claimer: a store object bound to an unstarted scheduler."""

    def __init__(self, store: BaseJobStore) -> None:
        self.scheduler = BlockingScheduler(timezone="UTC")
        self.store = store
        store.start(self.scheduler, "default")
        store.enable_shared()

    def job(self, job_id: str, run_at: datetime | None, **changes: Any) -> Job:
        return store_job(self.scheduler, job_id, run_at, T0, **changes)


def planner(job: Job) -> PlannedRuns:
    """Run the due time; the next is a second later (a plain planner for store tests)."""
    run_time = job.next_run_time
    assert run_time is not None
    following = run_time + timedelta(seconds=1)
    job._modify(next_run_time=following)
    return PlannedRuns([run_time], following)


def finishing_planner(job: Job) -> PlannedRuns:
    run_time = job.next_run_time
    assert run_time is not None
    job._modify(next_run_time=None)
    return PlannedRuns([run_time], None)


def _sides(name: str) -> Iterator[tuple[Side, Side]]:
    first = FACTORIES[name]()
    a, b = Side(first), Side(twin(first))
    yield a, b
    a.store.remove_all_jobs()
    a.store.shutdown()
    b.store.shutdown()


@pytest.fixture(params=SHARED)
def sides(request: pytest.FixtureRequest) -> Iterator[tuple[Side, Side]]:
    yield from _sides(request.param)


@pytest.fixture(params=RACING)
def racing_sides(request: pytest.FixtureRequest) -> Iterator[tuple[Side, Side]]:
    """Two claimers on a store whose server makes claims atomic (not reqlite)."""
    yield from _sides(request.param)


def test_claim_advances_the_job_and_records_the_run(sides: tuple[Side, Side]) -> None:
    a, b = sides
    a.store.add_job(a.job("j1", T0))
    lease = T0 + timedelta(seconds=30)
    claims = a.store.claim_due_runs(T0, "sched-a", lease, planner)
    assert [(c.job.id, c.run_times) for c in claims] == [("j1", [T0])]
    # the same run is not due any more, for anyone
    assert b.store.claim_due_runs(T0, "sched-b", lease, planner) == []
    stored = b.store.lookup_job("j1")
    assert stored is not None and stored.next_run_time == T0 + timedelta(seconds=1)
    assert b.store.live_claim_owners(T0) == {("j1", T0): "sched-a"}


def test_concurrent_claimers_never_share_a_run(racing_sides: tuple[Side, Side]) -> None:
    a, b = racing_sides
    for number in range(40):
        a.store.add_job(a.job(f"j{number:02d}", T0, max_instances=100))
    got: dict[str, list[tuple[str, datetime]]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def claim(side: Side, name: str) -> None:
        try:
            for step in range(5):
                now = T0 + timedelta(seconds=step)
                for claim in side.store.claim_due_runs(
                    now, name, now + timedelta(seconds=30), planner, limit=7
                ):
                    got[name].extend((claim.job.id, t) for t in claim.run_times)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=claim, args=(s, n)) for s, n in ((a, "a"), (b, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    everything = got["a"] + got["b"]
    assert len(everything) == len(set(everything))
    # every run up to the last step's time that either claimer asked about was claimed once
    owners = a.store.live_claim_owners(T0)
    assert set(owners) == set(everything)
    assert {owners[key] for key in got["a"]} <= {"a"}


def test_max_instances_counts_live_claims_of_every_scheduler(sides: tuple[Side, Side]) -> None:
    a, b = sides
    a.store.add_job(a.job("j1", T0, max_instances=1))
    lease = T0 + timedelta(seconds=30)
    first = a.store.claim_due_runs(T0, "sched-a", lease, planner)
    assert first[0].run_times == [T0]
    second = b.store.claim_due_runs(T0 + timedelta(seconds=1), "sched-b", lease, planner)
    assert second[0].run_times == [] and second[0].busy == [T0 + timedelta(seconds=1)]
    a.store.release_runs("sched-a", [("j1", T0)])
    third = b.store.claim_due_runs(T0 + timedelta(seconds=2), "sched-b", lease, planner)
    assert third[0].run_times == [T0 + timedelta(seconds=2)]


def test_expired_claims_are_taken_over_once(sides: tuple[Side, Side]) -> None:
    a, b = sides
    a.store.add_job(a.job("j1", T0))
    a.store.add_job(a.job("j2", T0))
    a.store.claim_due_runs(T0, "dead", T0 + timedelta(seconds=3), planner)
    a.store.mark_runs_started("dead", [("j2", T0)])
    later = T0 + timedelta(seconds=5)
    assert a.store.take_expired_claims(T0 + timedelta(seconds=2), "b", later) == []
    taken = b.store.take_expired_claims(T0 + timedelta(seconds=4), "b", later)
    assert sorted((e.job_id, e.run_time, e.previous_owner, e.started) for e in taken) == [
        ("j1", T0, "dead", False),
        ("j2", T0, "dead", True),
    ]
    assert a.store.take_expired_claims(T0 + timedelta(seconds=4), "a", later) == []
    assert a.store.live_claim_owners(T0 + timedelta(seconds=4)) == {
        ("j1", T0): "b",
        ("j2", T0): "b",
    }


def test_renew_and_release_touch_only_the_owners_claims(sides: tuple[Side, Side]) -> None:
    a, b = sides
    a.store.add_job(a.job("j1", T0))
    a.store.claim_due_runs(T0, "a", T0 + timedelta(seconds=3), planner)
    b.store.renew_claims("b", [("j1", T0)], T0 + timedelta(seconds=60))
    b.store.release_runs("b", [("j1", T0)])
    assert a.store.live_claim_owners(T0) == {("j1", T0): "a"}
    assert a.store.live_claim_owners(T0 + timedelta(seconds=10)) == {}
    a.store.renew_claims("a", [("j1", T0)], T0 + timedelta(seconds=60))
    assert a.store.live_claim_owners(T0 + timedelta(seconds=10)) == {("j1", T0): "a"}
    a.store.release_runs("a", [("j1", T0)])
    assert a.store.live_claim_owners(T0) == {}


def test_a_finished_job_is_removed_in_the_claim(sides: tuple[Side, Side]) -> None:
    a, b = sides
    a.store.add_job(a.job("once", T0))
    claims = a.store.claim_due_runs(T0, "a", T0 + timedelta(seconds=30), finishing_planner)
    assert claims[0].removed and claims[0].run_times == [T0]
    assert b.store.lookup_job("once") is None
    assert b.store.live_claim_owners(T0) == {("once", T0): "a"}


def test_memory_store_refuses_to_be_shared() -> None:
    with pytest.raises(TypeError, match="MemoryJobStore cannot be shared"):
        MemoryJobStore().enable_shared()


@pytest.mark.parametrize("name", ["sqlite", "postgres"])
def test_sqlalchemy_layout_is_untouched_without_sharing(name: str) -> None:
    from sqlalchemy import inspect

    from triggerkit.jobstores.sqlalchemy import SQLAlchemyJobStore

    store = FACTORIES[name]()
    assert isinstance(store, SQLAlchemyJobStore)
    store.start(BlockingScheduler(timezone="UTC"), "default")
    try:
        tables = set(inspect(store.engine).get_table_names())
        assert store.jobs_t.name in tables
        assert store.claims_t.name not in tables
        store.enable_shared()
        assert store.claims_t.name in set(inspect(store.engine).get_table_names())
        columns = [c["name"] for c in inspect(store.engine).get_columns(store.jobs_t.name)]
        assert columns == ["id", "next_run_time", "job_state"]
    finally:
        store.claims_t.drop(store.engine, checkfirst=True)
        store.jobs_t.drop(store.engine, checkfirst=True)
        store.shutdown()


def test_a_run_taken_over_before_it_was_marked_is_not_marked(sides: tuple[Side, Side]) -> None:
    """A scheduler whose lease ran out during its pass learns that it lost the run: the mark
    answers only the runs still its own, so the run is never run by both schedulers."""
    a, b = sides
    a.store.add_job(a.job("j1", T0))
    a.store.add_job(a.job("j2", T0))
    a.store.claim_due_runs(T0, "slow", T0 + timedelta(seconds=3), planner)
    later = T0 + timedelta(seconds=4)
    taken = b.store.take_expired_claims(later, "b", later + timedelta(seconds=30), limit=1)
    assert len(taken) == 1 and not taken[0].started
    lost = (taken[0].job_id, taken[0].run_time)
    kept = next(run for run in [("j1", T0), ("j2", T0)] if run != lost)
    assert a.store.mark_runs_started("slow", [("j1", T0), ("j2", T0)]) == [kept]
    assert b.store.mark_runs_started("b", [lost]) == [lost]
    assert a.store.live_claim_owners(T0) == {kept: "slow", lost: "b"}
    assert a.store.mark_runs_started("slow", []) == []
