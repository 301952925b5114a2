"""A failing job store never stops the scheduler's wake-ups: it is retried with back-off, and
the due jobs of a pass whose next run times could not be stored do not run twice."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pytest
from sched_helpers import FakeClock, ManualScheduler

from triggerkit.events import EVENT_JOB_EXECUTED
from triggerkit.executors.debug import DebugExecutor
from triggerkit.job import Job
from triggerkit.jobstores.memory import MemoryJobStore
from triggerkit.schedulers.background import BackgroundScheduler


class FlakyStore(MemoryJobStore):
    """A memory store whose named methods raise ConnectionError while they are in ``down``."""

    def __init__(self) -> None:
        super().__init__()
        self.down: set[str] = set()
        self.calls: list[str] = []

    def _check(self, name: str) -> None:
        self.calls.append(name)
        if name in self.down:
            raise ConnectionError(f"{name}: the server went away")

    def acquire_due_jobs(self, now: datetime, limit: int | None = None) -> list[Job]:
        self._check("acquire_due_jobs")
        return super().acquire_due_jobs(now, limit)

    def get_next_run_time(self) -> datetime | None:
        self._check("get_next_run_time")
        return super().get_next_run_time()

    def update_jobs(self, jobs: Iterable[Job]) -> None:
        self._check("update_jobs")
        super().update_jobs(jobs)


def flaky_scheduler(retry: float = 2.0) -> tuple[ManualScheduler, FlakyStore, list[Any]]:
    store = FlakyStore()
    sched = ManualScheduler(
        timezone="UTC",
        jobstore_retry_interval=retry,
        executors={"default": DebugExecutor()},
        jobstores={"default": store},
    )
    runs: list[Any] = []
    sched.add_listener(runs.append, EVENT_JOB_EXECUTED)
    sched.start()
    return sched, store, runs


def noop() -> None:
    pass


def test_consecutive_failures_back_off_and_a_success_resets(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    sched, store, _ = flaky_scheduler(retry=2.0)
    sched.add_job(noop, "interval", seconds=50, id="j", next_run_time=clock.value)
    store.down = {"acquire_due_jobs"}
    with caplog.at_level(logging.WARNING, logger="triggerkit.scheduler"):
        waits = [sched.tick() for _ in range(8)]
    assert waits == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 8 and all("the server went away" in m for m in messages)
    assert "failure 3; retrying in 8 s" in messages[2]
    store.down = set()
    assert sched.tick() == 50.0  # ran the job; the next wake-up is the job's again
    store.down = {"acquire_due_jobs"}
    assert sched.tick() == 2.0  # the back-off started over
    sched.shutdown()


def test_a_retry_interval_over_the_cap_is_kept(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    sched, store, _ = flaky_scheduler(retry=100.0)
    store.down = {"acquire_due_jobs"}
    with caplog.at_level(logging.WARNING, logger="triggerkit.scheduler"):
        waits = [sched.tick() for _ in range(3)]
    # MAX_SLEEP slices only the wait for a run time: a store retry waits its whole interval
    assert waits == [100.0] * 3
    assert [r.getMessage().endswith("retrying in 100 s)") for r in caplog.records] == [True] * 3
    sched.shutdown()


def test_an_error_reading_the_next_run_time_is_retried(clock: FakeClock) -> None:
    sched, store, runs = flaky_scheduler(retry=0.5)
    sched.add_job(noop, "interval", seconds=10, id="j", next_run_time=clock.value)
    store.down = {"get_next_run_time"}
    assert sched.tick() == 0.5  # no exception out of the loop
    assert len(runs) == 1
    store.down = set()
    assert sched.tick() == 10.0
    assert len(runs) == 1
    sched.shutdown()


def test_a_pass_whose_run_times_were_not_stored_does_not_run_them_again(
    clock: FakeClock,
) -> None:
    sched, store, runs = flaky_scheduler(retry=1.0)
    sched.add_job(noop, "interval", seconds=10, id="j", next_run_time=clock.value)
    store.down = {"update_jobs"}
    assert sched.tick() == 1.0
    assert len(runs) == 1
    clock.advance(1)
    assert sched.tick() == 2.0  # the unwritten batch is tried first, and fails again
    assert len(runs) == 1 and store.calls[-1] == "update_jobs"
    store.down = set()
    clock.advance(2)
    assert sched.tick() == 7.0  # written now; the job is not due again until +10 s
    assert len(runs) == 1
    job = store.lookup_job("j")
    assert job is not None and (job.next_run_time - clock.value).total_seconds() == 7.0
    sched.shutdown()


def test_removing_a_failing_store_forgets_its_failures(clock: FakeClock) -> None:
    sched, store, _ = flaky_scheduler(retry=1.0)
    store.down = {"acquire_due_jobs"}
    sched.tick()
    sched.tick()
    sched.remove_jobstore("default")
    sched.add_jobstore(store, "default")
    assert sched.tick() == 1.0
    sched.shutdown()


def test_the_scheduler_thread_survives_a_store_outage() -> None:
    store = FlakyStore()
    sched = BackgroundScheduler(
        timezone="UTC", jobstore_retry_interval=0.05, jobstores={"default": store}
    )
    ran = threading.Event()
    sched.add_job(ran.set, "interval", seconds=0.2, id="j")
    store.down = {"acquire_due_jobs", "get_next_run_time", "update_jobs"}
    sched.start()
    try:
        deadline = time.monotonic() + 10
        while store.calls.count("acquire_due_jobs") < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        assert sched._thread is not None and sched._thread.is_alive()
        # retried, but backing off (0.05, 0.1, 0.2, 0.4 s ...): not a busy loop
        assert 3 <= store.calls.count("acquire_due_jobs") <= 20
        assert not ran.is_set()
        store.down = set()
        assert ran.wait(5)
    finally:
        sched.shutdown()
