"""Helpers for the scheduler tests: a controllable clock and a hand-cranked scheduler."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo

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
