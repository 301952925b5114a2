"""Schedulers, at APScheduler 3's ``apscheduler.schedulers`` path."""

from __future__ import annotations

from ..errors import SchedulerAlreadyRunningError, SchedulerNotRunningError

__all__ = ["SchedulerAlreadyRunningError", "SchedulerNotRunningError"]
