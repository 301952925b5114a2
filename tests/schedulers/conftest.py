"""Fixtures for the scheduler tests: a controllable clock and a hand-cranked scheduler."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sched_helpers import FakeClock, ManualScheduler

from triggerkit.executors.debug import DebugExecutor
from triggerkit.schedulers import _clock


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(_clock, "now", fake.now)
    return fake


@pytest.fixture
def events() -> list[Any]:
    return []


@pytest.fixture
def manual(clock: FakeClock, events: list[Any]) -> Iterator[ManualScheduler]:
    """A started ManualScheduler in UTC that runs jobs inline and records every event."""
    sched = ManualScheduler(timezone="UTC", executors={"default": DebugExecutor()})
    sched.add_listener(events.append)
    sched.start()
    yield sched
    if sched.running:
        sched.shutdown()
