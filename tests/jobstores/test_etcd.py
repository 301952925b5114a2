"""The etcd job store on a real etcd server: APScheduler 3.11.3's layout, both ways."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from apscheduler_layout import CORRUPT, ApschedulerLayoutTests, pickled_entry
from apscheduler_written import (
    T0,
    LoadFailures,
    add_tied_jobs,
    check_aps_pickled_dict,
    make_job,
    started_stores,
)
from servers import ensure_server

from triggerkit.jobstores.etcd import EtcdJobStore

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # etcd3's generated protobuf modules
    from apscheduler.jobstores.etcd import EtcdJobStore as APSEtcdJobStore
    from etcd3 import Etcd3Client

pytestmark = pytest.mark.external_service

job = make_job


def port() -> int:
    return int(ensure_server("etcd")["TK_ETCD_PORT"])


@pytest.fixture
def path() -> str:
    return f"/triggerkit-test-{uuid.uuid4().hex}"


@pytest.fixture
def client() -> Iterator[Etcd3Client]:
    etcd = Etcd3Client(host="127.0.0.1", port=port())
    yield etcd
    etcd.close()


@pytest.fixture
def make_store(path: str, failures: LoadFailures, client: Etcd3Client) -> Iterator[Any]:
    def open_store(**kwargs: Any) -> EtcdJobStore:
        return EtcdJobStore(path=path, host="127.0.0.1", port=port(), **kwargs)

    with started_stores(open_store, failures) as (make, _stores):
        yield make
        client.delete_prefix(path)


@pytest.fixture
def aps_store(path: str) -> Callable[[], Any]:
    return lambda: APSEtcdJobStore(path=path, host="127.0.0.1", port=port())


class EtcdKeys:
    """The keys below ``path``, one a job, through etcd's own client."""

    def __init__(self, client: Etcd3Client, path: str) -> None:
        self.client, self.path = client, path

    def snapshot(self) -> dict[str, Any]:
        prefix = len(self.path) + 1
        return {m.key.decode()[prefix:]: v for v, m in self.client.get_prefix(self.path + "/")}

    def put(self, job_id: str, next_run_time: float | None, state: dict[str, Any]) -> None:
        self.client.put(f"{self.path}/{job_id}", pickled_entry(next_run_time, state))

    def put_corrupt(self, job_id: str) -> None:
        self.client.put(f"{self.path}/{job_id}", CORRUPT)

    def stored(self, job_id: str) -> bytes:
        return self.client.get(f"{self.path}/{job_id}")[0]


@pytest.fixture
def raw(client: Etcd3Client, path: str) -> EtcdKeys:
    return EtcdKeys(client, path)


class TestApschedulerLayout(ApschedulerLayoutTests):
    pass


def test_a_key_holds_apschedulers_pickled_dict(make_store: Any, raw: EtcdKeys) -> None:
    make_store().add_job(job("a", 30))
    check_aps_pickled_dict(raw.stored("a"))


def test_it_reads_and_clears_only_its_own_path(path: str, make_store: Any, raw: Any) -> None:
    # APScheduler's store matches the bare prefix: "/apscheduler" also reads "/apscheduler2/x".
    sibling = path + "2"
    neighbour = EtcdJobStore(path=sibling, host="127.0.0.1", port=port())
    neighbour.start(None, "other")  # type: ignore[arg-type]
    try:
        neighbour.add_job(job("theirs", 5))
        store = make_store()
        store.add_job(job("mine", 10))
        assert [j.id for j in store.get_all_jobs()] == ["mine"]
        store.remove_all_jobs()
        assert [j.id for j in neighbour.get_all_jobs()] == ["theirs"]
    finally:
        neighbour.remove_all_jobs()
        neighbour.shutdown()


def test_batches_larger_than_one_transaction_pass_over_removed_jobs(make_store: Any) -> None:
    store = make_store()
    jobs = [job(f"j{i:03d}", i) for i in range(300)]
    for each in jobs:
        store.add_job(each)
    store.remove_job("j150")
    for each in jobs:
        each.next_run_time = T0 + timedelta(seconds=1000 - int(each.id[1:]))
    store.update_jobs(jobs)
    stored = store.get_all_jobs()
    assert len(stored) == 299 and stored[0].id == "j299" and stored[-1].id == "j000"
    assert store.lookup_job("j150") is None
    removed = store.remove_jobs([f"j{i:03d}" for i in range(140, 300)])
    assert removed == [f"j{i:03d}" for i in range(140, 300) if i != 150]
    assert len(store.get_all_jobs()) == 140


def test_it_reads_more_than_grpcs_default_4_mb_in_one_pass(make_store: Any) -> None:
    store = make_store()
    blob = "x" * 600_000  # etcd takes puts up to 1.5 MB
    for i in range(8):  # 4.8 MB of job states in all
        store.add_job(job(f"big{i}", i, func=dict, kwargs={"blob": blob}))
    jobs = store.get_all_jobs()
    assert [j.id for j in jobs] == [f"big{i}" for i in range(8)]
    assert all(j.kwargs["blob"] == blob for j in jobs)


def test_ties_go_by_id_and_paused_jobs_come_last(make_store: Any) -> None:
    store = make_store()
    add_tied_jobs(store)
    assert [j.id for j in store.get_all_jobs()] == ["early", "a", "m", "z", "paused"]


def test_a_client_passed_in_stays_open_unless_asked(path: str) -> None:
    client = Etcd3Client(host="127.0.0.1", port=port())
    try:
        store = EtcdJobStore(path=path, client=client)
        store.start(None, "default")  # type: ignore[arg-type]
        store.shutdown()
        assert client.get(f"{path}/x") == (None, None)  # still usable
    finally:
        client.close()
