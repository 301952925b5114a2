"""The date trigger, at APScheduler 3's ``apscheduler.triggers.date`` path."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from tzlocal import get_localzone

from ..util import astimezone, convert_to_datetime, datetime_repr
from .base import BaseTrigger

__all__ = ["DateTrigger"]


class DateTrigger(BaseTrigger):
    """Fire once, at ``run_date``.

    :param run_date: the date/time to run the job at (a ``datetime``, a ``date`` or text such
        as ``'2009-08-01 05:16:12.5'``, where ``.5`` is half a second); default: now
    :param timezone: time zone for ``run_date`` if it doesn't have one already
    """

    __slots__ = ("run_date",)

    def __init__(
        self, run_date: datetime | date | str | None = None, timezone: tzinfo | str | None = None
    ) -> None:
        tz = astimezone(timezone)
        if tz is None:
            # this module's own ``get_localzone``: patchable here, as in APScheduler 3
            tz = astimezone(get_localzone()) or astimezone("UTC")
        if run_date is not None:
            converted = convert_to_datetime(run_date, tz, "run_date")
            assert converted is not None
            self.run_date: datetime = converted
        else:
            self.run_date = datetime.now(tz)

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """Return ``run_date`` the first time, ``None`` afterwards."""
        return self.run_date if previous_fire_time is None else None

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1, "run_date": self.run_date}

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple):  # APScheduler 3.0's format
            state = state[1]
        if state.get("version", 1) > 1:
            raise ValueError(
                f"Got serialized data for version {state['version']} of "
                f"{self.__class__.__name__}, but only version 1 can be handled"
            )
        self.run_date = state["run_date"]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DateTrigger) and self.run_date == other.run_date

    def __hash__(self) -> int:
        return hash(self.run_date)

    def __str__(self) -> str:
        return f"date[{datetime_repr(self.run_date)}]"

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (run_date='{datetime_repr(self.run_date)}')>"
