"""EtcdJobStore.watch_changes (triggerkit/jobstores/_etcd_watch.py) on a real etcd: changes made
through another store object wake the watcher; the watch survives a server restart (it is made
again, and ``on_change`` is called once for what the outage may have hidden); ``shutdown()``
stops it. Then through two shared schedulers: with ``shared_poll_interval=5`` a job added
through one runs in the other well before the 5 s poll would find it, before and after a restart.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sched_helpers import wait_for
from servers import PrivateServer, ensure_server, free_port

from triggerkit.events import EVENT_JOB_EXECUTED
from triggerkit.jobstores.etcd import EtcdJobStore
from triggerkit.schedulers.background import BackgroundScheduler

UTC = timezone.utc


def _path() -> str:
    return f"/watch_{os.getpid()}_{uuid.uuid4().hex[:10]}"


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
        assert wait_for(lambda: counter.calls > before)
        # a key beside the jobs (a sibling prefix, claims) does not wake anyone
        calls = counter.calls
        other.client.put(f"{path}.claims/j1/1", b"x")
        other.client.put(f"{path}x/j1", b"x")
        time.sleep(0.5)
        assert counter.calls == calls
        other.client.delete(f"{path}/j1")
        assert wait_for(lambda: counter.calls > calls)
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
            assert wait_for(lambda: counter.calls == 1, timeout=20)
            time.sleep(0.5)
            assert counter.calls == 1
            writer = EtcdJobStore(path=path, host="127.0.0.1", port=server.port, timeout=2)
            try:
                writer.client.put(f"{path}/j1", b"x")
                assert wait_for(lambda: counter.calls == 2)
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
            assert wait_for(lambda: _healthy(adder), timeout=20)
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


_RUNNER = textwrap.dedent(
    """
    import sys, threading
    from triggerkit.events import EVENT_JOB_EXECUTED
    from triggerkit.jobstores.etcd import EtcdJobStore
    from triggerkit.schedulers.background import BackgroundScheduler

    path, port = sys.argv[1], int(sys.argv[2])
    scheduler = BackgroundScheduler(
        shared=True,
        shared_poll_interval=5,
        shared_lease=15,
        jobstores={"default": EtcdJobStore(path=path, host="127.0.0.1", port=port)},
        timezone="UTC",
    )
    scheduler.add_listener(lambda e: print("ran", e.job_id, flush=True), EVENT_JOB_EXECUTED)
    scheduler.start()
    print("started", flush=True)
    sys.stdin.readline()
    scheduler.shutdown()
    """
)


def test_a_job_added_in_one_process_runs_in_another_before_the_poll_interval() -> None:
    port = int(ensure_server("etcd")["TK_ETCD_PORT"])
    path = _path()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    runner = subprocess.Popen(
        [sys.executable, "-c", _RUNNER, path, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    adder = _scheduler(port, path)
    adder.start(paused=True)
    try:
        assert runner.stdout is not None and runner.stdin is not None
        assert runner.stdout.readline() == "started\n"
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(runner.stdout or []), daemon=True)
        reader.start()
        time.sleep(1.0)  # the runner's first pass found nothing: it sleeps for 5 s now
        adder.add_job("time:time", "date", run_date=datetime.now(UTC), id="across")
        # well before the 5 s poll: the runner's watch woke it
        assert wait_for(lambda: lines == ["ran across\n"], timeout=3), lines
    finally:
        adder.shutdown()
        if runner.stdin is not None:
            runner.stdin.close()
        runner.wait(30)
        if runner.stdout is not None:
            runner.stdout.close()
        if runner.stderr is not None:
            runner.stderr.close()
        EtcdJobStore(path=path, host="127.0.0.1", port=port).client.delete_prefix(path)


def test_a_failing_on_change_is_logged_and_the_watch_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = int(ensure_server("etcd")["TK_ETCD_PORT"])
    path = _path()
    watched = EtcdJobStore(path=path, host="127.0.0.1", port=port)
    calls: list[int] = []

    def on_change() -> None:
        calls.append(1)
        raise RuntimeError("listener bug")

    try:
        watched.watch_changes(on_change)
        time.sleep(0.3)
        watched.client.put(f"{path}/j1", b"x")
        assert wait_for(lambda: len(calls) == 1)
        watched.client.put(f"{path}/j2", b"x")
        assert wait_for(lambda: len(calls) == 2)
        assert "etcd watch callback failed" in caplog.text
    finally:
        watched.client.delete_prefix(path)
        watched.shutdown()


def test_shutdown_stops_a_watch_that_is_waiting_for_a_server() -> None:
    path = _path()
    nowhere = EtcdJobStore(path=path, host="127.0.0.1", port=free_port(), timeout=1)
    counter = Counter()
    nowhere.watch_changes(counter)
    time.sleep(1.0)  # the stream failed at once, and again: the thread waits to retry
    assert f"triggerkit-etcd-watch {path}/" in _watch_thread_names()
    nowhere.shutdown()
    assert f"triggerkit-etcd-watch {path}/" not in _watch_thread_names()
    assert counter.calls == 0
