"""The trigger interface, at APScheduler 3's ``apscheduler.triggers.base`` path."""

from __future__ import annotations

import random
from abc import ABCMeta, abstractmethod
from datetime import datetime, timedelta

__all__ = ["BaseTrigger"]


class BaseTrigger(metaclass=ABCMeta):
    """Abstract base class that defines the interface that every trigger must implement."""

    __slots__ = ()

    @abstractmethod
    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """Return the next datetime to fire on, or ``None`` if there is none.

        :param previous_fire_time: the previous time the trigger was fired
        :param now: current datetime
        """

    def _apply_jitter(
        self, next_fire_time: datetime | None, jitter: float | None, now: datetime
    ) -> datetime | None:
        """Add a random delay of up to ``jitter`` seconds to ``next_fire_time``."""
        if next_fire_time is None or not jitter:
            return next_fire_time
        return next_fire_time + timedelta(seconds=random.uniform(0, jitter))
