"""RedisJobStore beyond the contract: APScheduler 3.11's layout, a database APScheduler wrote,
the batch hooks, and the rows it keeps where APScheduler deletes them."""

from __future__ import annotations

import importlib
import pickle
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from apscheduler_written import check_jobs_with_args, write_jobs_with_args
from store_factories import (
    LAYOUT_T0 as T0,
)
from store_factories import (
    added_then_moved,
    aps_redis_twin,
    job_func,
    started_store,
)
from store_factories import (
    layout_job as make_job,
)

from triggerkit.errors import JobLookupError
from triggerkit.events import EVENT_ALL, EVENT_JOB_LOAD_FAILED
from triggerkit.jobstores.redis import RedisJobStore
from triggerkit.schedulers.blocking import BlockingScheduler

UTC = timezone.utc


@pytest.fixture
def store(scheduler: BlockingScheduler) -> Iterator[RedisJobStore]:
    with started_store("redis", scheduler, RedisJobStore) as s:
        yield s


def test_it_writes_apscheduler_3_11s_layout(store: RedisJobStore, scheduler: Any) -> None:
    store.add_job(make_job(scheduler, "a", T0))
    store.add_job(make_job(scheduler, "p", None))
    r = store.redis
    assert r.type(store.jobs_key) == b"hash" and r.type(store.run_times_key) == b"zset"
    assert sorted(r.hkeys(store.jobs_key)) == [b"a", b"p"]
    # a paused job has no run time entry; the score is the UTC POSIX timestamp
    assert r.zrange(store.run_times_key, 0, -1, withscores=True) == [(b"a", T0.timestamp())]
    state = pickle.loads(r.hget(store.jobs_key, "a"))
    assert state["id"] == "a" and state["next_run_time"] == T0


def test_a_database_apscheduler_wrote_opens_unchanged(store: RedisJobStore) -> None:
    written = write_jobs_with_args(aps_redis_twin(store), job_func, T0)
    raw_before = store.redis.hgetall(store.jobs_key)
    scores_before = store.redis.zrange(store.run_times_key, 0, -1, withscores=True)

    check_jobs_with_args(store, written)
    # reading rewrote nothing and deleted nothing
    assert store.redis.hgetall(store.jobs_key) == raw_before
    assert store.redis.zrange(store.run_times_key, 0, -1, withscores=True) == scores_before


def test_a_row_apscheduler_would_delete_is_kept(store: RedisJobStore, scheduler: Any) -> None:
    events: list[Any] = []
    scheduler.add_listener(events.append, EVENT_ALL)
    store.add_job(make_job(scheduler, "good", T0 + timedelta(seconds=5)))
    store.redis.hset(store.jobs_key, "bad", b"not a pickle")
    store.redis.zadd(store.run_times_key, {"bad": T0.timestamp()})

    assert [job.id for job in store.get_due_jobs(T0 + timedelta(seconds=10))] == ["good"]
    assert [e.job_id for e in events if e.code == EVENT_JOB_LOAD_FAILED] == ["bad"]
    # The bad row's time is earlier, but the loop must not wake up for it over and over.
    assert store.get_next_run_time() == T0 + timedelta(seconds=5)
    assert store.redis.hget(store.jobs_key, "bad") == b"not a pickle"

    # APScheduler 3's own store deletes it on the same read: the difference we make.
    twin = aps_redis_twin(store)
    twin.get_due_jobs(T0 + timedelta(seconds=10))
    assert store.redis.hget(store.jobs_key, "bad") is None
    twin.shutdown()


def test_a_fixed_row_counts_again_for_the_next_run_time(
    store: RedisJobStore, scheduler: Any
) -> None:
    store.add_job(make_job(scheduler, "late", T0 + timedelta(seconds=9)))
    good = pickle.dumps(make_job(scheduler, "early", T0).__getstate__())
    store.redis.hset(store.jobs_key, "early", b"garbage")
    store.redis.zadd(store.run_times_key, {"early": T0.timestamp()})
    assert store.lookup_job("early") is None
    assert store.get_next_run_time() == T0 + timedelta(seconds=9)
    store.redis.hset(store.jobs_key, "early", good)  # the row repaired by hand
    assert store.lookup_job("early") is not None
    assert store.get_next_run_time() == T0


def test_the_batch_hooks_write_in_one_round_trip(store: RedisJobStore, scheduler: Any) -> None:
    jobs = added_then_moved(store, scheduler)
    calls = 0
    original = store.redis.evalsha

    def counting(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(*args)

    store.redis.evalsha = counting  # type: ignore[method-assign]
    try:
        store.update_jobs([*jobs, make_job(scheduler, "gone", T0)])
    finally:
        del store.redis.evalsha
    assert calls == 1
    assert store.lookup_job("gone") is None  # passed over, not created
    assert [j.id for j in store.get_all_jobs()] == ["j0", "j1", "j2", "j3", "j4"]
    assert store.redis.zscore(store.run_times_key, "j4") is None
    assert store.remove_jobs(["j0", "nope", "j4"]) == ["j0", "j4"]
    assert sorted(store.redis.hkeys(store.jobs_key)) == [b"j1", b"j2", b"j3"]
    with pytest.raises(JobLookupError):
        store.update_job(make_job(scheduler, "j0", T0))


def test_it_limits_due_jobs_and_finds_jobs_due_before_1970(
    store: RedisJobStore, scheduler: Any
) -> None:
    old = datetime(1960, 1, 1, tzinfo=UTC)
    for i, when in enumerate([old, T0, T0 + timedelta(seconds=1)]):
        store.add_job(make_job(scheduler, f"j{i}", when))
    assert [j.id for j in store.get_due_jobs(T0)] == ["j0", "j1"]
    assert [j.id for j in store.acquire_due_jobs(T0 + timedelta(seconds=5), limit=2)] == [
        "j0",
        "j1",
    ]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"db": None}, "db"), ({"jobs_key": ""}, "jobs_key"), ({"run_times_key": ""}, "run_times")],
    ids=["db", "jobs_key", "run_times_key"],
)
def test_it_refuses_empty_names(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        RedisJobStore(**kwargs)


def test_it_is_the_redis_plugin_and_passes_connect_args_on() -> None:
    sched = BlockingScheduler(timezone="UTC")
    sched.add_jobstore("redis", "r", db=3, port=1234, socket_timeout=2, serializer="json")
    store = sched._lookup_jobstore("r")
    assert isinstance(store, RedisJobStore) and repr(store) == "<RedisJobStore>"
    kwargs = store.redis.connection_pool.connection_kwargs
    assert (kwargs["db"], kwargs["port"], kwargs["socket_timeout"]) == (3, 1234, 2)
    assert type(store.serializer).__name__ == "JsonSerializer"


def test_a_missing_driver_names_the_class_and_the_extra(monkeypatch: Any) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.delitem(sys.modules, "triggerkit.jobstores.redis")
    with pytest.raises(ImportError, match=r"RedisJobStore.*triggerkit-cron\[redis\]"):
        importlib.import_module("triggerkit.jobstores.redis")
