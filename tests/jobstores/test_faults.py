"""Fault tests on every persistent store: a SIGKILLed scheduler, a server outage, and a live
APScheduler 3.11.3 database switched to triggerkit.

What "nothing runs twice beyond APScheduler 3's semantics" means (docs/stores.md, "Faults"): the
scheduler stores a job's next run time in the same pass that submits its run, *before* the run
finishes. So a run in progress when the process dies is not run again (at most once), and the
only run time that can run twice is one submitted in the pass the kill interrupted, before that
pass stored its next run times (at least once, for that pass only).

Stores join these tests through ``store_factories``: every persistent store runs the restart
test (``RECIPES`` tells a subprocess how to open it); the outage test needs an entry in
``OUTAGE`` (a private server of its own), the live switch an entry in ``RAW_ROWS``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from redis.backoff import NoBackoff
from redis.retry import Retry
from servers import PrivateServer
from store_factories import FACTORIES, PERSISTENT, RECIPES, unique_name

from triggerkit.events import EVENT_JOB_EXECUTED
from triggerkit.jobstores.base import BaseJobStore
from triggerkit.jobstores.mongodb import MongoDBJobStore
from triggerkit.jobstores.redis import RedisJobStore
from triggerkit.schedulers.background import BackgroundScheduler

UTC = timezone.utc
HERE = Path(__file__).resolve().parent
APP = HERE / "fault_app.py"
#: seconds no scheduler runs between the kill and the restart (> strict's 1 s grace time + 1)
DOWNTIME = 3.5

pytestmark = pytest.mark.external_service


def subprocess_env(*extra: Path) -> dict[str, str]:
    paths = [str(p) for p in (*extra, HERE, HERE.parent)]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths))


def read_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(params=PERSISTENT)
def store_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(store_name: str) -> Iterator[BaseJobStore]:
    s = FACTORIES[store_name]()
    yield s
    try:
        s.remove_all_jobs()
    finally:
        s.shutdown()


def reopen(name: str, store: BaseJobStore) -> BaseJobStore:
    """A second store object on the same location, as another process would open it."""
    from triggerkit.marshalling import ref_to_obj

    recipe = RECIPES[name](store)
    opened: BaseJobStore = ref_to_obj(recipe["class"])(**recipe["kwargs"])
    return opened


def test_every_persistent_store_can_be_opened_by_another_process() -> None:
    assert sorted(RECIPES) == sorted(PERSISTENT)


# --- (a) restart after SIGKILL -------------------------------------------------------------


@dataclass
class Phase:
    """What one scheduler process did, from its log lines."""

    pid: int
    ready: dict[str, Any]
    # (job id, scheduled run time) the process submitted or finished
    handled: dict[str, set[float]] = field(default_factory=dict)
    executed: dict[str, list[float]] = field(default_factory=dict)
    missed: dict[str, list[float]] = field(default_factory=dict)
    submitted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    started: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_log(cls, lines: list[dict[str, Any]], pid: int) -> Phase:
        mine = [line for line in lines if line["pid"] == pid]
        phase = cls(pid, next(line for line in mine if line["e"] == "ready"))
        for line in mine:
            job = line.get("job")
            if line["e"] == "executed":
                phase.executed.setdefault(job, []).append(line["time"])
                phase.handled.setdefault(job, set()).add(line["time"])
            elif line["e"] == "missed":
                phase.missed.setdefault(job, []).append(line["time"])
            elif line["e"] == "submitted":
                phase.submitted.setdefault(job, []).append(line)
                phase.handled.setdefault(job, set()).update(line["times"])
            elif line["e"] == "started":
                phase.started[job] = phase.started.get(job, 0) + 1
        return phase


def _ready_to_kill(log: Path) -> bool:
    lines = read_log(log)
    ticks = [line for line in lines if line["e"] == "executed" and line["job"] == "tick"]
    slow = [line for line in lines if line["e"] == "started" and line["job"] == "slow"]
    return len(ticks) >= 4 and len(slow) >= 2  # the slow job's second run is under way


def test_a_killed_scheduler_restarts_with_every_job_and_apscheduler_3s_misfire_rules(
    store: BaseJobStore, store_name: str, tmp_path: Path
) -> None:
    recipe = json.dumps(RECIPES[store_name](store))
    log = tmp_path / "runs.jsonl"

    def launch(mode: str, seconds: float) -> subprocess.Popen[str]:
        args = [sys.executable, str(APP), mode, recipe, str(log), "0", str(seconds)]
        return subprocess.Popen(
            args, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    first = launch("first", 120)
    try:
        wait_until(lambda: _ready_to_kill(log) or first.poll() is not None, 90, "runs to kill")
        time.sleep(0.4)  # between two passes (they fall on whole seconds)
        assert first.poll() is None, first.communicate()[1]
    finally:
        first.kill()
        first.communicate()  # reaps it and closes its pipes
    time.sleep(DOWNTIME)
    second = launch("again", 5)
    _, err = second.communicate(timeout=180)
    assert second.returncode == 0, err

    lines = read_log(log)
    a = Phase.from_log(lines, first.pid)
    b = Phase.from_log(lines, second.pid)
    t0 = a.ready["t0"]  # the jobs' start: the whole second after the first scheduler started

    # Every job is there: the restarted scheduler found them all (the date job "once" fell
    # due while no scheduler ran), and afterwards only the date jobs that ran are gone.
    from fault_app import JOB_IDS

    assert sorted(b.ready["jobs"]) == sorted(set(JOB_IDS) - {"early"})
    other = reopen(store_name, store)
    try:
        remaining = {job.id: job for job in other.get_all_jobs()}
    finally:
        other.shutdown()
    assert sorted(remaining) == ["coalesced", "paused", "slow", "strict", "tick"]
    assert remaining["paused"].next_run_time is None

    # Nothing ran twice, but for the run times of the pass the kill interrupted.
    for job_id, times in b.handled.items():
        twice = times & a.handled.get(job_id, set())
        allowed = {max(a.handled[job_id])} if twice else set()
        assert twice <= allowed, f"{job_id}: run times {sorted(twice)} ran in both processes"
    for phase in (a, b):
        for job_id, times in phase.executed.items():
            assert len(times) == len(set(times)), f"{job_id} ran a run time twice in one process"

    # misfire_grace_time=60, coalesce=False: every missed run time runs, none is lost.
    ticks = sorted(a.handled["tick"] | b.handled["tick"])
    assert ticks == [t0 + i for i in range(len(ticks))]
    assert len(b.submitted["tick"][0]["times"]) >= 2  # the missed ones, in one submission

    # coalesce=True: the missed run times run once, as the latest one.
    first_coalesced = b.submitted["coalesced"][0]["times"]
    assert len(first_coalesced) == 1
    assert first_coalesced[0] - max(a.handled["coalesced"]) >= 2

    # misfire_grace_time=1, coalesce=False: all missed run times are submitted (APScheduler 3
    # hands them all to the executor), which runs those at most 1 s late and reports the
    # others as missed.
    first_strict = b.submitted["strict"][0]
    late = [t for t in first_strict["times"] if first_strict["at"] - t > 1.5]
    in_grace = [t for t in first_strict["times"] if first_strict["at"] - t <= 1.0]
    assert late and set(late) <= set(b.missed["strict"])
    assert set(b.executed["strict"]).isdisjoint(late)
    assert set(in_grace) <= set(b.executed["strict"])

    # Date jobs: the one due before the kill ran once, the one due in the downtime ran once.
    assert a.executed.get("early") == [t0 + 1] and "early" not in b.handled
    assert "once" not in a.handled and len(b.executed["once"]) == 1
    assert "paused" not in a.handled and "paused" not in b.handled

    # The slow job was killed mid-run: that run is not repeated (its next run time was stored
    # when it was submitted), and the job runs again after the restart.
    assert a.started["slow"] == len(a.handled["slow"]) and b.handled["slow"]


# --- (b) server outage -----------------------------------------------------------------------


@dataclass
class Outage:
    """How to run a store on a private server that the test stops and starts."""

    server: str
    open_store: Callable[[int, str], BaseJobStore]  # (port, key/collection name)
    env: dict[str, str] = field(default_factory=dict)


def _outage_redis(port: int, key: str) -> BaseJobStore:
    return RedisJobStore(
        jobs_key=f"{key}.jobs",
        run_times_key=f"{key}.run_times",
        host="127.0.0.1",
        port=port,
        socket_connect_timeout=1,
        socket_timeout=2,
        # redis-py's own default retries a refused connection 3 times with 1-10 s sleeps,
        # which would hide the scheduler's back-off behind the client's
        retry=Retry(NoBackoff(), 0),
    )


def _outage_mongo(port: int, key: str) -> BaseJobStore:
    return MongoDBJobStore(
        collection=key,
        host="127.0.0.1",
        port=port,
        directConnection=True,
        serverSelectionTimeoutMS=500,
        connectTimeoutMS=500,
        socketTimeoutMS=2000,
    )


def _outage_zookeeper(port: int, key: str) -> BaseJobStore:
    from triggerkit.jobstores.zookeeper import ZooKeeperJobStore

    return ZooKeeperJobStore(
        path=f"/{key}", hosts=f"127.0.0.1:{port}", timeout=5, close_connection_on_exit=True
    )


def _outage_etcd(port: int, key: str) -> BaseJobStore:
    from triggerkit.jobstores.etcd import EtcdJobStore

    return EtcdJobStore(path=f"/{key}", host="127.0.0.1", port=port, timeout=2)


#: the stores the outage test runs on (a private server each, so others' tests go on)
OUTAGE = {
    # the append-only file brings the data back with the server (the shared one keeps none)
    "redis": Outage("redis", _outage_redis, {"TK_REDIS_ARGS": "--appendonly yes"}),
    "mongo": Outage("mongo", _outage_mongo),  # nx-27017 keeps its SQLite files
    "zookeeper": Outage("zookeeper", _outage_zookeeper),  # keeps its data directory
    "etcd": Outage("etcd", _outage_etcd),  # keeps its data directory
    # not rethinkdb: its stand-in (reqlite) keeps everything in memory, so a stopped server
    # comes back empty (docs/stores.md); the store's reconnection has its own test
}

_RETRY = re.compile(r"failure (\d+); retrying in ([\d.e+-]+) s")


def noop() -> None:
    """An outage test job."""


@pytest.mark.parametrize("name", sorted(OUTAGE))
def test_a_server_outage_is_logged_retried_with_back_off_and_ridden_out(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    spec = OUTAGE[name]
    with PrivateServer(spec.server, **spec.env) as server:
        key = unique_name("outage")
        store = spec.open_store(server.port, key)
        sched = BackgroundScheduler(
            timezone="UTC", jobstore_retry_interval=0.2, jobstores={"default": store}
        )
        runs: list[tuple[str, float]] = []
        sched.add_listener(
            lambda e: runs.append((e.job_id, e.scheduled_run_time.timestamp())),
            EVENT_JOB_EXECUTED,
        )
        start = datetime.now(UTC)
        sched.add_job(noop, "interval", id="tick", seconds=1, misfire_grace_time=60)
        sched.add_job(
            noop, "date", id="during", run_date=start + timedelta(seconds=4), misfire_grace_time=60
        )
        sched.add_job(noop, "interval", id="paused", hours=1, next_run_time=None)
        with caplog.at_level(logging.WARNING, logger="triggerkit.scheduler"):
            sched.start()
            try:
                wait_until(lambda: len(runs) >= 2, 30, "two runs before the outage")
                stopping = time.time()
                server.stop()
                stopped = time.time()
                wait_until(lambda: time.time() - stopped > 4.0, 10, "the outage")
                assert sched._thread is not None and sched._thread.is_alive()
                retries = [
                    (int(m[1]), float(m[2]))
                    for r in caplog.records
                    if (m := _RETRY.search(r.getMessage())) and r.created >= stopping
                ]
                # logged, and backing off: 0.2, 0.4, 0.8 ... s
                assert len(retries) >= 3, caplog.text
                delays = [delay for _, delay in retries]
                assert delays == sorted(delays) and delays[-1] > delays[0]
                assert [n for n, _ in retries] == list(range(1, len(retries) + 1))

                server.start()
                restarted = time.time()
                wait_until(
                    lambda: (
                        any(t >= restarted for job, t in runs if job == "tick")
                        and any(job == "during" for job, _ in runs)
                    ),
                    60,
                    "the runs after the server came back",
                )
                assert sched._thread.is_alive()
            finally:
                sched.shutdown()
        # no job lost, and the date job that fell due in the outage ran once
        other = spec.open_store(server.port, key)
        try:
            assert sorted(job.id for job in other.get_all_jobs()) == ["paused", "tick"]
        finally:
            other.shutdown()
        assert [job for job, _ in runs].count("during") == 1
        ticks = [t for job, t in runs if job == "tick"]
        assert len(ticks) == len(set(ticks))


# --- (c) a live APScheduler 3.11.3 database switched to triggerkit ---------------------------


def _raw_redis(store: Any) -> dict[str, tuple[float | None, bytes]]:
    r = store.redis
    scores = {k.decode(): s for k, s in r.zrange(store.run_times_key, 0, -1, withscores=True)}
    return {k.decode(): (scores.get(k.decode()), v) for k, v in r.hgetall(store.jobs_key).items()}


def _raw_mongo(store: Any) -> dict[str, tuple[float | None, bytes]]:
    return {d["_id"]: (d["next_run_time"], bytes(d["job_state"])) for d in store.collection.find()}


def _raw_sqlalchemy(store: Any) -> dict[str, tuple[float | None, bytes]]:
    from sqlalchemy import select

    t = store.jobs_t
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.c.id, t.c.next_run_time, t.c.job_state)).all()
    return {row[0]: (row[1], bytes(row[2])) for row in rows}


#: the stores the live-switch test runs on: how to read their rows as they lie in the database
RAW_ROWS: dict[str, Callable[[Any], dict[str, tuple[float | None, bytes]]]] = {
    "sqlite": _raw_sqlalchemy,
    "redis": _raw_redis,
    "mongo": _raw_mongo,
}

# An application written for APScheduler 3; the test runs it as it is, then with its imports
# swapped to triggerkit. It adds its jobs on its first start only (the usual pattern), prints
# them as its scheduler sees them when it starts and when it stops, and runs for a while.
SWITCH_APP = """
import json, sys, time
from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.util import ref_to_obj

import switch_jobs

STORE = "{store_class}"


def describe(sched):
    return [
        dict(id=job.id, name=job.name, func=job.func_ref, args=list(job.args),
             kwargs=job.kwargs, trigger=str(job.trigger), coalesce=job.coalesce,
             misfire_grace_time=job.misfire_grace_time, max_instances=job.max_instances,
             next_run_time=job.next_run_time.timestamp() if job.next_run_time else None)
        for job in sched.get_jobs()
    ]


kwargs, out, seconds = json.loads(sys.argv[1]), sys.argv[2], float(sys.argv[3])
sched = BackgroundScheduler(timezone="Europe/Berlin",
                            jobstores={{"default": ref_to_obj(STORE)(**kwargs)}})
sched.start(paused=True)
if sched.get_job("beat") is None:
    sched.add_job(switch_jobs.beat, "interval", seconds=1, id="beat", args=["beat"])
    sched.add_job(switch_jobs.beat, "cron", hour=3, minute=30, id="nightly",
                  args=["nightly"], kwargs={{"x": [1, 2]}}, misfire_grace_time=600)
    sched.add_job(switch_jobs.beat, "date", id="later", args=["later"],
                  run_date=datetime(2040, 1, 1, tzinfo=timezone.utc))
    sched.add_job(switch_jobs.beat, "interval", minutes=5, id="paused", args=["paused"],
                  next_run_time=None)
    sched.add_job(switch_jobs.beat, "cron", day_of_week="mon-fri", hour="9-17", id="office",
                  args=["office"], coalesce=False, max_instances=3, name="office hours")
started = describe(sched)
sched.resume()
time.sleep(seconds)
sched.pause()
stopped = describe(sched)
sched.shutdown()
with open(out, "w") as f:
    json.dump({{"started": started, "stopped": stopped}}, f)
"""

SWITCH_JOBS = """
import os, time


def beat(name, **kwargs):
    with open(os.environ["SWITCH_RUNS"], "a") as f:
        f.write(f"{name} {os.getpid()} {time.time()}\\n")
"""


@pytest.mark.parametrize("name", sorted(RAW_ROWS))
def test_a_live_apscheduler_database_switches_to_triggerkit_unchanged(
    name: str, tmp_path: Path
) -> None:
    store = FACTORIES[name]()
    try:
        recipe = RECIPES[name](store)
        aps_class = recipe["class"].replace("triggerkit.", "apscheduler.", 1)
        app = SWITCH_APP.format(store_class=aps_class)
        (tmp_path / "aps_app.py").write_text(app)
        (tmp_path / "tk_app.py").write_text(app.replace("apscheduler", "triggerkit"))
        (tmp_path / "switch_jobs.py").write_text(SWITCH_JOBS)
        env = dict(subprocess_env(tmp_path), SWITCH_RUNS=str(tmp_path / "runs.txt"))

        def run(script: str, seconds: float) -> dict[str, Any]:
            out = tmp_path / f"{script}.json"
            args = [sys.executable, script, json.dumps(recipe["kwargs"]), str(out), str(seconds)]
            proc = subprocess.run(
                args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180
            )
            assert proc.returncode == 0, proc.stderr
            result: dict[str, Any] = json.loads(out.read_text())
            return result

        aps = run("aps_app.py", 2.5)
        assert [job["id"] for job in aps["stopped"]][-1] == "paused"
        rows_before = RAW_ROWS[name](store)
        assert sorted(rows_before) == ["beat", "later", "nightly", "office", "paused"]

        tk = run("tk_app.py", 2.5)
        # The same jobs, with the same next run times, as the APScheduler app left them.
        assert tk["started"] == aps["stopped"]
        rows_after = RAW_ROWS[name](store)
        assert sorted(rows_after) == sorted(rows_before)  # nothing deleted
        # The jobs that did not run are as APScheduler wrote them, byte for byte.
        for job_id in ("later", "nightly", "office", "paused"):
            assert rows_after[job_id] == rows_before[job_id], job_id
        # The one that ran was written back, with its next run time moved on.
        assert rows_after["beat"][1] != rows_before["beat"][1]
        assert rows_after["beat"][0] > rows_before["beat"][0]
        runs = (tmp_path / "runs.txt").read_text().split("\n")
        tk_pid_runs = [line for line in runs if line.startswith("beat ")]
        assert len({line.split()[1] for line in tk_pid_runs}) == 2  # both apps ran it
    finally:
        try:
            store.remove_all_jobs()
        finally:
            store.shutdown()
