"""Cron fields, at APScheduler 3's ``apscheduler.triggers.cron.fields`` path.

A field is a list of expressions; :meth:`BaseField.mask` turns it into the bitmask the engine
kernel searches with.
"""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from datetime import datetime
from typing import Any, ClassVar

from ...errors import CronSpecError
from .expressions import (
    LIMITS,
    AllExpression,
    LastDayOfMonthExpression,
    MonthRangeExpression,
    RangeExpression,
    WeekdayPositionExpression,
    WeekdayRangeExpression,
)

__all__ = (
    "DEFAULT_VALUES",
    "MAX_VALUES",
    "MIN_VALUES",
    "BaseField",
    "DayOfMonthField",
    "DayOfWeekField",
    "MonthField",
    "WeekField",
)

MIN_VALUES = {name: lo for name, (lo, hi) in LIMITS.items()}
MAX_VALUES = {name: hi for name, (lo, hi) in LIMITS.items()}
DEFAULT_VALUES: dict[str, str | int] = {
    "year": "*",
    "month": 1,
    "day": 1,
    "week": "*",
    "day_of_week": "*",
    "hour": 0,
    "minute": 0,
    "second": 0,
}
# What each field accepts, for error messages.
ALLOWED = {
    "year": "a year 1970-9999, '*', 'a-b', '*/n' or 'a-b/n'",
    "month": "a month name (jan..dec) or number 1-12",
    "day": "a day 1-31, 'last', or a weekday position such as '3rd fri' or 'last fri'",
    "week": "an ISO week number 1-53",
    "day_of_week": "a weekday name (mon..sun) or number 0-6",
    "hour": "an hour 0-23, '*', 'a-b', '*/n' or 'a-b/n'",
    "minute": "a minute 0-59, '*', 'a-b', '*/n' or 'a-b/n'",
    "second": "a second 0-59, '*', 'a-b', '*/n' or 'a-b/n'",
}
# Items are separated by commas; spaces around a comma are allowed ('8, 12').
SEPARATOR = re.compile(" *, *")


def ascii_digits(text: str) -> str:
    """Return ``text`` with every decimal digit of another script replaced by its ASCII digit."""
    if text.isascii():
        return text
    return "".join(
        str(unicodedata.decimal(ch)) if not ch.isascii() and ch.isdecimal() else ch for ch in text
    )


class BaseField:
    """A field of plain numbers: ``*``, ``*/n``, ``n``, ``a-b``, ``a-b/n`` and lists."""

    REAL = True
    COMPILERS: ClassVar[list[type[AllExpression]]] = [AllExpression, RangeExpression]

    def __init__(self, name: str, exprs: Any, is_default: bool = False) -> None:
        self.name = name
        self.is_default = is_default
        self.compile_expressions(exprs)

    def get_min(self, dateval: datetime) -> int:
        return MIN_VALUES[self.name]

    def get_max(self, dateval: datetime) -> int:
        return MAX_VALUES[self.name]

    def get_value(self, dateval: datetime) -> int:
        return int(getattr(dateval, self.name))

    def get_next_value(self, dateval: datetime) -> int | None:
        """Return the smallest value >= the date's that any expression selects, or ``None``."""
        values = [e.get_next_value(dateval, self) for e in self.expressions]
        found = [v for v in values if v is not None]
        return min(found) if found else None

    def compile_expressions(self, exprs: Any) -> None:
        """Parse a comma-separated list of expressions (or a single number).

        :raises CronSpecError: naming the field, the bad item and what is allowed
        """
        self.expressions: list[AllExpression] = []
        if isinstance(exprs, bool) or not isinstance(exprs, (int, str)):
            raise CronSpecError(
                self.name,
                exprs,
                ALLOWED[self.name],
                f"{self.name}: {exprs!r} is a {type(exprs).__name__}; expected an int or a "
                f"string ({ALLOWED[self.name]})",
            )
        text = str(exprs).strip()
        if not text:
            raise CronSpecError(
                self.name,
                exprs,
                ALLOWED[self.name],
                f"{self.name}: empty expression; expected {ALLOWED[self.name]}",
            )
        for expr in SEPARATOR.split(text):
            self.compile_expression(expr)

    def compile_expression(self, expr: str) -> None:
        """Parse one item and append it to :attr:`expressions`."""
        # digits of any script ('٣', '１２') read as in APScheduler 3, whose patterns use \d
        text = ascii_digits(expr)
        for compiler in self.COMPILERS:
            match = compiler.value_re.match(text)
            if not match:
                continue
            try:
                compiled = compiler(**match.groupdict())
                compiled.validate_range(self.name)
            except CronSpecError as exc:
                raise self._rephrase(exc, expr) from None
            self.expressions.append(compiled)
            return
        raise CronSpecError(
            self.name,
            expr,
            ALLOWED[self.name],
            f"{self.name}: {expr!r} is not {ALLOWED[self.name]}",
        )

    def _rephrase(self, exc: CronSpecError, expr: str) -> CronSpecError:
        if exc.field in ("month", "weekday"):
            message = f"{self.name}: {exc.value!r} is not {ALLOWED[self.name]}"
        elif exc.message.startswith(f"{self.name}:"):
            message = exc.message
        else:
            shown = expr if len(expr) <= 40 else expr[:37] + "..."
            message = f"{self.name}: {exc.message} (in {shown!r})"
        return CronSpecError(self.name, exc.value, exc.allowed, message)

    def mask(self) -> int:
        """Return the values selected by the plain (numeric) expressions as a bitmask."""
        cached: int | None = self.__dict__.get("_mask")
        if cached is not None:
            return cached
        out = 0
        for expr in self.expressions:
            if type(expr) in (
                AllExpression,
                RangeExpression,
                MonthRangeExpression,
                WeekdayRangeExpression,
            ):
                out |= expr.mask(self.name)
        self.__dict__["_mask"] = out  # fields are not changed after parsing
        return out

    def year_ranges(self) -> tuple[tuple[int, int, int], ...]:
        """Return the expressions as ``(first, last, step)`` ranges (for the year field)."""
        return tuple(expr.bounds(self.name) for expr in self.expressions)

    def starts_with_star(self) -> bool:
        """Whether the field's text starts with ``*`` (rule O: the spec follows real time)."""
        return str(self).startswith("*")

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_mask", None)  # derived; recomputed on demand
        return state

    def __eq__(self, other: object) -> bool:
        return isinstance(other, self.__class__) and self.expressions == other.expressions

    def __hash__(self) -> int:
        return hash((self.__class__.__name__, self.name, tuple(self.expressions)))

    def __str__(self) -> str:
        return ",".join(str(e) for e in self.expressions)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}('{self.name}', '{self}')"


class WeekField(BaseField):
    """The ISO week number (1-53) of the date."""

    REAL = False

    def get_value(self, dateval: datetime) -> int:
        return dateval.isocalendar()[1]


class DayOfMonthField(BaseField):
    """Day of the month; also ``last`` and weekday positions (``3rd fri``, ``last fri``)."""

    COMPILERS: ClassVar[list[type[AllExpression]]] = BaseField.COMPILERS + [
        WeekdayPositionExpression,
        LastDayOfMonthExpression,
    ]

    def get_max(self, dateval: datetime) -> int:
        return monthrange(dateval.year, dateval.month)[1]

    def special_masks(self) -> tuple[int, int, int]:
        """Return ``(last_days, nth_weekdays, last_weekdays)`` masks for the engine."""
        last_days = nth = last_wd = 0
        for expr in self.expressions:
            if isinstance(expr, LastDayOfMonthExpression):
                last_days |= 1
            elif isinstance(expr, WeekdayPositionExpression):
                if expr.option_num < 5:
                    nth |= 1 << (expr.option_num * 7 + expr.weekday)
                else:
                    last_wd |= 1 << expr.weekday
        return last_days, nth, last_wd


class DayOfWeekField(BaseField):
    """Day of the week, 0 = Monday (names ``mon``..``sun``)."""

    REAL = False
    COMPILERS: ClassVar[list[type[AllExpression]]] = BaseField.COMPILERS + [WeekdayRangeExpression]

    def get_value(self, dateval: datetime) -> int:
        return dateval.weekday()


class MonthField(BaseField):
    """Month 1-12 (names ``jan``..``dec``)."""

    COMPILERS: ClassVar[list[type[AllExpression]]] = BaseField.COMPILERS + [MonthRangeExpression]
