"""The scheduler's view of time: one place to read the clock and to sleep.

The scheduler loops, the job runner and the misfire check call :func:`now` and :func:`wait`
through this module (``_clock.now(...)``), so a test can replace both with a faster clock.
"""

from __future__ import annotations

import threading
from datetime import datetime, tzinfo
from typing import Protocol

__all__ = ["REAL_DATETIME", "now", "wait"]

# the real class: a module whose own ``datetime`` is something else was patched (by a test or
# by code written for APScheduler 3), and then that module reads the time from it
REAL_DATETIME = datetime


class _Waitable(Protocol):
    def wait(self, timeout: float | None = None) -> bool: ...


def now(tz: tzinfo | None) -> datetime:
    """Return the current time in ``tz``."""
    return datetime.now(tz)


def wait(event: _Waitable | threading.Event, timeout: float | None) -> bool:
    """Wait on ``event`` for up to ``timeout`` seconds; return whether it was set."""
    return bool(event.wait(timeout))
