"""The calendar interval trigger, at APScheduler 3.10+'s ``apscheduler.triggers.calendarinterval``.

Fires every so many years, months, weeks and days, always at the same wall-clock time of day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from tzlocal import get_localzone

from .. import _tz
from ..errors import TriggerArgumentError
from ..util import asdate, astimezone, timezone_repr
from .base import BaseTrigger

__all__ = ["CalendarIntervalTrigger"]

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_GAP_POLICIES = ("shift", "skip")


def _zone(value: Any) -> tzinfo:
    zone = astimezone(value)
    assert zone is not None  # astimezone(None) is the only None, and value is never None
    return zone


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TriggerArgumentError(name, value, "a whole number >= 0")
    return value


def _clock_value(name: str, value: Any, top: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
        raise TriggerArgumentError(name, value, f"a whole number 0-{top}")
    return value


def _as_date(name: str, value: Any) -> date | None:
    try:
        converted = asdate(value)
    except ValueError:
        raise TriggerArgumentError(name, value, "a date or an ISO date 'YYYY-MM-DD'") from None
    if isinstance(converted, datetime):
        return converted.date()
    if converted is None or isinstance(converted, date):
        return converted
    raise TriggerArgumentError(name, value, "a date or an ISO date 'YYYY-MM-DD'")


class CalendarIntervalTrigger(BaseTrigger):
    """Fire on calendar-based intervals, always at the same wall-clock time of day.

    The next date is the previous one plus ``years`` and ``months`` with the day of the month
    kept (months where that day does not exist are passed over, as are February 29ths in other
    years), then plus ``weeks`` and ``days``; it fires at ``hour:minute:second`` wall time in
    ``timezone``. The first fire is on ``start_date`` (today by default) whatever ``now`` is, as
    in APScheduler 3.11.

    Daylight-saving time follows ``docs/rules/dst.md``: a time that occurs twice fires at its
    first occurrence (rule O, as APScheduler); a time that does not exist fires at the end of
    the gap (rule G; APScheduler 3.11 skips that date, which ``dst_gap="skip"`` does too).

    :param years: number of years to wait
    :param months: number of months to wait
    :param weeks: number of weeks to wait
    :param days: number of days to wait
    :param hour: hour to run the task at
    :param minute: minute to run the task at
    :param second: second to run the task at
    :param start_date: first date to trigger on (defaults to the current date)
    :param end_date: latest possible date to trigger on
    :param timezone: time zone for the wall-clock time (default: the local zone)
    :param jitter: delay the job execution by ``jitter`` seconds at most
    :param dst_gap: ``"shift"`` (rule G) or ``"skip"`` (APScheduler 3.11's behaviour)
    :raises TriggerArgumentError: (a ``ValueError``) for an argument out of range, an interval
        of zero, or an ``end_date`` before ``start_date``
    """

    __slots__ = (
        "_time",
        "days",
        "dst_gap",
        "end_date",
        "jitter",
        "months",
        "start_date",
        "timezone",
        "weeks",
        "years",
    )

    def __init__(
        self,
        *,
        years: int = 0,
        months: int = 0,
        weeks: int = 0,
        days: int = 0,
        hour: int = 0,
        minute: int = 0,
        second: int = 0,
        start_date: date | str | None = None,
        end_date: date | str | None = None,
        timezone: str | tzinfo | None = None,
        jitter: int | None = None,
        dst_gap: str = "shift",
    ) -> None:
        self.timezone: tzinfo = _zone(timezone or get_localzone())
        self.years = _count("years", years)
        self.months = _count("months", months)
        self.weeks = _count("weeks", weeks)
        self.days = _count("days", days)
        self._time = (
            _clock_value("hour", hour, 23),
            _clock_value("minute", minute, 59),
            _clock_value("second", second, 59),
        )
        self.start_date: date = _as_date("start_date", start_date) or date.today()
        self.end_date = _as_date("end_date", end_date)
        if jitter is not None and (isinstance(jitter, bool) or jitter < 0):
            raise TriggerArgumentError("jitter", jitter, "None or a number of seconds >= 0")
        self.jitter = jitter
        if dst_gap not in _GAP_POLICIES:
            raise TriggerArgumentError("dst_gap", dst_gap, "'shift' or 'skip'")
        self.dst_gap = dst_gap
        if self.years == self.months == self.weeks == self.days == 0:
            raise TriggerArgumentError(
                "interval",
                0,
                "years, months, weeks or days > 0",
                "interval must be at least 1 day long: give years, months, weeks or days",
            )
        # APScheduler 3.11 rejects this one (unlike the cron and interval triggers' end_date)
        if self.end_date and self.start_date > self.end_date:
            raise TriggerArgumentError(
                "end_date",
                end_date,
                f"a date on or after start_date ({self.start_date})",
                f"end_date cannot be earlier than start_date: end_date {self.end_date} is "
                f"before start_date {self.start_date}",
            )

    def _scheduled_date(self, fire_time: datetime) -> date:
        """Return the date a previous fire time was scheduled for.

        Its wall date, unless the time of day lies later on that date: then it fired early in
        the next day (a gap that ended past midnight, or jitter), and the day before is meant.
        """
        wall = fire_time.astimezone(self.timezone)
        if (wall.hour, wall.minute, wall.second) < self._time:
            return wall.date() - timedelta(days=1)
        return wall.date()

    def _advance(self, scheduled: date) -> date | None:
        """Return the next date after ``scheduled``, or ``None`` past the year 9999."""
        year, month = scheduled.year, scheduled.month
        while True:
            month += self.months
            year += self.years + (month - 1) // 12
            month = (month - 1) % 12 + 1
            if year > 9999:
                return None
            try:
                found = date(year, month, scheduled.day)
            except ValueError:
                continue  # no such day in this month (only with years or months): the next
            try:
                return found + timedelta(days=self.days + self.weeks * 7)
            except OverflowError:
                return None

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """Return the fire time after ``previous_fire_time``, or the first one on ``start_date``."""
        zone = _tz.zone_for(self.timezone)
        hour, minute, second = self._time
        seconds_of_day = hour * 3600 + minute * 60 + second
        after: int | None = None
        if previous_fire_time is None:
            candidate: date | None = self.start_date
        else:
            after = _tz.from_datetime(previous_fire_time)[0]
            candidate = self._advance(self._scheduled_date(previous_fire_time))
        while candidate is not None:
            if self.end_date and candidate > self.end_date:
                return None
            wall = (candidate.toordinal() - _EPOCH_ORDINAL) * 86400 + seconds_of_day
            instant = _tz.resolve_wall(zone, wall, self.dst_gap == "shift")
            # rule G may move a fire onto one already made: every fire is strictly later
            if instant is not None and (after is None or instant > after):
                fire_time = _tz.to_datetime(instant, self.timezone)
                return self._apply_jitter(fire_time, self.jitter, now)
            candidate = self._advance(candidate)
        return None

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 1,
            "interval": [self.years, self.months, self.weeks, self.days],
            "time": list(self._time),
            "start_date": self.start_date,
            "end_date": self.end_date,
            "timezone": self.timezone,
            "jitter": self.jitter,
            "dst_gap": self.dst_gap,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("version", 1) > 1:
            raise ValueError(
                f"Got serialized data for version {state['version']} of "
                f"{self.__class__.__name__}, but only versions up to 1 can be handled"
            )
        self.years, self.months, self.weeks, self.days = state["interval"]
        self.start_date = state["start_date"]
        self.end_date = state["end_date"]
        self.timezone = _zone(state["timezone"])
        self.jitter = state["jitter"]
        self.dst_gap = state.get("dst_gap", "shift")
        hour, minute, second = state["time"]
        self._time = (hour, minute, second)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, CalendarIntervalTrigger)
            and self.__getstate__() == other.__getstate__()
        )

    def __hash__(self) -> int:
        return hash((self.years, self.months, self.weeks, self.days, self._time, self.start_date))

    def __repr__(self) -> str:
        fields = [
            f"{name}={getattr(self, name)}"
            for name in ("years", "months", "weeks", "days")
            if getattr(self, name) > 0
        ]
        fields.append("time='{:02d}:{:02d}:{:02d}'".format(*self._time))
        fields.append(f"start_date='{self.start_date}'")
        if self.end_date:
            fields.append(f"end_date='{self.end_date}'")
        fields.append(f"timezone={timezone_repr(self.timezone)!r}")
        return f"{self.__class__.__name__}({', '.join(fields)})"
