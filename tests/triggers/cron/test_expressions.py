"""Every expression form of every cron field: its values, its text, and APScheduler's text."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta, timezone

import apscheduler.triggers.cron.fields as aps_fields
import pytest
from chains import chain

from triggerkit.triggers.cron import CronTrigger
from triggerkit.triggers.cron import expressions as tk_expressions
from triggerkit.triggers.cron import fields as tk_fields

UTC = timezone.utc
FIELD_CLASSES = {
    "year": "BaseField",
    "month": "MonthField",
    "day": "DayOfMonthField",
    "week": "WeekField",
    "day_of_week": "DayOfWeekField",
    "hour": "BaseField",
    "minute": "BaseField",
    "second": "BaseField",
}


def field(name: str, text: object) -> tk_fields.BaseField:
    return getattr(tk_fields, FIELD_CLASSES[name])(name, text)


def aps_field(name: str, text: object) -> object:
    return getattr(aps_fields, FIELD_CLASSES[name])(name, text)


def bits(mask: int) -> set[int]:
    return {i for i in range(mask.bit_length()) if mask >> i & 1}


# (field, text, selected values, canonical text)
PLAIN = [
    ("second", "*", set(range(60)), "*"),
    ("second", "*/15", {0, 15, 30, 45}, "*/15"),
    ("second", "59", {59}, "59"),
    ("minute", "*", set(range(60)), "*"),
    ("minute", "*/7", set(range(0, 60, 7)), "*/7"),
    ("minute", "10-14", {10, 11, 12, 13, 14}, "10-14"),
    ("minute", "10-40/15", {10, 25, 40}, "10-40/15"),
    ("minute", "10/20", {10, 30, 50}, "10/20"),
    ("minute", "1,2,30", {1, 2, 30}, "1,2,30"),
    ("minute", "1, 2,  30", {1, 2, 30}, "1,2,30"),
    ("minute", "0-5,*/20", {0, 1, 2, 3, 4, 5, 20, 40}, "0-5,*/20"),
    ("minute", 7, {7}, "7"),
    ("hour", "*", set(range(24)), "*"),
    ("hour", "*/5", {0, 5, 10, 15, 20}, "*/5"),
    ("hour", "9-17", set(range(9, 18)), "9-17"),
    ("hour", "9-17/4", {9, 13, 17}, "9-17/4"),
    ("hour", "22/1", {22, 23}, "22/1"),
    ("hour", "23", {23}, "23"),
    ("hour", "0", {0}, "0"),
    ("day", "*", set(range(1, 32)), "*"),
    ("day", "1-31/10", {1, 11, 21, 31}, "1-31/10"),
    ("day", "*/10", {1, 11, 21, 31}, "*/10"),
    ("day", "15", {15}, "15"),
    ("day", "28-31", {28, 29, 30, 31}, "28-31"),
    ("week", "*", set(range(1, 54)), "*"),
    ("week", "1-53/26", {1, 27, 53}, "1-53/26"),
    ("week", "53", {53}, "53"),
    ("week", "1,10,20", {1, 10, 20}, "1,10,20"),
    ("month", "*", set(range(1, 13)), "*"),
    ("month", "*/3", {1, 4, 7, 10}, "*/3"),
    ("month", "2-11/3", {2, 5, 8, 11}, "2-11/3"),
    ("month", "jan", {1}, "jan"),
    ("month", "DEC", {12}, "dec"),
    ("month", "Jan-Mar", {1, 2, 3}, "jan-mar"),
    ("month", "jan-mar,nov", {1, 2, 3, 11}, "jan-mar,nov"),
    ("month", "6,jul", {6, 7}, "6,jul"),
    ("day_of_week", "*", set(range(7)), "*"),
    ("day_of_week", "*/2", {0, 2, 4, 6}, "*/2"),
    ("day_of_week", "0-4", {0, 1, 2, 3, 4}, "0-4"),
    ("day_of_week", "mon-fri", {0, 1, 2, 3, 4}, "mon-fri"),
    ("day_of_week", "SAT,sun", {5, 6}, "sat,sun"),
    ("day_of_week", "Sun", {6}, "sun"),
    ("day_of_week", "tue-thu, 6", {1, 2, 3, 6}, "tue-thu,6"),
    ("day_of_week", "0-6/3", {0, 3, 6}, "0-6/3"),
]


@pytest.mark.parametrize(
    ("name", "text", "values", "canonical"), PLAIN, ids=[f"{p[0]}:{p[1]}" for p in PLAIN]
)
def test_each_plain_expression_selects_its_values(
    name: str, text: object, values: set[int], canonical: str
) -> None:
    parsed = field(name, text)
    assert bits(parsed.mask()) == values
    assert str(parsed) == canonical


@pytest.mark.parametrize(
    ("name", "text", "values", "canonical"), PLAIN, ids=[f"{p[0]}:{p[1]}" for p in PLAIN]
)
def test_each_plain_expression_reads_and_prints_like_apscheduler(
    name: str, text: object, values: set[int], canonical: str
) -> None:
    ours, theirs = field(name, text), aps_field(name, text)
    assert str(ours) == str(theirs)
    assert repr(ours) == repr(theirs)
    assert [type(e).__name__ for e in ours.expressions] == [
        type(e).__name__
        for e in theirs.expressions  # type: ignore[attr-defined]
    ]


def test_name_ranges_with_a_step_honour_the_step() -> None:
    # Deliberate difference: APScheduler 3.11 silently reads 'mon-fri/2' as 'mon-fri'.
    assert bits(field("day_of_week", "mon-fri/2").mask()) == {0, 2, 4}
    assert str(field("day_of_week", "mon-fri/2")) == "mon-fri/2"
    assert bits(field("month", "jan-dec/4").mask()) == {1, 5, 9}
    assert str(aps_field("day_of_week", "mon-fri/2")) == "mon-fri"


def test_a_single_name_with_a_step_runs_to_the_end_like_a_number_does() -> None:
    # Regression: 'wed/2' was read as 'wed-wed/2' and rejected, while '2/2' means 2-6/2.
    # (APScheduler 3.11 reads 'wed/2' as 'wed'.)
    assert bits(field("day_of_week", "wed/2").mask()) == {2, 4, 6}
    assert bits(field("day_of_week", "2/2").mask()) == {2, 4, 6}
    assert str(field("day_of_week", "wed/2")) == "wed/2"
    assert bits(field("month", "oct/2").mask()) == {10, 12}


def test_expression_reprs_name_the_right_month() -> None:
    # APScheduler 3.11's MonthRangeExpression.__repr__ is off by one ('feb', 'mar' for jan-mar).
    assert [repr(e) for e in field("month", "jan-mar,feb").expressions] == [
        "MonthRangeExpression('jan', 'mar')",
        "MonthRangeExpression('feb')",
    ]


def test_year_field_gives_ranges_with_steps() -> None:
    assert field("year", "*").year_ranges() == ((1970, 9999, 1),)
    assert field("year", "2030").year_ranges() == ((2030, 2030, 1),)
    assert field("year", "2030-2040/5,2050").year_ranges() == ((2030, 2040, 5), (2050, 2050, 1))
    assert field("year", "*/4").year_ranges() == ((1970, 9999, 4),)
    assert field("year", "2030/10").year_ranges() == ((2030, 9999, 10),)


def test_year_ranges_fire_only_in_their_years() -> None:
    trigger = CronTrigger(year="2030-2034/2", timezone=UTC)
    assert chain(trigger, datetime(2024, 1, 1, tzinfo=UTC), 5) == [
        datetime(2030, 1, 1, tzinfo=UTC),
        datetime(2032, 1, 1, tzinfo=UTC),
        datetime(2034, 1, 1, tzinfo=UTC),
    ]
    assert chain(
        CronTrigger(year="*/5", month=6, timezone=UTC), datetime(2024, 1, 1, tzinfo=UTC), 2
    ) == [datetime(2025, 6, 1, tzinfo=UTC), datetime(2030, 6, 1, tzinfo=UTC)]


def test_last_selects_the_last_day_of_every_month() -> None:
    trigger = CronTrigger(day="last", timezone=UTC)
    got = chain(trigger, datetime(2023, 12, 15, tzinfo=UTC), 14)
    expected = []
    for k in range(14):
        year, month = 2023 + (11 + k) // 12, (11 + k) % 12 + 1
        expected.append(datetime(year, month, calendar.monthrange(year, month)[1], tzinfo=UTC))
    assert got == expected
    assert got[2] == datetime(2024, 2, 29, tzinfo=UTC)  # a leap year


@pytest.mark.parametrize("position", ["1st", "2nd", "3rd", "4th", "5th", "last"])
@pytest.mark.parametrize("weekday", ["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
def test_weekday_positions_select_the_right_day_in_every_month(position: str, weekday: str) -> None:
    wd = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].index(weekday)
    expected = []
    for year in (2023, 2024):
        for month in range(1, 13):
            days = [
                d
                for d in range(1, calendar.monthrange(year, month)[1] + 1)
                if calendar.weekday(year, month, d) == wd
            ]
            if position == "last":
                expected.append(datetime(year, month, days[-1], tzinfo=UTC))
            elif int(position[0]) <= len(days):  # months without a 5th weekday are passed over
                expected.append(datetime(year, month, days[int(position[0]) - 1], tzinfo=UTC))
    trigger = CronTrigger(day=f"{position.upper()} {weekday.capitalize()}", timezone=UTC)
    got = chain(trigger, datetime(2023, 1, 1, tzinfo=UTC), len(expected))
    assert got == expected
    assert str(trigger) == f"cron[day='{position} {weekday}']"


def test_day_items_mix_numbers_last_and_positions() -> None:
    trigger = CronTrigger(day="1,last,3rd fri", timezone=UTC)
    assert chain(trigger, datetime(2024, 5, 1, 0, 0, 1, tzinfo=UTC), 5) == [
        datetime(2024, 5, 17, tzinfo=UTC),
        datetime(2024, 5, 31, tzinfo=UTC),
        datetime(2024, 6, 1, tzinfo=UTC),
        datetime(2024, 6, 21, tzinfo=UTC),
        datetime(2024, 6, 30, tzinfo=UTC),
    ]


def test_iso_week_53_spans_new_year() -> None:
    # 2020 has 53 ISO weeks: week 53 is Mon 2020-12-28 .. Sun 2021-01-03. The next is 2026's.
    trigger = CronTrigger(week=53, timezone=UTC)
    got = chain(trigger, datetime(2020, 6, 1, tzinfo=UTC), 8)
    assert got == [datetime(2020, 12, 28, tzinfo=UTC) + timedelta(days=k) for k in range(7)] + [
        datetime(2026, 12, 28, tzinfo=UTC)
    ]


def test_iso_week_1_can_start_in_december() -> None:
    # ISO week 1 of 2025 starts on Monday 2024-12-30, that of 2026 on Monday 2025-12-29.
    trigger = CronTrigger(week=1, day_of_week="mon", timezone=UTC)
    assert chain(trigger, datetime(2024, 6, 1, tzinfo=UTC), 2) == [
        datetime(2024, 12, 30, tzinfo=UTC),
        datetime(2025, 12, 29, tzinfo=UTC),
    ]


def test_week_ranges_with_steps() -> None:
    trigger = CronTrigger(week="1-53/26", day_of_week=0, timezone=UTC)
    got = chain(trigger, datetime(2021, 1, 1, tzinfo=UTC), 4)
    assert [d.date().isocalendar()[1] for d in got] == [1, 27, 1, 27]
    assert got[0] == datetime(2021, 1, 4, tzinfo=UTC)


def test_day_and_day_of_week_are_both_required() -> None:
    # APScheduler semantics: day AND day_of_week (POSIX cron ORs them). Friday the 13th:
    trigger = CronTrigger(day=13, day_of_week="fri", timezone=UTC)
    assert [d.date() for d in chain(trigger, datetime(2023, 1, 1, tzinfo=UTC), 3)] == [
        date(2023, 1, 13),
        date(2023, 10, 13),
        date(2024, 9, 13),
    ]


def test_day_of_week_0_is_monday_also_in_crontab() -> None:
    trigger = CronTrigger.from_crontab("0 12 * * 0", timezone=UTC)
    found = trigger.get_next_fire_time(None, datetime(2024, 5, 1, tzinfo=UTC))
    assert found == datetime(2024, 5, 6, 12, tzinfo=UTC)
    assert found.weekday() == 0


def test_every_second_by_default() -> None:
    trigger = CronTrigger(timezone=UTC)
    start = datetime(2024, 5, 1, 12, 0, 0, 500000, tzinfo=UTC)
    assert chain(trigger, start, 3) == [
        datetime(2024, 5, 1, 12, 0, s, tzinfo=UTC) for s in (1, 2, 3)
    ]


def test_expression_classes_live_at_apschedulers_paths() -> None:
    for name in (
        "AllExpression",
        "RangeExpression",
        "MonthRangeExpression",
        "WeekdayRangeExpression",
        "WeekdayPositionExpression",
        "LastDayOfMonthExpression",
    ):
        assert hasattr(tk_expressions, name)
    for name in (
        "BaseField",
        "WeekField",
        "DayOfMonthField",
        "DayOfWeekField",
        "MonthField",
        "MIN_VALUES",
        "MAX_VALUES",
        "DEFAULT_VALUES",
    ):
        assert hasattr(tk_fields, name)
    assert tk_fields.MIN_VALUES == aps_fields.MIN_VALUES
    assert tk_fields.MAX_VALUES == aps_fields.MAX_VALUES
    assert tk_fields.DEFAULT_VALUES == aps_fields.DEFAULT_VALUES


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("minute", "*/5"),
        ("hour", "9-17/2"),
        ("day", "last"),
        ("day", "3rd fri"),
        ("month", "jan-mar"),
        ("day_of_week", "mon-fri"),
        ("week", "10"),
    ],
)
def test_fields_compare_equal_by_value(name: str, text: str) -> None:
    assert field(name, text) == field(name, text)
    assert hash(field(name, text)) == hash(field(name, text))
    assert field(name, text) != field(name, "*")
