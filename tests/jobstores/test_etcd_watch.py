"""EtcdJobStore.watch_changes (triggerkit/jobstores/_etcd_watch.py) on a real etcd: changes made
through another store object wake the watcher; the watch survives a server restart (it is made
again, and ``on_change`` is called once for what the outage may have hidden); ``shutdown()``
stops it. Then through two shared schedulers: with ``shared_poll_interval=5`` a job added
through one runs in the other well before the 5 s poll would find it, before and after a restart.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from servers import PrivateServer, ensure_server

from triggerkit.events import EVENT_JOB_EXECUTED
from triggerkit.jobstores.etcd import EtcdJobStore
from triggerkit.schedulers.background import BackgroundScheduler

UTC = timezone.utc


def _path() -> str:
    return f"/watch_{os.getpid()}_{uuid.uuid4().hex[:10]}"


def _wait_for(predicate: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


class Counter:
    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self) -> None:
        with self.lock:
            self.calls += 1


def _watch_thread_names() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("triggerkit-etcd-watch")]


def test_changes_through_another_store_call_on_change_and_shutdown_stops_it() -> None:
    port = int(ensure_server("etcd")["TK_ETCD_PORT"])
    path = _path()
    watched = EtcdJobStore(path=path, host="127.0.0.1", port=port)
    other = EtcdJobStore(path=path, host="127.0.0.1", port=port)
    counter = Counter()
    try:
        assert watched.watch_changes(counter) is True
        time.sleep(0.3)  # the watch is made by its thread
        before = counter.calls
        other.client.put(f"{path}/j1", b"x")
        assert _wait_for(lambda: counter.calls > before)
        # a key beside the jobs (a sibling prefix, claims) does not wake anyone
        calls = counter.calls
        other.client.put(f"{path}.claims/j1/1", b"x")
        other.client.put(f"{path}x/j1", b"x")
        time.sleep(0.5)
        assert counter.calls == calls
        other.client.delete(f"{path}/j1")
        assert _wait_for(lambda: counter.calls > calls)
    finally:
        watched.shutdown()
        other.client.delete_prefix(path)
        other.shutdown()
    assert f"triggerkit-etcd-watch {path}/" not in _watch_thread_names()


def test_the_watch_survives_a_server_restart() -> None:
    with PrivateServer("etcd") as server:
        path = _path()
        watched = EtcdJobStore(path=path, host="127.0.0.1", port=server.port, timeout=2)
        counter = Counter()
        try:
            watched.watch_changes(counter)
            time.sleep(0.3)
            server.stop()
            time.sleep(1.0)
            assert counter.calls == 0  # an outage alone is not a change yet
            server.start()
            # the watch is made again, and on_change called once for what the outage hid
            assert _wait_for(lambda: counter.calls == 1, timeout=20)
            time.sleep(0.5)
            assert counter.calls == 1
            writer = EtcdJobStore(path=path, host="127.0.0.1", port=server.port, timeout=2)
            try:
                writer.client.put(f"{path}/j1", b"x")
                assert _wait_for(lambda: counter.calls == 2)
            finally:
                writer.shutdown()
        finally:
            watched.shutdown()
        assert f"triggerkit-etcd-watch {path}/" not in _watch_thread_names()


ran: list[str] = []


def mark(tag: str) -> None:
    ran.append(tag)


def _scheduler(port: int, path: str) -> BackgroundScheduler:
    return BackgroundScheduler(
        shared=True,
        shared_poll_interval=5,
        shared_lease=15,
        jobstores={"default": EtcdJobStore(path=path, host="127.0.0.1", port=port, timeout=2)},
        timezone="UTC",
    )


def _added_runs_soon(adder: Any, done: threading.Event, tag: str) -> bool:
    """Add a job through ``adder``; True if the other scheduler ran it within 3 s (its own
    poll would take up to 5 s)."""
    done.clear()
    time.sleep(1.0)  # the runner is asleep in a 5 s poll
    adder.add_job(mark, "date", run_date=datetime.now(UTC), args=[tag], id=tag)
    return done.wait(3)


def test_a_job_added_in_one_scheduler_runs_in_another_before_the_poll_interval() -> None:
    ran.clear()
    with PrivateServer("etcd") as server:
        path = _path()
        adder, runner = _scheduler(server.port, path), _scheduler(server.port, path)
        done = threading.Event()
        runner.add_listener(lambda event: done.set(), EVENT_JOB_EXECUTED)
        adder.start(paused=True)  # adds jobs, never claims them
        runner.start()
        try:
            assert _added_runs_soon(adder, done, "first")
            server.stop()
            time.sleep(1.0)
            server.start()
            assert _wait_for(lambda: _healthy(adder), timeout=20)
            assert _added_runs_soon(adder, done, "after-restart")
        finally:
            adder.shutdown()
            runner.shutdown()
    assert ran == ["first", "after-restart"]


def _healthy(scheduler: BackgroundScheduler) -> bool:
    try:
        scheduler.get_jobs()
    except Exception:
        return False
    return True
