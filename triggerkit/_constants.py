"""The one home of the field masks' layout: ``Masks``, flag bits, full masks, names, limits.

Imported by both kernels' Python side, the dialect parser, descriptions, validation, ``Cron``,
the cron trigger and the strategies, so that no module redefines a mask constant. The Cython
kernel repeats the numeric constants as C constants under the same names; a test checks that
they agree.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "ALL_DAYS",
    "ALL_HOURS",
    "ALL_LAST_DAYS",
    "ALL_MINUTES",
    "ALL_MONTHS",
    "ALL_NTH_WEEKDAYS",
    "ALL_SECONDS",
    "ALL_WEEKDAYS",
    "ALL_WEEKS",
    "ALL_YEARS",
    "APS_LIMITS",
    "FLAG_DAY_OR",
    "FLAG_LAST_BUSINESS_DAY",
    "FLAGS",
    "MAX_YEAR",
    "MIN_YEAR",
    "MONTH_NAMES",
    "Masks",
    "WEEKDAY_NAMES",
    "WEEKDAY_NAMES_SUNDAY_FIRST",
]

#: The years the kernel searches (a datetime's range); past them the answer is ``None``.
MIN_YEAR = 1
MAX_YEAR = 9999

#: ``flags`` bits: POSIX day-of-month OR day-of-week; Quartz ``LW`` (last weekday of the month).
FLAG_DAY_OR = 1
FLAG_LAST_BUSINESS_DAY = 2
FLAGS = FLAG_DAY_OR | FLAG_LAST_BUSINESS_DAY

#: Every value of a field, as its mask.
ALL_MONTHS = 0x1FFE  # bits 1..12
ALL_DAYS = 0xFFFFFFFE  # bits 1..31
ALL_LAST_DAYS = 0x7FFFFFFF  # bits 0..30: the last day, 1..30 days before it
ALL_NTH_WEEKDAYS = (1 << 35) - 1  # bits 0..34: (n - 1) * 7 + weekday
ALL_WEEKDAYS = 0x7F  # bits 0..6, 0 = Monday
ALL_WEEKS = ((1 << 54) - 1) & ~1  # bits 1..53, ISO weeks
ALL_HOURS = 0xFFFFFF  # bits 0..23
ALL_MINUTES = 0x0FFFFFFFFFFFFFFF  # bits 0..59
ALL_SECONDS = ALL_MINUTES

#: Years without a year field, in every dialect (as APScheduler 3's ``'*'``).
ALL_YEARS = ((1970, 9999, 1),)

#: Names, lower case: months from January, weekdays from Monday (bit 0) or from Sunday.
MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES_SUNDAY_FIRST = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

#: Each APScheduler 3 field's (minimum, maximum).
APS_LIMITS = {
    "year": (1970, 9999),
    "month": (1, 12),
    "day": (1, 31),
    "week": (1, 53),
    "day_of_week": (0, 6),
    "hour": (0, 23),
    "minute": (0, 59),
    "second": (0, 59),
}


class Masks(NamedTuple):
    """The arguments of the kernel's ``compile_spec``, in order (layout: ``_pyengine``)."""

    years: tuple[tuple[int, int, int], ...]
    months: int
    days: int
    last_days: int
    nth_weekdays: int
    last_weekdays: int
    near_weekdays: int
    flags: int
    weekdays: int
    weeks: int
    hours: int
    minutes: int
    seconds: int
    near_last_days: int = 0
