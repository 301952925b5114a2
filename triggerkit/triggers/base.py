"""The trigger interface, at APScheduler 3's ``apscheduler.triggers.base`` path."""

from __future__ import annotations

import math
import random
from abc import ABCMeta, abstractmethod
from datetime import datetime, timedelta
from typing import Any

from ..errors import TriggerArgumentError

__all__ = ["BaseTrigger", "check_jitter"]


def check_jitter(jitter: Any) -> None:
    """Accept ``None`` or a finite number of seconds >= 0 as a trigger's ``jitter``.

    :raises TypeError: for a value that is not a number
    :raises TriggerArgumentError: for a bool, a negative or a non-finite number
    """
    if jitter is None:
        return
    allowed = "None or a finite number of seconds >= 0"
    if isinstance(jitter, bool):
        raise TriggerArgumentError("jitter", jitter, allowed)
    if not isinstance(jitter, (int, float)):
        raise TypeError(f"jitter: expected None or a number, got {type(jitter).__name__}")
    if not math.isfinite(jitter) or jitter < 0:
        raise TriggerArgumentError("jitter", jitter, allowed)


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
        try:
            return next_fire_time + timedelta(seconds=random.uniform(0, jitter))
        except OverflowError:
            return next_fire_time  # no delay fits before the end of year 9999
