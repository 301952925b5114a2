"""DaskExecutor on a real LocalCluster: two worker processes bound to 127.0.0.1."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import dask
import fleet_jobs
import pytest
from distributed import Client, KilledWorker, LocalCluster
from fleet import Collector, wait_for_file

from triggerkit.errors import RunLostError
from triggerkit.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES
from triggerkit.executors.base import BaseExecutor
from triggerkit.executors.dask import DaskExecutor
from triggerkit.schedulers._plugins import load_plugin


def local_cluster(n_workers: int) -> LocalCluster:
    # allowed-failures=0: a task whose worker dies errs with KilledWorker at once instead of
    # being retried on another worker (the scheduler's default is 3 retries).
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        return LocalCluster(
            n_workers=n_workers,
            threads_per_worker=2,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # None would still bind the fixed port 8787
        )


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    cluster = local_cluster(2)
    client = Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def worker_pids(client: Client) -> set[int]:
    return set(client.run(os.getpid).values())


def collector(client: Client) -> Collector:
    c = Collector(executors={"default": DaskExecutor(client)})
    c.sched.start()
    return c


def test_cron_and_interval_jobs_run_on_the_workers(client: Client) -> None:
    pids = worker_pids(client)
    assert len(pids) == 2 and os.getpid() not in pids
    c = collector(client)
    try:
        c.sched.add_job(fleet_jobs.whoami, "cron", second="*", id="cron")
        c.sched.add_job(fleet_jobs.whoami, "interval", seconds=1, id="interval")
        for job_id in ("cron", "interval"):
            events = c.wait_for(job_id, EVENT_JOB_EXECUTED, 2)
            assert {e.retval for e in events} <= pids
        assert c.sched.running
    finally:
        c.sched.shutdown()


def test_results_and_exceptions_come_back_as_events(client: Client) -> None:
    c = collector(client)
    try:
        c.sched.add_job(fleet_jobs.slow, "date", args=[0.0], id="value")
        c.sched.add_job(fleet_jobs.fail, "date", args=["boom"], id="own")
        c.sched.add_job(fleet_jobs.fail_builtin, "date", args=[3], id="builtin")
        c.sched.add_job(fleet_jobs.unencodable, "date", id="opaque")
        (value,) = c.wait_for("value", EVENT_JOB_EXECUTED)
        pid, start, end = value.retval
        assert pid in worker_pids(client) and start <= end
        (own,) = c.wait_for("own", EVENT_JOB_ERROR)
        assert type(own.exception) is fleet_jobs.JobFailure and own.exception.args == ("boom",)
        assert "raise JobFailure(message)" in own.traceback
        (builtin,) = c.wait_for("builtin", EVENT_JOB_ERROR)
        assert type(builtin.exception) is ValueError and builtin.exception.args == (3,)
        (opaque,) = c.wait_for("opaque", EVENT_JOB_EXECUTED)
        assert type(opaque.retval) is object  # pickled back as it is
    finally:
        c.sched.shutdown()


def test_max_instances_holds_when_a_run_outlasts_its_interval(client: Client) -> None:
    c = collector(client)
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


def test_jobs_the_workers_cannot_run_are_rejected_at_add_job(client: Client) -> None:
    c = collector(client)
    try:
        with pytest.raises(TypeError, match="Dask worker.*by reference.*lambda"):
            c.sched.add_job(lambda: None, "interval", seconds=1)

        def nested() -> None:
            pass

        with pytest.raises(TypeError, match="nested function"):
            c.sched.add_job(nested, "interval", seconds=1)
        assert c.sched.get_jobs() == []
    finally:
        c.sched.shutdown()


def test_the_alias_and_the_client_choices(client: Client) -> None:
    assert load_plugin("executor", "dask", BaseExecutor) is DaskExecutor
    c = Collector(executors={"default": {"type": "dask", "address": client.scheduler.address}})
    c.sched.start()
    try:
        c.sched.add_job(fleet_jobs.whoami, "date", id="by-address")
        (event,) = c.wait_for("by-address", EVENT_JOB_EXECUTED)
        assert event.retval in worker_pids(client)
    finally:
        c.sched.shutdown()
    with pytest.raises(ValueError, match="either client or address"):
        DaskExecutor(client, address="tcp://127.0.0.1:1")
    with pytest.raises(ValueError, match="no client"):
        Collector(executors={"default": DaskExecutor()}).sched.start()


def test_a_stopped_cluster_gives_error_events_and_the_scheduler_goes_on(client: Client) -> None:
    doomed_cluster = local_cluster(1)
    doomed = Client(doomed_cluster, set_as_default=False)
    c = Collector(executors={"default": DaskExecutor(doomed), "alive": DaskExecutor(client)})
    c.sched.start()
    try:
        c.sched.add_job(fleet_jobs.whoami, "interval", seconds=1, id="tick")
        c.wait_for("tick", EVENT_JOB_EXECUTED)
        doomed_cluster.close()
        errors = c.wait_for("tick", EVENT_JOB_ERROR, 2, timeout=30)
        assert all(isinstance(e.exception, ConnectionError | RunLostError) for e in errors)
        assert "not connected" in str(errors[-1].exception)
        c.sched.add_job(fleet_jobs.whoami, "date", executor="alive", id="elsewhere")
        c.wait_for("elsewhere", EVENT_JOB_EXECUTED)
        assert c.sched.running
    finally:
        c.sched.shutdown(wait=False)
        doomed.close()


def test_a_killed_worker_is_reported_and_the_scheduler_goes_on(
    client: Client, tmp_path: Path
) -> None:
    c = collector(client)
    try:
        marker = tmp_path / "pid"
        c.sched.add_job(fleet_jobs.slow, "date", args=[60, str(marker)], id="victim")
        pid = int(wait_for_file(marker))
        os.kill(pid, signal.SIGKILL)
        (lost,) = c.wait_for("victim", EVENT_JOB_ERROR, timeout=30)
        assert isinstance(lost.exception, KilledWorker)
        c.sched.add_job(fleet_jobs.whoami, "date", id="after")
        (after,) = c.wait_for("after", EVENT_JOB_EXECUTED, timeout=30)
        assert after.retval != pid and after.retval != os.getpid()
    finally:
        c.sched.shutdown()


def test_shutdown_without_waiting_abandons_runs_in_flight(
    client: Client, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    c = collector(client)
    marker = tmp_path / "pid"
    c.sched.add_job(fleet_jobs.slow, "date", args=[3, str(marker)], id="long")
    wait_for_file(marker)
    c.sched.shutdown(wait=False)
    assert "Shut down with 1 run(s) still on the Dask cluster" in caplog.text
    assert c.of("long") == []  # its outcome is not reported after the shutdown
