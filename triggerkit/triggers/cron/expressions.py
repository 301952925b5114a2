"""Cron field expressions, at APScheduler 3's ``apscheduler.triggers.cron.expressions`` path.

Each class parses one comma-separated item of a field and turns it into bits of the field's
mask. Unlike APScheduler 3.11, an item must match *whole*: trailing text is an error, except that
a step after a name range (``mon-fri/2``) is honoured rather than silently dropped.
"""

from __future__ import annotations

import logging
import re
from calendar import monthrange
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from ..._constants import APS_LIMITS, MONTH_NAMES, WEEKDAY_NAMES
from ...errors import CronSpecError


class FieldLike(Protocol):
    """What an expression needs of its field (:class:`~.fields.BaseField` is one)."""

    name: str

    def get_value(self, dateval: datetime) -> int: ...

    def get_min(self, dateval: datetime) -> int: ...

    def get_max(self, dateval: datetime) -> int: ...


__all__ = (
    "LIMITS",
    "MONTHS",
    "WEEKDAYS",
    "AllExpression",
    "LastDayOfMonthExpression",
    "MonthRangeExpression",
    "RangeExpression",
    "WeekdayPositionExpression",
    "WeekdayRangeExpression",
)

WEEKDAYS = list(WEEKDAY_NAMES)
MONTHS = list(MONTH_NAMES)

# Each field's (minimum, maximum); ``fields.MIN_VALUES``/``MAX_VALUES`` are built from this.
LIMITS = APS_LIMITS


def _limits(field_name: str) -> tuple[int, int]:
    return LIMITS[field_name]


def _as_int(value: str | int, what: str) -> int:
    """Convert a parsed number; absurdly long digit strings are out of range, not a crash."""
    if isinstance(value, str) and len(value) > 9:
        raise CronSpecError(
            what,
            value,
            "a number of at most 9 digits",
            f"{what} {value[:12]}... is far out of range",
        )
    return int(value)


@lru_cache(maxsize=4096)
def _step_mask(first: int, last: int, step: int) -> int:
    if step == 1:
        return ((2 << last) - 1) & ~((1 << first) - 1)
    mask = 0
    for value in range(first, last + 1, step):
        mask |= 1 << value
    return mask


class AllExpression:
    """``*`` or ``*/step``: every value of the field, or every ``step``-th from the minimum."""

    value_re = re.compile(r"\*(?:/(?P<step>[0-9]+))?$")
    __slots__ = ("step",)

    def __init__(self, step: str | int | None = None) -> None:
        self.step = _as_int(step, "step") if step is not None else None
        if self.step == 0:
            raise CronSpecError(
                "step",
                0,
                "a step of at least 1",
                "step 0 is not allowed; a step must be at least 1",
            )

    def validate_range(self, field_name: str) -> None:
        """Check the expression against the field's limits.

        :raises CronSpecError: when the step exceeds the field's range
        """
        lo, hi = _limits(field_name)
        if self.step and self.step > hi - lo:
            raise CronSpecError(
                field_name,
                f"*/{self.step}",
                f"a step of 1-{hi - lo}",
                f"{field_name}: step {self.step} in '*/{self.step}' exceeds the field's range "
                f"({hi - lo}); allowed steps are 1-{hi - lo}",
            )

    def bounds(self, field_name: str) -> tuple[int, int, int]:
        """Return ``(first, last, step)`` of the values this expression selects."""
        lo, hi = _limits(field_name)
        return lo, hi, self.step or 1

    def mask(self, field_name: str) -> int:
        """Return the selected values of a small field as a bitmask."""
        return _step_mask(*self.bounds(field_name))

    def get_next_value(self, date: datetime, field: FieldLike) -> int | None:
        """Return the smallest selected value >= the date's value of ``field``, or ``None``."""
        first, last, step = self.bounds(field.name)
        start = max(field.get_value(date), first, field.get_min(date))
        last = min(last, field.get_max(date))
        value = start + (step - (start - first) % step) % step
        return value if value <= last else None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, self.__class__) and self.step == other.step

    def __hash__(self) -> int:
        return hash((self.__class__.__name__, self.step))

    def __str__(self) -> str:
        return f"*/{self.step}" if self.step else "*"

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.step})"

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _all_slots(type(self))}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)


def _all_slots(cls: type) -> list[str]:
    names: list[str] = []
    for klass in cls.__mro__:
        for name in getattr(klass, "__slots__", ()):
            if name not in names:
                names.append(name)
    return names


class RangeExpression(AllExpression):
    """``n``, ``a-b``, ``a-b/step`` or ``a/step`` (from ``a`` to the field's maximum)."""

    value_re = re.compile(r"(?P<first>[0-9]+)(?:-(?P<last>[0-9]+))?(?:/(?P<step>[0-9]+))?$")
    __slots__ = ("first", "last")

    def __init__(
        self, first: str | int, last: str | int | None = None, step: str | int | None = None
    ) -> None:
        super().__init__(step)
        self.first = _as_int(first, "value")
        self.last = _as_int(last, "value") if last is not None else None
        if self.last is None and step is None:
            self.last = self.first
        if self.last is not None and self.first > self.last:
            raise CronSpecError(
                "range",
                f"{first}-{last}",
                "a range whose first value is not above its last",
                f"range '{first}-{last}' is inverted; the first value must not exceed the last",
            )

    def validate_range(self, field_name: str) -> None:
        lo, hi = _limits(field_name)
        for value in (self.first, self.last):
            if value is not None and not lo <= value <= hi:
                raise CronSpecError(
                    field_name,
                    value,
                    f"{lo}-{hi}",
                    f"{field_name}: {value} in '{self}' is out of range {lo}-{hi}",
                )
        span = (self.last if self.last is not None else hi) - self.first
        # APScheduler 3 accepts '0-0/n' (its check reads a last value of 0 as "none"), and it
        # fires at 0 only; so does triggerkit. Any other 'a-a/n' is rejected by both.
        if self.step and self.step > span and self.last == 0 and span == 0:
            logging.getLogger("triggerkit.triggers").warning(
                "%s: '%s' fires at 0 only: the step has nothing to step through", field_name, self
            )
        elif self.step and self.step > span:
            raise CronSpecError(
                field_name,
                str(self),
                f"a step of 1-{span}" if span else "no step",
                f"{field_name}: step {self.step} in '{self}' exceeds the range it steps "
                f"through ({span})",
            )

    def bounds(self, field_name: str) -> tuple[int, int, int]:
        lo, hi = _limits(field_name)
        last = self.last if self.last is not None else hi
        return self.first, last, self.step or 1

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, self.__class__)
            and self.first == other.first
            and self.last == other.last
            and self.step == other.step
        )

    def __hash__(self) -> int:
        return hash((self.__class__.__name__, self.first, self.last, self.step))

    def _range_text(self, names: list[str] | None = None, offset: int = 0) -> str:
        def show(value: int) -> str:
            return names[value - offset] if names else str(value)

        # 'a-a/n' stays 'a-a/n': 'a/n' would mean 'from a to the maximum'
        if self.last is not None and (self.last != self.first or self.step):
            return f"{show(self.first)}-{show(self.last)}"
        return show(self.first)

    def __str__(self) -> str:
        text = self._range_text()
        return f"{text}/{self.step}" if self.step else text

    def __repr__(self) -> str:
        args = [str(self.first)]
        if (self.last is not None and self.last != self.first) or self.step:
            args.append(str(self.last))
        if self.step:
            args.append(str(self.step))
        return f"{self.__class__.__name__}({', '.join(args)})"


class _NameRangeExpression(RangeExpression):
    names: list[str] = []
    offset = 0
    kind = ""
    __slots__ = ()

    def __init__(self, first: str, last: str | None = None, step: str | int | None = None) -> None:
        first_value = self._lookup(first)
        last_value: int | None = first_value
        if last is not None:
            last_value = self._lookup(last)
        elif step is not None:
            last_value = None  # 'mon/2' runs to the field's maximum, like the numeric '0/2'
        if last_value is not None and first_value > last_value:
            raise CronSpecError(
                "range",
                f"{first}-{last}",
                "a range whose first value is not above its last",
                f"range '{first}-{last}' is inverted; the first {self.kind} must not come after "
                "the last",
            )
        super().__init__(first_value, last_value, step)

    @classmethod
    def _lookup(cls, name: str) -> int:
        try:
            return cls.names.index(name.lower()) + cls.offset
        except ValueError:
            raise CronSpecError(
                cls.kind,
                name,
                f"{cls.names[0]}..{cls.names[-1]}",
                f"{name!r} is not a {cls.kind} name ({cls.names[0]}..{cls.names[-1]})",
            ) from None

    def __str__(self) -> str:
        text = self._range_text(self.names, self.offset)
        return f"{text}/{self.step}" if self.step else text

    def __repr__(self) -> str:
        args = [f"'{self.names[self.first - self.offset]}'"]
        if self.last is not None and self.last != self.first:
            args.append(f"'{self.names[self.last - self.offset]}'")
        return f"{self.__class__.__name__}({', '.join(args)})"


class MonthRangeExpression(_NameRangeExpression):
    """``jan``, ``jan-mar`` or ``jan-dec/2`` (month names, case-insensitive)."""

    value_re = re.compile(
        r"(?P<first>[a-z]+)(?:-(?P<last>[a-z]+))?(?:/(?P<step>[0-9]+))?$", re.IGNORECASE
    )
    names = MONTHS
    offset = 1
    kind = "month"
    __slots__ = ()


class WeekdayRangeExpression(_NameRangeExpression):
    """``mon``, ``mon-fri`` or ``mon-sun/2`` (weekday names, case-insensitive)."""

    value_re = re.compile(
        r"(?P<first>[a-z]+)(?:-(?P<last>[a-z]+))?(?:/(?P<step>[0-9]+))?$", re.IGNORECASE
    )
    names = WEEKDAYS
    offset = 0
    kind = "weekday"
    __slots__ = ()


class WeekdayPositionExpression(AllExpression):
    """``1st``..``5th`` or ``last`` followed by a weekday name: ``3rd fri``, ``last sun``."""

    options = ["1st", "2nd", "3rd", "4th", "5th", "last"]
    value_re = re.compile(
        r"(?P<option_name>1st|2nd|3rd|4th|5th|last) +(?P<weekday_name>\w+)$", re.IGNORECASE
    )
    __slots__ = ("option_num", "weekday")

    def __init__(self, option_name: str, weekday_name: str) -> None:
        super().__init__(None)
        try:
            self.option_num = self.options.index(option_name.lower())
        except ValueError:
            raise CronSpecError(
                "day",
                option_name,
                "1st, 2nd, 3rd, 4th, 5th or last",
                f"day: {option_name!r} is not a weekday position (1st, 2nd, 3rd, 4th, 5th, last)",
            ) from None
        try:
            self.weekday = WEEKDAYS.index(weekday_name.lower())
        except ValueError:
            raise CronSpecError(
                "day",
                weekday_name,
                "mon..sun",
                f"day: {weekday_name!r} in '{option_name} {weekday_name}' is not a weekday name "
                "(mon..sun)",
            ) from None

    def validate_range(self, field_name: str) -> None:
        return None

    def get_next_value(self, date: datetime, field: FieldLike) -> int | None:
        first_wd, length = monthrange(date.year, date.month)
        first = (self.weekday - first_wd) % 7 + 1
        if self.option_num < 5:
            day = first + 7 * self.option_num
        else:
            day = first + 7 * ((length - first) // 7)
        return day if date.day <= day <= length else None

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, self.__class__)
            and self.option_num == other.option_num
            and self.weekday == other.weekday
        )

    def __hash__(self) -> int:
        return hash((self.__class__.__name__, self.option_num, self.weekday))

    def __str__(self) -> str:
        return f"{self.options[self.option_num]} {WEEKDAYS[self.weekday]}"

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}('{self.options[self.option_num]}', "
            f"'{WEEKDAYS[self.weekday]}')"
        )


class LastDayOfMonthExpression(AllExpression):
    """``last``: the last day of the month."""

    value_re = re.compile(r"last$", re.IGNORECASE)
    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(None)

    def validate_range(self, field_name: str) -> None:
        return None

    def get_next_value(self, date: datetime, field: FieldLike) -> int | None:
        return monthrange(date.year, date.month)[1]

    def __str__(self) -> str:
        return "last"

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"
