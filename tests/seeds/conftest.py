"""Fixtures for the seed examples: the skipping clock."""

from __future__ import annotations

import pytest
from seed_harness import SkippingClock

from triggerkit.schedulers import _clock


@pytest.fixture
def skipping_clock(monkeypatch: pytest.MonkeyPatch) -> SkippingClock:
    clock = SkippingClock()
    monkeypatch.setattr(_clock, "now", clock.now)
    monkeypatch.setattr(_clock, "wait", clock.wait)
    return clock
