"""The etcd job store on a real etcd server: APScheduler 3.11.3's layout, both ways."""

from __future__ import annotations

import pickle
import uuid
import warnings
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from apscheduler_written import (
    T0,
    LoadFailures,
    add_tied_jobs,
    check_aps_pickled_dict,
    check_apscheduler_jobs,
    check_apscheduler_reads_back,
    check_json_store,
    check_only_good_loads,
    make_job,
    moved_job_state,
    started_stores,
    write_with_apscheduler,
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
def failures() -> LoadFailures:
    return LoadFailures()


@pytest.fixture
def raw() -> Iterator[Etcd3Client]:
    client = Etcd3Client(host="127.0.0.1", port=port())
    yield client
    client.close()


@pytest.fixture
def make_store(path: str, failures: LoadFailures, raw: Etcd3Client) -> Iterator[Any]:
    def open_store(**kwargs: Any) -> EtcdJobStore:
        return EtcdJobStore(path=path, host="127.0.0.1", port=port(), **kwargs)

    with started_stores(open_store, failures) as (make, _stores):
        yield make
        raw.delete_prefix(path)


def aps_store(path: str) -> Any:
    return APSEtcdJobStore(path=path, host="127.0.0.1", port=port())


def values(raw: Etcd3Client, path: str) -> dict[bytes, bytes]:
    return {meta.key: value for value, meta in raw.get_prefix(path + "/")}


def test_it_opens_the_jobs_apscheduler_wrote_without_rewriting_them(
    path: str, make_store: Any, raw: Etcd3Client
) -> None:
    expected = write_with_apscheduler(aps_store(path))
    before = values(raw, path)
    assert len(before) == 4
    check_apscheduler_jobs(make_store(), expected)
    assert values(raw, path) == before  # read only: nothing written back


def test_apscheduler_reads_the_keys_triggerkit_writes_back(path: str, make_store: Any) -> None:
    check_apscheduler_reads_back(lambda: aps_store(path), make_store)


def test_a_key_holds_apschedulers_pickled_dict(path: str, make_store: Any, raw: Any) -> None:
    make_store().add_job(job("a", 30))
    check_aps_pickled_dict(raw.get(f"{path}/a")[0])


def test_keys_that_cannot_load_are_skipped_reported_and_kept(
    path: str, make_store: Any, raw: Any, failures: LoadFailures
) -> None:
    store = make_store()
    store.add_job(job("good", 10))
    moved_ts = (T0 + timedelta(seconds=5)).timestamp()
    moved = pickle.dumps({"next_run_time": moved_ts, "job_state": moved_job_state()})
    raw.put(f"{path}/moved", moved)
    raw.put(f"{path}/corrupt", b"\x80\x05not a pickle at all")

    check_only_good_loads(store, failures)
    assert sorted(values(raw, path)) == [
        f"{path}/{n}".encode() for n in ("corrupt", "good", "moved")
    ]
    assert raw.get(f"{path}/moved")[0] == moved


def test_the_json_serializer_writes_plain_data_and_never_unpickles(
    path: str, make_store: Any, raw: Any, failures: LoadFailures
) -> None:
    store = check_json_store(make_store, lambda: raw.get(f"{path}/a")[0])
    aps_written = {"next_run_time": T0.timestamp(), "job_state": job("p", 0).__getstate__()}
    raw.put(f"{path}/p", pickle.dumps(aps_written))
    assert [j.id for j in store.get_all_jobs()] == ["a"]
    assert "p" in failures.job_ids()
    assert raw.get(f"{path}/p")[0] is not None


def test_a_pickle_store_reads_what_a_json_store_wrote(make_store: Any) -> None:
    make_store(serializer="json").add_job(job("a", 10))
    assert make_store().lookup_job("a").next_run_time == T0 + timedelta(seconds=10)


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
