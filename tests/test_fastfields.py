"""The one-pass field tokenizer (``triggerkit._fastfields``): masks equal to a plain loop, and
``None`` (the general parser's call) for every form it does not read with certainty."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triggerkit._constants import MONTH_NAMES, WEEKDAY_NAMES_SUNDAY_FIRST
from triggerkit._fastfields import Atoms, field_bounds, field_mask, stepped

MINUTE = Atoms(0, 59)
MONTH = Atoms(1, 12, MONTH_NAMES, 1)
WEEKDAY = Atoms(0, 7, WEEKDAY_NAMES_SUNDAY_FIRST, 0)
YEAR = Atoms(1970, 9999)


def loop_mask(first: int, last: int, step: int) -> int:
    return sum(1 << v for v in range(first, last + 1, step))


@settings(max_examples=500, deadline=None)
@given(first=st.integers(0, 63), span=st.integers(0, 63), step=st.integers(1, 64))
def test_stepped_equals_a_loop(first: int, span: int, step: int) -> None:
    assert stepped(first, first + span, step) == loop_mask(first, first + span, step)


@pytest.mark.parametrize(
    ("text", "atoms", "values"),
    [
        ("*", MINUTE, range(60)),
        ("*/15", MINUTE, range(0, 60, 15)),
        ("5/20", MINUTE, (5, 25, 45)),
        ("07", MINUTE, (7,)),
        ("1-5,10-20/5,59", MINUTE, (1, 2, 3, 4, 5, 10, 15, 20, 59)),
        ("jan,MAR-May", MONTH, (1, 3, 4, 5)),
        ("mar/4", MONTH, (3, 7, 11)),
        ("sun-sat/2", WEEKDAY, (0, 2, 4, 6)),
        ("*/7", WEEKDAY, (0, 7)),
        ("5-7", WEEKDAY, (5, 6, 7)),
    ],
)
def test_common_forms(text: str, atoms: Atoms, values: tuple[int, ...]) -> None:
    assert field_mask(text, atoms) == sum(1 << v for v in values)


@pytest.mark.parametrize(
    ("text", "atoms"),
    [
        ("", MINUTE),
        ("5,,6", MINUTE),
        ("60", MINUTE),  # out of range
        ("-1", MINUTE),
        ("007", MINUTE),  # three digits: the general parser reads them
        ("20-10", MINUTE),  # inverted (quartz wraps it, posix refuses it)
        ("*/0", MINUTE),
        ("*/60", MINUTE),  # a single value: warned about in some dialects
        ("10-15/6", MINUTE),  # a step past the range's end
        ("5-5/1", MINUTE),  # 'a-a/n': refused or warned about by APScheduler 3
        ("55/5", MINUTE),
        ("1-mar", MONTH),  # a number with a name
        ("mar-5", MONTH),
        ("march", MONTH),
        ("jan", MINUTE),  # names only where the field has them
        ("H", MINUTE),
        ("?", MINUTE),
        ("5L", WEEKDAY),
        ("fri#3", WEEKDAY),
        ("١", MINUTE),  # digits of another script
        (" 5", MINUTE),
        ("5\n", MINUTE),
        ("*/", MINUTE),
        ("*-5", MINUTE),
        ("5/2/3", MINUTE),
        ("5-6-7", MINUTE),
    ],
)
def test_rare_or_wrong_forms_are_left_to_the_general_parser(text: str, atoms: Atoms) -> None:
    assert field_mask(text, atoms) is None


def test_year_bounds_in_order() -> None:
    assert field_bounds("2030,2020-2025,*/5,2040/10", YEAR) == (
        (2030, 2030, 1),
        (2020, 2025, 1),
        (1970, 9999, 5),
        (2040, 9999, 10),
    )
    for text in ("1969", "10000", "2025-2020", "2025-2025/2", "*/0", "*/8030", "y2k", ""):
        assert field_bounds(text, YEAR) is None, text


def test_quick_table_holds_whole_fields_and_ints_only() -> None:
    assert MINUTE.quick["*"] == MINUTE.full == (1 << 60) - 1
    assert MINUTE.quick["05"] == MINUTE.quick["5"] == MINUTE.quick[5] == 1 << 5
    assert YEAR.quick == {}  # a year has no mask
    assert MONTH.value("MAR") == (3, True)
    assert MONTH.value("0012") == (12, False)
    assert MONTH.value("13") is None
