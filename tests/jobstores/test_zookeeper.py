"""The ZooKeeper job store on a real ZooKeeper server: APScheduler 3.11.3's layout, both ways."""

from __future__ import annotations

import json
import pickle
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from apscheduler.jobstores.zookeeper import ZooKeeperJobStore as APSZooKeeperJobStore
from apscheduler_written import (
    FIRST_RUN,
    T0,
    LoadFailures,
    check_apscheduler_jobs,
    make_job,
    write_with_apscheduler,
)
from kazoo.client import KazooClient
from kazoo.exceptions import ConnectionLoss
from servers import ensure_server

from triggerkit.jobstores.zookeeper import ZooKeeperJobStore

pytestmark = pytest.mark.external_service

job = make_job


def hosts() -> str:
    return f"127.0.0.1:{ensure_server('zookeeper')['TK_ZK_PORT']}"


@pytest.fixture
def path() -> str:
    return f"/triggerkit-test-{uuid.uuid4().hex}"


@pytest.fixture
def failures() -> LoadFailures:
    return LoadFailures()


@pytest.fixture
def make_store(path: str, failures: LoadFailures) -> Iterator[Any]:
    stores: list[ZooKeeperJobStore] = []

    def make(**kwargs: Any) -> ZooKeeperJobStore:
        store = ZooKeeperJobStore(path=path, hosts=hosts(), close_connection_on_exit=True, **kwargs)
        store.start(failures.scheduler, "default")
        stores.append(store)
        return store

    yield make
    stores[0].remove_all_jobs()
    for store in stores:
        store.shutdown()


@pytest.fixture
def raw(path: str) -> Iterator[KazooClient]:
    client = KazooClient(hosts=hosts())
    client.start()
    yield client
    client.stop()
    client.close()


def aps_store(path: str) -> Any:
    return APSZooKeeperJobStore(path=path, hosts=hosts(), close_connection_on_exit=True)


def test_it_opens_the_jobs_apscheduler_wrote_without_rewriting_them(
    path: str, make_store: Any, raw: KazooClient
) -> None:
    expected = write_with_apscheduler(aps_store(path))
    before = {name: raw.get(f"{path}/{name}")[0] for name in raw.get_children(path)}
    check_apscheduler_jobs(make_store(), expected)
    after = {name: raw.get(f"{path}/{name}")[0] for name in raw.get_children(path)}
    assert after == before  # read only: nothing written back


def test_apscheduler_reads_the_nodes_triggerkit_writes_back(path: str, make_store: Any) -> None:
    expected = write_with_apscheduler(aps_store(path))
    store = make_store()
    changed = store.lookup_job("every5")
    changed.next_run_time = FIRST_RUN + timedelta(hours=2)
    store.update_job(changed)
    store.add_job(job("new", 0))

    reader = aps_store(path)
    reader.start(None, "default")
    try:
        runs = {aps_job.id: aps_job.next_run_time for aps_job in reader.get_all_jobs()}
    finally:
        reader.shutdown()
    assert set(runs) == set(expected) | {"new"}
    assert runs["every5"] == FIRST_RUN + timedelta(hours=2)
    assert runs["new"] == T0
    assert runs["cron3"] == expected["cron3"][1]


def test_a_node_holds_apschedulers_pickled_dict(path: str, make_store: Any, raw: Any) -> None:
    make_store().add_job(job("a", 30))
    value = pickle.loads(raw.get(f"{path}/a")[0])
    assert set(value) == {"next_run_time", "job_state"}
    assert value["next_run_time"] == (T0 + timedelta(seconds=30)).timestamp()
    assert value["job_state"]["id"] == "a" and value["job_state"]["func"] == "builtins:print"


def test_nodes_that_cannot_load_are_skipped_reported_and_kept(
    path: str, make_store: Any, raw: Any, failures: LoadFailures
) -> None:
    store = make_store()
    store.add_job(job("good", 10))
    state = job("moved", 5).__getstate__()
    state["func"] = "no_such_module_anywhere:gone"
    moved = {"next_run_time": (T0 + timedelta(seconds=5)).timestamp(), "job_state": state}
    raw.create(f"{path}/moved", pickle.dumps(moved))
    raw.create(f"{path}/corrupt", b"\x80\x05not a pickle at all")

    assert [j.id for j in store.get_all_jobs()] == ["good"]
    assert [j.id for j in store.get_due_jobs(T0 + timedelta(seconds=60))] == ["good"]
    assert store.get_next_run_time() == T0 + timedelta(seconds=10)
    assert store.lookup_job("moved") is None
    assert sorted(raw.get_children(path)) == ["corrupt", "good", "moved"]
    assert {"moved", "corrupt"} <= set(failures.job_ids())
    assert raw.get(f"{path}/moved")[0] == pickle.dumps(moved)


def test_the_json_serializer_writes_plain_data_and_never_unpickles(
    path: str, make_store: Any, raw: Any, failures: LoadFailures
) -> None:
    store = make_store(serializer="json")
    store.add_job(job("a", 10))
    assert json.loads(raw.get(f"{path}/a")[0])  # plain JSON, no pickle
    assert store.lookup_job("a").next_run_time == T0 + timedelta(seconds=10)

    aps_written = {"next_run_time": T0.timestamp(), "job_state": job("p", 0).__getstate__()}
    raw.create(f"{path}/p", pickle.dumps(aps_written))
    assert [j.id for j in store.get_all_jobs()] == ["a"]
    assert "p" in failures.job_ids()
    assert raw.exists(f"{path}/p")


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


def test_ties_keep_creation_order_and_paused_jobs_come_last(make_store: Any) -> None:
    store = make_store()
    for job_id in ("z", "m", "a"):
        store.add_job(job(job_id, 10))
    store.add_job(job("paused", None))
    store.add_job(job("early", 5))
    assert [j.id for j in store.get_all_jobs()] == ["early", "z", "m", "a", "paused"]


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
