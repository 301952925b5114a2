"""CeleryExecutor on a real Redis broker and result backend with two worker processes."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fleet_jobs
import pytest
import redis
from celery import Celery
from fleet import CeleryWorker, Collector, wait_for_file, wait_ready
from servers import PrivateServer, ensure_server

from triggerkit.errors import RemoteJobError, RunLostError
from triggerkit.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES
from triggerkit.executors.base import BaseExecutor
from triggerkit.executors.celery import CeleryExecutor
from triggerkit.schedulers._plugins import load_plugin

# Redis db numbers of the shared test server used here: broker, results; (12, 13) for the victim.
BROKER_DB, BACKEND_DB = 10, 11


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two celery workers (threads pool, acks_late) on the test Redis; yields app and PIDs."""
    port = int(ensure_server("redis")["TK_REDIS_PORT"])
    for db in (BROKER_DB, BACKEND_DB):
        redis.Redis(host="127.0.0.1", port=port, db=db).flushdb()
    broker = f"redis://127.0.0.1:{port}/{BROKER_DB}"
    backend = f"redis://127.0.0.1:{port}/{BACKEND_DB}"
    logs = tmp_path_factory.mktemp("celery-logs")
    workers = [CeleryWorker(f"w{i}", broker, backend, logs) for i in (1, 2)]
    app = fleet_jobs.make_app(broker, backend)
    try:
        wait_ready(app, workers)
        yield {"app": app, "port": port, "pids": {w.pid for w in workers}, "logs": logs}
    finally:
        for w in workers:
            w.stop()
        app.close()


def collector(app: Celery, **executor_options: Any) -> Collector:
    c = Collector(executors={"default": CeleryExecutor(app, **executor_options)})
    c.sched.start()
    return c


def test_cron_and_interval_jobs_run_on_the_workers(fleet: dict[str, Any]) -> None:
    c = collector(fleet["app"])
    try:
        c.sched.add_job(fleet_jobs.whoami, "cron", second="*", id="cron")
        c.sched.add_job(fleet_jobs.whoami, "interval", seconds=1, id="interval")
        for job_id in ("cron", "interval"):
            events = c.wait_for(job_id, EVENT_JOB_EXECUTED, 2)
            pids = {e.retval for e in events}
            assert pids <= fleet["pids"], (pids, fleet["pids"])
            assert os.getpid() not in pids
        assert c.sched.state == 1  # running
    finally:
        c.sched.shutdown()


def only_in_the_scheduler() -> None:
    pass


def test_results_and_exceptions_come_back_as_events(
    fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # fleet_jobs:only_in_the_scheduler resolves here, not in the workers' copy of fleet_jobs
    monkeypatch.setattr(only_in_the_scheduler, "__module__", "fleet_jobs")
    monkeypatch.setattr(only_in_the_scheduler, "__qualname__", "only_in_the_scheduler")
    monkeypatch.setattr(fleet_jobs, "only_in_the_scheduler", only_in_the_scheduler, raising=False)
    c = collector(fleet["app"])
    try:
        for job_id, func, args in [
            ("value", fleet_jobs.slow, [0.0]),
            ("own", fleet_jobs.fail, ["boom"]),
            ("builtin", fleet_jobs.fail_builtin, [3]),
            ("unknown", fleet_jobs.fail_worker_only, []),
            ("opaque", fleet_jobs.unencodable, []),
            ("gone", "fleet_jobs:only_in_the_scheduler", []),
        ]:
            c.sched.add_job(func, "date", args=args, id=job_id)
        (value,) = c.wait_for("value", EVENT_JOB_EXECUTED)
        pid, start, end = value.retval
        assert pid in fleet["pids"] and start <= end
        (own,) = c.wait_for("own", EVENT_JOB_ERROR)
        assert type(own.exception) is fleet_jobs.JobFailure and own.exception.args == ("boom",)
        assert "raise JobFailure(message)" in own.traceback
        (builtin,) = c.wait_for("builtin", EVENT_JOB_ERROR)
        assert type(builtin.exception) is ValueError and builtin.exception.args == (3,)
        (unknown,) = c.wait_for("unknown", EVENT_JOB_ERROR)
        assert isinstance(unknown.exception, RemoteJobError)
        assert unknown.exception.type_ref == "fleet_worker_only:WorkerOnlyError"
        (opaque,) = c.wait_for("opaque", EVENT_JOB_EXECUTED)
        assert opaque.retval.startswith("<object object at ")  # not JSON: its repr comes back
        # a reference that resolves in the scheduler but not on the workers fails the run
        (gone,) = c.wait_for("gone", EVENT_JOB_ERROR)
        assert "only_in_the_scheduler" in str(gone.exception)
    finally:
        c.sched.shutdown()


def test_max_instances_holds_when_a_run_outlasts_its_interval(fleet: dict[str, Any]) -> None:
    c = collector(fleet["app"])
    try:
        c.sched.add_job(fleet_jobs.slow, "interval", seconds=0.5, args=[1.6], id="slow")
        c.wait_for("slow", EVENT_JOB_EXECUTED, 2)
        c.sched.remove_job("slow")
        runs = sorted(e.retval[1:] for e in c.of("slow", EVENT_JOB_EXECUTED))
        for (_, end), (start, _) in zip(runs, runs[1:], strict=False):
            assert start >= end, runs  # never two at once, though 4 worker threads were free
        assert c.of("slow", EVENT_JOB_MAX_INSTANCES)
    finally:
        c.sched.shutdown()


def local_job() -> None:
    pass


def test_jobs_the_workers_cannot_run_are_rejected_at_add_job(fleet: dict[str, Any]) -> None:
    c = collector(fleet["app"])
    try:
        with pytest.raises(TypeError, match="Celery worker.*by reference.*lambda"):
            c.sched.add_job(lambda: None, "interval", seconds=1)

        def nested() -> None:
            pass

        with pytest.raises(TypeError, match="nested function"):
            c.sched.add_job(nested, "interval", seconds=1)
        with pytest.raises(TypeError, match="args or kwargs.*'json' task serializer"):
            c.sched.add_job(fleet_jobs.slow, "interval", seconds=1, args=[object()])
        assert c.sched.get_jobs() == []
    finally:
        c.sched.shutdown()


def test_the_alias_builds_the_executor_from_configuration(fleet: dict[str, Any]) -> None:
    assert load_plugin("executor", "celery", BaseExecutor) is CeleryExecutor
    c = Collector(executors={"default": {"type": "celery", "app": fleet["app"], "queue": "celery"}})
    c.sched.start()
    try:
        c.sched.add_job(fleet_jobs.whoami, "date", id="configured")
        (event,) = c.wait_for("configured", EVENT_JOB_EXECUTED)
        assert event.retval in fleet["pids"]
    finally:
        c.sched.shutdown()
    with pytest.raises(TypeError, match="Celery app"):
        CeleryExecutor("fleet_jobs:whoami")


def test_a_killed_worker_is_reported_and_the_scheduler_goes_on(
    fleet: dict[str, Any], tmp_path: Path
) -> None:
    app: Celery = fleet["app"]
    # a third worker on its own queue, so that the two shared ones stay up
    victim = CeleryWorker(
        "victim", app.conf.broker_url, app.conf.result_backend, tmp_path, queue="victim"
    )
    try:
        wait_ready(app, [victim])
        c = Collector(
            executors={
                "default": CeleryExecutor(app),
                "victim": CeleryExecutor(app, queue="victim", result_timeout=3),
            }
        )
        c.sched.start()
        marker = tmp_path / "pid"
        c.sched.add_job(fleet_jobs.slow, "date", args=[60, str(marker)], executor="victim", id="v")
        assert int(wait_for_file(marker)) == victim.pid
        os.kill(victim.pid, signal.SIGKILL)
        (lost,) = c.wait_for("v", EVENT_JOB_ERROR, timeout=20)
        assert isinstance(lost.exception, RunLostError)
        assert "within 3.0 s" in str(lost.exception)
        # the scheduler is still running and the fleet still takes runs
        c.sched.add_job(fleet_jobs.whoami, "date", id="after")
        (after,) = c.wait_for("after", EVENT_JOB_EXECUTED)
        assert after.retval in fleet["pids"]
        c.sched.shutdown()
    finally:
        victim.stop()


def test_a_stopped_broker_gives_error_events_and_runs_resume_when_it_is_back(
    tmp_path: Path,
) -> None:
    # a redis of this test's own (own port), stopped and started again
    with PrivateServer("redis") as server:
        broker = f"redis://127.0.0.1:{server.port}/0"
        backend = f"redis://127.0.0.1:{server.port}/1"
        app = fleet_jobs.make_app(broker, backend)
        workers = [CeleryWorker("lonely", broker, backend, tmp_path)]
        c = Collector(executors={"default": CeleryExecutor(app, result_timeout=4)})
        try:
            wait_ready(app, workers)
            c.sched.start()
            c.sched.add_job(fleet_jobs.whoami, "interval", seconds=1, id="tick")
            c.wait_for("tick", EVENT_JOB_EXECUTED)
            server.stop()
            # each run due while the broker is down is an error event, not a silent loss
            errors = c.wait_for("tick", EVENT_JOB_ERROR, 2, timeout=30)
            assert c.sched.running
            assert any(not isinstance(e.exception, RunLostError) for e in errors)  # a failed send
            before = len(c.of("tick", EVENT_JOB_EXECUTED))
            server.start()
            # Celery 5.7's threads-pool worker may exit ("Unrecoverable error") when its broker
            # vanishes mid-ack; a fresh worker stands in for the supervisor that would restart it.
            workers.append(CeleryWorker("lonely2", broker, backend, tmp_path))
            wait_ready(app, workers[1:])
            after = c.wait_for("tick", EVENT_JOB_EXECUTED, before + 2, timeout=40)
            assert {e.retval for e in after[before:]} <= {w.pid for w in workers}
        finally:
            if c.sched.running:
                c.sched.shutdown(wait=False)
            for w in workers:
                w.stop()
            app.close()


def test_a_result_backend_without_pub_sub_is_polled(fleet: dict[str, Any], tmp_path: Path) -> None:
    # Celery's file-system result backend has no pub/sub: the executor's sweep polls it.
    results = tmp_path / "results"
    results.mkdir()
    backend = f"file://{results}"
    broker = f"redis://127.0.0.1:{fleet['port']}/12"
    redis.Redis(host="127.0.0.1", port=fleet["port"], db=12).flushdb()
    app = fleet_jobs.make_app(broker, backend)
    assert not app.backend.is_async
    worker = CeleryWorker("polled", broker, backend, tmp_path)
    c = Collector(executors={"default": CeleryExecutor(app, poll_interval=0.05)})
    try:
        wait_ready(app, [worker])
        c.sched.start()
        c.sched.add_job(fleet_jobs.whoami, "date", id="ok")
        c.sched.add_job(fleet_jobs.fail, "date", args=["polled"], id="bad")
        (ok,) = c.wait_for("ok", EVENT_JOB_EXECUTED)
        assert ok.retval == worker.pid
        (bad,) = c.wait_for("bad", EVENT_JOB_ERROR)
        assert type(bad.exception) is fleet_jobs.JobFailure
    finally:
        if c.sched.running:
            c.sched.shutdown()
        worker.stop()
        app.close()


def test_shutdown_without_waiting_abandons_runs_in_flight(
    fleet: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    c = collector(fleet["app"])
    marker = tmp_path / "pid"
    c.sched.add_job(fleet_jobs.slow, "date", args=[3, str(marker)], id="long")
    wait_for_file(marker)
    c.sched.shutdown(wait=False)
    assert "Shut down with 1 run(s) still on the Celery fleet" in caplog.text
    assert c.of("long") == []
