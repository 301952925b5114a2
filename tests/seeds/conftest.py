"""Fixtures for the seed examples: the skipping clock."""

from __future__ import annotations

import pytest
from seed_harness import SkippingClock

from triggerkit.schedulers import _clock, base


@pytest.fixture
def skipping_clock(monkeypatch: pytest.MonkeyPatch) -> SkippingClock:
    clock = SkippingClock()
    monkeypatch.setattr(_clock, "now", clock.now)
    monkeypatch.setattr(_clock, "wait", clock.wait)
    # The skipped sleeps stand in for whole hours: slicing them at MAX_SLEEP (which guards
    # against wall-clock steps, tests/schedulers/test_clock.py) would cost a real
    # REAL_SLEEP per minute of schedule.
    monkeypatch.setattr(base, "MAX_SLEEP", float(base.TIMEOUT_MAX))
    return clock
