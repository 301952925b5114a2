"""Several schedulers on one store (``shared=True``): every run exactly once, on real servers and
real processes (see shared_fleet.py for the worker and the runs table with its unique key).

Scale, chosen for a 2-core machine that other work shares (docs/shared.md repeats it): 4
scheduler processes, 20 (SQLite) or 40 (PostgreSQL, Redis, MongoDB on the nx-27017 stand-in) jobs
firing every second, for 10 seconds of runs each; the crash test kills one of them every ~2.5 s
and starts a new one. RethinkDB is not here: its stand-in is not atomic (docs/shared.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import shared_fleet
from sched_helpers import shared_scheduler, wait_for
from servers import store_url as shared_store_url

from triggerkit.events import (
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_OUTCOME_UNKNOWN,
    EVENT_JOB_SUBMITTED,
)
from triggerkit.jobstores.memory import MemoryJobStore
from triggerkit.runs import current_run
from triggerkit.schedulers.background import BackgroundScheduler

UTC = timezone.utc
HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
PROCESSES = 4
RUN_SECONDS = 10


def unique_name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:10]}"


def _runs_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/runs.sqlite"
    shared_fleet.create_runs_tables(url)
    return url


def _start_at(delay: float) -> datetime:
    moment = datetime.now(UTC) + timedelta(seconds=delay)
    return moment.replace(microsecond=0) + timedelta(seconds=1)


def _spawn(store_url: str, table: str, runs_url: str, seconds: float, *extra: str) -> Any:
    return shared_fleet.spawn(store_url, table, runs_url, seconds, *extra, stderr=subprocess.PIPE)


def _finish(procs: list[Any]) -> list[str]:
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        outputs.append(out + err)
        assert proc.returncode in (0, -signal.SIGKILL), out + err
    return outputs


@pytest.fixture(params=["sqlite", "postgres", "zookeeper", "etcd", "mongo"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return shared_store_url(request.param, tmp_path)


@pytest.fixture(params=["sqlite", "postgres", "redis", "zookeeper", "etcd", "mongo"])
def fleet_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The stores the process tests run on."""
    return shared_store_url(request.param, tmp_path)


def _jobs_for(url: str) -> int:
    return 20 if url.startswith("sqlite") else 40


def test_four_processes_run_every_run_exactly_once(fleet_url: str, tmp_path: Path) -> None:
    store_url = fleet_url
    table, runs_url, count = unique_name("shared"), _runs_url(tmp_path), _jobs_for(store_url)
    start = _start_at(6)
    expected = shared_fleet.add_jobs(store_url, table, count, start, RUN_SECONDS)
    # A 6 s lease (poll 2 s): no scheduler dies here, so none may lose a claim it holds; on a
    # loaded 2-core machine a 3 s lease can run out while a pass waits for SQLite's write lock
    # (the documented limit: keep the lease well above the worst pause of a scheduler).
    procs = [
        _spawn(
            store_url,
            table,
            runs_url,
            (start - datetime.now(UTC)).total_seconds() + 13,
            "--poll",
            "2",
        )
        for _ in range(PROCESSES)
    ]
    outputs = _finish(procs)
    runs, rows, dups, reports = shared_fleet.fetch(runs_url)
    assert dups == []
    assert reports == []
    missing = shared_fleet.expected_runs(count, start, RUN_SECONDS) - runs
    assert not missing, (sorted(missing)[:5], outputs)
    assert len(rows) == expected == len(runs)
    assert runs == shared_fleet.expected_runs(count, start, RUN_SECONDS)
    # every process ran its scheduler to the end (which one claims a run is a race: the
    # first to wake in a second may claim them all)
    assert sum(" submitted " in out for out in outputs) == PROCESSES, outputs
    _assert_no_claims_left(store_url, table)


def test_a_process_killed_every_few_seconds(fleet_url: str, tmp_path: Path) -> None:
    store_url = fleet_url
    table, runs_url, count = unique_name("shared"), _runs_url(tmp_path), _jobs_for(store_url)
    start = _start_at(6)
    expected = shared_fleet.expected_runs(count, start, RUN_SECONDS)
    shared_fleet.add_jobs(store_url, table, count, start, RUN_SECONDS)
    end = start + timedelta(seconds=RUN_SECONDS + 8)

    def remaining() -> float:
        return (end - datetime.now(UTC)).total_seconds()

    steady = [_spawn(store_url, table, runs_url, remaining()) for _ in range(PROCESSES - 1)]
    killed = 0
    victim = _spawn(store_url, table, runs_url, remaining())
    while datetime.now(UTC) < start + timedelta(seconds=RUN_SECONDS):
        time.sleep(2.5)
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=30)
        killed += 1
        victim = _spawn(store_url, table, runs_url, remaining())
    outputs = _finish([*steady, victim])
    runs, rows, dups, reports = shared_fleet.fetch(runs_url)
    assert killed >= 3
    assert dups == []
    assert len(rows) == len(runs)
    reported = {(r.job_id, r.run_time) for r in reports}
    # no run went unaccounted for: it ran, or it was reported (outcome unknown: it may have run)
    assert expected - runs <= reported, (sorted(expected - runs - reported)[:5], outputs)
    assert {r.kind for r in reports} <= {"unknown", "missed"}
    assert runs <= expected
    _assert_no_claims_left(store_url, table)


def test_prefork_parent_schedulers_started_in_children(fleet_url: str, tmp_path: Path) -> None:
    store_url = fleet_url
    table, runs_url, count = unique_name("shared"), _runs_url(tmp_path), 10
    start = _start_at(6)
    seconds = 6
    shared_fleet.add_jobs(store_url, table, count, start, seconds)
    duration = (start - datetime.now(UTC)).total_seconds() + seconds + 4
    proc = _spawn(store_url, table, runs_url, duration, "--prefork", "3")
    outputs = _finish([proc])
    runs, rows, dups, reports = shared_fleet.fetch(runs_url)
    assert dups == [] and reports == []
    assert runs == shared_fleet.expected_runs(count, start, seconds)
    assert len(rows) == len(runs)
    # the three children each started the scheduler made in the parent, and ran to the end
    assert outputs[0].count(" submitted ") == 3, outputs


def _assert_no_claims_left(store_url: str, table: str) -> None:
    store = shared_fleet.open_store(store_url, table)
    store.enable_shared()
    try:
        assert store.live_claim_owners(datetime(1970, 1, 1, tzinfo=UTC)) == {}
    finally:
        store.shutdown()


# --- two schedulers in this process, each with its own store object and connections -----------

seen: list[tuple[str, datetime, str]] = []


def note_run(tag: str) -> None:
    run = current_run()
    assert run is not None
    seen.append((run.job_id, run.scheduled_run_time, tag))


@pytest.fixture
def pair(store_url: str) -> Iterator[tuple[BackgroundScheduler, BackgroundScheduler]]:
    table = unique_name("pair")
    made, stores = [], []
    for _ in range(2):
        store = shared_fleet.open_store(store_url, table)
        stores.append(store)
        made.append(shared_scheduler(store))
    seen.clear()
    yield made[0], made[1]
    for scheduler, store in zip(made, stores, strict=True):
        if scheduler.running:
            scheduler.shutdown()
        else:
            store.shutdown()  # a store whose scheduler never started (its client is open)


def test_a_job_added_through_one_runs_in_another(
    pair: tuple[BackgroundScheduler, BackgroundScheduler],
) -> None:
    adder, runner = pair
    ran = threading.Event()
    runner.add_listener(lambda e: ran.set(), EVENT_JOB_EXECUTED)
    adder.start(paused=True)  # adds, never claims
    runner.start()
    adder.add_job(note_run, "date", run_date=datetime.now(UTC), args=["x"], id="added")
    assert ran.wait(10)
    assert [(job_id, tag) for job_id, _, tag in seen] == [("added", "x")]


def test_a_removed_job_never_runs_after_the_poll_interval(
    pair: tuple[BackgroundScheduler, BackgroundScheduler],
) -> None:
    a, b = pair
    a.start()
    b.start()
    a.add_job(note_run, "interval", seconds=0.3, args=["r"], id="often")
    assert wait_for(lambda: len(seen) >= 3)
    b.remove_job("often")
    removed_at = datetime.now(UTC)
    time.sleep(1.5)
    late = [run_time for _, run_time, _ in seen if run_time > removed_at]
    assert late == []
    assert a.get_jobs() == [] and b.get_jobs() == []


def test_the_run_identity_travels_with_the_run(
    pair: tuple[BackgroundScheduler, BackgroundScheduler],
) -> None:
    a, _ = pair
    events: list[Any] = []
    a.add_listener(events.append, EVENT_JOB_EXECUTED | EVENT_JOB_SUBMITTED)
    a.start()
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    a.add_job(note_run, "date", run_date=when, args=["id"], id="ident")
    assert wait_for(lambda: any(e.code == EVENT_JOB_EXECUTED for e in events))
    executed = [e for e in events if e.code == EVENT_JOB_EXECUTED][0]
    assert (executed.job_id, executed.scheduled_run_time) == ("ident", when)
    assert seen == [("ident", when, "id")]


def slow_run(seconds: float) -> None:
    note_run("slow")
    time.sleep(seconds)


def test_max_instances_holds_across_schedulers(
    pair: tuple[BackgroundScheduler, BackgroundScheduler],
) -> None:
    a, b = pair
    busy: list[Any] = []
    for scheduler in pair:
        scheduler.add_listener(busy.append, EVENT_JOB_MAX_INSTANCES)
    a.start()
    b.start()
    a.add_job(slow_run, "interval", seconds=0.5, args=[2.2], id="slow", max_instances=1)
    time.sleep(3.2)
    a.remove_job("slow")
    assert 1 <= len(seen) <= 2
    assert busy, "runs due while the one instance ran elsewhere were skipped and reported"


def test_a_dead_schedulers_claims_are_run_or_reported(store_url: str) -> None:
    table = unique_name("dead")
    store = shared_fleet.open_store(store_url, table)
    scheduler = shared_scheduler(store)
    events: list[Any] = []
    scheduler.add_listener(events.append, EVENT_JOB_EXECUTED | EVENT_JOB_OUTCOME_UNKNOWN)
    scheduler.start(paused=True)
    seen.clear()
    now = datetime.now(UTC)
    scheduler.add_job(
        note_run, "date", run_date=now, args=["taken"], id="claimed", misfire_grace_time=30
    )
    scheduler.add_job(note_run, "date", run_date=now, args=["never"], id="started")

    def plan_one(job: Any) -> Any:
        from triggerkit.jobstores.claims import PlannedRuns

        run_time = job.next_run_time
        job._modify(next_run_time=None)
        return PlannedRuns([run_time], None)

    # a scheduler that claimed both, handed "started" to its executor, and died
    claims = store.claim_due_runs(now, "dead", now + timedelta(seconds=1), plan_one)
    assert len(claims) == 2
    store.mark_runs_started("dead", [("started", claims[0].run_times[0])])
    time.sleep(1.2)
    scheduler.resume()
    assert wait_for(lambda: len(events) >= 2)
    scheduler.shutdown()
    assert [(job_id, tag) for job_id, _, tag in seen] == [("claimed", "taken")]
    codes = {e.job_id: e.code for e in events}
    assert codes == {"claimed": EVENT_JOB_EXECUTED, "started": EVENT_JOB_OUTCOME_UNKNOWN}
    store.shutdown()
    _assert_no_claims_left(store_url, table)  # a new store object: this one was shut down


def test_shared_option_off_keeps_apscheduler_behaviour() -> None:
    scheduler = BackgroundScheduler(timezone="UTC")
    assert scheduler.shared is False
    scheduler.start(paused=True)
    try:
        assert scheduler.scheduler_id is None
    finally:
        scheduler.shutdown()


def test_shared_options_are_checked() -> None:
    with pytest.raises(ValueError, match="shared_lease"):
        BackgroundScheduler(shared=True, shared_lease=1, shared_poll_interval=1)
    with pytest.raises(ValueError, match="shared_poll_interval"):
        BackgroundScheduler(shared=True, shared_poll_interval=0)
    configured = BackgroundScheduler({"triggerkit.shared": "true"})
    assert configured.shared is True


def test_a_memory_store_stays_local_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    scheduler = BackgroundScheduler(shared=True, jobstores={"default": MemoryJobStore()})
    scheduler.start(paused=True)
    try:
        assert "cannot be shared between schedulers" in caplog.text
    finally:
        scheduler.shutdown()
