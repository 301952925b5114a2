"""Changes made through one shared scheduler are seen by the others (issue 15, part 3).

Scheduler A lives in this process, started paused (it writes, never claims); scheduler B is a
``shared_fleet.py`` worker process with ``shared_poll_interval=5`` (lease 15) that runs every job.
Each change through A gives B a run at a known time (a job added, rescheduled or resumed to run
0.5 s later); B records when it ran it. On PostgreSQL (LISTEN/NOTIFY), Redis (pub/sub) and etcd
(a watch) B is told of the change and runs the job less than 1 s late; by polling alone it would
wake up to 5 s late (the round is done twice, each change right after B was woken by the
previous one). SQLite has no notification: there B sees changes within its poll interval.

A paused or removed job is never claimed again from the moment the change commits (every claim
reads the store): no run scheduled after that moment appears anywhere.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import shared_fleet
from servers import PrivateServer, ensure_server, store_url

from triggerkit.events import EVENT_JOB_SUBMITTED
from triggerkit.jobstores.redis import RedisJobStore
from triggerkit.jobstores.sqlalchemy import SQLAlchemyJobStore
from triggerkit.schedulers.asyncio import AsyncIOScheduler
from triggerkit.schedulers.background import BackgroundScheduler
from triggerkit.schedulers.blocking import BlockingScheduler

UTC = timezone.utc
HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
POLL = 5.0  # B's shared_poll_interval (lease 15): what polling alone would cost
SEEN_WITHIN = 1.0  # how late B may run a job whose change it was told of
LEAD = 0.5  # each change asks for a run this long after it
JOB = "shared_fleet:record_run"


def _name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:10]}"


def _runs(runs_url: str) -> dict[str, tuple[float, float]]:
    """job id -> (scheduled, ran at) of every run B recorded (epoch seconds)."""
    _, rows, dups, _ = shared_fleet.fetch(runs_url)
    assert dups == []
    return {row.job_id: (row.run_time / 1e6, row.ran_at) for row in rows}


def _all_runs(runs_url: str) -> list[tuple[str, float]]:
    _, rows, _, _ = shared_fleet.fetch(runs_url)
    return [(row.job_id, row.run_time / 1e6) for row in rows]


@contextmanager
def _watcher_process(store_url: str, table: str, runs_url: str, poll: float) -> Iterator[Any]:
    """Scheduler B: a worker process that runs until this block ends."""
    proc = shared_fleet.spawn(
        store_url,
        table,
        runs_url,
        -1,
        "--poll",
        str(poll),
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.endswith("started\n"), line + proc.stderr.read() if proc.stderr else ""
        time.sleep(0.5)  # its watcher connects
        yield proc
    finally:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, out + err


def _changer(store_url: str, table: str, **store_options: Any) -> BackgroundScheduler:
    """Scheduler A: shared, started paused (it only writes)."""
    if store_url.startswith(("redis://", "zookeeper://", "etcd://")):
        store = shared_fleet.open_store(store_url, table)
    else:
        store = SQLAlchemyJobStore(url=store_url, tablename=table, **store_options)
    scheduler = shared_fleet.make_scheduler(
        store_url, table, store, shared_poll_interval=POLL, shared_lease=3 * POLL
    )
    scheduler.start(paused=True)
    return scheduler


def _wait_run(runs_url: str, job_id: str, timeout: float = 3 * POLL) -> tuple[float, float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = _runs(runs_url).get(job_id)
        if run is not None:
            return run
        time.sleep(0.05)
    raise AssertionError(f"{job_id} never ran")


def _soon() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=LEAD)


def _change_round(a: BackgroundScheduler, runs_url: str, tag: str) -> dict[str, float]:
    """Add, reschedule, resume, pause and remove jobs through A; return how late B ran the
    runs those changes asked for (seconds), and check that nothing ran after a pause or a
    removal."""
    late: dict[str, float] = {}
    a.add_job(JOB, "interval", seconds=0.5, id=f"{tag}-paused")
    a.add_job(JOB, "interval", seconds=0.5, id=f"{tag}-removed")

    a.add_job(JOB, "date", run_date=_soon(), id=f"{tag}-added", misfire_grace_time=60)
    scheduled, ran_at = _wait_run(runs_url, f"{tag}-added")
    late["added"] = ran_at - scheduled

    far = datetime.now(UTC) + timedelta(hours=1)
    a.add_job(JOB, "date", run_date=far, id=f"{tag}-moved", misfire_grace_time=60)
    a.reschedule_job(f"{tag}-moved", trigger="date", run_date=_soon())
    scheduled, ran_at = _wait_run(runs_url, f"{tag}-moved")
    late["modified"] = ran_at - scheduled

    a.add_job(
        JOB,
        "date",
        run_date=_soon(),
        id=f"{tag}-resumed",
        next_run_time=None,
        misfire_grace_time=60,
    )
    time.sleep(LEAD / 2)
    a.resume_job(f"{tag}-resumed")
    scheduled, ran_at = _wait_run(runs_url, f"{tag}-resumed")
    late["resumed"] = ran_at - scheduled

    a.pause_job(f"{tag}-paused")
    paused_at = time.time()
    a.remove_job(f"{tag}-removed")
    removed_at = time.time()
    time.sleep(1.0)
    runs = _all_runs(runs_url)
    assert any(job_id == f"{tag}-paused" for job_id, _ in runs), "the interval job ran before"
    after = [
        (job_id, at)
        for job_id, at in runs
        if (job_id == f"{tag}-paused" and at > paused_at)
        or (job_id == f"{tag}-removed" and at > removed_at)
    ]
    assert after == []
    return late


def _assert_seen_at_once(late: dict[str, float]) -> None:
    assert all(0 <= delay < SEEN_WITHIN for delay in late.values()), late


@pytest.fixture(params=["postgres", "redis", "zookeeper", "etcd"])
def notifying_url(request: pytest.FixtureRequest) -> str:
    return store_url(request.param)


def _runs_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/runs.sqlite"
    shared_fleet.create_runs_tables(url)
    return url


def test_changes_through_one_scheduler_are_seen_by_another_process_at_once(
    notifying_url: str, tmp_path: Path
) -> None:
    table, runs_url = _name("changes"), _runs_url(tmp_path)
    a = _changer(notifying_url, table)
    try:
        with _watcher_process(notifying_url, table, runs_url, POLL):
            for number in range(2):
                _assert_seen_at_once(_change_round(a, runs_url, f"r{number}"))
    finally:
        a.shutdown()


def _until_reachable(a: BackgroundScheduler, timeout: float = 30) -> None:
    """Wait until A's store answers again after a server restart."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            a.get_jobs()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.parametrize("server", ["postgres", "redis", "zookeeper", "etcd"])
def test_changes_are_seen_at_once_after_a_server_restart(server: str, tmp_path: Path) -> None:
    # PostgreSQL keeps its cluster across the restart, Redis its append-only file
    env = {"TK_REDIS_ARGS": "--appendonly yes"}
    if server == "postgres":
        env = {"TK_PG_KEEP_DATA": "1"}
    with PrivateServer(server, **env) as private:
        if server == "postgres":
            url, options = private.exports["TK_PG_URL"], {"engine_options": {"pool_pre_ping": True}}
        else:  # Redis, ZooKeeper, etcd (whose data directories are kept across a stop and start)
            url, options = f"{server}://127.0.0.1:{private.port}", {}
        table, runs_url = _name("restart"), _runs_url(tmp_path)
        a = _changer(url, table, **options)
        try:
            with _watcher_process(url, table, runs_url, POLL):
                _assert_seen_at_once(_change_round(a, runs_url, "before"))
                private.stop()
                time.sleep(1.0)
                private.start()
                _until_reachable(a)  # ZooKeeper serves a while after its readiness probe
                # B's watcher reconnects (within RECONNECT_MAX = 1 s of the server's return) and
                # wakes B once; then notices flow again
                time.sleep(1.5)
                _assert_seen_at_once(_change_round(a, runs_url, "after"))
        finally:
            a.shutdown()


def test_changes_on_sqlite_are_seen_within_the_poll_interval(tmp_path: Path) -> None:
    poll = 2.0
    url = f"sqlite:///{tmp_path}/{_name('jobs')}.sqlite"
    table, runs_url = _name("changes"), _runs_url(tmp_path)
    a = _changer(url, table)
    try:
        store = SQLAlchemyJobStore(url=url, tablename=table)
        store.enable_shared()
        assert store.watch_changes(lambda: None) is False  # no notification: B polls
        store.shutdown()
        with _watcher_process(url, table, runs_url, poll):
            late = _change_round(a, runs_url, "sqlite")
        # polled: at most one poll interval late (plus the pass itself)
        assert all(0 <= delay < poll + SEEN_WITHIN for delay in late.values()), late
    finally:
        a.shutdown()


# --- every kind of scheduler is woken by its store's watcher thread ---------------------------
# The watcher calls wakeup() from a thread of its own (a foreign thread for every event-loop
# scheduler). Each scheduler here polls every 5 s; a job added through another scheduler is
# submitted well before that only if the foreign-thread wake-up reached its loop.

KINDS = ["blocking", "background", "asyncio", "tornado", "twisted", "qt"]


def _redis_pair(name: str) -> tuple[RedisJobStore, BackgroundScheduler]:
    port = int(ensure_server("redis")["TK_REDIS_PORT"])
    keys = {"jobs_key": f"{name}.jobs", "run_times_key": f"{name}.run_times", "port": port}
    adder = BackgroundScheduler(
        shared=True,
        shared_poll_interval=POLL,
        shared_lease=3 * POLL,
        jobstores={"default": RedisJobStore(**keys)},
        timezone="UTC",
    )
    adder.start(paused=True)
    return RedisJobStore(**keys), adder


def _make_kind(kind: str, store: RedisJobStore) -> Any:
    options: dict[str, Any] = dict(
        shared=True,
        shared_poll_interval=POLL,
        shared_lease=3 * POLL,
        jobstores={"default": store},
        timezone="UTC",
    )
    if kind == "blocking":
        return BlockingScheduler(**options)
    if kind == "background":
        return BackgroundScheduler(**options)
    if kind == "asyncio":
        return AsyncIOScheduler(**options)
    if kind == "tornado":
        from triggerkit.schedulers.tornado import TornadoScheduler

        return TornadoScheduler(**options)
    if kind == "twisted":
        from twisted.internet.selectreactor import SelectReactor

        from triggerkit.schedulers.twisted import TwistedScheduler

        return TwistedScheduler(reactor=SelectReactor(), **options)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from triggerkit.schedulers.qt import QtScheduler

    return QtScheduler(executors={"default": {"type": "debug"}}, **options)


class _Probe:
    """From a thread of its own: waits for the store's watcher, adds a job through the other
    scheduler, waits for the submission, then calls ``stop``."""

    def __init__(self, store: RedisJobStore, adder: BackgroundScheduler, stop: Any) -> None:
        self.store, self.adder, self.stop = store, adder, stop
        self.submitted = threading.Event()
        self.delay: float | None = None
        self._added_at = 0.0
        self.thread = threading.Thread(target=self._run)

    def on_submitted(self, event: Any) -> None:
        self.delay = time.monotonic() - self._added_at
        self.submitted.set()

    def _run(self) -> None:
        try:
            deadline = time.monotonic() + 3 * POLL
            while self.store.watcher is None and time.monotonic() < deadline:
                time.sleep(0.01)
            assert self.store.watcher is not None and self.store.watcher.connected.wait(3 * POLL)
            time.sleep(0.2)  # past the scheduler's first pass: it now sleeps for POLL seconds
            self._added_at = time.monotonic()
            self.adder.add_job("os:getpid", "date", run_date=datetime.now(UTC), id="probe")
            self.submitted.wait(3 * POLL)
        finally:
            self.stop()


def _drive(kind: str, make: Any, probe: _Probe) -> None:
    """Make the scheduler (inside its loop where the framework wants it) and run it on its
    framework until the probe stops it."""
    sched = None if kind in ("asyncio", "tornado") else make()
    if kind in ("blocking", "background"):
        done = threading.Event()
        probe.stop = lambda: (sched.shutdown(wait=False), done.set())
        probe.thread.start()
        if kind == "blocking":
            sched.start()  # returns once the probe shut it down
        else:
            sched.start()
            done.wait(5 * POLL)
    elif kind in ("asyncio", "tornado"):

        async def main() -> None:
            loop = asyncio.get_running_loop()
            finished = asyncio.Event()
            probe.stop = lambda: loop.call_soon_threadsafe(finished.set)
            sched = make()  # Tornado takes the current IOLoop when the scheduler is made
            sched.start()
            probe.thread.start()
            await asyncio.wait_for(finished.wait(), 5 * POLL)
            sched.shutdown()
            await asyncio.sleep(0)

        asyncio.run(main())
    elif kind == "twisted":
        reactor = sched._reactor

        def stop() -> None:
            sched.shutdown()
            reactor.stop()

        probe.stop = lambda: reactor.callFromThread(stop)
        reactor.callWhenRunning(sched.start)
        reactor.callWhenRunning(probe.thread.start)
        reactor.run(installSignalHandlers=False)
    else:
        from PySide6.QtCore import QCoreApplication, QMetaObject, Qt, QTimer

        app = QCoreApplication.instance() or QCoreApplication([])
        queued = Qt.ConnectionType.QueuedConnection
        probe.stop = lambda: QMetaObject.invokeMethod(app, "quit", queued)
        sched.start()
        probe.thread.start()
        cap = QTimer()  # stopped afterwards: it must not quit a later test's loop
        cap.setSingleShot(True)
        cap.timeout.connect(app.quit)
        cap.start(int(5 * POLL * 1000))
        app.exec()
        cap.stop()
        sched.shutdown()
    probe.thread.join(5 * POLL)


@pytest.mark.parametrize("kind", KINDS)
def test_every_scheduler_kind_is_woken_by_the_watcher_thread(kind: str) -> None:
    name = _name(f"kind_{kind}")
    store, adder = _redis_pair(name)
    try:
        probe = _Probe(store, adder, lambda: None)

        def make() -> Any:
            sched = _make_kind(kind, store)
            sched.add_listener(probe.on_submitted, EVENT_JOB_SUBMITTED)
            return sched

        _drive(kind, make, probe)
        assert probe.submitted.is_set(), "the job added through the other scheduler never ran"
        assert probe.delay is not None and probe.delay < SEEN_WITHIN, probe.delay
        assert store.watcher is None  # stopped by the scheduler's shutdown
    finally:
        adder.remove_all_jobs()
        adder.shutdown()


GEVENT_SCRIPT = """
import sys, threading, time
if sys.argv[1] == "patched":
    from gevent import monkey
    monkey.patch_all()
from datetime import datetime, timezone
import gevent
from triggerkit.events import EVENT_JOB_SUBMITTED
from triggerkit.jobstores.redis import RedisJobStore
from triggerkit.schedulers.background import BackgroundScheduler
from triggerkit.schedulers.gevent import GeventScheduler

keys = dict(jobs_key=sys.argv[2] + ".jobs", run_times_key=sys.argv[2] + ".run_times",
            port=int(sys.argv[3]))
opts = dict(shared=True, shared_poll_interval=5, shared_lease=15, timezone="UTC")
store = RedisJobStore(**keys)
sched = GeventScheduler(jobstores={"default": store}, **opts)
adder = BackgroundScheduler(jobstores={"default": RedisJobStore(**keys)}, **opts)
adder.start(paused=True)
when = []
sched.add_listener(lambda e: when.append(time.monotonic()), EVENT_JOB_SUBMITTED)
greenlet = sched.start()
deadline = time.monotonic() + 15
while not (store.watcher and store.watcher.connected.is_set()) and time.monotonic() < deadline:
    gevent.sleep(0.01)
gevent.sleep(0.2)
added = time.monotonic()
adder.add_job("os:getpid", "date", run_date=datetime.now(timezone.utc), id="probe")
while not when and time.monotonic() < deadline:
    gevent.sleep(0.01)
sched.shutdown(wait=False)
greenlet.join(timeout=15)
adder.remove_all_jobs()
adder.shutdown()
print("delay", round(when[0] - added, 3) if when else None, "watcher", store.watcher)
"""


@pytest.mark.parametrize("mode", ["threads", "patched"])
def test_the_gevent_scheduler_is_woken_by_the_watcher(mode: str, tmp_path: Path) -> None:
    """Unpatched, the watcher is a native thread (wakeup goes through the hub's thread-safe
    callback); monkey-patched, it is a greenlet. gevent runs in a fresh process."""
    script = tmp_path / "gevent_watch.py"
    script.write_text(GEVENT_SCRIPT)
    port = ensure_server("redis")["TK_REDIS_PORT"]
    result = subprocess.run(
        [sys.executable, "-W", "error", str(script), mode, _name("gevent"), port],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(TESTS.parent)},
    )
    assert result.returncode == 0, result.stderr
    words = result.stdout.split()
    assert words[0] == "delay" and words[1] != "None", result.stdout + result.stderr
    assert float(words[1]) < SEEN_WITHIN, result.stdout
    assert words[2:] == ["watcher", "None"], result.stdout


# --- a watcher error never stops the wake-ups --------------------------------------------------


class _BrokenWatchStore(SQLAlchemyJobStore):
    def watch_changes(self, on_change: Any) -> bool:
        raise ConnectionError("no listener today")


def test_a_store_whose_watcher_fails_to_start_is_polled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url, table = f"sqlite:///{tmp_path}/jobs.sqlite", _name("broken")
    options: dict[str, Any] = dict(
        shared=True, shared_poll_interval=0.2, shared_lease=3, timezone="UTC"
    )
    runner = BackgroundScheduler(
        jobstores={"default": _BrokenWatchStore(url=url, tablename=table)}, **options
    )
    adder = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=url, tablename=table)}, **options
    )
    ran = threading.Event()
    runner.add_listener(lambda event: ran.set(), EVENT_JOB_SUBMITTED)
    runner.start()
    adder.start(paused=True)
    try:
        assert "could not watch for changes; polling it every 0.2 s" in caplog.text
        adder.add_job("os:getpid", "date", run_date=datetime.now(UTC), misfire_grace_time=60)
        assert ran.wait(30), "the scheduler stopped looking at the store"
    finally:
        adder.shutdown()
        runner.shutdown()


class _WakeupFails(BackgroundScheduler):
    fail = False

    def wakeup(self) -> None:
        if self.fail:
            raise RuntimeError("event loop is closed")
        super().wakeup()


def test_a_failing_wakeup_from_the_watcher_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path}/jobs.sqlite"
    scheduler = _WakeupFails(
        shared=True,
        jobstores={"default": SQLAlchemyJobStore(url=url)},
        timezone="UTC",
        shared_poll_interval=0.2,
        shared_lease=3,
    )
    scheduler._store_changed()  # not running: nothing to wake, nothing logged
    assert "Could not wake" not in caplog.text
    scheduler.start()
    try:
        scheduler.fail = True
        scheduler._store_changed()  # what a store's watcher thread calls
        assert "Could not wake the scheduler for a job store change" in caplog.text
        scheduler.fail = False
    finally:
        scheduler.shutdown()
