"""pytest-benchmark: the scheduler layer, triggerkit beside APScheduler 3.11.

Run with ``pytest bench/test_bench_scheduler.py``; ``scheduler_scale.py`` and
``scheduler_precision.py`` print the side-by-side tables for the larger scenarios.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from scheduler_scale import add_jobs, make_scheduler, noop

UTC = timezone.utc
CONTENDERS = ["triggerkit", "apscheduler"]


@pytest.mark.parametrize("kind", CONTENDERS)
def test_add_1000_cron_jobs(benchmark: Any, kind: str) -> None:
    def setup() -> tuple[tuple[Any, int], dict[str, Any]]:
        return (make_scheduler(kind), 1000), {}

    benchmark.pedantic(add_jobs, setup=setup, rounds=5)


@pytest.mark.parametrize("kind", CONTENDERS)
def test_add_job_with_a_ready_trigger(benchmark: Any, kind: str) -> None:
    if kind == "triggerkit":
        from triggerkit.triggers.cron import CronTrigger
    else:
        from apscheduler.triggers.cron import CronTrigger
    sched = make_scheduler(kind)
    trigger = CronTrigger(minute="*/5", timezone="UTC")
    benchmark(sched.add_job, noop, trigger)


@pytest.mark.parametrize("size", [1_000, 20_000])
@pytest.mark.parametrize("kind", CONTENDERS)
def test_one_wakeup_with_ten_due_jobs(benchmark: Any, kind: str, size: int) -> None:
    sched = make_scheduler(kind)
    add_jobs(sched, size)
    sched.state = 1
    counter = iter(range(10**9))

    def make_due() -> tuple[tuple[()], dict[str, Any]]:
        past = datetime.now(UTC) - timedelta(milliseconds=100)
        for _ in range(10):
            sched.modify_job(str(next(counter) % size), next_run_time=past)
        return (), {}

    benchmark.pedantic(sched._process_jobs, setup=make_due, rounds=50)
