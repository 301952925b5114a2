"""Schedulers, at APScheduler 3's ``apscheduler.schedulers`` path."""

from __future__ import annotations

# The wall clock lives in ``triggerkit._clock``; ``from triggerkit.schedulers import _clock``
# (its former home, where tests patch it) gives the same module.
from .. import _clock  # noqa: F401
from ..errors import SchedulerAlreadyRunningError, SchedulerNotRunningError

__all__ = ["SchedulerAlreadyRunningError", "SchedulerNotRunningError"]
