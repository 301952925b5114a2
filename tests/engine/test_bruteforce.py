"""The kernel against a brute-force oracle built on ``datetime``: day by day, minute by minute.

The oracle decides each day from its definition (``datetime.date`` weekdays, ``isocalendar``
weeks, ``calendar.monthrange`` lengths) and walks the clock, so it shares no arithmetic with the
kernel's jumps. Runs on both engines.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta, timezone
from types import ModuleType
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from kernel_strategies import bits, rare_bits

from triggerkit import _pyengine as py

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FULL_WEEKS = ((1 << 54) - 1) & ~1
# The engine fixture only selects a module; nothing in it needs resetting between examples.
SHARED = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
BRUTE = settings(deadline=None, max_examples=150, suppress_health_check=SHARED)


def oracle_day(spec: Any, day: date, *, years: bool = True) -> bool:
    """Whether the spec selects ``day``, straight from the definitions in ``_pyengine``.

    :param years: check the year and month fields too (``day_mask`` leaves them to the search)
    """
    if years and (
        not spec.months >> day.month & 1
        or not any(a <= day.year <= b and (day.year - a) % s == 0 for a, b, s in spec.years)
    ):
        return False
    length = calendar.monthrange(day.year, day.month)[1]
    d, wd = day.day, day.weekday()
    group = bool(spec.days >> d & 1)
    group |= any(spec.last_days >> k & 1 and d == length - k for k in range(31))
    group |= bool(spec.nth_weekdays >> ((d - 1) // 7 * 7 + wd) & 1)
    group |= bool(spec.last_weekdays >> wd & 1 and d + 7 > length)
    for target in range(1, length + 1):  # Quartz W: the weekday nearest the target day
        if spec.near_weekdays >> target & 1:
            target_wd = date(day.year, day.month, target).weekday()
            if target_wd == 5:
                near = target - 1 if target > 1 else target + 2
            elif target_wd == 6:
                near = target + 1 if target < length else target - 2
            else:
                near = target
            group |= d == near
    for k in range(31):  # Quartz L-kW: the weekday nearest the k-th day before the last day
        target = length - k
        if spec.near_last_days >> k & 1 and target >= 1:
            candidates = [
                x
                for x in range(1, length + 1)
                if date(day.year, day.month, x).weekday() < 5 and abs(x - target) <= 2
            ]
            # nearest, never leaving the month; a tie (impossible for one weekend) never occurs
            group |= d == min(candidates, key=lambda x: (abs(x - target), x))
    if spec.flags & py.FLAG_LAST_BUSINESS_DAY:  # LW: the last Monday-Friday of the month
        last = max(
            x for x in range(length - 6, length + 1) if date(day.year, day.month, x).weekday() < 5
        )
        group |= d == last
    by_weekday = bool(spec.weekdays >> wd & 1)
    selected = (group or by_weekday) if spec.flags & py.FLAG_DAY_OR else (group and by_weekday)
    return selected and bool(spec.weeks >> day.isocalendar()[1] & 1)


def oracle_mask(spec: Any, year: int, month: int) -> int:
    length = calendar.monthrange(year, month)[1]
    return sum(
        1 << d for d in range(1, length + 1) if oracle_day(spec, date(year, month, d), years=False)
    )


def to_t(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(seconds=1)


def oracle_next(spec: Any, t: int, window: int) -> int | None:
    """Walk minutes (and the seconds in each) from ``t`` for ``window`` seconds."""
    moment = EPOCH + timedelta(seconds=t)
    minute = moment.replace(second=0)
    seconds = [s for s in range(60) if spec.seconds >> s & 1]
    days: dict[date, bool] = {}
    while minute < moment + timedelta(seconds=window):
        day = minute.date()
        if day not in days:
            days[day] = oracle_day(spec, day)
        if days[day] and spec.hours >> minute.hour & 1 and spec.minutes >> minute.minute & 1:
            for s in seconds:
                candidate = to_t(minute) + s
                if candidate >= t:
                    return candidate
        minute += timedelta(minutes=1)
    return None


def oracle_prev(spec: Any, t: int, window: int) -> int | None:
    """Walk minutes (and the seconds in each) back from ``t`` for ``window`` seconds."""
    moment = EPOCH + timedelta(seconds=t)
    minute = moment.replace(second=0)
    seconds = [s for s in range(59, -1, -1) if spec.seconds >> s & 1]
    days: dict[date, bool] = {}
    while minute > moment - timedelta(seconds=window):
        day = minute.date()
        if day not in days:
            days[day] = oracle_day(spec, day)
        if days[day] and spec.hours >> minute.hour & 1 and spec.minutes >> minute.minute & 1:
            for s in seconds:
                candidate = to_t(minute) + s
                if candidate <= t:
                    return candidate
        minute -= timedelta(minutes=1)
    return None


def nonempty(first: int, last: int) -> st.SearchStrategy[int]:
    return bits(first, last).filter(bool)


@st.composite
def small_specs(draw: st.DrawFn, *, dense: bool) -> tuple[Any, ...]:
    """Specs that fire often enough for a bounded walk to find something."""
    if dense:
        day_fields = (
            draw(bits(1, 31)),
            0,
            0,
            0,
            0,
            draw(st.sampled_from([0, 1])),
            draw(st.one_of(st.just(0x7F), bits(0, 6))),
            FULL_WEEKS,
        )
    else:
        day_fields = (
            draw(bits(1, 31)),
            draw(rare_bits(0, 30)),
            draw(rare_bits(0, 34)),
            draw(rare_bits(0, 6)),
            draw(rare_bits(1, 31)),
            draw(st.integers(0, 3)),
            draw(bits(0, 6)),
            draw(st.one_of(st.just(FULL_WEEKS), bits(1, 53))),
        )
    near_last = 0 if dense else draw(rare_bits(0, 30))
    return (
        draw(st.sampled_from([((1, 9999, 1),), ((1900, 2100, 1),), ((1, 9999, 2),)])),
        draw(st.one_of(st.just(0x1FFE), nonempty(1, 12))),
        *day_fields,
        draw(st.one_of(st.just(0xFFFFFF), nonempty(0, 23))) if dense else draw(nonempty(0, 23)),
        draw(nonempty(0, 59)),
        draw(st.one_of(st.just(1), nonempty(0, 59))),
        near_last,
    )


instants = st.integers(
    to_t(datetime(1999, 12, 20, tzinfo=UTC)), to_t(datetime(2001, 3, 10, tzinfo=UTC))
)


@BRUTE
@given(args=small_specs(dense=True), t=instants)
@example(
    args=(
        ((1, 9999, 1),),
        0x1FFE,
        1 << 29,
        0,
        0,
        0,
        0,
        1,
        0b1000000,
        FULL_WEEKS,
        1 << 23,
        1 << 59,
        1 << 59,
    ),
    t=to_t(datetime(2000, 2, 28, 23, 59, 59, tzinfo=UTC)),
)
def test_next_and_prev_match_a_minute_walk_over_three_days(
    engine: ModuleType, args: tuple[Any, ...], t: int
) -> None:
    spec = engine.compile_spec(*args)
    reference = py.compile_spec(*args)
    window = 3 * 86400
    found = engine.next_match(spec, t)
    expected = oracle_next(reference, t, window)
    if expected is None:
        assert found is None or found >= t + window
    else:
        assert found == expected
        assert engine.matches(spec, found)
    found = engine.prev_match(spec, t)
    expected = oracle_prev(reference, t, window)
    if expected is None:
        assert found is None or found <= t - window
    else:
        assert found == expected


@settings(BRUTE, max_examples=80)
@given(args=small_specs(dense=False), t=instants)
def test_special_day_searches_match_a_day_walk_over_a_year(
    engine: ModuleType, args: tuple[Any, ...], t: int
) -> None:
    spec = engine.compile_spec(*args)
    reference = py.compile_spec(*args)
    start = (EPOCH + timedelta(seconds=t)).date()
    found = engine.next_match(spec, t)
    first_time = spec.min_hour * 3600 + spec.min_minute * 60 + spec.min_second
    for offset in range(1, 370):  # the first whole day after t's day that the oracle selects
        day = start + timedelta(days=offset)
        if oracle_day(reference, day):
            assert found is not None
            assert found <= to_t(datetime(day.year, day.month, day.day, tzinfo=UTC)) + first_time
            break
    if found is not None and found < t + 370 * 86400:
        hit = EPOCH + timedelta(seconds=found)
        assert oracle_day(reference, hit.date())
        assert engine.matches(spec, found)
        # nothing selected between t and the match (whole days in between are not selected)
        for offset in range(1, (hit.date() - start).days):
            assert not oracle_day(reference, start + timedelta(days=offset))


@settings(deadline=None, max_examples=200, suppress_health_check=SHARED)
@given(
    args=small_specs(dense=False),
    year=st.one_of(
        st.integers(1, 9999), st.sampled_from([1, 2, 9998, 9999]), st.integers(1995, 2030)
    ),
    month=st.integers(1, 12),
)
@example(
    args=(((1, 9999, 1),), 0x1FFE, 0, 0, 0, 0, 0, 0, 0x7F, 1 << 53 | 1 << 1, 1, 1, 1),
    year=2021,
    month=1,
)  # 2021-01-01..03 are in ISO week 53 of 2020
@example(
    args=(((1, 9999, 1),), 0x1FFE, 0, 0, 0, 0, 0, 0, 0x7F, 1 << 1, 1, 1, 1), year=2024, month=12
)  # 2024-12-30/31 are in ISO week 1 of 2025
def test_day_masks_match_datetime_dates_and_iso_weeks(
    engine: ModuleType, args: tuple[Any, ...], year: int, month: int
) -> None:
    spec = engine.compile_spec(*args)
    assert engine.day_mask(spec, year, month) == oracle_mask(py.compile_spec(*args), year, month)


@settings(deadline=None, max_examples=300, suppress_health_check=SHARED)
@given(day=st.dates())
def test_civil_dates_match_datetime_ordinals(engine: ModuleType, day: date) -> None:
    days = day.toordinal() - date(1970, 1, 1).toordinal()
    assert engine.days_from_civil(day.year, day.month, day.day) == days
    assert engine.civil_from_days(days) == (day.year, day.month, day.day)


def test_an_empty_year_range_is_never_searched_backwards(engine: ModuleType) -> None:
    # (1970, 1960) is empty: prev_match once found 1960 in it while next_match found nothing.
    spec = engine.compile_spec(
        ((1970, 1960, 1),), 0x1FFE, 0xFFFFFFFE, 0, 0, 0, 0, 0, 0x7F, FULL_WEEKS, 1, 1, 1
    )
    assert engine.next_match(spec, 0) is None
    assert engine.prev_match(spec, 10**10) is None
    assert not engine.is_feasible(spec)
    past_max = engine.compile_spec(
        ((12000, 20000, 1),), 0x1FFE, 0xFFFFFFFE, 0, 0, 0, 0, 0, 0x7F, FULL_WEEKS, 1, 1, 1
    )
    assert engine.prev_match(past_max, 10**12) is None


def test_day_or_with_every_weekday_selects_every_day(engine: ModuleType) -> None:
    # POSIX `0 0 1 * 0-6`: day 1 OR any weekday. The plain-days shortcut once ignored the OR
    # and selected only the 1st.
    spec = engine.compile_spec(
        ((1, 9999, 1),), 0x1FFE, 1 << 1, 0, 0, 0, 0, py.FLAG_DAY_OR, 0x7F, FULL_WEEKS, 1, 1, 1
    )
    assert engine.day_mask(spec, 2026, 1) == (1 << 32) - 2
    jan2 = to_t(datetime(2026, 1, 2, tzinfo=UTC))
    assert engine.next_match(spec, jan2) == jan2
