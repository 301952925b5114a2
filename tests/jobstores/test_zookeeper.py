"""The ZooKeeper job store on a real ZooKeeper server: APScheduler 3.11.3's layout, both ways."""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from apscheduler.jobstores.zookeeper import ZooKeeperJobStore as APSZooKeeperJobStore
from apscheduler_layout import CORRUPT, ApschedulerLayoutTests, pickled_entry
from apscheduler_written import (
    T0,
    LoadFailures,
    add_tied_jobs,
    check_aps_pickled_dict,
    check_batch_updates_pass_over_removed_jobs,
    make_job,
    started_stores,
)
from claim_steps import plan_next_second as planner
from kazoo.client import KazooClient
from kazoo.exceptions import ConnectionLoss
from sched_helpers import shared_scheduler, wait_for
from servers import PrivateServer, ensure_server

from triggerkit.events import EVENT_JOB_EXECUTED
from triggerkit.jobstores.claims import PlannedRuns, to_micros
from triggerkit.jobstores.zookeeper import ZooKeeperJobStore
from triggerkit.schedulers.background import BackgroundScheduler

pytestmark = pytest.mark.external_service

job = make_job


def hosts() -> str:
    return f"127.0.0.1:{ensure_server('zookeeper')['TK_ZK_PORT']}"


@pytest.fixture
def path() -> str:
    return f"/triggerkit-test-{uuid.uuid4().hex}"


@pytest.fixture
def make_store(path: str, failures: LoadFailures) -> Iterator[Any]:
    def open_store(**kwargs: Any) -> ZooKeeperJobStore:
        return ZooKeeperJobStore(path=path, hosts=hosts(), close_connection_on_exit=True, **kwargs)

    with started_stores(open_store, failures) as (make, stores):
        yield make
        stores[0].remove_all_jobs()


def aps_store_at(path: str) -> Any:
    return APSZooKeeperJobStore(path=path, hosts=hosts(), close_connection_on_exit=True)


@pytest.fixture
def aps_store(path: str) -> Callable[[], Any]:
    return lambda: aps_store_at(path)


class ZooKeeperNodes:
    """The child nodes of ``path``, one a job, through kazoo."""

    def __init__(self, client: KazooClient, path: str) -> None:
        self.client, self.path = client, path

    def snapshot(self) -> dict[str, Any]:
        if not self.client.exists(self.path):
            return {}
        return {n: self.stored(n) for n in self.client.get_children(self.path)}

    def put(self, job_id: str, next_run_time: float | None, state: dict[str, Any]) -> None:
        self.client.create(f"{self.path}/{job_id}", pickled_entry(next_run_time, state))

    def put_corrupt(self, job_id: str) -> None:
        self.client.create(f"{self.path}/{job_id}", CORRUPT)

    def stored(self, job_id: str) -> bytes:
        return self.client.get(f"{self.path}/{job_id}")[0]


@pytest.fixture
def client() -> Iterator[KazooClient]:
    kazoo = KazooClient(hosts=hosts())
    kazoo.start()
    yield kazoo
    kazoo.stop()
    kazoo.close()


@pytest.fixture
def raw(client: KazooClient, path: str) -> ZooKeeperNodes:
    return ZooKeeperNodes(client, path)


class TestApschedulerLayout(ApschedulerLayoutTests):
    pass


def test_a_node_holds_apschedulers_pickled_dict(make_store: Any, raw: ZooKeeperNodes) -> None:
    make_store().add_job(job("a", 30))
    check_aps_pickled_dict(raw.stored("a"))


def test_batch_updates_pass_over_removed_jobs_and_removals_report_what_was_stored(
    make_store: Any,
) -> None:
    check_batch_updates_pass_over_removed_jobs(make_store())


def test_ties_keep_creation_order_and_paused_jobs_come_last(make_store: Any) -> None:
    store = make_store()
    add_tied_jobs(store)
    assert [j.id for j in store.get_all_jobs()] == ["early", "z", "m", "a", "paused"]


def test_the_client_made_by_the_store_reconnects_at_most_a_second_apart(path: str) -> None:
    from kazoo.retry import KazooRetry

    from triggerkit.jobstores.zookeeper import RECONNECT_MAX

    made = ZooKeeperJobStore(path=path, hosts=hosts())
    # kazoo's own default backs off up to an hour between attempts
    assert made.client._conn_retry.max_delay == RECONNECT_MAX == 1.0
    assert made.client._conn_retry.max_tries == -1  # and never gives up
    mine = KazooRetry(max_tries=3, max_delay=7)
    given = ZooKeeperJobStore(path=path, hosts=hosts(), connection_retry=mine)
    assert given.client._conn_retry is mine


def test_a_client_passed_in_stays_open_unless_asked(path: str) -> None:
    client = KazooClient(hosts=hosts())
    try:
        store = ZooKeeperJobStore(path=path, client=client)
        store.start(None, "default")  # type: ignore[arg-type]
        store.shutdown()
        assert client.connected
        store = ZooKeeperJobStore(path=path, client=client, close_connection_on_exit=True)
        store.start(None, "default")  # type: ignore[arg-type]
        store.shutdown()
        assert not client.connected
    finally:
        client.stop()
        client.close()


def test_an_operation_while_disconnected_fails_at_once(make_store: Any) -> None:
    store = make_store()
    store.add_job(job("a", 10))
    store.client.stop()  # as if the server went away: the client is no longer connected
    try:
        with pytest.raises(ConnectionLoss, match="not connected"):
            store.get_due_jobs(T0)
    finally:
        store.client.start()
    assert [j.id for j in store.get_all_jobs()] == ["a"]


# --- shared by several schedulers (shared=True): claim nodes and the change watch ------------


@pytest.fixture
def shared_store(make_store: Any) -> Any:
    def make(**kwargs: Any) -> ZooKeeperJobStore:
        store = make_store(**kwargs)
        store.enable_shared()
        return store

    return make


def test_side_nodes_are_made_only_when_sharing_and_the_jobs_node_holds_only_jobs(
    path: str, make_store: Any, client: KazooClient
) -> None:
    store = make_store()
    store.add_job(job("a", 0))
    assert client.exists(f"{path}.claims") is None and client.exists(f"{path}.changes") is None
    store.enable_shared()
    store.claim_due_runs(T0, "me", T0 + timedelta(seconds=30), planner)
    assert client.get_children(path) == ["a"]
    assert client.get_children(f"{path}.claims") == [f"{to_micros(T0)}:a"]
    reader = aps_store_at(path)
    reader.start(None, "default")
    try:  # APScheduler 3 still reads the advanced job
        assert [(j.id, j.next_run_time) for j in reader.get_all_jobs()] == [
            ("a", T0 + timedelta(seconds=1))
        ]
    finally:
        reader.shutdown()


def test_a_store_at_the_root_cannot_be_shared() -> None:
    store = ZooKeeperJobStore(path="/", hosts=hosts(), close_connection_on_exit=True)
    with pytest.raises(ValueError, match='path: "/" cannot be shared'):
        store.enable_shared()


def test_a_claim_outlives_the_session_of_the_scheduler_that_made_it(
    make_store: Any, shared_store: Any
) -> None:
    taker = shared_store()  # the fixture's first store: it cleans up at the end
    dead = shared_store()
    dead.add_job(job("a", 0))
    dead.claim_due_runs(T0, "dead", T0 + timedelta(seconds=3), planner)
    dead.shutdown()  # its session ends: an ephemeral claim would vanish with it
    taken = taker.take_expired_claims(
        T0 + timedelta(seconds=4), "taker", T0 + timedelta(seconds=60)
    )
    assert [(e.job_id, e.run_time, e.previous_owner, e.started) for e in taken] == [
        ("a", T0, "dead", False)
    ]
    assert taken[0].job is not None and taken[0].job.id == "a"


def test_a_leftover_claim_on_the_same_run_blocks_the_claim_with_a_warning(
    shared_store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    store = shared_store()
    again = job("a", 0)
    again._modify(max_instances=5)
    store.add_job(again)
    store.claim_due_runs(T0, "me", T0 + timedelta(seconds=30), planner)
    store.update_job(again)  # moved back to a run that has a claim already
    assert store.claim_due_runs(T0, "me", T0 + timedelta(seconds=30), planner) == []
    assert "a claim on one of its runs" in caplog.text
    assert store.lookup_job("a").next_run_time == T0  # not advanced: nothing was claimed


def test_a_claim_change_that_loses_a_race_is_tried_again(
    shared_store: Any, client: KazooClient
) -> None:
    store = shared_store()
    store.add_job(job("a", 0))
    store.claim_due_runs(T0, "me", T0 + timedelta(seconds=3), planner)
    node = f"{store.claims_path}/{to_micros(T0)}:a"
    real_set = store.client.set_async
    raced: list[int] = []

    def set_after_a_rival(path: str, value: bytes, version: int = -1) -> Any:
        if not raced:  # another writer changes the node between our read and our write
            raced.append(client.set(node, client.get(node)[0]).version)
        return real_set(path, value, version=version)

    store.client.set_async = set_after_a_rival
    store.mark_runs_started("me", [("a", T0)])
    store.renew_claims("me", [("a", T0)], T0 + timedelta(seconds=60))
    assert raced
    assert store.live_claim_owners(T0 + timedelta(seconds=30)) == {("a", T0): "me"}
    taken = store.take_expired_claims(T0 + timedelta(seconds=61), "b", T0 + timedelta(seconds=90))
    assert [e.started for e in taken] == [True]  # the mark was not lost either


def test_changes_are_published_only_once_shared(
    path: str, make_store: Any, shared_store: Any, client: KazooClient
) -> None:
    plain = make_store()
    plain.add_job(job("plain", 10))
    store = shared_store()
    before = client.get(store.changes_path)[1].version
    plain.add_job(job("unseen", 10))  # a store that did not enable sharing stays silent
    store.add_job(job("a", 10))
    store.update_job(job("a", 20))
    store.remove_job("a")
    store.update_jobs([job("plain", 30)])
    store.remove_jobs(["plain"])
    store.remove_all_jobs()
    assert client.get(store.changes_path)[1].version - before == 6


def test_the_watch_reports_changes_by_others_and_stops_at_shutdown(
    shared_store: Any,
) -> None:
    writer, watcher = shared_store(), shared_store()  # the first one cleans up at the end
    seen = threading.Semaphore(0)
    assert watcher.watch_changes(seen.release)
    assert seen.acquire(timeout=10)  # kazoo's first look at the node
    writer.add_job(job("a", 10))
    assert seen.acquire(timeout=10)
    watcher.shutdown()
    writer.update_job(job("a", 20))
    assert not seen.acquire(timeout=1)


def note(tag: str) -> None:
    ran.append(tag)


ran: list[str] = []


def _pair(zk_hosts: str, path: str) -> tuple[list[BackgroundScheduler], list[ZooKeeperJobStore]]:
    """Two shared schedulers that poll only every 5 s (sooner, only a watch can wake them),
    and their stores."""
    stores = [
        ZooKeeperJobStore(path=path, hosts=zk_hosts, close_connection_on_exit=True)
        for _ in range(2)
    ]
    schedulers = [shared_scheduler(store, poll_interval=5, lease=15) for store in stores]
    return schedulers, stores


def _added_then_ran_within(adder: Any, runner: Any, tag: str) -> float:
    """Add a job due now through ``adder``; the seconds until it ran in ``runner``."""
    done = threading.Event()
    runner.add_listener(lambda event: done.set(), EVENT_JOB_EXECUTED)
    added = time.monotonic()
    adder.add_job(note, "date", run_date=datetime.now(timezone.utc), args=[tag], id=tag)
    assert done.wait(15), f"{tag} never ran"
    return time.monotonic() - added


def test_a_job_added_in_one_scheduler_runs_in_another_before_the_poll_interval(
    path: str,
) -> None:
    (adder, runner), _ = _pair(hosts(), path)
    ran.clear()
    adder.start(paused=True)  # adds, never claims
    runner.start()
    try:
        time.sleep(0.5)  # the runner has looked and sleeps for its 5 s poll interval
        assert _added_then_ran_within(adder, runner, "woken") < 2.5
        assert ran == ["woken"]
    finally:
        adder.shutdown()
        runner.shutdown()
        cleanup = ZooKeeperJobStore(path=path, hosts=hosts(), close_connection_on_exit=True)
        cleanup.remove_all_jobs()
        cleanup.shutdown()


def test_the_wakeups_go_on_after_a_server_restart() -> None:
    with PrivateServer("zookeeper") as server:
        zk_hosts = f"127.0.0.1:{server.port}"
        (adder, runner), stores = _pair(zk_hosts, "/restarted")
        ran.clear()
        adder.start(paused=True)
        runner.start()
        watched = ZooKeeperJobStore(
            path="/restarted", hosts=zk_hosts, close_connection_on_exit=True
        )
        watched.enable_shared()
        calls = threading.Semaphore(0)
        watched.watch_changes(calls.release)
        try:
            time.sleep(0.5)
            assert _added_then_ran_within(adder, runner, "before") < 2.5
            while calls.acquire(timeout=0.5):  # the first look and the job added
                pass
            server.stop()
            time.sleep(1)
            server.start()
            assert wait_for(lambda: all(s.client.connected for s in [*stores, watched]), 30)
            # back after the outage: the watcher says so once, changes may have been missed
            assert calls.acquire(timeout=10)
            time.sleep(0.5)
            assert _added_then_ran_within(adder, runner, "after") < 2.5
            assert ran == ["before", "after"]
        finally:
            watched.shutdown()
            adder.shutdown()
            runner.shutdown()


def claim_everything(zk_hosts: str, path: str, name: str, ready: Any) -> list[tuple[str, int]]:
    """A claimer process: once all are ``ready`` (a barrier), claim every run due in 5 steps."""
    from triggerkit.schedulers.blocking import BlockingScheduler

    store = ZooKeeperJobStore(path=path, hosts=zk_hosts, close_connection_on_exit=True)
    store.start(BlockingScheduler(timezone="UTC"), "default")
    store.enable_shared()
    ready.wait(60)
    got = []
    try:
        for step in range(5):
            now = T0 + timedelta(seconds=step)
            while claims := store.claim_due_runs(
                now, name, now + timedelta(seconds=60), planner, limit=7
            ):
                got += [(c.job.id, to_micros(t)) for c in claims for t in c.run_times]
    finally:
        store.shutdown()
    return got


def test_claimer_processes_racing_claim_every_run_exactly_once(path: str, make_store: Any) -> None:
    store = make_store()
    for number in range(30):
        racer = job(f"j{number:02d}", 0)
        racer._modify(max_instances=1000)
        store.add_job(racer)
    spawn = multiprocessing.get_context("spawn")
    with spawn.Manager() as manager, spawn.Pool(4) as pool:
        ready = manager.Barrier(4)
        results = pool.starmap(
            claim_everything, [(hosts(), path, f"p{n}", ready) for n in range(4)]
        )
    everything = [run for got in results for run in got]
    assert len(everything) == len(set(everything))  # no run claimed twice
    expected = {
        (f"j{n:02d}", to_micros(T0 + timedelta(seconds=s))) for n in range(30) for s in range(5)
    }
    assert set(everything) == expected  # and none left out
    assert sum(1 for got in results if got) >= 2, "the processes did race"


@pytest.mark.parametrize("change", ["paused", "removed"])
def test_a_job_changed_during_a_claim_is_passed_over_and_the_change_kept(
    shared_store: Any, client: KazooClient, change: str
) -> None:
    claimer, other = shared_store(), shared_store()
    claimer.add_job(job("a", 0))

    def changing_planner(due: Any) -> PlannedRuns:
        # another scheduler pauses or removes the job between the claim's read and its write
        if change == "paused":
            other.update_job(job("a", None))
        else:
            other.remove_job("a")
        return planner(due)

    assert claimer.claim_due_runs(T0, "me", T0 + timedelta(seconds=30), changing_planner) == []
    assert client.get_children(claimer.claims_path) == []  # the transaction wrote nothing
    kept = other.lookup_job("a")
    if change == "paused":
        assert kept is not None and kept.next_run_time is None
    else:
        assert kept is None


def test_of_two_takers_of_an_expired_claim_only_one_gets_it(shared_store: Any) -> None:
    first, second = shared_store(), shared_store()
    first.add_job(job("a", 0))
    first.claim_due_runs(T0, "dead", T0 + timedelta(seconds=3), planner)
    later, lease = T0 + timedelta(seconds=4), T0 + timedelta(seconds=60)
    real_set = first.client.set_async
    rival: list[Any] = []

    def set_after_a_rival(path: str, value: bytes, version: int = -1) -> Any:
        # the second taker reads and takes the claim between the first one's read and write
        rival.extend(second.take_expired_claims(later, "second", lease))
        return real_set(path, value, version=version)

    first.client.set_async = set_after_a_rival
    assert first.take_expired_claims(later, "first", lease) == []
    assert [(e.job_id, e.previous_owner) for e in rival] == [("a", "dead")]
    assert first.live_claim_owners(later) == {("a", T0): "second"}
