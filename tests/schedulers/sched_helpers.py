"""Helpers for the scheduler tests: a controllable clock, a hand-cranked scheduler, a shared
scheduler on one store and a polling wait."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from triggerkit.schedulers.background import BackgroundScheduler
from triggerkit.schedulers.base import BaseScheduler

UTC = timezone.utc
START = datetime(2030, 1, 1, tzinfo=UTC)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime = START) -> None:
        self.value = start

    def now(self, tz: tzinfo | None) -> datetime:
        return self.value.astimezone(tz)

    def advance(self, seconds: float = 0, **kwargs: float) -> datetime:
        self.value += timedelta(seconds=seconds, **kwargs)
        return self.value

    def set(self, value: datetime) -> None:
        self.value = value


class ManualScheduler(BaseScheduler):
    """A scheduler whose loop runs only when the test calls :meth:`tick`."""

    wakeups = 0

    def wakeup(self) -> None:
        self.wakeups += 1

    def tick(self) -> float | None:
        return self._process_jobs()


def shared_scheduler(
    store: Any, poll_interval: float = 0.2, lease: float = 3
) -> BackgroundScheduler:
    """A shared (``shared=True``) background scheduler in UTC on ``store`` as ``"default"``."""
    return BackgroundScheduler(
        shared=True,
        shared_poll_interval=poll_interval,
        shared_lease=lease,
        jobstores={"default": store},
        timezone="UTC",
    )


def wait_for(predicate: Callable[[], bool], timeout: float = 10) -> bool:
    """Poll ``predicate`` every 20 ms until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False
