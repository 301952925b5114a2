"""Hypothesis strategies for raw kernel inputs: field masks, year ranges and instants."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from triggerkit import _pyengine as py

ALL_YEARS = ((py.MIN_YEAR, py.MAX_YEAR, 1),)
T_MIN = py.days_from_civil(py.MIN_YEAR, 1, 1) * 86400
T_MAX = py.days_from_civil(py.MAX_YEAR + 1, 1, 1) * 86400 - 1


def bits(first: int, last: int, *, full_p: bool = True) -> st.SearchStrategy[int]:
    """Masks over bits ``first..last``: empty, full, a few values, a step, or random."""
    full = ((1 << (last + 1)) - 1) & ~((1 << first) - 1)
    few = st.sets(st.integers(first, last), min_size=1, max_size=4).map(
        lambda values: sum(1 << v for v in values)
    )
    stepped = st.tuples(st.integers(first, last), st.integers(1, 12)).map(
        lambda fs: sum(1 << v for v in range(fs[0], last + 1, fs[1]))
    )
    options = [st.just(0), few, stepped, st.integers(0, full)]
    if full_p:
        options.insert(0, st.just(full))
    return st.one_of(*options)


def rare_bits(first: int, last: int) -> st.SearchStrategy[int]:
    """Mostly empty masks (the special day fields), sometimes a few bits or random ones."""
    return st.one_of(st.just(0), st.just(0), bits(first, last, full_p=False))


def year_ranges() -> st.SearchStrategy[tuple[tuple[int, int, int], ...]]:
    """Year range tuples, including ones near (and past) MIN_YEAR and MAX_YEAR, and empty."""
    year = st.one_of(
        st.integers(-3, 12),
        st.integers(1960, 2100),
        st.integers(9985, 10003),
        st.integers(-(10**6), 10**6),
    )
    one = st.tuples(year, year, st.one_of(st.integers(1, 7), st.integers(-2, 500)))
    return st.one_of(
        st.just(ALL_YEARS),
        st.just(((1970, 9999, 1),)),
        st.lists(one, min_size=0, max_size=3).map(tuple),
    )


@st.composite
def masks(draw: st.DrawFn, *, plain: bool = False) -> tuple[Any, ...]:
    """The 14 arguments of ``compile_spec`` (``near_last_days`` last)."""
    days_group = draw(bits(1, 31))
    if plain:
        specials = (0, 0, 0, 0, draw(st.sampled_from([0, py.FLAG_DAY_OR])))
        weekdays, weeks = 0x7F, ((1 << 54) - 1) & ~1
    else:
        specials = (
            draw(rare_bits(0, 30)),  # last_days
            draw(rare_bits(0, 34)),  # nth_weekdays
            draw(rare_bits(0, 6)),  # last_weekdays
            draw(rare_bits(1, 31)),  # near_weekdays
            draw(st.integers(0, 3)),  # flags
        )
        weekdays = draw(bits(0, 6))
        weeks = draw(st.one_of(st.just(((1 << 54) - 1) & ~1), bits(1, 53)))
    return (
        draw(year_ranges()),
        draw(bits(1, 12)),
        days_group,
        *specials,
        weekdays,
        weeks,
        draw(bits(0, 23)),
        draw(bits(0, 59)),
        draw(bits(0, 59)),
        0 if plain else draw(rare_bits(0, 30)),  # near_last_days
    )


def instants() -> st.SearchStrategy[int]:
    """Local epoch seconds: anywhere, near the horizons, and far outside them."""
    return st.one_of(
        st.integers(T_MIN, T_MAX),
        st.integers(0, 4102444800),  # 1970..2100
        st.integers(T_MIN - 3 * 86400 * 366, T_MIN + 3 * 86400 * 366),
        st.integers(T_MAX - 3 * 86400 * 366, T_MAX + 3 * 86400 * 366),
        st.integers(-(2**70), 2**70),
    )
