"""The pure-Python engine kernel: the reference implementation.

Two layers. The *search* works on plain integers: field masks in, *local epoch seconds* (the wall
clock read as if it were UTC) in and out, no time zones, no messages. The *datetime layer*
(:class:`ZoneRules`, :func:`next_datetime`, :func:`prev_datetime`) is the hot path of
``CronCore``: it reads an aware datetime's fields, converts them with a fixed offset or a zone's
verified transition table (built by ``triggerkit._tz``), searches, and builds the result
datetime; whatever it cannot decide alone (a DST transition nearby, a zone without a table, an
input in another zone) it hands back as ``False`` and ``_tz`` takes the general path.

A :class:`Search` binds a spec and a zone's rules to the schedule that owns them: its
``next``/``prev`` are what a schedule calls per fire time (one call from Python into the
kernel), and they hand what the datetime layer cannot decide to the owner's general path.

``_speedups/_speedups.pyx`` implements the same functions, helper by helper, under the same
names and constants; ``triggerkit._engine`` picks one and marks it active (:func:`set_active`).

A compiled spec holds one bitmask per field:

==============  =====================================================================
years           tuple of ``(first, last, step)`` ranges (years are too many for a mask)
months          bits 1..12
days            bits 1..31, plain days of the month
last_days       bit k: the k-th day before the last day of the month (bit 0: the last day)
nth_weekdays    bit ``(n - 1) * 7 + wd``: the n-th (1..5) weekday ``wd`` (0 = Monday)
last_weekdays   bit wd: the last weekday ``wd`` of the month
near_weekdays   bit d: the weekday (Mon-Fri) nearest to day d, within the month (Quartz W)
near_last_days  bit k: the weekday nearest to the k-th day before the last day (Quartz L-kW)
flags           FLAG_DAY_OR, FLAG_LAST_BUSINESS_DAY
weekdays        bits 0..6, 0 = Monday
weeks           bits 1..53, ISO week numbers
hours, minutes, seconds   bits 0..23, 0..59, 0..59
==============  =====================================================================

A day matches when its *day group* (``days``, ``last_days``, ``nth_weekdays``,
``last_weekdays``, ``near_weekdays``, ``near_last_days``, LW) AND its weekday AND its ISO week
match; with FLAG_DAY_OR the day group and the weekday are OR-ed instead (POSIX cron), and the
week still ANDs. The search jumps from field to field with bit tricks; it never walks seconds,
minutes or days one by one, and it stops at ``MAX_YEAR``/``MIN_YEAR``. A compiled spec is never
changed after ``compile_spec``: it may be shared by any number of schedules.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime, timezone, tzinfo
from typing import Literal, Protocol

from ._constants import (
    ALL_DAYS,
    ALL_HOURS,
    ALL_LAST_DAYS,
    ALL_MINUTES,
    ALL_MONTHS,
    ALL_NTH_WEEKDAYS,
    ALL_SECONDS,
    ALL_WEEKDAYS,
    ALL_WEEKS,
    FLAG_DAY_OR,
    FLAG_LAST_BUSINESS_DAY,
    FLAGS,
    MAX_YEAR,
    MIN_YEAR,
)

__all__ = [
    "FLAG_DAY_OR",
    "FLAG_LAST_BUSINESS_DAY",
    "MAX_YEAR",
    "MIN_YEAR",
    "Search",
    "Spec",
    "ZoneRules",
    "civil_from_days",
    "compile_spec",
    "day_mask",
    "days_from_civil",
    "is_feasible",
    "matches",
    "next_datetime",
    "next_match",
    "prev_datetime",
    "prev_match",
    "set_active",
]

_date = date
_fromordinal = date.fromordinal

# Weekday bits 0, 7, .., 35: one weekday in each of the six weeks a month can touch.
WEEK_PATTERN = 1 | 1 << 7 | 1 << 14 | 1 << 21 | 1 << 28 | 1 << 35
DAYS_BEFORE_MONTH = (0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
SATURDAY = 5
SUNDAY = 6
# The instants a datetime can hold in UTC (0001-01-01 00:00:00 .. 9999-12-31 23:59:59): a wall
# time at the edge of year 9999 in a zone west of UTC is later than that, and is no answer.
FIRST_INSTANT = -62135596800
LAST_INSTANT = 253402300799
UNIX_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()
MAX_ORDINAL = 3652059  # date(9999, 12, 31).toordinal()
# What the datetime layer returns when the general search of ``_tz`` must answer.
UNDECIDED: Literal[False] = False


class Spec:
    """A compiled cron spec: the field masks, and what was derived from them once."""

    __slots__ = (
        "years",
        "months",
        "days",
        "last_days",
        "nth_weekdays",
        "last_weekdays",
        "near_weekdays",
        "near_last_days",
        "flags",
        "weekdays",
        "weeks",
        "hours",
        "minutes",
        "seconds",
        "plain_days",
        "min_hour",
        "max_hour",
        "min_minute",
        "max_minute",
        "min_second",
        "max_second",
    )

    years: tuple[tuple[int, int, int], ...]
    months: int
    days: int
    last_days: int
    nth_weekdays: int
    last_weekdays: int
    near_weekdays: int
    near_last_days: int
    flags: int
    weekdays: int
    weeks: int
    hours: int
    minutes: int
    seconds: int
    plain_days: bool
    min_hour: int
    max_hour: int
    min_minute: int
    max_minute: int
    min_second: int
    max_second: int


def compile_spec(
    years: tuple[tuple[int, int, int], ...],
    months: int,
    days: int,
    last_days: int,
    nth_weekdays: int,
    last_weekdays: int,
    near_weekdays: int,
    flags: int,
    weekdays: int,
    weeks: int,
    hours: int,
    minutes: int,
    seconds: int,
    near_last_days: int = 0,
) -> Spec:
    """Build a spec from field masks (see the module docstring for their layout).

    Masks are trimmed to their fields' ranges; an empty hour, minute or second mask makes a
    spec that never matches.
    """
    spec = Spec()
    clamped = tuple(
        (max(int(a), MIN_YEAR), min(int(b), MAX_YEAR), max(int(s), 1)) for a, b, s in years
    )
    # years already in range as plain ints are kept: the spec shares its caller's tuple
    same = type(years) is tuple and years == clamped
    spec.years = years if same and all(type(v) is int for r in years for v in r) else clamped
    spec.months = months & ALL_MONTHS
    spec.days = days & ALL_DAYS
    spec.last_days = last_days & ALL_LAST_DAYS
    spec.nth_weekdays = nth_weekdays & ALL_NTH_WEEKDAYS
    spec.last_weekdays = last_weekdays & ALL_WEEKDAYS
    spec.near_weekdays = near_weekdays & ALL_DAYS
    spec.near_last_days = near_last_days & ALL_LAST_DAYS
    spec.flags = flags & FLAGS
    spec.weekdays = weekdays & ALL_WEEKDAYS
    spec.weeks = weeks & ALL_WEEKS
    spec.hours = hours & ALL_HOURS
    spec.minutes = minutes & ALL_MINUTES
    spec.seconds = seconds & ALL_SECONDS
    # The common case: only plain days, every weekday, every week. Not with FLAG_DAY_OR, as
    # OR-ing in every weekday selects every day.
    spec.plain_days = (
        not (
            spec.last_days
            | spec.nth_weekdays
            | spec.last_weekdays
            | spec.near_weekdays
            | spec.near_last_days
        )
        and not spec.flags
        and spec.weekdays == ALL_WEEKDAYS
        and spec.weeks == ALL_WEEKS
    )
    spec.min_hour = _low_bit(spec.hours)
    spec.max_hour = _high_bit(spec.hours)
    spec.min_minute = _low_bit(spec.minutes)
    spec.max_minute = _high_bit(spec.minutes)
    spec.min_second = _low_bit(spec.seconds)
    spec.max_second = _high_bit(spec.seconds)
    return spec


def _low_bit(mask: int) -> int:
    """Index of the lowest set bit, -1 for an empty mask."""
    return (mask & -mask).bit_length() - 1


def _high_bit(mask: int) -> int:
    """Index of the highest set bit, -1 for an empty mask."""
    return mask.bit_length() - 1


def _searchable(spec: Spec) -> bool:
    """Whether every time field and the month field select something."""
    return bool(spec.hours and spec.minutes and spec.seconds and spec.months)


# --- calendar arithmetic (proleptic Gregorian, days since 1970-01-01) -----------------------


def days_from_civil(year: int, month: int, day: int) -> int:
    """Return the number of days from 1970-01-01 to the given date."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(days: int) -> tuple[int, int, int]:
    """Return ``(year, month, day)`` for a day count from 1970-01-01."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def _split(t: int) -> tuple[int, int, int, int, int, int]:
    """Split local epoch second ``t`` into its calendar fields (``divmod`` and civil_from_days).

    Days a ``date`` can hold are read by the C date type, which is faster here than the same
    arithmetic in Python (and gives the same answers).
    """
    days, rem = divmod(t, 86400)
    ordinal = days + UNIX_EPOCH_ORDINAL
    if 0 < ordinal <= MAX_ORDINAL:
        found = _fromordinal(ordinal)
        year, month, day = found.year, found.month, found.day
    else:
        year, month, day = civil_from_days(days)
    hour, rem = divmod(rem, 3600)
    minute, second = divmod(rem, 60)
    return year, month, day, hour, minute, second


def _days_from_civil(year: int, month: int, day: int) -> int:
    """``days_from_civil`` of a valid date between MIN_YEAR and MAX_YEAR (read by ``date``)."""
    return _date(year, month, day).toordinal() - UNIX_EPOCH_ORDINAL


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _month_length(year: int, month: int) -> int:
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _iso_weeks_in_year(year: int) -> int:
    jan1 = (days_from_civil(year, 1, 1) + 3) % 7
    return 53 if jan1 == 3 or (jan1 == 2 and _is_leap(year)) else 52


# --- the day mask of one month ----------------------------------------------------------------


def _nearest_weekday(d: int, wd: int, length: int) -> int:
    """Return the Monday-Friday nearest day ``d`` (weekday ``wd``), within the month (Quartz W)."""
    if wd == SATURDAY:  # the Friday before, or the Monday after on the 1st
        return d - 1 if d > 1 else d + 2
    if wd == SUNDAY:  # the Monday after, or the Friday before on the last day
        return d + 1 if d < length else d - 2
    return d


def _special_days(spec: Spec, length: int, first_wd: int) -> int:
    """Return the days of the day group that the special fields select (L, #, W, L-nW, LW)."""
    group = 0
    bits = spec.last_days
    while bits:
        k = _low_bit(bits)
        bits &= bits - 1
        if k < length:
            group |= 1 << (length - k)
    bits = spec.nth_weekdays
    while bits:
        b = _low_bit(bits)
        bits &= bits - 1
        n, wd = divmod(b, 7)
        d = (wd - first_wd) % 7 + 1 + 7 * n
        if d <= length:
            group |= 1 << d
    bits = spec.last_weekdays
    while bits:
        wd = _low_bit(bits)
        bits &= bits - 1
        first = (wd - first_wd) % 7 + 1
        group |= 1 << (first + 7 * ((length - first) // 7))
    bits = spec.near_weekdays & ((2 << length) - 2)
    while bits:
        d = _low_bit(bits)
        bits &= bits - 1
        group |= 1 << _nearest_weekday(d, (first_wd + d - 1) % 7, length)
    bits = spec.near_last_days
    while bits:
        k = _low_bit(bits)
        bits &= bits - 1
        if k < length:
            d = length - k
            group |= 1 << _nearest_weekday(d, (first_wd + d - 1) % 7, length)
    if spec.flags & FLAG_LAST_BUSINESS_DAY:
        group |= 1 << _nearest_weekday(length, (first_wd + length - 1) % 7, length)
    return group


def day_mask(spec: Spec, year: int, month: int) -> int:
    """Return the days (bits 1..31) of ``year``-``month`` that the spec selects."""
    length = _month_length(year, month)
    valid = (2 << length) - 2
    if spec.plain_days:
        return spec.days & valid
    first_wd = (days_from_civil(year, month, 1) + 3) % 7  # weekday of day 1, 0 = Monday
    group = (spec.days | _special_days(spec, length, first_wd)) & valid
    weekdays = spec.weekdays
    if weekdays == ALL_WEEKDAYS:
        selected = group if not spec.flags & FLAG_DAY_OR else valid
    else:
        rotated = ((weekdays >> first_wd) | (weekdays << (7 - first_wd))) & ALL_WEEKDAYS
        by_weekday = ((rotated * WEEK_PATTERN) << 1) & valid
        if spec.flags & FLAG_DAY_OR:
            selected = group | by_weekday
        else:
            selected = group & by_weekday
    if spec.weeks != ALL_WEEKS and selected:
        selected &= _week_days(spec.weeks, year, month, length, first_wd)
    return selected


def _week_days(weeks: int, year: int, month: int, length: int, first_wd: int) -> int:
    """Return the days of the month whose ISO week number is in ``weeks``."""
    ordinal = DAYS_BEFORE_MONTH[month] + (month > 2 and _is_leap(year)) + 1  # of day 1
    week = (ordinal - first_wd + 9) // 7  # ISO week of day 1, before year corrections
    if week < 1:
        week = _iso_weeks_in_year(year - 1)
    elif week == 53 and _iso_weeks_in_year(year) == 52:
        week = 1
    out = 0
    d = 1
    while d <= length:
        # days d .. end of that ISO week share ``week``
        run = 7 - (first_wd + d - 1) % 7
        if weeks >> week & 1:
            out |= ((1 << run) - 1) << d
        d += run
        if week >= 52 and (month == 1 or week == _iso_weeks_in_year(year)):
            week = 1
        else:
            week += 1
    return out & ((2 << length) - 2)


# --- years ------------------------------------------------------------------------------------


def _next_year(spec: Spec, year: int) -> int:
    """Smallest allowed year >= ``year``, or -1."""
    best = -1
    for first, last, step in spec.years:
        if year <= first:
            value = first
        else:
            value = first + -(-(year - first) // step) * step
        if value <= last and (best < 0 or value < best):
            best = value
    return best


def _prev_year(spec: Spec, year: int) -> int:
    """Largest allowed year <= ``year``, or -1."""
    best = -1
    for first, last, step in spec.years:
        top = min(year, last)
        if top < first:  # before the range, or an empty range (first > last after clamping)
            continue
        value = first + (top - first) // step * step
        if value > best:
            best = value
    return best


# --- search -----------------------------------------------------------------------------------


def _first_time_of_day(spec: Spec, hour: int, minute: int, second: int) -> int:
    """Return the first selected time of day (seconds) at or after the given one, or -1.

    Each loop runs at most twice: a field that overflows moves to the next value of the field
    above and restarts below it at its minimum, which always exists (masks are not empty).
    ``_low_bit`` is written out here (``(x & -x).bit_length() - 1``): the hottest helper.
    """
    hours = spec.hours >> hour << hour
    while hours:
        h = (hours & -hours).bit_length() - 1
        if h != hour:
            minute = second = 0
        minutes = spec.minutes >> minute << minute
        while minutes:
            mi = (minutes & -minutes).bit_length() - 1
            if mi != minute:
                second = 0
            seconds = spec.seconds >> second << second
            if seconds:
                return h * 3600 + mi * 60 + (seconds & -seconds).bit_length() - 1
            minutes &= minutes - 1
            second = 0
        hours &= hours - 1
        minute = second = 0
    return -1


def _last_time_of_day(spec: Spec, hour: int, minute: int, second: int) -> int:
    """Return the last selected time of day (seconds) at or before the given one, or -1."""
    hours = spec.hours & ((2 << hour) - 1)
    while hours:
        h = hours.bit_length() - 1
        if h != hour:
            minute = second = 59
        minutes = spec.minutes & ((2 << minute) - 1)
        while minutes:
            mi = minutes.bit_length() - 1
            if mi != minute:
                second = 59
            seconds = spec.seconds & ((2 << second) - 1)
            if seconds:
                return h * 3600 + mi * 60 + seconds.bit_length() - 1
            minutes &= ~(1 << mi)
            second = 59
        hours &= ~(1 << h)
        minute = second = 59
    return -1


def _plain_day_selected(spec: Spec, year: int, month: int, day: int) -> bool:
    """Whether a spec of plain days selects this (valid) date: the search's common first step."""
    return bool(
        spec.plain_days
        and spec.days >> day & 1
        and spec.months >> month & 1
        and _next_year(spec, year) == year
    )


def next_match(spec: Spec, t: int) -> int | None:
    """Return the smallest selected local epoch second ``>= t``, or ``None``."""
    if not _searchable(spec):
        return None
    year, month, day, hour, minute, second = _split(t)
    if _plain_day_selected(spec, year, month, day):  # only the time of day moves
        found = _first_time_of_day(spec, hour, minute, second)
        if found >= 0:
            return t - (hour * 3600 + minute * 60 + second) + found
    while True:
        if year > MAX_YEAR:
            return None
        y = _next_year(spec, year)
        if y < 0:
            return None
        if y != year:
            year, month, day, hour, minute, second = y, 1, 1, 0, 0, 0
        later = spec.months >> month << month
        if not later:
            year, month, day, hour, minute, second = year + 1, 1, 1, 0, 0, 0
            continue
        m = _low_bit(later)
        if m != month:
            month, day, hour, minute, second = m, 1, 0, 0, 0
        later = day_mask(spec, year, month) >> day << day
        if not later:
            day, hour, minute, second = 1, 0, 0, 0
            month += 1
            if month > 12:
                year, month = year + 1, 1
            continue
        d = _low_bit(later)
        if d != day:
            day, hour, minute, second = d, 0, 0, 0
        found = _first_time_of_day(spec, hour, minute, second)
        if found < 0:
            day, hour, minute, second = day + 1, 0, 0, 0
            continue  # an overflowing day falls out of the next day mask
        return _days_from_civil(year, month, day) * 86400 + found


def prev_match(spec: Spec, t: int) -> int | None:
    """Return the largest selected local epoch second ``<= t``, or ``None``."""
    if not _searchable(spec):
        return None
    year, month, day, hour, minute, second = _split(t)
    if _plain_day_selected(spec, year, month, day):  # only the time of day moves
        found = _last_time_of_day(spec, hour, minute, second)
        if found >= 0:
            return t - (hour * 3600 + minute * 60 + second) + found
    while True:
        if year < MIN_YEAR:
            return None
        y = _prev_year(spec, year)
        if y < 0:
            return None
        if y != year:
            year, month, day, hour, minute, second = y, 12, 31, 23, 59, 59
        earlier = spec.months & ((2 << month) - 1)
        if not earlier:
            year, month, day, hour, minute, second = year - 1, 12, 31, 23, 59, 59
            continue
        m = _high_bit(earlier)
        if m != month:
            month, day, hour, minute, second = m, 31, 23, 59, 59
        earlier = day_mask(spec, year, month) & ((2 << day) - 1)
        if not earlier:
            day, hour, minute, second = 31, 23, 59, 59
            month -= 1
            if month < 1:
                year, month = year - 1, 12
            continue
        d = _high_bit(earlier)
        if d != day:
            day, hour, minute, second = d, 23, 59, 59
        found = _last_time_of_day(spec, hour, minute, second)
        if found < 0:
            day, hour, minute, second = day - 1, 23, 59, 59
            if day < 1:
                day, month = 31, month - 1
                if month < 1:
                    year, month = year - 1, 12
            continue
        return _days_from_civil(year, month, day) * 86400 + found


def matches(spec: Spec, t: int) -> bool:
    """Return whether local epoch second ``t`` is selected by the spec."""
    year, month, day, hour, minute, second = _split(t)
    return bool(
        _next_year(spec, year) == year
        and spec.months >> month & 1
        and spec.hours >> hour & 1
        and spec.minutes >> minute & 1
        and spec.seconds >> second & 1
        and day_mask(spec, year, month) >> day & 1
    )


def is_feasible(spec: Spec) -> bool:
    """Return whether the spec selects at least one second between MIN_YEAR and MAX_YEAR.

    The day rules of a year depend only on its calendar type (weekday of 1 January, leap
    year, previous year leap), so each type is checked once; types repeat within 400 years.
    """
    if not _searchable(spec):
        return False
    year = _next_year(spec, MIN_YEAR)
    seen = 0
    scanned = 0
    while year >= 0:
        kind = (days_from_civil(year, 1, 1) + 3) % 7 * 4 + _is_leap(year) * 2 + _is_leap(year - 1)
        if not seen >> kind & 1:
            seen |= 1 << kind
            months = spec.months
            while months:
                m = _low_bit(months)
                months &= months - 1
                if day_mask(spec, year, m):
                    return True
            if seen.bit_count() == 21:  # every calendar type has been tried
                return False
        scanned += 1
        if scanned > 800:  # two full 400-year cycles of allowed years: nothing new to see
            return False
        if year >= MAX_YEAR:
            return False
        year = _next_year(spec, year + 1)
    return False


# --- the datetime layer -----------------------------------------------------------------------


class ZoneRules:
    """A zone's offsets as the datetime layer reads them: one fixed offset, or a table.

    :param tz: the tzinfo results are built with
    :param fixed: the zone's one UTC offset in seconds, or ``None`` for a zone with rules
    :param utc: the UTC instants of the zone's transitions (``_tz`` has verified them against
        the tzinfo and checked that the three lists are in order); empty: no table
    :param offsets: the offset in force from each transition on
    :param wall0: each transition's wall-clock instant read with ``fold=0`` (the later wall
        time of the two around it); the first entry is a sentinel
    :param wall1: the same read with ``fold=1`` (the earlier wall time)
    """

    __slots__ = ("tz", "fixed", "utc", "offsets", "wall0", "wall1")

    def __init__(
        self,
        tz: tzinfo,
        fixed: int | None,
        utc: list[int],
        offsets: list[int],
        wall0: list[int],
        wall1: list[int],
    ) -> None:
        self.tz = tz
        self.fixed = fixed
        # Fewer than three transitions: no table (the lookups need one on each side).
        table = len(utc) >= 3 and len(utc) == len(offsets) == len(wall0) == len(wall1)
        self.utc = utc if table else []
        self.offsets = offsets if table else []
        self.wall0 = wall0 if table else []
        self.wall1 = wall1 if table else []


_UTC = timezone.utc


def _instant(rules: ZoneRules, dt: datetime) -> int | None:
    """Return the whole UTC epoch second of aware ``dt``, or ``None`` when unknown here.

    Known when ``dt`` is in UTC or in the rules' own zone (inside its table, for a zone with
    rules): then the fields and the fold give the instant without calling the tzinfo.
    """
    tz = dt.tzinfo
    wall = (dt.toordinal() - UNIX_EPOCH_ORDINAL) * 86400 + (
        dt.hour * 3600 + dt.minute * 60 + dt.second
    )
    if tz is rules.tz:
        if rules.fixed is not None:
            return wall - rules.fixed
        wall0, wall1 = rules.wall0, rules.wall1
        if wall0 and wall0[1] <= wall <= wall1[-1]:
            walls = wall1 if dt.fold else wall0
            return wall - rules.offsets[bisect_right(walls, wall) - 1]
        return None
    if tz is _UTC:
        return wall
    return None


def _wall_datetime(w: int, tz: tzinfo) -> datetime:
    """Return the datetime of local epoch second ``w`` in ``tz`` (a wall time occurring once)."""
    year, month, day, hour, minute, second = _split(w)
    return datetime(year, month, day, hour, minute, second, 0, tz)


def _once(rules: ZoneRules, w: int) -> bool:
    """Whether wall time ``w`` (inside the table) occurs exactly once (no gap, no overlap)."""
    wall0, wall1, offsets = rules.wall0, rules.wall1, rules.offsets
    return bool(
        wall0[1] <= w <= wall1[-1]
        and offsets[bisect_right(wall0, w) - 1] == offsets[bisect_right(wall1, w) - 1]
    )


def next_datetime(
    spec: Spec, rules: ZoneRules, after: datetime, inclusive: bool
) -> datetime | None | Literal[False]:
    """Return the first fire time after ``after`` (at it, if ``inclusive``), or ``None``.

    ``False`` when the answer needs the general search of ``_tz`` (DST rules G and O
    near a transition, an input in another zone, a zone without a table).
    """
    if not isinstance(after, datetime):
        raise TypeError(f"after: expected a datetime, got {type(after).__name__}")
    step = 1 if not inclusive or after.microsecond else 0
    tz = after.tzinfo
    if tz is rules.tz and rules.fixed is not None:
        # The common case: the wall clock of ``after`` is the zone's, under one offset, so the
        # search's first step (the rest of the same day) reads its fields: no instant, no split.
        # A second of 60 (the step past :59) carries into the next minute in the search.
        year, month, day = after.year, after.month, after.day
        if MIN_YEAR < year < MAX_YEAR and _plain_day_selected(spec, year, month, day):
            found = _first_time_of_day(spec, after.hour, after.minute, after.second + step)
            if found >= 0:
                return datetime(
                    year, month, day, found // 3600, found // 60 % 60, found % 60, 0, tz
                )
    t = _instant(rules, after)
    if t is None:
        return UNDECIDED
    t += step
    fixed = rules.fixed
    if fixed is not None:
        c = next_match(spec, t + fixed)
        if c is None or not FIRST_INSTANT <= c - fixed <= LAST_INSTANT:
            return None
        return _wall_datetime(c, rules.tz)
    utc = rules.utc
    if not utc or not utc[1] <= t < utc[-1]:
        return UNDECIDED
    i = bisect_right(utc, t) - 1
    if t == utc[i]:  # rule G may owe a gap's fire at a transition instant
        return UNDECIDED
    o = rules.offsets[i]
    w = t + o
    # Offset o holds on [utc[i], utc[i+1]); the wall times in [wall0[i], wall1[i+1]) occur once
    # each, at wall - o.
    if not rules.wall0[i] <= w < rules.wall1[i + 1]:
        return UNDECIDED
    c = next_match(spec, w)
    if c is None:
        return None
    if c >= rules.wall1[i + 1] and not _once(rules, c):
        return UNDECIDED
    return _wall_datetime(c, rules.tz)


def prev_datetime(
    spec: Spec, rules: ZoneRules, before: datetime, inclusive: bool
) -> datetime | None | Literal[False]:
    """Return the last fire time before ``before`` (at it, if ``inclusive``), or ``None``.

    The mirror of :func:`next_datetime` (no rule G is owed at the end of a backward search).
    """
    if not isinstance(before, datetime):
        raise TypeError(f"before: expected a datetime, got {type(before).__name__}")
    step = 1 if not inclusive and not before.microsecond else 0
    tz = before.tzinfo
    if tz is rules.tz and rules.fixed is not None:  # the same day first, as in next_datetime
        year, month, day = before.year, before.month, before.day
        second = before.second - step
        if (
            MIN_YEAR < year < MAX_YEAR
            and second >= 0
            and _plain_day_selected(spec, year, month, day)
        ):
            found = _last_time_of_day(spec, before.hour, before.minute, second)
            if found >= 0:
                return datetime(
                    year, month, day, found // 3600, found // 60 % 60, found % 60, 0, tz
                )
    t = _instant(rules, before)
    if t is None:
        return UNDECIDED
    t -= step
    fixed = rules.fixed
    if fixed is not None:
        c = prev_match(spec, t + fixed)
        if c is None or not FIRST_INSTANT <= c - fixed <= LAST_INSTANT:
            return None
        return _wall_datetime(c, rules.tz)
    utc = rules.utc
    if not utc or not utc[1] <= t < utc[-1]:
        return UNDECIDED
    i = bisect_right(utc, t) - 1
    o = rules.offsets[i]
    w = t + o
    if not rules.wall0[i] <= w < rules.wall1[i + 1]:
        return UNDECIDED
    c = prev_match(spec, w)
    if c is None:
        return None
    if c < rules.wall0[i] and not _once(rules, c):
        return UNDECIDED
    return _wall_datetime(c, rules.tz)


# --- one schedule's entry point ---------------------------------------------------------------

# Whether this kernel is the engine's (set by ``triggerkit._engine``): the searches of a kernel
# that is not answer nothing themselves, so that switching engines takes effect at once.
_active = False


def set_active(active: bool) -> None:
    """Mark this kernel as the engine's kernel (``True``) or not (``False``)."""
    global _active
    _active = bool(active)


class General(Protocol):
    """What a :class:`Search` defers to: the owner's general search (``_schedule.CronCore``)."""

    def general_next(self, after: datetime, inclusive: bool) -> datetime | None: ...
    def general_prev(self, before: datetime, inclusive: bool) -> datetime | None: ...


class Search:
    """A compiled spec in a zone, datetimes in and out: one schedule's entry point.

    ``next``/``prev`` answer with :func:`next_datetime`/:func:`prev_datetime`; what those leave
    undecided, every call while ``spec`` is ``None`` (not compiled yet, or never firing) and
    every call while this kernel is not the active one go to ``general.general_next`` /
    ``general.general_prev`` with the same arguments.
    """

    __slots__ = ("spec", "rules", "general")

    def __init__(self, spec: Spec | None, rules: ZoneRules | None, general: General) -> None:
        self.spec = spec
        self.rules = rules
        self.general = general

    def next(self, after: datetime, inclusive: bool = False) -> datetime | None:
        """Return the first fire time after ``after`` (at it, if ``inclusive``), or ``None``."""
        spec = self.spec
        if _active and spec is not None:
            found = next_datetime(spec, self.rules, after, inclusive)  # type: ignore[arg-type]
            if found is not UNDECIDED:
                return found
        return self.general.general_next(after, inclusive)

    def prev(self, before: datetime, inclusive: bool = False) -> datetime | None:
        """Return the last fire time before ``before`` (at it, if ``inclusive``), or ``None``."""
        spec = self.spec
        if _active and spec is not None:
            found = prev_datetime(spec, self.rules, before, inclusive)  # type: ignore[arg-type]
            if found is not UNDECIDED:
                return found
        return self.general.general_prev(before, inclusive)
