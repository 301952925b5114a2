"""The pure-Python engine kernel: the reference implementation.

Plain integers in, plain integers (or ``None``) out: no datetime objects, no time zones, no
messages. Wall-clock instants are *local epoch seconds*: seconds since 1970-01-01 00:00:00 of
the wall clock, as if the wall clock were UTC. ``_speedups/_speedups.pyx`` implements the same
functions with the same signatures; ``triggerkit._engine`` picks one.

A compiled spec holds one bitmask per field:

==============  =====================================================================
years           tuple of ``(first, last, step)`` ranges (years are too many for a mask)
months          bits 1..12
days            bits 1..31, plain days of the month
last_days       bit k: the k-th day before the last day of the month (bit 0: the last day)
nth_weekdays    bit ``(n - 1) * 7 + wd``: the n-th (1..5) weekday ``wd`` (0 = Monday)
last_weekdays   bit wd: the last weekday ``wd`` of the month
near_weekdays   bit d: the weekday (Mon-Fri) nearest to day d, within the month (Quartz W)
flags           FLAG_DAY_OR, FLAG_LAST_BUSINESS_DAY
weekdays        bits 0..6, 0 = Monday
weeks           bits 1..53, ISO week numbers
hours, minutes, seconds   bits 0..23, 0..59, 0..59
==============  =====================================================================

A day matches when its *day group* (``days``, ``last_days``, ``nth_weekdays``,
``last_weekdays``, ``near_weekdays``, LW) AND its weekday AND its ISO week match; with
FLAG_DAY_OR the day group and the weekday are OR-ed instead (POSIX cron), and the week still
ANDs. The search jumps from field to field with bit tricks; it never walks seconds, minutes or
days one by one, and it stops at ``MAX_YEAR``/``MIN_YEAR``.
"""

from __future__ import annotations

__all__ = [
    "FLAG_DAY_OR",
    "FLAG_LAST_BUSINESS_DAY",
    "MAX_YEAR",
    "MIN_YEAR",
    "Spec",
    "civil_from_days",
    "compile_spec",
    "day_mask",
    "days_from_civil",
    "is_feasible",
    "matches",
    "next_match",
    "prev_match",
]

MIN_YEAR = 1
MAX_YEAR = 9999
FLAG_DAY_OR = 1
FLAG_LAST_BUSINESS_DAY = 2

_ALL_DAYS = 0xFFFFFFFE  # bits 1..31
_ALL_WEEKDAYS = 0x7F
_ALL_WEEKS = ((1 << 54) - 1) & ~1  # bits 1..53
_WEEK_PATTERN = 1 | 1 << 7 | 1 << 14 | 1 << 21 | 1 << 28 | 1 << 35
_DAYS_BEFORE_MONTH = (0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)


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
        "selected_day",
    )

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
    plain_days: bool
    min_hour: int
    max_hour: int
    min_minute: int
    max_minute: int
    min_second: int
    max_second: int
    selected_day: int  # a day (days since 1970-01-01) known to be selected, as a shortcut


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
) -> Spec:
    """Build a spec from field masks (see the module docstring for their layout).

    Masks are trimmed to their fields' ranges; an empty hour, minute or second mask makes a
    spec that never matches.
    """
    spec = Spec()
    spec.years = tuple(
        (max(int(a), MIN_YEAR), min(int(b), MAX_YEAR), max(int(s), 1)) for a, b, s in years
    )
    spec.months = months & 0x1FFE
    spec.days = days & _ALL_DAYS
    spec.last_days = last_days & 0x7FFFFFFF
    spec.nth_weekdays = nth_weekdays & ((1 << 35) - 1)
    spec.last_weekdays = last_weekdays & _ALL_WEEKDAYS
    spec.near_weekdays = near_weekdays & _ALL_DAYS
    spec.flags = flags & 3
    spec.weekdays = weekdays & _ALL_WEEKDAYS
    spec.weeks = weeks & _ALL_WEEKS
    spec.hours = hours & 0xFFFFFF
    spec.minutes = minutes & 0x0FFFFFFFFFFFFFFF
    spec.seconds = seconds & 0x0FFFFFFFFFFFFFFF
    # The common case: only plain days, every weekday, every week. Not with FLAG_DAY_OR, as
    # OR-ing in every weekday selects every day.
    spec.plain_days = (
        not (spec.last_days | spec.nth_weekdays | spec.last_weekdays | spec.near_weekdays)
        and not spec.flags
        and spec.weekdays == _ALL_WEEKDAYS
        and spec.weeks == _ALL_WEEKS
    )
    spec.min_hour = _low_bit(spec.hours)
    spec.max_hour = spec.hours.bit_length() - 1
    spec.min_minute = _low_bit(spec.minutes)
    spec.max_minute = spec.minutes.bit_length() - 1
    spec.min_second = _low_bit(spec.seconds)
    spec.max_second = spec.seconds.bit_length() - 1
    spec.selected_day = -(10**9)
    return spec


def _low_bit(mask: int) -> int:
    """Index of the lowest set bit, -1 for an empty mask."""
    return (mask & -mask).bit_length() - 1


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


def day_mask(spec: Spec, year: int, month: int) -> int:
    """Return the days (bits 1..31) of ``year``-``month`` that the spec selects."""
    length = _month_length(year, month)
    valid = (2 << length) - 2
    if spec.plain_days:
        return spec.days & valid
    first_wd = (days_from_civil(year, month, 1) + 3) % 7  # weekday of day 1, 0 = Monday
    group = spec.days
    if spec.last_days:
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
    if spec.near_weekdays:
        bits = spec.near_weekdays & valid
        while bits:
            d = _low_bit(bits)
            bits &= bits - 1
            wd = (first_wd + d - 1) % 7
            if wd == 5:  # Saturday: Friday before, or Monday after on the 1st
                d = d - 1 if d > 1 else d + 2
            elif wd == 6:  # Sunday: Monday after, or Friday before on the last day
                d = d + 1 if d < length else d - 2
            group |= 1 << d
    if spec.flags & FLAG_LAST_BUSINESS_DAY:
        wd = (first_wd + length - 1) % 7
        group |= 1 << (length - (wd - 4 if wd > 4 else 0))
    group &= valid
    weekdays = spec.weekdays
    if weekdays == _ALL_WEEKDAYS:
        selected = group if not spec.flags & FLAG_DAY_OR else valid
    else:
        rotated = ((weekdays >> first_wd) | (weekdays << (7 - first_wd))) & 0x7F
        by_weekday = ((rotated * _WEEK_PATTERN) << 1) & valid
        if spec.flags & FLAG_DAY_OR:
            selected = group | by_weekday
        else:
            selected = group & by_weekday
    if spec.weeks != _ALL_WEEKS and selected:
        selected &= _week_days(spec.weeks, year, month, length, first_wd)
    return selected


def _week_days(weeks: int, year: int, month: int, length: int, first_wd: int) -> int:
    """Return the days of the month whose ISO week number is in ``weeks``."""
    ordinal = _DAYS_BEFORE_MONTH[month] + (month > 2 and _is_leap(year)) + 1  # of day 1
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


def _next_year(years: tuple[tuple[int, int, int], ...], year: int) -> int:
    """Smallest allowed year >= ``year``, or -1."""
    best = -1
    for first, last, step in years:
        if year <= first:
            value = first
        else:
            value = first + -(-(year - first) // step) * step
        if value <= last and (best < 0 or value < best):
            best = value
    return best


def _prev_year(years: tuple[tuple[int, int, int], ...], year: int) -> int:
    """Largest allowed year <= ``year``, or -1."""
    best = -1
    for first, last, step in years:
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
    """
    hours = spec.hours >> hour << hour
    while hours:
        h = _low_bit(hours)
        if h != hour:
            minute = second = 0
        minutes = spec.minutes >> minute << minute
        while minutes:
            mi = _low_bit(minutes)
            if mi != minute:
                second = 0
            seconds = spec.seconds >> second << second
            if seconds:
                return h * 3600 + mi * 60 + _low_bit(seconds)
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


def next_match(spec: Spec, t: int) -> int | None:
    """Return the smallest selected local epoch second ``>= t``, or ``None``."""
    if not (spec.hours and spec.minutes and spec.seconds and spec.months):
        return None
    days, rem = divmod(t, 86400)
    hour, rem = divmod(rem, 3600)
    minute, second = divmod(rem, 60)
    if days == spec.selected_day:  # the same selected day as last time: only the time moves
        found = _first_time_of_day(spec, hour, minute, second)
        if found >= 0:
            return days * 86400 + found
    year, month, day = civil_from_days(days)
    while True:
        if year > MAX_YEAR:
            return None
        y = _next_year(spec.years, year)
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
        days = days_from_civil(year, month, day)
        spec.selected_day = days
        return days * 86400 + found


def prev_match(spec: Spec, t: int) -> int | None:
    """Return the largest selected local epoch second ``<= t``, or ``None``."""
    if not (spec.hours and spec.minutes and spec.seconds and spec.months):
        return None
    days, rem = divmod(t, 86400)
    hour, rem = divmod(rem, 3600)
    minute, second = divmod(rem, 60)
    if days == spec.selected_day:
        found = _last_time_of_day(spec, hour, minute, second)
        if found >= 0:
            return days * 86400 + found
    year, month, day = civil_from_days(days)
    while True:
        if year < MIN_YEAR:
            return None
        y = _prev_year(spec.years, year)
        if y < 0:
            return None
        if y != year:
            year, month, day, hour, minute, second = y, 12, 31, 23, 59, 59
        earlier = spec.months & ((2 << month) - 1)
        if not earlier:
            year, month, day, hour, minute, second = year - 1, 12, 31, 23, 59, 59
            continue
        m = earlier.bit_length() - 1
        if m != month:
            month, day, hour, minute, second = m, 31, 23, 59, 59
        earlier = day_mask(spec, year, month) & ((2 << day) - 1)
        if not earlier:
            day, hour, minute, second = 31, 23, 59, 59
            month -= 1
            if month < 1:
                year, month = year - 1, 12
            continue
        d = earlier.bit_length() - 1
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
        days = days_from_civil(year, month, day)
        spec.selected_day = days
        return days * 86400 + found


def matches(spec: Spec, t: int) -> bool:
    """Return whether local epoch second ``t`` is selected by the spec."""
    days, rem = divmod(t, 86400)
    year, month, day = civil_from_days(days)
    hour, rem = divmod(rem, 3600)
    minute, second = divmod(rem, 60)
    return bool(
        _next_year(spec.years, year) == year
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
    if not (spec.hours and spec.minutes and spec.seconds and spec.months):
        return False
    year = _next_year(spec.years, MIN_YEAR)
    seen: set[int] = set()
    scanned = 0
    while year >= 0:
        kind = (days_from_civil(year, 1, 1) + 3) % 7 * 4 + _is_leap(year) * 2 + _is_leap(year - 1)
        if kind not in seen:
            seen.add(kind)
            months = spec.months
            while months:
                m = _low_bit(months)
                months &= months - 1
                if day_mask(spec, year, m):
                    return True
            if len(seen) == 21:  # every calendar type has been tried
                return False
        scanned += 1
        if scanned > 800:  # two full 400-year cycles of allowed years: nothing new to see
            return False
        if year >= MAX_YEAR:
            return False
        year = _next_year(spec.years, year + 1)
    return False
