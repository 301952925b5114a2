"""``validate``: errors with field, span and message; warnings for surprising schedules."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triggerkit import validate
from triggerkit.strategies import (
    INVALID_KINDS,
    InvalidExpression,
    cron_expressions,
    invalid_cron_expressions,
)


@pytest.mark.parametrize(
    ("expr", "dialect", "index", "span", "message"),
    [
        ("0 0 32 * *", "posix", 3, (4, 6), "field 3 (day of month) '32' is out of range 1-31"),
        (
            "0 0 * * mun",
            "posix",
            5,
            (8, 11),
            "field 5 (day of week) 'mun' is not a weekday name (sun-sat) or number 0-7",
        ),
        (
            "*/0 * * * *",
            "posix",
            1,
            (0, 3),
            "field 1 (minute) '*/0' has step 0; a step must be at least 1",
        ),
        (
            "0 5-1 * * *",
            "posix",
            2,
            (2, 5),
            "field 2 (hour) range '5-1' is inverted; write the smaller value first",
        ),
        (
            "0 0 1,,2 * *",
            "posix",
            3,
            (4, 8),
            "field 3 (day of month) '1,,2' has an empty list item",
        ),
        ("0 0 L * *", "posix", 3, (4, 5), "(L, W, # and ? exist only in the quartz dialect)"),
        ("0 0 1 13 *", "posix", 4, (6, 8), "field 4 (month) '13' is out of range 1-12"),
        ("0 0 1 * fri-sun", "posix", 5, (8, 15), "7 is also Sunday"),
        ("0 0 * *", "posix", 0, (0, 7), "expected 5 fields"),
        ("@often", "posix", 0, (0, 6), "'@often' is not a known macro"),
        ("H * * * *", "posix", 1, (0, 1), "needs a job_id"),
        ("0 0 0 ? * FRI#9", "quartz", 6, (10, 15), "field 6 (day of week) 'FRI#9'"),
        ("0 0 32 * *", "aps", 3, (4, 6), "field 3 (day of month)"),
        ("0 0 * * 7", "aps", 5, (8, 9), "field 5 (day of week)"),
        ("0 0 1,1,1 * 5,x", "posix", 5, (14, 15), "'x' is not a weekday name"),
    ],
    ids=lambda v: v if isinstance(v, str) and v.count(" ") >= 1 and len(v) < 20 else None,
)
def test_an_error_names_the_field_the_span_and_what_is_wrong(
    expr: str, dialect: str, index: int, span: tuple[int, int], message: str
) -> None:
    result = validate(expr, dialect)
    assert not result.ok and not result
    error = result.errors[0]
    assert (error.field_index, error.span) == (index, span)
    assert message in error.message


def test_every_bad_field_is_reported() -> None:
    result = validate("61 25 32 13 8")
    assert [e.field_index for e in result.errors] == [1, 2, 3, 4, 5]
    assert [e.code for e in result.errors] == ["out-of-range"] * 5


def test_format_puts_a_caret_under_the_bad_part() -> None:
    assert validate("0 0 32 * *").format().splitlines() == [
        "error: field 3 (day of month) '32' is out of range 1-31",
        "  0 0 32 * *",
        "      ^^",
    ]


def test_to_dict_is_json_ready() -> None:
    data = validate("0 0 32 * *").to_dict()
    assert data["ok"] is False and data["errors"][0]["span"] == [4, 6]
    assert data["errors"][0]["field"] == "day"


NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("expr", "dialect", "code", "text"),
    [
        ("0 0 30 2 *", "posix", "never-fires", "never fires: day 30 does not exist in February"),
        ("0 0 31 4,6,9,11 *", "posix", "never-fires", "day 31 does not exist in April, June"),
        ("0 0 31 * *", "posix", "rare", "fires in only 7 of the 12 selected months"),
        ("0 0 30 * *", "posix", "rare", "day 30 does not exist in February"),
        ("0 0 29 2 *", "posix", "rare", "once every 4 years"),
        ("0 0 29 * *", "posix", "rare", "February only in leap years"),
        ("0 0 12 ? * FRI#5", "quartz", "rare", "the 5th Friday of a month"),
        ("0 0 0 1 1 ? 2001", "quartz", "past", "fires only in the past"),
        ("0 0 1 * mon", "posix", "day-or", "EITHER"),
        ("0 9 * * 0", "aps", "aps-weekdays", "0 = Monday"),
        ("0-10/20 * * * *", "posix", "wide-step", "selects a single value"),
        ("0 0 12 30 2 ?", "quartz", "never-fires", "never fires"),
    ],
)
def test_warnings_flag_surprising_schedules(expr: str, dialect: str, code: str, text: str) -> None:
    result = validate(expr, dialect, now=NOW)
    assert result.ok
    assert any(w.code == code and text in w.message for w in result.warnings), result.warnings


@pytest.mark.parametrize(
    "expr", ["0 9 * * mon-fri", "*/15 * * * *", "0 0 1,15 * *", "0 0 28 2 *", "@daily"]
)
def test_plain_schedules_have_no_warnings(expr: str) -> None:
    assert validate(expr, now=NOW).warnings == ()


DIALECT_AND_MISTAKE = st.sampled_from(["posix", "quartz", "aps"]).flatmap(
    lambda d: st.tuples(st.just(d), invalid_cron_expressions(d))
)


@settings(settings.get_profile("toolkit"), max_examples=300)
@given(case=DIALECT_AND_MISTAKE)
def test_each_generated_mistake_is_found_in_its_field(case: tuple[str, InvalidExpression]) -> None:
    dialect, bad = case
    result = validate(bad.expr, dialect)
    assert not result.ok
    assert result.errors[0].field_index == bad.field_index
    start, end = result.errors[0].span
    assert 0 <= start < end <= len(bad.expr)
    assert bad.kind in INVALID_KINDS


@settings(settings.get_profile("toolkit"), max_examples=100)
@given(expr=cron_expressions("posix") | cron_expressions("posix", seconds=True))
def test_generated_valid_expressions_validate(expr: str) -> None:
    seconds = len(expr.split()) == 6
    assert validate(expr, seconds=seconds).ok


def test_an_unknown_dialect_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="dialect"):
        validate("* * * * *", "cronie")


@pytest.mark.parametrize("dialect", ["posix", "quartz", "aps"])
@pytest.mark.parametrize("text", ["9" * 5000, "*/" + "9" * 5000, "1-" + "9" * 5000])
def test_a_number_with_thousands_of_digits_is_just_out_of_range(dialect: str, text: str) -> None:
    expr = f"0 {text} * * *" + (" ?" if dialect == "quartz" else "")
    result = validate(expr, dialect)
    assert not result.ok and result.errors[0].field_index == 2


@pytest.mark.parametrize("expr", ["٣ * * * *", "0 0 12 ٣W * ?"])
def test_only_ascii_digits_are_numbers(expr: str) -> None:
    assert not validate(expr, "quartz" if "?" in expr else "posix").ok
