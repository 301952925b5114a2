# cython: language_level=3, binding=True, embedsignature=True
# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The compiled engine kernel: the same functions as ``triggerkit._pyengine``, in C.

See ``triggerkit/_pyengine.py`` for the data layout and the rules; this module follows it line by
line with C integers: field masks are ``uint64_t``, instants ``int64_t``, years a C array of
``(first, last, step)`` ranges, and bit scans use the compiler's count-trailing/leading-zeros.
Nothing inside the search touches a Python object. Instants beyond the range of the years the
kernel knows are clamped on entry to an instant with the same answer (see ``_clamp``), so
arbitrarily large Python integers give the pure kernel's results.
"""

from libc.stdint cimport int64_t, uint64_t
from cpython.mem cimport PyMem_Free, PyMem_Malloc

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

cdef enum:
    _MIN_YEAR = 1
    _MAX_YEAR = 9999

MIN_YEAR = _MIN_YEAR
MAX_YEAR = _MAX_YEAR
FLAG_DAY_OR = 1
FLAG_LAST_BUSINESS_DAY = 2

cdef uint64_t _ALL_DAYS = 0xFFFFFFFE
cdef uint64_t _ALL_WEEKDAYS = 0x7F
cdef uint64_t _ALL_WEEKS = ((<uint64_t>1 << 54) - 1) & ~(<uint64_t>1)
cdef uint64_t _WEEK_PATTERN = (
    1 | (<uint64_t>1 << 7) | (<uint64_t>1 << 14) | (<uint64_t>1 << 21) | (<uint64_t>1 << 28)
    | (<uint64_t>1 << 35)
)
cdef int[13] _DAYS_BEFORE_MONTH = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]

# Instants are clamped into [_T_LO, _T_HI] on entry: every instant before year 1 has the answers
# of one in year -1, every instant after year 9999 those of one in year 10000 (the search and
# the year tables never distinguish them). Day counts and years are clamped likewise in the
# calendar functions, which then defer to the pure kernel for the (never used) huge values.
cdef int64_t _T_LO = -62167219200 - 86400  # 0000-01-01 minus a day: year -1
cdef int64_t _T_HI = 253402300800 + 86400  # 10000-01-02: year 10000
cdef int64_t _BIG = 1 << 40  # years and day counts beyond this are delegated to the pure kernel


cdef inline int64_t _fdiv(int64_t a, int64_t b) noexcept nogil:
    """Floor division for b > 0."""
    cdef int64_t q = a / b
    if (a % b) < 0:
        q -= 1
    return q


cdef inline int64_t _fmod(int64_t a, int64_t b) noexcept nogil:
    """Floor modulo for b > 0."""
    cdef int64_t r = a % b
    if r < 0:
        r += b
    return r


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


cdef inline int _low_bit(uint64_t mask) noexcept nogil:
    return tk_ctz64(mask) if mask else -1


cdef inline int _high_bit(uint64_t mask) noexcept nogil:
    return tk_bitlen64(mask) - 1


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
        ranges.append((max(int(a), _MIN_YEAR), min(int(b), _MAX_YEAR), max(int(s), 1)))
    spec.years = tuple(ranges)
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
        spec._ranges[3 * i] = min(a, _MAX_YEAR + 1)
        spec._ranges[3 * i + 1] = max(b, _MIN_YEAR - 1)
        spec._ranges[3 * i + 2] = min(s, _MAX_YEAR + 1)
    spec.months = _mask(months, 0x1FFE)
    spec.days = _mask(days, _ALL_DAYS)
    spec.last_days = _mask(last_days, 0x7FFFFFFF)
    spec.nth_weekdays = _mask(nth_weekdays, (<uint64_t>1 << 35) - 1)
    spec.last_weekdays = _mask(last_weekdays, _ALL_WEEKDAYS)
    spec.near_weekdays = _mask(near_weekdays, _ALL_DAYS)
    spec.flags = <int>_mask(flags, 3)
    spec.weekdays = _mask(weekdays, _ALL_WEEKDAYS)
    spec.weeks = _mask(weeks, _ALL_WEEKS)
    spec.hours = _mask(hours, 0xFFFFFF)
    spec.minutes = _mask(minutes, 0x0FFFFFFFFFFFFFFF)
    spec.seconds = _mask(seconds, 0x0FFFFFFFFFFFFFFF)
    # The common case: only plain days, every weekday, every week. Not with FLAG_DAY_OR, as
    # OR-ing in every weekday selects every day.
    spec.plain_days = (
        not (spec.last_days | spec.nth_weekdays | spec.last_weekdays | spec.near_weekdays)
        and not spec.flags
        and spec.weekdays == _ALL_WEEKDAYS
        and spec.weeks == _ALL_WEEKS
    )
    spec.min_hour = _low_bit(spec.hours)
    spec.max_hour = _high_bit(spec.hours)
    spec.min_minute = _low_bit(spec.minutes)
    spec.max_minute = _high_bit(spec.minutes)
    spec.min_second = _low_bit(spec.seconds)
    spec.max_second = _high_bit(spec.seconds)
    return spec


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


# --- the day mask of one month ----------------------------------------------------------------


cdef uint64_t _week_days(
    uint64_t weeks, int64_t year, int month, int length, int first_wd
) noexcept nogil:
    cdef int ordinal = _DAYS_BEFORE_MONTH[month] + (month > 2 and _is_leap(year)) + 1
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


cdef uint64_t _day_mask(Spec spec, int64_t year, int month) noexcept nogil:
    cdef int length = _month_length(year, month)
    cdef uint64_t valid = (<uint64_t>2 << length) - 2
    cdef uint64_t group, bits, selected, rotated, by_weekday, weekdays
    cdef int first_wd, k, b, n, wd, d, first
    if spec.plain_days:
        return spec.days & valid
    first_wd = <int>_fmod(_days_from_civil(year, month, 1) + 3, 7)  # 0 = Monday
    group = spec.days
    bits = spec.last_days
    while bits:
        k = tk_ctz64(bits)
        bits &= bits - 1
        if k < length:
            group |= <uint64_t>1 << (length - k)
    bits = spec.nth_weekdays
    while bits:
        b = tk_ctz64(bits)
        bits &= bits - 1
        n = b / 7
        wd = b % 7
        d = (wd - first_wd + 7) % 7 + 1 + 7 * n
        if d <= length:
            group |= <uint64_t>1 << d
    bits = spec.last_weekdays
    while bits:
        wd = tk_ctz64(bits)
        bits &= bits - 1
        first = (wd - first_wd + 7) % 7 + 1
        group |= <uint64_t>1 << (first + 7 * ((length - first) / 7))
    bits = spec.near_weekdays & valid
    while bits:
        d = tk_ctz64(bits)
        bits &= bits - 1
        wd = (first_wd + d - 1) % 7
        if wd == 5:  # Saturday: Friday before, or Monday after on the 1st
            d = d - 1 if d > 1 else d + 2
        elif wd == 6:  # Sunday: Monday after, or Friday before on the last day
            d = d + 1 if d < length else d - 2
        group |= <uint64_t>1 << d
    if spec.flags & 2:
        wd = (first_wd + length - 1) % 7
        group |= <uint64_t>1 << (length - (wd - 4 if wd > 4 else 0))
    group &= valid
    weekdays = spec.weekdays
    if weekdays == _ALL_WEEKDAYS:
        selected = group if not (spec.flags & 1) else valid
    else:
        rotated = ((weekdays >> first_wd) | (weekdays << (7 - first_wd))) & 0x7F
        by_weekday = ((rotated * _WEEK_PATTERN) << 1) & valid
        if spec.flags & 1:
            selected = group | by_weekday
        else:
            selected = group & by_weekday
    if spec.weeks != _ALL_WEEKS and selected:
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


# --- years ------------------------------------------------------------------------------------


cdef int64_t _next_year(Spec spec, int64_t year) noexcept nogil:
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


cdef int64_t _prev_year(Spec spec, int64_t year) noexcept nogil:
    """Largest allowed year <= ``year``, or -1."""
    cdef int64_t best = -1, first, last, step, top, value
    cdef Py_ssize_t i
    for i in range(spec._n_ranges):
        first = spec._ranges[3 * i]
        last = spec._ranges[3 * i + 1]
        step = spec._ranges[3 * i + 2]
        top = year if year < last else last
        if top < first:  # also an empty range (first > last)
            continue
        value = first + (top - first) / step * step
        if value > best:
            best = value
    return best


# --- search -----------------------------------------------------------------------------------


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
    cdef int64_t days = _fdiv(t, 86400)
    cdef int rem = <int>(t - days * 86400)
    _civil_from_days(days, year, month, day)
    hour[0] = rem / 3600
    rem = rem % 3600
    minute[0] = rem / 60
    second[0] = rem % 60


cdef inline int64_t _join(
    int64_t year, int month, int day, int hour, int minute, int second
) noexcept nogil:
    return _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second


cdef bint _next(Spec spec, int64_t t, int64_t *out) noexcept nogil:
    cdef int64_t year, y
    cdef int month, day, hour, minute, second
    cdef uint64_t later
    if not (spec.hours and spec.minutes and spec.seconds and spec.months):
        return False
    _split(t, &year, &month, &day, &hour, &minute, &second)
    while True:
        if year > _MAX_YEAR:
            return False
        y = _next_year(spec, year)
        if y < 0:
            return False
        if y != year:
            year = y
            month = day = 1
            hour = minute = second = 0
        later = spec.months >> month << month
        if not later:
            year += 1
            month = day = 1
            hour = minute = second = 0
            continue
        if tk_ctz64(later) != month:
            month = tk_ctz64(later)
            day = 1
            hour = minute = second = 0
        later = _day_mask(spec, year, month) >> day << day
        if not later:
            day = 1
            hour = minute = second = 0
            month += 1
            if month > 12:
                year += 1
                month = 1
            continue
        if tk_ctz64(later) != day:
            day = tk_ctz64(later)
            hour = minute = second = 0
        later = spec.hours >> hour << hour
        if not later:
            day += 1  # an overflowing day falls out of the next day mask
            hour = minute = second = 0
            continue
        if tk_ctz64(later) != hour:
            hour = tk_ctz64(later)
            minute = second = 0
        later = spec.minutes >> minute << minute
        if not later:
            hour += 1
            minute = second = 0
            if hour > 23:
                day += 1
                hour = 0
            continue
        if tk_ctz64(later) != minute:
            minute = tk_ctz64(later)
            second = 0
        later = spec.seconds >> second << second
        if not later:
            minute += 1
            second = 0
            if minute > 59:
                hour += 1
                minute = 0
                if hour > 23:
                    day += 1
                    hour = 0
            continue
        out[0] = _join(year, month, day, hour, minute, tk_ctz64(later))
        return True


cdef bint _prev(Spec spec, int64_t t, int64_t *out) noexcept nogil:
    cdef int64_t year, y
    cdef int month, day, hour, minute, second
    cdef uint64_t earlier
    if not (spec.hours and spec.minutes and spec.seconds and spec.months):
        return False
    _split(t, &year, &month, &day, &hour, &minute, &second)
    while True:
        if year < _MIN_YEAR:
            return False
        y = _prev_year(spec, year)
        if y < 0:
            return False
        if y != year:
            year = y
            month = 12
            day = 31
            hour = 23
            minute = second = 59
        earlier = spec.months & ((<uint64_t>2 << month) - 1)
        if not earlier:
            year -= 1
            month = 12
            day = 31
            hour = 23
            minute = second = 59
            continue
        if _high_bit(earlier) != month:
            month = _high_bit(earlier)
            day = 31
            hour = 23
            minute = second = 59
        earlier = _day_mask(spec, year, month) & ((<uint64_t>2 << day) - 1)
        if not earlier:
            day = 31
            hour = 23
            minute = second = 59
            month -= 1
            if month < 1:
                year -= 1
                month = 12
            continue
        if _high_bit(earlier) != day:
            day = _high_bit(earlier)
            hour = 23
            minute = second = 59
        earlier = spec.hours & ((<uint64_t>2 << hour) - 1)
        if not earlier:
            day -= 1
            hour = 23
            minute = second = 59
            if day < 1:
                day = 31
                month -= 1
                if month < 1:
                    year -= 1
                    month = 12
            continue
        if _high_bit(earlier) != hour:
            hour = _high_bit(earlier)
            minute = second = 59
        earlier = spec.minutes & ((<uint64_t>2 << minute) - 1)
        if not earlier:
            hour -= 1
            minute = second = 59
            if hour < 0:
                day -= 1
                hour = 23
                if day < 1:
                    day = 31
                    month -= 1
                    if month < 1:
                        year -= 1
                        month = 12
            continue
        if _high_bit(earlier) != minute:
            minute = _high_bit(earlier)
            second = 59
        earlier = spec.seconds & ((<uint64_t>2 << second) - 1)
        if not earlier:
            minute -= 1
            second = 59
            if minute < 0:
                hour -= 1
                minute = 59
                if hour < 0:
                    day -= 1
                    hour = 23
                    if day < 1:
                        day = 31
                        month -= 1
                        if month < 1:
                            year -= 1
                            month = 12
            continue
        out[0] = _join(year, month, day, hour, minute, _high_bit(earlier))
        return True


def next_match(Spec spec, t):
    """Return the smallest selected local epoch second ``>= t``, or ``None``."""
    cdef int64_t found
    if _next(spec, _clamp(t), &found):
        return found
    return None


def prev_match(Spec spec, t):
    """Return the largest selected local epoch second ``<= t``, or ``None``."""
    cdef int64_t found
    if _prev(spec, _clamp(t), &found):
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
    if not (spec.hours and spec.minutes and spec.seconds and spec.months):
        return False
    year = _next_year(spec, _MIN_YEAR)
    while year >= 0:
        kind = (
            <int>_fmod(_days_from_civil(year, 1, 1) + 3, 7) * 4 + _is_leap(year) * 2
            + _is_leap(year - 1)
        )
        if not (seen >> kind) & 1:
            seen |= <uint64_t>1 << kind
            months = spec.months
            while months:
                m = tk_ctz64(months)
                months &= months - 1
                if _day_mask(spec, year, m):
                    return True
            if tk_popcount64(seen) == 21:  # every calendar type has been tried
                return False
        scanned += 1
        if scanned > 800:  # two full 400-year cycles of allowed years: nothing new to see
            return False
        if year >= _MAX_YEAR:
            return False
        year = _next_year(spec, year + 1)
    return False
