"""The interval trigger, at APScheduler 3's ``apscheduler.triggers.interval`` path."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from ..errors import TriggerArgumentError
from ..util import astimezone, convert_to_datetime, datetime_repr
from .base import BaseTrigger, check_jitter

__all__ = ["IntervalTrigger"]

_UTC = timezone.utc
_INTERVAL_RANGE = "weeks/days/hours/minutes/seconds adding up to less than 999,999,999 days"


class IntervalTrigger(BaseTrigger):
    """Fire at fixed intervals of *elapsed* time from ``start_date`` (rule I).

    The arithmetic is exact (integer microseconds on the UTC timeline), so a 1-hour interval
    fires every 3600 s across DST transitions; its wall-clock time moves.

    :param weeks: number of weeks to wait
    :param days: number of days to wait
    :param hours: number of hours to wait
    :param minutes: number of minutes to wait
    :param seconds: number of seconds to wait
    :param start_date: starting point for the interval calculation (default: now + interval)
    :param end_date: latest possible date/time to trigger on
    :param timezone: time zone to use for the date/time calculations
    :param jitter: delay the job execution by ``jitter`` seconds at most
    """

    __slots__ = ("timezone", "start_date", "end_date", "interval", "interval_length", "jitter")

    def __init__(
        self,
        weeks: float = 0,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
        start_date: datetime | str | None = None,
        end_date: datetime | str | None = None,
        timezone: tzinfo | str | None = None,
        jitter: float | None = None,
    ) -> None:
        for name, value in (
            ("weeks", weeks),
            ("days", days),
            ("hours", hours),
            ("minutes", minutes),
            ("seconds", seconds),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TriggerArgumentError(name, value, "a number >= 0")
            if not math.isfinite(value):
                raise TriggerArgumentError(
                    name,
                    value,
                    "a finite number >= 0",
                    f"{name}: {value!r} is not a finite number; allowed: a finite number >= 0",
                )
            if value < 0:
                raise TriggerArgumentError(
                    name,
                    value,
                    "a number >= 0",
                    f"{name}: {value!r} is negative; allowed: a number >= 0",
                )
        try:
            self.interval = timedelta(
                weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds
            )
        except OverflowError:
            raise TriggerArgumentError(
                "interval",
                {"weeks": weeks, "days": days, "hours": hours, "minutes": minutes},
                _INTERVAL_RANGE,
                f"interval: weeks={weeks!r}, days={days!r}, hours={hours!r}, "
                f"minutes={minutes!r}, seconds={seconds!r} is too long; allowed: {_INTERVAL_RANGE}",
            ) from None
        self.interval_length = self.interval.total_seconds()
        if self.interval_length == 0:
            self.interval = timedelta(seconds=1)
            self.interval_length = 1
        if timezone:
            self.timezone = astimezone(timezone)
        elif isinstance(start_date, datetime) and start_date.tzinfo:
            self.timezone = astimezone(start_date.tzinfo)
        elif isinstance(end_date, datetime) and end_date.tzinfo:
            self.timezone = astimezone(end_date.tzinfo)
        else:
            from .cron import _local_zone

            self.timezone = _local_zone()
        if start_date is None:
            try:
                start_date = datetime.now(self.timezone) + self.interval
            except OverflowError:
                raise TriggerArgumentError(
                    "interval",
                    self.interval,
                    "an interval whose first run (now + interval) comes before year 10000",
                    f"interval: {self.interval} from now is past year 9999; give a shorter "
                    "interval or a start_date",
                ) from None
        self.start_date = convert_to_datetime(start_date, self.timezone, "start_date")
        self.end_date = convert_to_datetime(end_date, self.timezone, "end_date")
        if self.end_date is not None and self.start_date is not None:
            if self.end_date < self.start_date:
                raise TriggerArgumentError(
                    "end_date",
                    end_date,
                    f"a time at or after start_date ({self.start_date})",
                    f"end_date: {self.end_date} is before start_date {self.start_date}",
                )
        check_jitter(jitter)
        self.jitter = jitter

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """Return ``previous + interval``, or the first start + k·interval at or after ``now``."""
        assert self.start_date is not None
        # all arithmetic in UTC: same-zone datetimes subtract as wall clocks
        start = self.start_date.astimezone(_UTC)
        now = now.astimezone(_UTC)
        try:
            if previous_fire_time is not None:
                found = previous_fire_time.astimezone(_UTC) + self.interval
            elif start > now:
                found = start
            else:
                # ceil((now - start) / interval), exactly: O(1) however long ago start was
                steps = -((start - now) // self.interval)
                found = start + self.interval * steps
            if self.jitter is not None:
                found += timedelta(seconds=random.uniform(0, self.jitter))
            if self.end_date is not None and found > self.end_date.astimezone(_UTC):
                return None
            return found.astimezone(self.timezone)
        except OverflowError:
            return None  # past year 9999: the schedule is over

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 2,
            "timezone": self.timezone,
            "start_date": self.start_date,
            "end_date": self.end_date,
            "interval": self.interval,
            "jitter": self.jitter,
        }

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple):  # APScheduler 3.0's format
            state = state[1]
        if state.get("version", 1) > 2:
            raise ValueError(
                f"Got serialized data for version {state['version']} of "
                f"{self.__class__.__name__}, but only versions up to 2 can be handled"
            )
        self.timezone = astimezone(state["timezone"])
        self.start_date = state["start_date"]
        self.end_date = state["end_date"]
        self.interval = state["interval"]
        self.interval_length = self.interval.total_seconds()
        self.jitter = state.get("jitter")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IntervalTrigger) and self.__getstate__() == other.__getstate__()

    def __hash__(self) -> int:
        return hash((self.interval, self.start_date))

    def __str__(self) -> str:
        return f"interval[{self.interval!s}]"

    def __repr__(self) -> str:
        options = [f"interval={self.interval!r}", f"start_date={datetime_repr(self.start_date)!r}"]
        if self.end_date:
            options.append(f"end_date={datetime_repr(self.end_date)!r}")
        if self.jitter:
            options.append(f"jitter={self.jitter}")
        return f"<{self.__class__.__name__} ({', '.join(options)}, timezone='{self.timezone}')>"
