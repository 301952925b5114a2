# cython: language_level=3, binding=True, embedsignature=True
# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The compiled engine kernel: ``triggerkit._pyengine`` in C, helper by helper.

See ``triggerkit/_pyengine.py`` for the data layout and the rules. This module has the same
public functions, every private helper of the pure kernel as a ``cdef`` function of the same
name (``tests/engine/test_signatures.py`` checks the names and the constants), and only a few
of its own that stand in for Python semantics (``_fdiv``/``_fmod`` for ``//``/``%``, ``_clamp``
for unbounded integers, ``_bisect_right``, ``_next_match``/``_prev_match`` as the C bodies of
the public searches). It works with C integers: field masks are ``uint64_t``, instants
``int64_t``, years a C array of ``(first, last, step)`` ranges, and bit scans use the
compiler's count-trailing/leading-zeros. Nothing inside the search touches a Python object.
Instants beyond the range of the years the kernel knows are clamped on entry to an instant
with the same answer (see ``_clamp``), so arbitrarily large Python integers give the pure
kernel's results. The datetime layer reads and builds datetimes with CPython's C datetime API.
"""

cimport cython
from libc.stdint cimport int64_t, uint64_t
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.datetime cimport (
    PyDateTime_Check,
    datetime_day,
    datetime_fold,
    datetime_hour,
    datetime_microsecond,
    datetime_minute,
    datetime_month,
    datetime_new,
    datetime_second,
    datetime_tzinfo,
    datetime_year,
    import_datetime,
)

import datetime as _datetime_module

import_datetime()

cdef extern from *:
    """
    #if defined(_MSC_VER) && !defined(__clang__)
    #include <intrin.h>
    static __inline int tk_ctz64(unsigned long long x) {
        unsigned long i; _BitScanForward64(&i, x); return (int)i;
    }
    static __inline int tk_bitlen64(unsigned long long x) {
        unsigned long i; if (!x) return 0; _BitScanReverse64(&i, x); return (int)i + 1;
    }
    static __inline int tk_popcount64(unsigned long long x) { return (int)__popcnt64(x); }
    #else
    #define tk_ctz64(x) __builtin_ctzll(x)
    #define tk_bitlen64(x) ((x) ? 64 - __builtin_clzll(x) : 0)
    #define tk_popcount64(x) __builtin_popcountll(x)
    #endif
    """
    int tk_ctz64(unsigned long long x) nogil  # undefined for 0: callers check
    int tk_bitlen64(unsigned long long x) nogil
    int tk_popcount64(unsigned long long x) nogil


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

# The constants of ``triggerkit._constants`` and ``_pyengine``, by the same names (a test
# compares their values).
cdef enum:
    C_MIN_YEAR = 1
    C_MAX_YEAR = 9999
    C_FLAG_DAY_OR = 1
    C_FLAG_LAST_BUSINESS_DAY = 2
    SATURDAY = 5
    SUNDAY = 6

MIN_YEAR = C_MIN_YEAR
MAX_YEAR = C_MAX_YEAR
FLAG_DAY_OR = C_FLAG_DAY_OR
FLAG_LAST_BUSINESS_DAY = C_FLAG_LAST_BUSINESS_DAY

cdef uint64_t FLAGS = 3
cdef uint64_t ALL_MONTHS = 0x1FFE
cdef uint64_t ALL_DAYS = 0xFFFFFFFE
cdef uint64_t ALL_LAST_DAYS = 0x7FFFFFFF
cdef uint64_t ALL_NTH_WEEKDAYS = 0x7FFFFFFFF
cdef uint64_t ALL_WEEKDAYS = 0x7F
cdef uint64_t ALL_WEEKS = 0x3FFFFFFFFFFFFE
cdef uint64_t ALL_HOURS = 0xFFFFFF
cdef uint64_t ALL_MINUTES = 0x0FFFFFFFFFFFFFFF
cdef uint64_t ALL_SECONDS = 0x0FFFFFFFFFFFFFFF
cdef uint64_t WEEK_PATTERN = 0x810204081
cdef int[13] DAYS_BEFORE_MONTH = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
cdef int64_t FIRST_INSTANT = -62135596800
cdef int64_t LAST_INSTANT = 253402300799
cdef int64_t UNIX_EPOCH_ORDINAL = 719163

# Instants are clamped into [_T_LO, _T_HI] on entry: every instant before year 1 has the answers
# of one in year -1, every instant after year 9999 those of one in year 10000 (the search and
# the year tables never distinguish them). Day counts and years are clamped likewise in the
# calendar functions, which then defer to the pure kernel for the (never used) huge values.
cdef int64_t _T_LO = -62167219200 - 86400  # 0000-01-01 minus a day: year -1
cdef int64_t _T_HI = 253402300800 + 86400  # 10000-01-02: year 10000
cdef int64_t _BIG = 1 << 40  # years and day counts beyond this are delegated to the pure kernel
cdef object _UTC = _datetime_module.timezone.utc


@cython.no_gc  # holds only ints and a tuple of int tuples: no cycle, no GC header needed
cdef class Spec:
    """A compiled cron spec: the field masks, and what was derived from them once."""

    cdef int64_t *_ranges
    cdef Py_ssize_t _n_ranges
    cdef readonly tuple years
    cdef readonly uint64_t months
    cdef readonly uint64_t days
    cdef readonly uint64_t last_days
    cdef readonly uint64_t nth_weekdays
    cdef readonly uint64_t last_weekdays
    cdef readonly uint64_t near_weekdays
    cdef readonly uint64_t near_last_days
    cdef readonly int flags
    cdef readonly uint64_t weekdays
    cdef readonly uint64_t weeks
    cdef readonly uint64_t hours
    cdef readonly uint64_t minutes
    cdef readonly uint64_t seconds
    cdef readonly bint plain_days
    cdef readonly int min_hour
    cdef readonly int max_hour
    cdef readonly int min_minute
    cdef readonly int max_minute
    cdef readonly int min_second
    cdef readonly int max_second

    def __cinit__(self):
        self._ranges = NULL
        self._n_ranges = 0
        self.years = ()

    def __dealloc__(self):
        if self._ranges is not NULL:
            PyMem_Free(self._ranges)
            self._ranges = NULL


cdef inline uint64_t _mask(object value, uint64_t bits):
    # ``&`` on the Python int first: negative and huge ints behave as in the pure kernel.
    return <uint64_t>(value & bits)


def compile_spec(
    years,
    months,
    days,
    last_days,
    nth_weekdays,
    last_weekdays,
    near_weekdays,
    flags,
    weekdays,
    weeks,
    hours,
    minutes,
    seconds,
    near_last_days=0,
):
    """Build a spec from field masks (see ``triggerkit._pyengine`` for their layout).

    Masks are trimmed to their fields' ranges; an empty hour, minute or second mask makes a
    spec that never matches.
    """
    cdef Spec spec = Spec.__new__(Spec)
    cdef list ranges = []
    cdef Py_ssize_t i, n
    cdef object a, b, s
    for a, b, s in years:
        ranges.append((max(int(a), C_MIN_YEAR), min(int(b), C_MAX_YEAR), max(int(s), 1)))
    clamped = tuple(ranges)
    # years already in range as plain ints are kept: the spec shares its caller's tuple
    same = type(years) is tuple and years == clamped
    spec.years = years if same and all(type(v) is int for r in years for v in r) else clamped
    n = len(ranges)
    if n:
        # PyMem (not malloc) so that tracemalloc counts it with the spec
        spec._ranges = <int64_t *>PyMem_Malloc(3 * n * sizeof(int64_t))
        if spec._ranges is NULL:
            raise MemoryError()
    spec._n_ranges = n
    for i in range(n):
        a, b, s = ranges[i]
        # Clamps that keep every answer: a range starting past MAX_YEAR (or ending before
        # MIN_YEAR) is empty either way, and a step longer than the year span selects only
        # ``first`` either way.
        spec._ranges[3 * i] = min(a, C_MAX_YEAR + 1)
        spec._ranges[3 * i + 1] = max(b, C_MIN_YEAR - 1)
        spec._ranges[3 * i + 2] = min(s, C_MAX_YEAR + 1)
    spec.months = _mask(months, ALL_MONTHS)
    spec.days = _mask(days, ALL_DAYS)
    spec.last_days = _mask(last_days, ALL_LAST_DAYS)
    spec.nth_weekdays = _mask(nth_weekdays, ALL_NTH_WEEKDAYS)
    spec.last_weekdays = _mask(last_weekdays, ALL_WEEKDAYS)
    spec.near_weekdays = _mask(near_weekdays, ALL_DAYS)
    spec.near_last_days = _mask(near_last_days, ALL_LAST_DAYS)
    spec.flags = <int>_mask(flags, FLAGS)
    spec.weekdays = _mask(weekdays, ALL_WEEKDAYS)
    spec.weeks = _mask(weeks, ALL_WEEKS)
    spec.hours = _mask(hours, ALL_HOURS)
    spec.minutes = _mask(minutes, ALL_MINUTES)
    spec.seconds = _mask(seconds, ALL_SECONDS)
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


cdef inline int _low_bit(uint64_t mask) noexcept nogil:
    """Index of the lowest set bit, -1 for an empty mask."""
    return tk_ctz64(mask) if mask else -1


cdef inline int _high_bit(uint64_t mask) noexcept nogil:
    """Index of the highest set bit, -1 for an empty mask."""
    return tk_bitlen64(mask) - 1


cdef inline bint _searchable(Spec spec) noexcept nogil:
    """Whether every time field and the month field select something."""
    return spec.hours != 0 and spec.minutes != 0 and spec.seconds != 0 and spec.months != 0


cdef inline int64_t _fdiv(int64_t a, int64_t b) noexcept nogil:
    """Floor division for b > 0 (Python's ``//``)."""
    cdef int64_t q = a / b
    if (a % b) < 0:
        q -= 1
    return q


cdef inline int64_t _fmod(int64_t a, int64_t b) noexcept nogil:
    """Floor modulo for b > 0 (Python's ``%``)."""
    cdef int64_t r = a % b
    if r < 0:
        r += b
    return r


# --- calendar arithmetic (proleptic Gregorian, days since 1970-01-01) -----------------------


cdef inline int64_t _days_from_civil(int64_t year, int64_t month, int64_t day) noexcept nogil:
    cdef int64_t y = year - (month <= 2)
    cdef int64_t era = _fdiv(y, 400)
    cdef int64_t yoe = y - era * 400
    cdef int64_t mp = _fmod(month + 9, 12)
    cdef int64_t doy = _fdiv(153 * mp + 2, 5) + day - 1
    cdef int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146097 + doe - 719468


cdef inline void _civil_from_days(
    int64_t days, int64_t *year, int *month, int *day
) noexcept nogil:
    cdef int64_t z = days + 719468
    cdef int64_t era = _fdiv(z, 146097)
    cdef int64_t doe = z - era * 146097
    cdef int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    cdef int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    cdef int64_t mp = (5 * doy + 2) / 153
    cdef int m = <int>(mp + 3 if mp < 10 else mp - 9)
    day[0] = <int>(doy - (153 * mp + 2) / 5 + 1)
    month[0] = m
    year[0] = yoe + era * 400 + (m <= 2)


def days_from_civil(year, month, day):
    """Return the number of days from 1970-01-01 to the given date."""
    if -_BIG < year < _BIG and -_BIG < month < _BIG and -_BIG < day < _BIG:
        return _days_from_civil(year, month, day)
    from triggerkit import _pyengine  # huge values: Python integers do not overflow

    return _pyengine.days_from_civil(year, month, day)


def civil_from_days(days):
    """Return ``(year, month, day)`` for a day count from 1970-01-01."""
    cdef int64_t year
    cdef int month, day
    if -_BIG < days < _BIG:
        _civil_from_days(days, &year, &month, &day)
        return year, month, day
    from triggerkit import _pyengine  # huge values: Python integers do not overflow

    return _pyengine.civil_from_days(days)


cdef inline bint _is_leap(int64_t year) noexcept nogil:
    return _fmod(year, 4) == 0 and (_fmod(year, 100) != 0 or _fmod(year, 400) == 0)


cdef inline int _month_length(int64_t year, int month) noexcept nogil:
    if month == 2:
        return 29 if _is_leap(year) else 28
    if month == 4 or month == 6 or month == 9 or month == 11:
        return 30
    return 31


cdef inline int _iso_weeks_in_year(int64_t year) noexcept nogil:
    cdef int64_t jan1 = _fmod(_days_from_civil(year, 1, 1) + 3, 7)
    return 53 if jan1 == 3 or (jan1 == 2 and _is_leap(year)) else 52


# --- the day mask of one month ----------------------------------------------------------------


cdef inline int _nearest_weekday(int d, int wd, int length) noexcept nogil:
    """Return the Monday-Friday nearest day ``d`` (weekday ``wd``), within the month (Quartz W)."""
    if wd == SATURDAY:  # the Friday before, or the Monday after on the 1st
        return d - 1 if d > 1 else d + 2
    if wd == SUNDAY:  # the Monday after, or the Friday before on the last day
        return d + 1 if d < length else d - 2
    return d


cdef inline uint64_t _special_days(Spec spec, int length, int first_wd) noexcept nogil:
    """Return the days of the day group that the special fields select (L, #, W, L-nW, LW)."""
    cdef uint64_t group = 0, bits
    cdef int k, b, n, wd, d, first
    bits = spec.last_days
    while bits:
        k = _low_bit(bits)
        bits &= bits - 1
        if k < length:
            group |= <uint64_t>1 << (length - k)
    bits = spec.nth_weekdays
    while bits:
        b = _low_bit(bits)
        bits &= bits - 1
        n = b / 7
        wd = b % 7
        d = (wd - first_wd + 7) % 7 + 1 + 7 * n
        if d <= length:
            group |= <uint64_t>1 << d
    bits = spec.last_weekdays
    while bits:
        wd = _low_bit(bits)
        bits &= bits - 1
        first = (wd - first_wd + 7) % 7 + 1
        group |= <uint64_t>1 << (first + 7 * ((length - first) / 7))
    bits = spec.near_weekdays & ((<uint64_t>2 << length) - 2)
    while bits:
        d = _low_bit(bits)
        bits &= bits - 1
        group |= <uint64_t>1 << _nearest_weekday(d, (first_wd + d - 1) % 7, length)
    bits = spec.near_last_days
    while bits:
        k = _low_bit(bits)
        bits &= bits - 1
        if k < length:
            d = length - k
            group |= <uint64_t>1 << _nearest_weekday(d, (first_wd + d - 1) % 7, length)
    if spec.flags & C_FLAG_LAST_BUSINESS_DAY:
        group |= <uint64_t>1 << _nearest_weekday(length, (first_wd + length - 1) % 7, length)
    return group


cdef inline uint64_t _day_mask(Spec spec, int64_t year, int month) noexcept nogil:
    cdef int length = _month_length(year, month)
    cdef uint64_t valid = (<uint64_t>2 << length) - 2
    cdef uint64_t group, selected, rotated, by_weekday, weekdays
    cdef int first_wd
    if spec.plain_days:
        return spec.days & valid
    first_wd = <int>_fmod(_days_from_civil(year, month, 1) + 3, 7)  # 0 = Monday
    group = (spec.days | _special_days(spec, length, first_wd)) & valid
    weekdays = spec.weekdays
    if weekdays == ALL_WEEKDAYS:
        selected = group if not (spec.flags & C_FLAG_DAY_OR) else valid
    else:
        rotated = ((weekdays >> first_wd) | (weekdays << (7 - first_wd))) & ALL_WEEKDAYS
        by_weekday = ((rotated * WEEK_PATTERN) << 1) & valid
        if spec.flags & C_FLAG_DAY_OR:
            selected = group | by_weekday
        else:
            selected = group & by_weekday
    if spec.weeks != ALL_WEEKS and selected:
        selected &= _week_days(spec.weeks, year, month, length, first_wd)
    return selected


def day_mask(Spec spec, year, month):
    """Return the days (bits 1..31) of ``year``-``month`` that the spec selects."""
    cdef int64_t y = year
    cdef int m = month
    if not 1 <= m <= 12:
        raise ValueError(f"month: {month!r} is not a month number 1-12")
    if not -_BIG < y < _BIG:
        raise OverflowError(f"year: {year!r} is out of the kernel's range")
    return _day_mask(spec, y, m)


cdef inline uint64_t _week_days(
    uint64_t weeks, int64_t year, int month, int length, int first_wd
) noexcept nogil:
    """Return the days of the month whose ISO week number is in ``weeks``."""
    cdef int ordinal = DAYS_BEFORE_MONTH[month] + (month > 2 and _is_leap(year)) + 1
    cdef int week = (ordinal - first_wd + 9) / 7  # numerator is positive
    cdef uint64_t out = 0
    cdef int d = 1, run
    if week < 1:
        week = _iso_weeks_in_year(year - 1)
    elif week == 53 and _iso_weeks_in_year(year) == 52:
        week = 1
    while d <= length:
        # days d .. end of that ISO week share ``week``
        run = 7 - (first_wd + d - 1) % 7
        if (weeks >> week) & 1:
            out |= ((<uint64_t>1 << run) - 1) << d
        d += run
        if week >= 52 and (month == 1 or week == _iso_weeks_in_year(year)):
            week = 1
        else:
            week += 1
    return out & ((<uint64_t>2 << length) - 2)


# --- years ------------------------------------------------------------------------------------


cdef inline int64_t _next_year(Spec spec, int64_t year) noexcept nogil:
    """Smallest allowed year >= ``year``, or -1."""
    cdef int64_t best = -1, first, last, step, value
    cdef Py_ssize_t i
    for i in range(spec._n_ranges):
        first = spec._ranges[3 * i]
        last = spec._ranges[3 * i + 1]
        step = spec._ranges[3 * i + 2]
        if year <= first:
            value = first
        else:
            value = first + (year - first + step - 1) / step * step
        if value <= last and (best < 0 or value < best):
            best = value
    return best


cdef inline int64_t _prev_year(Spec spec, int64_t year) noexcept nogil:
    """Largest allowed year <= ``year``, or -1."""
    cdef int64_t best = -1, first, last, step, top, value
    cdef Py_ssize_t i
    for i in range(spec._n_ranges):
        first = spec._ranges[3 * i]
        last = spec._ranges[3 * i + 1]
        step = spec._ranges[3 * i + 2]
        top = year if year < last else last
        if top < first:  # before the range, or an empty range (first > last after clamping)
            continue
        value = first + (top - first) / step * step
        if value > best:
            best = value
    return best


# --- search -----------------------------------------------------------------------------------


cdef inline int _first_time_of_day(Spec spec, int hour, int minute, int second) noexcept nogil:
    """Return the first selected time of day (seconds) at or after the given one, or -1.

    Each loop runs at most twice: a field that overflows moves to the next value of the field
    above and restarts below it at its minimum, which always exists (masks are not empty).
    """
    cdef uint64_t hours = spec.hours >> hour << hour
    cdef uint64_t minutes, seconds
    cdef int h, mi
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


cdef inline int _last_time_of_day(Spec spec, int hour, int minute, int second) noexcept nogil:
    """Return the last selected time of day (seconds) at or before the given one, or -1."""
    cdef uint64_t hours = spec.hours & ((<uint64_t>2 << hour) - 1)
    cdef uint64_t minutes, seconds
    cdef int h, mi
    while hours:
        h = _high_bit(hours)
        if h != hour:
            minute = second = 59
        minutes = spec.minutes & ((<uint64_t>2 << minute) - 1)
        while minutes:
            mi = _high_bit(minutes)
            if mi != minute:
                second = 59
            seconds = spec.seconds & ((<uint64_t>2 << second) - 1)
            if seconds:
                return h * 3600 + mi * 60 + _high_bit(seconds)
            minutes &= ~(<uint64_t>1 << mi)
            second = 59
        hours &= ~(<uint64_t>1 << h)
        minute = second = 59
    return -1


cdef inline int64_t _clamp(object t) except? -1:
    """``t`` as a C integer in [_T_LO, _T_HI], where the answers of every outlier are the same."""
    cdef int64_t v
    try:
        v = t
    except OverflowError:
        return _T_HI if t > 0 else _T_LO
    if v > _T_HI:
        return _T_HI
    if v < _T_LO:
        return _T_LO
    return v


cdef inline void _split(
    int64_t t, int64_t *year, int *month, int *day, int *hour, int *minute, int *second
) noexcept nogil:
    """Split local epoch second ``t`` into its calendar fields (``divmod`` and civil_from_days)."""
    cdef int64_t days = _fdiv(t, 86400)
    cdef int rem = <int>(t - days * 86400)
    _civil_from_days(days, year, month, day)
    hour[0] = rem / 3600
    rem = rem % 3600
    minute[0] = rem / 60
    second[0] = rem % 60


cdef inline bint _plain_day_selected(Spec spec, int64_t year, int month, int day) noexcept nogil:
    """Whether a spec of plain days selects this (valid) date: the search's common first step."""
    return (
        spec.plain_days
        and (spec.days >> day) & 1
        and (spec.months >> month) & 1
        and _next_year(spec, year) == year
    )


cdef bint _next_match(Spec spec, int64_t t, int64_t *out) noexcept nogil:
    """``next_match`` on C integers: store the answer in ``out``; false for ``None``."""
    cdef int64_t year, y
    cdef int month, day, hour, minute, second, found
    cdef uint64_t later
    if not _searchable(spec):
        return False
    _split(t, &year, &month, &day, &hour, &minute, &second)
    if _plain_day_selected(spec, year, month, day):  # only the time of day moves
        found = _first_time_of_day(spec, hour, minute, second)
        if found >= 0:
            out[0] = t - (hour * 3600 + minute * 60 + second) + found
            return True
    while True:
        if year > C_MAX_YEAR:
            return False
        y = _next_year(spec, year)
        if y < 0:
            return False
        if y != year:
            year, month, day, hour, minute, second = y, 1, 1, 0, 0, 0
        later = spec.months >> month << month
        if not later:
            year, month, day, hour, minute, second = year + 1, 1, 1, 0, 0, 0
            continue
        if _low_bit(later) != month:
            month, day, hour, minute, second = _low_bit(later), 1, 0, 0, 0
        later = _day_mask(spec, year, month) >> day << day
        if not later:
            day, hour, minute, second = 1, 0, 0, 0
            month += 1
            if month > 12:
                year, month = year + 1, 1
            continue
        if _low_bit(later) != day:
            day, hour, minute, second = _low_bit(later), 0, 0, 0
        found = _first_time_of_day(spec, hour, minute, second)
        if found < 0:
            day, hour, minute, second = day + 1, 0, 0, 0
            continue  # an overflowing day falls out of the next day mask
        out[0] = _days_from_civil(year, month, day) * 86400 + found
        return True


cdef bint _prev_match(Spec spec, int64_t t, int64_t *out) noexcept nogil:
    """``prev_match`` on C integers: store the answer in ``out``; false for ``None``."""
    cdef int64_t year, y
    cdef int month, day, hour, minute, second, found
    cdef uint64_t earlier
    if not _searchable(spec):
        return False
    _split(t, &year, &month, &day, &hour, &minute, &second)
    if _plain_day_selected(spec, year, month, day):  # only the time of day moves
        found = _last_time_of_day(spec, hour, minute, second)
        if found >= 0:
            out[0] = t - (hour * 3600 + minute * 60 + second) + found
            return True
    while True:
        if year < C_MIN_YEAR:
            return False
        y = _prev_year(spec, year)
        if y < 0:
            return False
        if y != year:
            year, month, day, hour, minute, second = y, 12, 31, 23, 59, 59
        earlier = spec.months & ((<uint64_t>2 << month) - 1)
        if not earlier:
            year, month, day, hour, minute, second = year - 1, 12, 31, 23, 59, 59
            continue
        if _high_bit(earlier) != month:
            month, day, hour, minute, second = _high_bit(earlier), 31, 23, 59, 59
        earlier = _day_mask(spec, year, month) & ((<uint64_t>2 << day) - 1)
        if not earlier:
            day, hour, minute, second = 31, 23, 59, 59
            month -= 1
            if month < 1:
                year, month = year - 1, 12
            continue
        if _high_bit(earlier) != day:
            day, hour, minute, second = _high_bit(earlier), 23, 59, 59
        found = _last_time_of_day(spec, hour, minute, second)
        if found < 0:
            day, hour, minute, second = day - 1, 23, 59, 59
            if day < 1:
                day, month = 31, month - 1
                if month < 1:
                    year, month = year - 1, 12
            continue
        out[0] = _days_from_civil(year, month, day) * 86400 + found
        return True


def next_match(Spec spec, t):
    """Return the smallest selected local epoch second ``>= t``, or ``None``."""
    cdef int64_t found
    if _next_match(spec, _clamp(t), &found):
        return found
    return None


def prev_match(Spec spec, t):
    """Return the largest selected local epoch second ``<= t``, or ``None``."""
    cdef int64_t found
    if _prev_match(spec, _clamp(t), &found):
        return found
    return None


def matches(Spec spec, t):
    """Return whether local epoch second ``t`` is selected by the spec."""
    cdef int64_t year
    cdef int month, day, hour, minute, second
    _split(_clamp(t), &year, &month, &day, &hour, &minute, &second)
    return bool(
        _next_year(spec, year) == year
        and (spec.months >> month) & 1
        and (spec.hours >> hour) & 1
        and (spec.minutes >> minute) & 1
        and (spec.seconds >> second) & 1
        and (_day_mask(spec, year, month) >> day) & 1
    )


def is_feasible(Spec spec):
    """Return whether the spec selects at least one second between MIN_YEAR and MAX_YEAR.

    The day rules of a year depend only on its calendar type (weekday of 1 January, leap
    year, previous year leap), so each type is checked once; types repeat within 400 years.
    """
    cdef int64_t year
    cdef uint64_t seen = 0, months
    cdef int scanned = 0, kind, m
    if not _searchable(spec):
        return False
    year = _next_year(spec, C_MIN_YEAR)
    while year >= 0:
        kind = (
            <int>_fmod(_days_from_civil(year, 1, 1) + 3, 7) * 4 + _is_leap(year) * 2
            + _is_leap(year - 1)
        )
        if not (seen >> kind) & 1:
            seen |= <uint64_t>1 << kind
            months = spec.months
            while months:
                m = _low_bit(months)
                months &= months - 1
                if _day_mask(spec, year, m):
                    return True
            if tk_popcount64(seen) == 21:  # every calendar type has been tried
                return False
        scanned += 1
        if scanned > 800:  # two full 400-year cycles of allowed years: nothing new to see
            return False
        if year >= C_MAX_YEAR:
            return False
        year = _next_year(spec, year + 1)
    return False


# --- the datetime layer -----------------------------------------------------------------------


cdef int64_t *_int64_array(list values) except NULL:
    cdef Py_ssize_t i, n = len(values)
    cdef int64_t *out = <int64_t *>PyMem_Malloc((n if n else 1) * sizeof(int64_t))
    if out is NULL:
        raise MemoryError()
    for i in range(n):
        out[i] = values[i]
    return out


cdef class ZoneRules:
    """A zone's offsets as the datetime layer reads them: one fixed offset, or a table.

    The parameters are those of ``triggerkit._pyengine.ZoneRules``.
    """

    cdef readonly object tz
    cdef readonly object fixed
    cdef bint _has_fixed
    cdef int64_t _fixed
    cdef Py_ssize_t _n
    cdef int64_t *_utc
    cdef int64_t *_offsets
    cdef int64_t *_wall0
    cdef int64_t *_wall1

    def __cinit__(self):
        self._n = 0
        self._utc = self._offsets = self._wall0 = self._wall1 = NULL

    def __init__(self, tz, fixed, list utc, list offsets, list wall0, list wall1):
        self.tz = tz
        self.fixed = fixed
        self._has_fixed = fixed is not None
        self._fixed = fixed if fixed is not None else 0
        # Fewer than three transitions: no table (the lookups need one on each side).
        if len(utc) >= 3 and len(utc) == len(offsets) == len(wall0) == len(wall1):
            self._utc = _int64_array(utc)
            self._offsets = _int64_array(offsets)
            self._wall0 = _int64_array(wall0)
            self._wall1 = _int64_array(wall1)
            self._n = len(utc)

    def __dealloc__(self):
        PyMem_Free(self._utc)
        PyMem_Free(self._offsets)
        PyMem_Free(self._wall0)
        PyMem_Free(self._wall1)

    @property
    def utc(self):
        return [self._utc[i] for i in range(self._n)]

    @property
    def offsets(self):
        return [self._offsets[i] for i in range(self._n)]

    @property
    def wall0(self):
        return [self._wall0[i] for i in range(self._n)]

    @property
    def wall1(self):
        return [self._wall1[i] for i in range(self._n)]


cdef inline Py_ssize_t _bisect_right(const int64_t *a, Py_ssize_t n, int64_t x) noexcept nogil:
    """``bisect.bisect_right`` on a sorted C array."""
    cdef Py_ssize_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if x < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


cdef inline bint _instant(ZoneRules rules, object dt, int64_t *out):
    """Store the whole UTC epoch second of aware ``dt`` in ``out``; false when unknown here.

    Known when ``dt`` is in UTC or in the rules' own zone (inside its table, for a zone with
    rules): then the fields and the fold give the instant without calling the tzinfo.
    """
    cdef object tz = datetime_tzinfo(dt)
    cdef int64_t wall = _days_from_civil(
        datetime_year(dt), datetime_month(dt), datetime_day(dt)
    ) * 86400 + (datetime_hour(dt) * 3600 + datetime_minute(dt) * 60 + datetime_second(dt))
    cdef const int64_t *walls
    if tz is rules.tz:
        if rules._has_fixed:
            out[0] = wall - rules._fixed
            return True
        if rules._n and rules._wall0[1] <= wall <= rules._wall1[rules._n - 1]:
            walls = rules._wall1 if datetime_fold(dt) else rules._wall0
            out[0] = wall - rules._offsets[_bisect_right(walls, rules._n, wall) - 1]
            return True
        return False
    if tz is _UTC:
        out[0] = wall
        return True
    return False


cdef inline object _wall_datetime(int64_t w, object tz):
    """Return the datetime of local epoch second ``w`` in ``tz`` (a wall time occurring once)."""
    cdef int64_t year
    cdef int month, day, hour, minute, second
    _split(w, &year, &month, &day, &hour, &minute, &second)
    return datetime_new(<int>year, month, day, hour, minute, second, 0, tz, 0)


cdef inline bint _once(ZoneRules rules, int64_t w) noexcept nogil:
    """Whether wall time ``w`` (inside the table) occurs exactly once (no gap, no overlap)."""
    cdef Py_ssize_t n = rules._n
    return (
        rules._wall0[1] <= w <= rules._wall1[n - 1]
        and rules._offsets[_bisect_right(rules._wall0, n, w) - 1]
        == rules._offsets[_bisect_right(rules._wall1, n, w) - 1]
    )


cdef object _next_datetime(Spec spec, ZoneRules rules, object after, bint inclusive):
    """``next_datetime``'s body (a C call from :class:`Search`)."""
    cdef int64_t t, c, o, fixed, year
    cdef int month, day, found
    cdef Py_ssize_t i, n = rules._n
    cdef int step
    cdef object tz
    if not PyDateTime_Check(after):
        raise TypeError(f"after: expected a datetime, got {type(after).__name__}")
    step = 1 if not inclusive or datetime_microsecond(after) else 0
    tz = datetime_tzinfo(after)
    if tz is rules.tz and rules._has_fixed:  # the same day first, on the fields (see _pyengine)
        year, month, day = datetime_year(after), datetime_month(after), datetime_day(after)
        if C_MIN_YEAR < year < C_MAX_YEAR and _plain_day_selected(spec, year, month, day):
            found = _first_time_of_day(
                spec, datetime_hour(after), datetime_minute(after), datetime_second(after) + step
            )
            if found >= 0:
                return datetime_new(
                    <int>year, month, day, found / 3600, found / 60 % 60, found % 60, 0, tz, 0
                )
    if not _instant(rules, after, &t):
        return False
    t += step
    if rules._has_fixed:
        fixed = rules._fixed
        if not _next_match(spec, t + fixed, &c) or not FIRST_INSTANT <= c - fixed <= LAST_INSTANT:
            return None
        return _wall_datetime(c, rules.tz)
    if not n or not rules._utc[1] <= t < rules._utc[n - 1]:
        return False
    i = _bisect_right(rules._utc, n, t) - 1
    if t == rules._utc[i]:  # rule G may owe a gap's fire at a transition instant
        return False
    o = rules._offsets[i]
    # Offset o holds on [utc[i], utc[i+1]); the wall times in [wall0[i], wall1[i+1]) occur once
    # each, at wall - o.
    if not rules._wall0[i] <= t + o < rules._wall1[i + 1]:
        return False
    if not _next_match(spec, t + o, &c):
        return None
    if c >= rules._wall1[i + 1] and not _once(rules, c):
        return False
    return _wall_datetime(c, rules.tz)


cdef object _prev_datetime(Spec spec, ZoneRules rules, object before, bint inclusive):
    """``prev_datetime``'s body (a C call from :class:`Search`)."""
    cdef int64_t t, c, o, fixed, year
    cdef int month, day, second, found
    cdef Py_ssize_t i, n = rules._n
    cdef int step
    cdef object tz
    if not PyDateTime_Check(before):
        raise TypeError(f"before: expected a datetime, got {type(before).__name__}")
    step = 1 if not inclusive and not datetime_microsecond(before) else 0
    tz = datetime_tzinfo(before)
    if tz is rules.tz and rules._has_fixed:  # the same day first, as in next_datetime
        year, month, day = datetime_year(before), datetime_month(before), datetime_day(before)
        second = datetime_second(before) - step
        if (
            C_MIN_YEAR < year < C_MAX_YEAR
            and second >= 0
            and _plain_day_selected(spec, year, month, day)
        ):
            found = _last_time_of_day(spec, datetime_hour(before), datetime_minute(before), second)
            if found >= 0:
                return datetime_new(
                    <int>year, month, day, found / 3600, found / 60 % 60, found % 60, 0, tz, 0
                )
    if not _instant(rules, before, &t):
        return False
    t -= step
    if rules._has_fixed:
        fixed = rules._fixed
        if not _prev_match(spec, t + fixed, &c) or not FIRST_INSTANT <= c - fixed <= LAST_INSTANT:
            return None
        return _wall_datetime(c, rules.tz)
    if not n or not rules._utc[1] <= t < rules._utc[n - 1]:
        return False
    i = _bisect_right(rules._utc, n, t) - 1
    o = rules._offsets[i]
    if not rules._wall0[i] <= t + o < rules._wall1[i + 1]:
        return False
    if not _prev_match(spec, t + o, &c):
        return None
    if c < rules._wall0[i] and not _once(rules, c):
        return False
    return _wall_datetime(c, rules.tz)


def next_datetime(Spec spec not None, ZoneRules rules not None, after, bint inclusive):
    """Return the first fire time after ``after`` (at it, if ``inclusive``), or ``None``.

    ``False`` when the answer needs the general search of ``_tz`` (DST rules G and O
    near a transition, an input in another zone, a zone without a table).
    """
    return _next_datetime(spec, rules, after, inclusive)


def prev_datetime(Spec spec not None, ZoneRules rules not None, before, bint inclusive):
    """Return the last fire time before ``before`` (at it, if ``inclusive``), or ``None``.

    The mirror of :func:`next_datetime` (no rule G is owed at the end of a backward search).
    """
    return _prev_datetime(spec, rules, before, inclusive)


# --- one schedule's entry point ---------------------------------------------------------------

# Whether this kernel is the engine's (set by ``triggerkit._engine``): the searches of a kernel
# that is not answer nothing themselves, so that switching engines takes effect at once.
cdef bint _active = False


def set_active(active):
    """Mark this kernel as the engine's kernel (``True``) or not (``False``)."""
    global _active
    _active = bool(active)


cdef class Search:
    """A compiled spec in a zone, datetimes in and out: one schedule's entry point.

    See ``triggerkit._pyengine.Search``: ``next``/``prev`` answer in C, from the datetime
    passed in to the datetime returned, and defer the rest to ``general``.
    """

    cdef readonly Spec spec
    cdef readonly ZoneRules rules
    cdef readonly object general

    def __init__(self, Spec spec, ZoneRules rules, general):
        self.spec = spec
        self.rules = rules
        self.general = general

    def next(self, after, bint inclusive=False):
        """Return the first fire time after ``after`` (at it, if ``inclusive``), or ``None``."""
        cdef object found
        if _active and self.spec is not None:
            found = _next_datetime(self.spec, self.rules, after, inclusive)
            if found is not False:
                return found
        return self.general.general_next(after, inclusive)

    def prev(self, before, bint inclusive=False):
        """Return the last fire time before ``before`` (at it, if ``inclusive``), or ``None``."""
        cdef object found
        if _active and self.spec is not None:
            found = _prev_datetime(self.spec, self.rules, before, inclusive)
            if found is not False:
                return found
        return self.general.general_prev(before, inclusive)
