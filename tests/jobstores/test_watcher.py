"""Change notices of shared stores (``watch_changes``): PostgreSQL LISTEN/NOTIFY and Redis
pub/sub on their real servers, a server restart on a private server, and the watcher thread
(triggerkit/jobstores/watcher.py).

A test waits for an expected notice with a generous cap (a broken watcher fails, it does not
hang), and for a notice that must not come for NO_NOTICE seconds (notices here take
milliseconds).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from servers import PrivateServer, ensure_server
from store_factories import store_job

from triggerkit.errors import ConflictingIdError, JobLookupError
from triggerkit.job import Job
from triggerkit.jobstores.base import BaseJobStore
from triggerkit.jobstores.redis import RedisJobStore
from triggerkit.jobstores.sqlalchemy import SQLAlchemyJobStore
from triggerkit.jobstores.watcher import RECONNECT_MAX, ChangeWatcher
from triggerkit.schedulers.blocking import BlockingScheduler

UTC = timezone.utc
T0 = datetime(2031, 3, 4, 5, 6, 7, tzinfo=UTC)
CAP = 10.0  # seconds; only reached when something is broken
NO_NOTICE = 0.6  # how long to wait for a notice that must not come


class Counter:
    """An ``on_change`` that counts its calls and lets a test wait for them."""

    def __init__(self) -> None:
        self.calls = 0
        self._cond = threading.Condition()

    def __call__(self) -> None:
        with self._cond:
            self.calls += 1
            self._cond.notify_all()

    def wait_for(self, calls: int, timeout: float = CAP) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.calls >= calls, timeout)

    def stays(self, calls: int) -> bool:
        """True if no call beyond ``calls`` arrives within NO_NOTICE."""
        return not self.wait_for(calls + 1, NO_NOTICE)


def make_store(kind: str, name: str, address: str | None = None) -> BaseJobStore:
    """A store object on ``name``: ``address`` is the Redis port or the PostgreSQL URL."""
    if kind == "redis":
        port = int(address or ensure_server("redis")["TK_REDIS_PORT"])
        return RedisJobStore(jobs_key=f"{name}.jobs", run_times_key=f"{name}.run_times", port=port)
    url = address or ensure_server("postgres")["TK_PG_URL"]
    if kind == "psycopg2":  # APScheduler's usual `postgresql://` URLs take this driver
        url = url.replace("+psycopg:", "+psycopg2:")
    return SQLAlchemyJobStore(url=url, tablename=name, engine_options={"pool_pre_ping": True})


def bind(store: BaseJobStore, shared: bool = True) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone="UTC")
    store.start(scheduler, "default")
    if shared:
        store.enable_shared()
    return scheduler


def job(scheduler: BlockingScheduler, job_id: str, run_at: datetime | None = T0) -> Job:
    return store_job(scheduler, job_id, run_at, T0)


@pytest.fixture(params=["postgres", "psycopg2", "redis"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def stores(kind: str) -> Iterator[list[BaseJobStore]]:
    """Two store objects on the same data (a writer, a watcher), shut down at the end."""
    name = f"watch_{uuid.uuid4().hex[:10]}"
    made = [make_store(kind, name), make_store(kind, name)]
    yield made
    for store in made:
        store.shutdown()


def test_every_kind_of_change_through_another_store_object_is_noticed(
    stores: list[BaseJobStore],
) -> None:
    writer, watcher = stores
    scheduler = bind(writer)
    bind(watcher)
    seen = Counter()
    assert watcher.watch_changes(seen) is True
    changes = [
        lambda: writer.add_job(job(scheduler, "a")),  # add
        lambda: writer.update_job(job(scheduler, "a", T0 + timedelta(seconds=5))),  # modify
        lambda: writer.update_job(job(scheduler, "a", None)),  # pause
        lambda: writer.update_jobs([job(scheduler, "a")]),  # resume (batch)
        lambda: writer.remove_job("a"),
        lambda: writer.add_job(job(scheduler, "b")),
        lambda: writer.remove_jobs(["b"]),
        lambda: writer.add_job(job(scheduler, "c")),
        writer.remove_all_jobs,
    ]
    for number, change in enumerate(changes, 1):
        change()
        assert seen.wait_for(number), f"change {number} was not noticed"
    assert seen.stays(len(changes))


def test_own_changes_and_failed_changes_send_no_notice(stores: list[BaseJobStore]) -> None:
    store, _ = stores
    scheduler = bind(store)
    seen = Counter()
    assert store.watch_changes(seen) is True
    store.add_job(job(scheduler, "own"))  # the watcher passes over its own store's notices
    assert seen.stays(0)
    if isinstance(store, RedisJobStore):
        other: BaseJobStore = make_store("redis", store.jobs_key[: -len(".jobs")])
    else:
        assert isinstance(store, SQLAlchemyJobStore)
        url = store.engine.url.render_as_string(hide_password=False)
        other = SQLAlchemyJobStore(url=url, tablename=store.jobs_t.name)
    other_scheduler = bind(other)
    try:
        with pytest.raises(ConflictingIdError):
            other.add_job(job(other_scheduler, "own"))
        with pytest.raises(JobLookupError):
            other.update_job(job(other_scheduler, "missing"))
        with pytest.raises(JobLookupError):
            other.remove_job("missing")
        assert other.remove_jobs(["missing"]) == []
        assert seen.stays(0), "a change that did not happen was announced"
        other.remove_job("own")
        assert seen.wait_for(1)
    finally:
        other.shutdown()


def test_a_store_that_is_not_shared_announces_nothing(stores: list[BaseJobStore]) -> None:
    plain, watcher = stores
    scheduler = bind(plain, shared=False)  # APScheduler-compatible use: no notices
    bind(watcher)
    seen = Counter()
    assert watcher.watch_changes(seen) is True
    assert plain.watch_changes(Counter()) is False
    plain.add_job(job(scheduler, "quiet"))
    plain.update_job(job(scheduler, "quiet", None))
    plain.remove_all_jobs()
    assert seen.stays(0)


def test_shutdown_stops_the_watcher_thread(stores: list[BaseJobStore]) -> None:
    store, _ = stores
    bind(store)
    assert store.watch_changes(Counter()) is True
    watcher = store.watcher  # type: ignore[attr-defined]
    assert isinstance(watcher, ChangeWatcher)
    assert watcher.connected.wait(CAP)
    store.shutdown()
    assert not watcher.alive
    assert store.watcher is None  # type: ignore[attr-defined]


def test_watching_again_replaces_the_watcher(stores: list[BaseJobStore]) -> None:
    writer, store = stores
    scheduler = bind(writer)
    bind(store)
    first, second = Counter(), Counter()
    store.watch_changes(first)
    old = store.watcher  # type: ignore[attr-defined]
    store.watch_changes(second)  # a scheduler started again after shutdown()
    assert not old.alive
    writer.add_job(job(scheduler, "x"))
    assert second.wait_for(1)
    assert first.calls == 0


@pytest.mark.parametrize("kind", ["postgres", "psycopg2", "redis"])
def test_the_watcher_survives_a_server_restart(kind: str, caplog: pytest.LogCaptureFixture) -> None:
    server = "redis" if kind == "redis" else "postgres"
    # PostgreSQL keeps its cluster across the restart, Redis its append-only file
    env = {"TK_REDIS_ARGS": "--appendonly yes"}
    if server == "postgres":
        env = {"TK_PG_KEEP_DATA": "1"}
    caplog.set_level(logging.INFO, "triggerkit.jobstores")
    with PrivateServer(server, **env) as private:
        address = private.exports["TK_PG_URL"] if server == "postgres" else str(private.port)
        name = f"restart_{uuid.uuid4().hex[:10]}"
        writer, store = make_store(kind, name, address), make_store(kind, name, address)
        try:
            scheduler = bind(writer)
            bind(store)
            seen = Counter()
            assert store.watch_changes(seen) is True
            watcher = store.watcher  # type: ignore[attr-defined]
            assert watcher.connected.wait(CAP)
            writer.add_job(job(scheduler, "before"))
            assert seen.wait_for(1)

            private.stop()
            deadline = time.monotonic() + CAP
            while watcher.connected.is_set() and time.monotonic() < deadline:
                time.sleep(0.02)
            assert not watcher.connected.is_set(), "the watcher did not notice the server go"
            time.sleep(2 * RECONNECT_MAX)  # a few failed attempts while the server is down
            assert seen.calls == 1
            private.start()
            # back: one call for the changes that may have been missed while away
            assert seen.wait_for(2)
            assert watcher.connected.is_set() and watcher.alive
            assert seen.stays(2)
            writer.add_job(job(scheduler, "after"))
            assert seen.wait_for(3)
            assert "Listening for job changes again" in caplog.text
        finally:
            writer.shutdown()
            store.shutdown()
        assert not watcher.alive


# -- the watcher thread itself, with listeners written for the test ---------------------------


class ScriptedListener:
    """A listener that reports the notices a test queues, or fails when told to."""

    def __init__(self, notices: list[Any]) -> None:
        self.notices = notices
        self.closed = False

    def wait(self, timeout: float) -> bool:
        if self.notices:
            notice = self.notices.pop(0)
            if isinstance(notice, Exception):
                raise notice
            return bool(notice)
        time.sleep(min(timeout, 0.01))
        return False

    def close(self) -> None:
        self.closed = True


def test_a_failing_connect_is_retried_and_a_failing_callback_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts: list[ScriptedListener] = []

    def connect() -> ScriptedListener:
        if len(attempts) < 2:
            attempts.append(ScriptedListener([]))
            raise ConnectionError("server down")
        listener = ScriptedListener([True, ConnectionError("lost"), True])
        if len(attempts) > 2:
            listener.notices = [True]
        attempts.append(listener)
        return listener

    calls: list[int] = []

    def on_change() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("callback broke")

    watcher = ChangeWatcher("test-watcher", connect, on_change, logging.getLogger("t.watch"))
    watcher.start()
    deadline = time.monotonic() + CAP
    while len(calls) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    watcher.stop()
    assert not watcher.alive
    # after the failed connects: one call for the reconnection, one notice; lost; one call
    # for the reconnection, one notice
    time.sleep(0.1)
    assert len(calls) == 4 and watcher.connections == 2
    assert attempts[2].closed and attempts[3].closed
    assert "Cannot listen for job changes (server down)" in caplog.text
    assert "Error in a job store change callback" in caplog.text
    assert "Lost the job changes connection (lost)" in caplog.text
