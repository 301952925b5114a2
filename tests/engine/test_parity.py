"""The compiled kernel gives exactly the pure kernel's answers (Hypothesis parity)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from kernel_strategies import ALL_YEARS, T_MAX, T_MIN, instants, masks

from triggerkit import _pyengine as py

FULL_WEEKS = ((1 << 54) - 1) & ~1
EVERY_SECOND = (
    ALL_YEARS,
    0x1FFE,
    0xFFFFFFFE,
    0,
    0,
    0,
    0,
    0,
    0x7F,
    FULL_WEEKS,
    0xFFFFFF,
    (1 << 60) - 1,
    (1 << 60) - 1,
)
LEAP_DAY_MONDAY = (ALL_YEARS, 1 << 2, 1 << 29, 0, 0, 0, 0, 0, 1, FULL_WEEKS, 1, 1, 1, 0)
NEVER = (ALL_YEARS, 1 << 2, 1 << 30, 0, 0, 0, 0, 0, 0x7F, FULL_WEEKS, 1, 1, 1)
SPECIALS = (
    ((2000, 2040, 3),),
    0x1FFE,
    1 << 15,
    0b101,
    1 << 16,
    1 << 4,
    1 << 1 | 1 << 31,
    3,
    0b0011111,
    FULL_WEEKS & ~(1 << 53),
    1 << 9,
    1,
    1,
    1 << 5 | 1 << 30,
)

PARITY = settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])


def both(speedups: ModuleType, name: str, *args: Any) -> tuple[Any, Any]:
    """Call kernel function ``name`` on both kernels, compiling each one's spec."""
    return getattr(py, name)(*args), getattr(speedups, name)(*args)


def pair(speedups: ModuleType, args: tuple[Any, ...]) -> tuple[Any, Any]:
    return py.compile_spec(*args), speedups.compile_spec(*args)


@PARITY
@given(args=masks(), t=instants())
@example(args=EVERY_SECOND, t=T_MAX)
@example(args=EVERY_SECOND, t=T_MIN)
@example(args=EVERY_SECOND, t=T_MAX + 1)
@example(args=EVERY_SECOND, t=T_MIN - 1)
@example(args=LEAP_DAY_MONDAY, t=0)
@example(args=NEVER, t=0)
@example(args=SPECIALS, t=946684800)
@example(args=((((1970, 1960, 1),),) + EVERY_SECOND[1:]), t=10**10)
def test_the_kernels_agree_on_every_search(
    speedups: ModuleType, args: tuple[Any, ...], t: int
) -> None:
    ps, cs = pair(speedups, args)
    assert py.is_feasible(ps) == speedups.is_feasible(cs)
    assert py.matches(ps, t) == speedups.matches(cs, t)
    assert py.next_match(ps, t) == speedups.next_match(cs, t)
    assert py.prev_match(ps, t) == speedups.prev_match(cs, t)


@PARITY
@given(args=masks(plain=True), t=instants())
def test_the_kernels_agree_on_plain_day_searches(
    speedups: ModuleType, args: tuple[Any, ...], t: int
) -> None:
    ps, cs = pair(speedups, args)
    found = py.next_match(ps, t)
    assert found == speedups.next_match(cs, t)
    if found is not None:  # the match itself, and the instant just after it
        assert py.matches(ps, found) and speedups.matches(cs, found)
        assert py.prev_match(ps, found) == speedups.prev_match(cs, found) == found
        assert py.next_match(ps, found + 1) == speedups.next_match(cs, found + 1)


@PARITY
@given(
    args=masks(),
    year=st.one_of(st.integers(1, 9999), st.integers(-400, 12000), st.sampled_from([1, 9999])),
    month=st.integers(1, 12),
)
def test_the_kernels_agree_on_day_masks(
    speedups: ModuleType, args: tuple[Any, ...], year: int, month: int
) -> None:
    ps, cs = pair(speedups, args)
    assert py.day_mask(ps, year, month) == speedups.day_mask(cs, year, month)


@PARITY
@given(args=masks())
def test_the_kernels_compile_the_same_fields(speedups: ModuleType, args: tuple[Any, ...]) -> None:
    ps, cs = pair(speedups, args)
    # strict: the same fields on both sides, and nothing else (no memo hidden in a spec)
    compiled = {name for name in dir(speedups.Spec) if not name.startswith("_")}
    assert compiled == set(py.Spec.__slots__)
    for name in compiled:
        assert getattr(ps, name) == getattr(cs, name), name


@PARITY
@given(days=st.one_of(st.integers(-(10**9), 10**9), st.integers(-(10**30), 10**30)))
def test_the_kernels_agree_on_civil_dates(speedups: ModuleType, days: int) -> None:
    date = py.civil_from_days(days)
    assert speedups.civil_from_days(days) == date
    assert speedups.days_from_civil(*date) == py.days_from_civil(*date) == days


@PARITY
@given(
    year=st.one_of(st.integers(-(10**6), 10**6), st.integers(-(10**30), 10**30)),
    month=st.integers(-30, 30),
    day=st.integers(-400, 400),
)
def test_the_kernels_agree_on_day_numbers_of_any_triple(
    speedups: ModuleType, year: int, month: int, day: int
) -> None:
    assert py.days_from_civil(year, month, day) == speedups.days_from_civil(year, month, day)


@pytest.mark.parametrize("t", [2**63, -(2**63) - 1, 2**200, -(2**200)], ids=str)
def test_instants_beyond_64_bits_give_the_pure_answers(speedups: ModuleType, t: int) -> None:
    ps, cs = pair(speedups, EVERY_SECOND)
    assert py.next_match(ps, t) == speedups.next_match(cs, t)
    assert py.prev_match(ps, t) == speedups.prev_match(cs, t)
    assert py.matches(ps, t) is speedups.matches(cs, t) is False


def test_a_huge_year_range_is_as_empty_in_both(speedups: ModuleType) -> None:
    args = (((10**30, 10**31, 10**40),),) + EVERY_SECOND[1:]
    ps, cs = pair(speedups, args)
    assert py.is_feasible(ps) is speedups.is_feasible(cs) is False
    assert py.prev_match(ps, 10**12) is speedups.prev_match(cs, 10**12) is None
