"""The cron trigger, at APScheduler 3's ``apscheduler.triggers.cron`` path."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from tzlocal import get_localzone

from ..._constants import Masks
from ..._croncore import CronCore, shared_core
from ...errors import CronSpecError
from ...util import astimezone, convert_to_datetime, datetime_repr
from ..base import BaseTrigger, check_jitter, warn_if_ends_before_start
from ._values import masks_of
from .fields import (
    DEFAULT_VALUES,
    BaseField,
    DayOfMonthField,
    DayOfWeekField,
    MonthField,
    WeekField,
)

__all__ = ["CronTrigger"]

_UTC = timezone.utc
_MICROSECOND = timedelta(microseconds=1)


def _local_zone() -> tzinfo:
    # this module's own ``get_localzone``, so that patching it here works as in APScheduler 3
    return astimezone(get_localzone()) or _UTC


@lru_cache(maxsize=8192)
def _cached_field(cls: type[BaseField], name: str, exprs: str | int, is_default: bool) -> BaseField:
    return cls(name, exprs, is_default)


def _make_field(cls: type[BaseField], name: str, exprs: Any, is_default: bool) -> BaseField:
    """Parse a field, sharing the parsed object between triggers with the same text.

    Fields are not changed after parsing, so sharing them makes building many cron triggers
    with the same specs (a scheduler with thousands of jobs) cheap.
    """
    if isinstance(exprs, (str, int)) and not isinstance(exprs, bool):
        return _cached_field(cls, name, exprs, is_default)  # type: ignore[arg-type]
    return cls(name, exprs, is_default)


@lru_cache(maxsize=8192)
def _masks_for(fields: tuple[BaseField, ...]) -> tuple[Masks, bool]:
    """Return the engine masks of eight fields, and whether the spec follows real time."""
    year, month, day, week, day_of_week, hour, minute, second = fields
    last_days, nth, last_wd = day.special_masks() if isinstance(day, DayOfMonthField) else (0, 0, 0)
    masks = Masks(
        years=year.year_ranges(),
        months=month.mask(),
        days=day.mask(),
        last_days=last_days,
        nth_weekdays=nth,
        last_weekdays=last_wd,
        near_weekdays=0,
        flags=0,
        weekdays=day_of_week.mask(),
        weeks=week.mask(),
        hours=hour.mask(),
        minutes=minute.mask(),
        seconds=second.mask(),
    )
    # rule O: a spec whose hour or minute field starts with '*' follows real time
    return masks, hour.starts_with_star() or minute.starts_with_star()


@lru_cache(maxsize=8192, typed=True)
def _spec_for(
    *values: Any,
) -> tuple[tuple[BaseField, ...] | None, tuple[Any, ...], Masks, bool]:
    """Return the fields (or the packed values), masks and rule-O flag of eight field values.

    The fields are ``None`` when the values are in the common forms, whose masks come straight
    from the text; the trigger keeps the values packed and parses them when ``fields`` is
    read. ``typed``: ``hour=True`` is an error, not ``hour=1``. Nothing here is changed after
    parsing, so triggers with the same values share it all.
    """
    found = masks_of(values)
    if found is not None:
        return None, _pack(values), found[0], found[1]
    fields = tuple(_parse_fields(values))
    masks, follows = _masks_for(fields)
    return fields, (), masks, follows


@lru_cache(maxsize=8192, typed=True)
def _trigger_spec(
    *key: Any,
) -> tuple[tuple[BaseField, ...] | None, tuple[Any, ...], CronCore]:
    """Return the fields (or packed values) and the shared core of a trigger's eight field
    values, zone and DST policy: one lookup for a repeated trigger (the spec and core caches
    behind it hash the masks, which costs more than hashing the values)."""
    *values, tz, dst_gap, dst_overlap = key
    fields, packed, masks, follows = _spec_for(*values)
    return fields, packed, shared_core(masks, tz, follows, dst_gap, dst_overlap)


def _pack(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """The eight values as ``(first, value, ...)`` from the first given to the last given:
    what a trigger keeps until its fields are read (most of the eight are ``None``)."""
    given = [i for i, value in enumerate(values) if value is not None] or [8]
    return (given[0], *values[given[0] : given[-1] + 1])


def _unpack(packed: tuple[Any, ...]) -> tuple[Any, ...]:
    first: int = packed[0]
    values: tuple[Any, ...] = (None,) * first + packed[1:]
    return values + (None,) * (8 - len(values))


def _parse_fields(values: tuple[Any, ...]) -> list[BaseField]:
    """Parse the eight field values into APScheduler 3's field objects (shared when cached)."""
    given = dict(zip(CronTrigger.FIELD_NAMES, values, strict=True))
    return [
        _make_field(CronTrigger.FIELDS_MAP[name], name, exprs, is_default)
        for name, exprs, is_default in _defaulted(given)
    ]


def _defaulted(given: dict[str, Any]) -> list[tuple[str, Any, bool]]:
    """Return ``(name, expression, is_default)`` per field with APScheduler 3's defaulting.

    Fields above the smallest given one are ``'*'``, fields below it take their minimum.
    """
    values = {k: v for k, v in given.items() if v is not None}
    out = []
    assign_defaults = False
    for name in CronTrigger.FIELD_NAMES:
        if name in values:
            out.append((name, values.pop(name), False))
            assign_defaults = not values
        elif assign_defaults:
            out.append((name, DEFAULT_VALUES[name], True))
        else:
            out.append((name, "*", True))
    return out


class CronTrigger(BaseTrigger):
    """Fire when the current time matches all given time constraints, like UNIX cron.

    :param year: 4-digit year
    :param month: month (1-12)
    :param day: day of month (1-31)
    :param week: ISO week (1-53)
    :param day_of_week: number or name of weekday (0-6 or mon,tue,wed,thu,fri,sat,sun)
    :param hour: hour (0-23)
    :param minute: minute (0-59)
    :param second: second (0-59)
    :param start_date: earliest possible date/time to trigger on (inclusive)
    :param end_date: latest possible date/time to trigger on (inclusive)
    :param timezone: time zone for the date/time calculations (defaults to the local zone)
    :param jitter: delay the job execution by ``jitter`` seconds at most
    :param dst_gap: ``"shift"`` (default, rule G) or ``"skip"`` for wall times that do not exist
    :param dst_overlap: ``"auto"`` (default, rule O), ``"first"``, ``"last"`` or ``"both"``

    .. note:: The first weekday is always **monday** (0), as in APScheduler 3.
    """

    FIELD_NAMES = ("year", "month", "day", "week", "day_of_week", "hour", "minute", "second")
    FIELDS_MAP: dict[str, type[BaseField]] = {
        "year": BaseField,
        "month": MonthField,
        "week": WeekField,
        "day": DayOfMonthField,
        "day_of_week": DayOfWeekField,
        "hour": BaseField,
        "minute": BaseField,
        "second": BaseField,
    }

    __slots__ = (
        "end_date",
        "_fields",
        "jitter",
        "start_date",
        "timezone",
        "dst_gap",
        "dst_overlap",
        "_core",
    )

    _fields: list[BaseField] | tuple[Any, ...]

    def __init__(
        self,
        year: int | str | None = None,
        month: int | str | None = None,
        day: int | str | None = None,
        week: int | str | None = None,
        day_of_week: int | str | None = None,
        hour: int | str | None = None,
        minute: int | str | None = None,
        second: int | str | None = None,
        start_date: datetime | str | None = None,
        end_date: datetime | str | None = None,
        timezone: tzinfo | str | None = None,
        jitter: float | None = None,
        *,
        dst_gap: str = "shift",
        dst_overlap: str = "auto",
    ) -> None:
        self.timezone: tzinfo | None
        if type(timezone) is ZoneInfo or timezone is _UTC:
            self.timezone = timezone  # what astimezone() returns for them, without its checks
        elif timezone:
            self.timezone = astimezone(timezone)
        elif isinstance(start_date, datetime) and start_date.tzinfo:
            self.timezone = astimezone(start_date.tzinfo)
        elif isinstance(end_date, datetime) and end_date.tzinfo:
            self.timezone = astimezone(end_date.tzinfo)
        else:
            self.timezone = _local_zone()
        self.start_date = self.end_date = None
        if start_date is not None or end_date is not None:
            self.start_date = convert_to_datetime(start_date, self.timezone, "start_date")
            self.end_date = convert_to_datetime(end_date, self.timezone, "end_date")
            # APScheduler 3 accepts an end_date before start_date: the trigger never fires
            warn_if_ends_before_start("cron", self.start_date, self.end_date)
        if jitter is not None:
            check_jitter(jitter)
        self.jitter = jitter
        self.dst_gap = dst_gap
        self.dst_overlap = dst_overlap

        try:  # the same field values and zone as an earlier trigger: its fields and core
            fields, packed, self._core = _trigger_spec(
                year, month, day, week, day_of_week, hour, minute, second,
                self.timezone, dst_gap, dst_overlap,
            )  # fmt: skip
        except TypeError:  # an unhashable value: parsed here, which names the field
            self._fields = _parse_fields(
                (year, month, day, week, day_of_week, hour, minute, second)
            )
            self._build()
            return
        # the packed values stand for the fields until they are first read
        self._fields = packed if fields is None else list(fields)

    @property
    def fields(self) -> list[BaseField]:
        """The eight APScheduler 3 field objects, year to second (parsed on first read)."""
        fields = self._fields
        if isinstance(fields, tuple):
            fields = self._fields = _parse_fields(_unpack(fields))
        return fields

    @fields.setter
    def fields(self, value: list[BaseField] | tuple[BaseField, ...]) -> None:
        self._fields = value if isinstance(value, list) else list(value)

    def _build(self) -> None:
        masks, follows = _masks_for(tuple(self.fields))
        assert self.timezone is not None
        self._core = shared_core(masks, self.timezone, follows, self.dst_gap, self.dst_overlap)

    @classmethod
    def from_crontab(cls, expr: str, timezone: tzinfo | str | None = None) -> CronTrigger:
        """Create a trigger from a 5-field crontab expression.

        ``minute hour day month day_of_week``, with APScheduler 3's semantics: 0 = Monday, and
        day AND day_of_week (see the ``aps`` dialect in ``docs/dialects.md``).

        :raises CronSpecError: for a wrong number of fields or a bad field
        :raises TypeError: if ``expr`` is not a string
        """
        if not isinstance(expr, str):
            raise TypeError(f"crontab: expected a string, got {type(expr).__name__}")
        values = expr.split()
        if len(values) != 5:
            raise CronSpecError(
                "crontab",
                expr,
                "5 fields: minute hour day month day_of_week",
                f"crontab: {expr!r}: Wrong number of fields; got {len(values)}, expected 5 "
                "(minute hour day month day_of_week)",
            )
        return cls(
            minute=values[0],
            hour=values[1],
            day=values[2],
            month=values[3],
            day_of_week=values[4],
            timezone=timezone,
        )

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """Return the next fire time after ``previous_fire_time`` (or from ``now``).

        As in APScheduler 3: with a previous fire time the search starts just after it (or
        at ``now`` if that is earlier), otherwise at ``max(now, start_date)``; the result is
        never past ``end_date``. DST is handled by rules G and O.
        """
        if self.start_date is None and self.end_date is None and not self.jitter:
            # the common cases, without conversions
            if previous_fire_time is None:
                if now.tzinfo is not None:
                    return self._core.search.next(now, True)
            elif previous_fire_time is now or (
                previous_fire_time.tzinfo is now.tzinfo
                and type(now.tzinfo) is timezone
                and previous_fire_time <= now
            ):
                # previous at or before now (a fixed offset: wall clocks compare as instants):
                # the search starts just after previous, as below
                return self._core.search.next(previous_fire_time)
        # Instants are compared and shifted in UTC: same-zone datetimes compare (and subtract)
        # as wall clocks, ignoring fold.
        now_utc = now.astimezone(_UTC)
        if previous_fire_time is not None:
            previous = previous_fire_time.astimezone(_UTC)
            start = min(now_utc, previous + _MICROSECOND)
            if start == previous:
                start += _MICROSECOND
        elif self.start_date is not None:
            start = max(now_utc, self.start_date.astimezone(_UTC))
        else:
            start = now_utc
        found = self._core.search.next(start, True)
        if found is None:
            return None
        end = self.end_date
        if end is not None and found.astimezone(_UTC) > end.astimezone(_UTC):
            return None
        found = self._apply_jitter(found, self.jitter, now)
        assert found is not None
        if end is not None and found.astimezone(_UTC) > end.astimezone(_UTC):
            return end
        return found

    @property
    def field_masks(self) -> Masks:
        """The compiled field masks: the arguments of the kernel's ``compile_spec``."""
        masks: Masks = self._core.masks
        return masks

    def get_prev_fire_time(self, before: datetime, inclusive: bool = False) -> datetime | None:
        """Return the last fire time before ``before`` (not before ``start_date``), or ``None``.

        An addition to APScheduler 3: the exact inverse of the forward search.
        """
        end, start = self.end_date, self.start_date
        if end is not None and before.astimezone(_UTC) > end.astimezone(_UTC):
            before, inclusive = end, True
        found = self._core.search.prev(before, inclusive)
        if found is None or (start is not None and found.astimezone(_UTC) < start.astimezone(_UTC)):
            return None
        return found

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 2,
            "timezone": self.timezone,
            "start_date": self.start_date,
            "end_date": self.end_date,
            "fields": self.fields,
            "jitter": self.jitter,
            "dst_gap": self.dst_gap,
            "dst_overlap": self.dst_overlap,
        }

    def __setstate__(self, state: Any) -> None:
        # A tuple is APScheduler 3.0's format; state from APScheduler 3.x itself works too, as
        # its field objects are read only through their name, text and is_default flag.
        if isinstance(state, tuple):
            state = state[1]
        if state.get("version", 1) > 2:
            raise ValueError(
                f"Got serialized data for version {state['version']} of "
                f"{self.__class__.__name__}, but only versions up to 2 can be handled"
            )
        self.timezone = astimezone(state["timezone"])
        self.start_date = state["start_date"]
        self.end_date = state["end_date"]
        self.jitter = state.get("jitter")
        self.dst_gap = state.get("dst_gap", "shift")
        self.dst_overlap = state.get("dst_overlap", "auto")
        fields = []
        for field in state["fields"]:
            if not isinstance(field, BaseField):
                field = self.FIELDS_MAP[field.name](field.name, str(field), field.is_default)
            fields.append(field)
        self.fields = fields
        self._build()

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, CronTrigger)
            and self.fields == other.fields
            and self.timezone == other.timezone
            and self.start_date == other.start_date
            and self.end_date == other.end_date
            and self.jitter == other.jitter
            and self.dst_gap == other.dst_gap
            and self.dst_overlap == other.dst_overlap
        )

    def __hash__(self) -> int:
        return hash((tuple(str(f) for f in self.fields), str(self.timezone)))

    def __str__(self) -> str:
        options = [f"{f.name}='{f}'" for f in self.fields if not f.is_default]
        return "cron[{}]".format(", ".join(options))

    def __repr__(self) -> str:
        options = [f"{f.name}='{f}'" for f in self.fields if not f.is_default]
        if self.start_date:
            options.append(f"start_date={datetime_repr(self.start_date)!r}")
        if self.end_date:
            options.append(f"end_date={datetime_repr(self.end_date)!r}")
        if self.jitter:
            options.append(f"jitter={self.jitter}")
        if self.dst_gap != "shift":
            options.append(f"dst_gap={self.dst_gap!r}")
        if self.dst_overlap != "auto":
            options.append(f"dst_overlap={self.dst_overlap!r}")
        assert self.timezone is not None
        return "<{} ({}, timezone='{}')>".format(
            self.__class__.__name__, ", ".join(options), self.timezone
        )
