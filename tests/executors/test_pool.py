"""Executors: the job runner, instance limits, and the thread, process and inline pools."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pool_jobs import die, pid, square

from triggerkit.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from triggerkit.executors.base import MaxInstancesReachedError, run_coroutine_job, run_job
from triggerkit.executors.debug import DebugExecutor
from triggerkit.executors.pool import ProcessPoolExecutor, ThreadPoolExecutor
from triggerkit.schedulers.background import BackgroundScheduler

UTC = timezone.utc
CAP = 60
# spawn, not fork: forking a process that runs threads is deprecated from Python 3.12 on
SPAWN = {"mp_context": multiprocessing.get_context("spawn")}


def fail() -> None:
    raise ArithmeticError("bad sum")


class Collector:
    """A background scheduler with a listener that gathers execution events."""

    def __init__(self, **options: Any) -> None:
        self.events: list[JobExecutionEvent] = []
        self.arrived = threading.Condition()
        self.sched = BackgroundScheduler(timezone="UTC", **options)
        self.sched.add_listener(self._on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    def _on_event(self, event: Any) -> None:
        with self.arrived:
            self.events.append(event)
            self.arrived.notify_all()

    def wait_for(self, count: int) -> list[JobExecutionEvent]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.events) >= count, CAP)
        return self.events


def make_job(func: Any, *args: Any, grace: int | None = 1) -> Any:
    sched = BackgroundScheduler(timezone="UTC")
    job = sched.add_job(
        func, "date", args=args, misfire_grace_time=grace, coalesce=True, max_instances=1, id="j"
    )
    job._jobstore_alias = "default"
    return job


def test_run_job_reports_success_with_the_return_value() -> None:
    job = make_job(square, 4)
    now = datetime.now(UTC)
    (event,) = run_job(job, "default", [now], "test")
    assert (event.code, event.retval, event.scheduled_run_time) == (EVENT_JOB_EXECUTED, 16, now)


def test_run_job_reports_a_miss_beyond_the_grace_time(caplog: pytest.LogCaptureFixture) -> None:
    job = make_job(square, 4)
    late = datetime.now(UTC) - timedelta(seconds=30)
    (event,) = run_job(job, "default", [late], "test")
    assert event.code == EVENT_JOB_MISSED
    assert "was missed by 0:00:3" in caplog.text


def test_run_job_reports_an_error_with_a_formatted_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    job = make_job(fail)
    (event,) = run_job(job, "default", [datetime.now(UTC)], "tk.test")
    assert event.code == EVENT_JOB_ERROR and isinstance(event.exception, ArithmeticError)
    assert event.traceback is not None and "in fail" in event.traceback
    assert caplog.records[-1].name == "tk.test" and caplog.records[-1].exc_info


def test_run_coroutine_job_awaits_the_function() -> None:
    import asyncio

    async def coro(x: int) -> int:
        await asyncio.sleep(0)
        return x + 1

    job = make_job(coro, 1)
    (event,) = asyncio.run(run_coroutine_job(job, "default", [datetime.now(UTC)], "test"))
    assert event.retval == 2


def test_an_executor_refuses_jobs_before_it_is_started() -> None:
    with pytest.raises(RuntimeError, match="not been started"):
        DebugExecutor().submit_job(make_job(square, 1), [datetime.now(UTC)])


def test_the_instance_limit_is_enforced_and_released() -> None:
    sched = BackgroundScheduler(timezone="UTC")
    executor = ThreadPoolExecutor(2)
    executor.start(sched, "default")
    gate = threading.Event()
    job = make_job(gate.wait, CAP)
    executor.submit_job(job, [datetime.now(UTC)])
    with pytest.raises(
        MaxInstancesReachedError,
        match='"j" has already reached its maximum number of instances \\(1\\)',
    ):
        executor.submit_job(job, [datetime.now(UTC)])
    gate.set()
    executor.shutdown(wait=True)
    assert dict(executor._instances) == {}


def test_the_debug_executor_runs_inline_and_keeps_its_count_straight() -> None:
    sched = BackgroundScheduler(timezone="UTC")
    executor = DebugExecutor()
    executor.start(sched, "debug")
    seen: list[Any] = []
    sched.add_listener(seen.append)
    job = make_job(threading.current_thread)
    for _ in range(3):  # max_instances=1: an inline run must release its slot
        executor.submit_job(job, [datetime.now(UTC)])
    assert [e.retval for e in seen] == [threading.current_thread()] * 3
    assert dict(executor._instances) == {}


def test_the_thread_pool_takes_pool_kwargs() -> None:
    executor = ThreadPoolExecutor(3, pool_kwargs={"thread_name_prefix": "tkpool"})
    assert executor._pool._max_workers == 3  # type: ignore[attr-defined]
    collector = Collector(executors={"default": executor})
    collector.sched.add_job(lambda: threading.current_thread().name)
    collector.sched.start()
    (event,) = collector.wait_for(1)
    collector.sched.shutdown()
    assert event.retval.startswith("tkpool")


def test_the_process_pool_runs_jobs_in_other_processes() -> None:
    collector = Collector(executors={"default": ProcessPoolExecutor(2, pool_kwargs=SPAWN)})
    # no grace limit: a spawned worker may take more than the default second to start
    collector.sched.add_job(pid, misfire_grace_time=None)
    collector.sched.add_job("pool_jobs:square", args=(7,), misfire_grace_time=None)
    collector.sched.start()
    events = collector.wait_for(2)
    collector.sched.shutdown()
    results = {e.retval for e in events}
    assert 49 in results and os.getpid() not in results


@pytest.mark.parametrize(
    ("func", "args", "message"),
    [
        (lambda: None, (), "its function .* cannot be pickled by reference"),
        (square, (threading.Lock(),), "its args or kwargs cannot be pickled"),
    ],
    ids=["lambda", "lock-argument"],
)
def test_the_process_pool_rejects_unpicklable_jobs_at_add_job(
    func: Any, args: Any, message: str
) -> None:
    executor = ProcessPoolExecutor(1)
    sched = BackgroundScheduler(timezone="UTC", executors={"default": executor})
    with pytest.raises(TypeError, match=message):
        sched.add_job(func, "interval", seconds=5, args=args)
    executor.shutdown()


def test_a_broken_process_pool_is_replaced(caplog: pytest.LogCaptureFixture) -> None:
    executor = ProcessPoolExecutor(1, pool_kwargs=SPAWN)
    collector = Collector(executors={"default": executor})
    sched = collector.sched
    sched.start()
    broken = threading.Event()
    logger = logging.getLogger("triggerkit.executors.default")

    class Flag(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("Error running job"):
                broken.set()

    flag = Flag()
    logger.addHandler(flag)
    try:
        sched.add_job(die)
        assert broken.wait(CAP)  # the crash surfaces as an error of the machinery, logged
        first_pool = executor._pool
        sched.add_job(square, args=(5,), misfire_grace_time=None)
        (event,) = collector.wait_for(1)
    finally:
        logger.removeHandler(flag)
        sched.shutdown()
    assert event.retval == 25
    assert executor._pool is not first_pool
    assert "Process pool is broken; replacing pool with a fresh instance" in caplog.text
