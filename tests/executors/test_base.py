"""BaseExecutor's completion helper, the one path callback-driven executors finish a run by."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import pytest

from triggerkit.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from triggerkit.executors.base import BaseExecutor
from triggerkit.schedulers.background import BackgroundScheduler


class HeldExecutor(BaseExecutor):
    """Keeps each submitted run until the test finishes it."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[Any] = []

    def _do_submit_job(self, job: Any, run_times: Sequence[datetime]) -> None:
        self.held.append((job, run_times))


def noop() -> None:
    pass


def started() -> tuple[HeldExecutor, Any, list[Any]]:
    sched = BackgroundScheduler(timezone="UTC")
    executor = HeldExecutor()
    executor.start(sched, "held")
    seen: list[Any] = []
    sched.add_listener(seen.append)
    job = sched.add_job(noop, "date", max_instances=1, id="j")
    return executor, job, seen


def test_finish_run_dispatches_the_events_and_frees_the_slot() -> None:
    executor, job, seen = started()
    now = datetime.now(timezone.utc)
    executor.submit_job(job, [now])
    event = JobExecutionEvent(EVENT_JOB_EXECUTED, "j", "default", now, 42)
    executor._finish_run("j", lambda: [event])
    assert seen == [event]
    executor.submit_job(job, [now])  # the slot is free again: no MaxInstancesReachedError


def test_finish_run_logs_an_outcome_that_raises_and_frees_the_slot(
    caplog: pytest.LogCaptureFixture,
) -> None:
    executor, job, seen = started()
    executor.submit_job(job, [datetime.now(timezone.utc)])

    def broken() -> list[JobExecutionEvent]:
        raise OSError("lost the wire")

    with caplog.at_level(logging.ERROR, "triggerkit.executors.held"):
        executor._finish_run("j", broken)
    assert seen == []
    assert "Error running job j" in caplog.text and "lost the wire" in caplog.text
    executor.submit_job(job, [datetime.now(timezone.utc)])
