"""The quartz dialect against a table written from the Quartz documentation.

The cases are the examples of the Quartz ``CronTrigger`` tutorial and ``CronExpression``
javadoc (each with its documented meaning as the id); the expected times were worked out from a
calendar by hand. 2026-01-01 is a Thursday.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timezone
from itertools import islice
from types import ModuleType

import pytest

from triggerkit import Cron, validate
from triggerkit.errors import CronSpecError

QUARTZ_DOCS = [
    (
        "0 15 10 L-5W * ? 2010",
        "2010-09-01",
        ["2010-09-24 10:15:00", "2010-10-26 10:15:00", "2010-11-25 10:15:00"],
        "10:15 on the weekday nearest 5 days before the last day (L-5W)",
    ),
    (
        "0 0 12 * * ?",
        "2026-01-01",
        ["2026-01-01 12:00:00", "2026-01-02 12:00:00"],
        "noon every day",
    ),
    (
        "0 15 10 ? * *",
        "2026-01-01",
        ["2026-01-01 10:15:00", "2026-01-02 10:15:00"],
        "10:15 every day",
    ),
    (
        "0 15 10 * * ? *",
        "2026-01-01",
        ["2026-01-01 10:15:00", "2026-01-02 10:15:00"],
        "10:15 every day, any year",
    ),
    (
        "0 15 10 * * ? 2005",
        "2005-01-01",
        ["2005-01-01 10:15:00", "2005-01-02 10:15:00"],
        "10:15 every day during 2005",
    ),
    (
        "0 * 14 * * ?",
        "2026-01-01 14:58",
        ["2026-01-01 14:59:00", "2026-01-02 14:00:00"],
        "every minute from 14:00 to 14:59",
    ),
    (
        "0 0/5 14 * * ?",
        "2026-01-01 14:50",
        ["2026-01-01 14:55:00", "2026-01-02 14:00:00"],
        "every 5 minutes from 14:00 to 14:55",
    ),
    (
        "0 0/5 14,18 * * ?",
        "2026-01-01 14:50",
        ["2026-01-01 14:55:00", "2026-01-01 18:00:00"],
        "every 5 minutes from 14:00 to 14:55 and from 18:00 to 18:55",
    ),
    (
        "0 0-5 14 * * ?",
        "2026-01-01 14:04",
        ["2026-01-01 14:05:00", "2026-01-02 14:00:00"],
        "every minute from 14:00 to 14:05",
    ),
    (
        "0 10,44 14 ? 3 WED",
        "2026-01-01",
        ["2026-03-04 14:10:00", "2026-03-04 14:44:00", "2026-03-11 14:10:00"],
        "14:10 and 14:44 every Wednesday in March",
    ),
    (
        "0 15 10 ? * MON-FRI",
        "2026-01-01",
        ["2026-01-01 10:15:00", "2026-01-02 10:15:00", "2026-01-05 10:15:00"],
        "10:15 Monday to Friday",
    ),
    (
        "0 15 10 15 * ?",
        "2026-01-01",
        ["2026-01-15 10:15:00", "2026-02-15 10:15:00"],
        "10:15 on the 15th of every month",
    ),
    (
        "0 15 10 L * ?",
        "2026-01-01",
        ["2026-01-31 10:15:00", "2026-02-28 10:15:00", "2026-03-31 10:15:00"],
        "10:15 on the last day of every month",
    ),
    (
        "0 15 10 L-2 * ?",
        "2026-01-01",
        ["2026-01-29 10:15:00", "2026-02-26 10:15:00", "2026-03-29 10:15:00"],
        "10:15 two days before the last day of every month",
    ),
    (
        "0 15 10 ? * 6L",
        "2026-01-01",
        ["2026-01-30 10:15:00", "2026-02-27 10:15:00", "2026-03-27 10:15:00"],
        "10:15 on the last Friday of every month",
    ),
    (
        "0 15 10 ? * 6L 2002-2005",
        "2001-12-31",
        ["2002-01-25 10:15:00", "2002-02-22 10:15:00"],
        "10:15 on every last Friday of every month during 2002-2005",
    ),
    (
        "0 15 10 ? * 6#3",
        "2026-01-01",
        ["2026-01-16 10:15:00", "2026-02-20 10:15:00", "2026-03-20 10:15:00"],
        "10:15 on the third Friday of every month",
    ),
    (
        "0 0 12 1/5 * ?",
        "2026-01-01",
        ["2026-01-01 12:00:00", "2026-01-06 12:00:00", "2026-01-11 12:00:00"],
        "noon every 5 days, starting on the first day of the month",
    ),
    (
        "0 11 11 11 11 ?",
        "2026-01-01",
        ["2026-11-11 11:11:00", "2027-11-11 11:11:00"],
        "every November 11th at 11:11",
    ),
    (
        "0 0 12 ? * L",
        "2026-01-01",
        ["2026-01-03 12:00:00", "2026-01-10 12:00:00"],
        "L alone in day-of-week means 7, Saturday",
    ),
    ("0 0 12 ? * 1", "2026-01-01", ["2026-01-04 12:00:00", "2026-01-11 12:00:00"], "1 is Sunday"),
    (
        "0 0 12 ? * SUN,SAT",
        "2026-01-01",
        ["2026-01-03 12:00:00", "2026-01-04 12:00:00", "2026-01-10 12:00:00"],
        "day names",
    ),
    (
        "0 0 12 1W * ?",
        "2026-07-31",
        ["2026-08-03 12:00:00", "2026-09-01 12:00:00"],
        "1W on a Saturday 1st fires Monday the 3rd: W never jumps over the month",
    ),
    (
        "0 0 12 15W * ?",
        "2026-08-01",
        [
            "2026-08-14 12:00:00",
            "2026-09-15 12:00:00",
            "2026-10-15 12:00:00",
            "2026-11-16 12:00:00",
        ],
        "15W: Saturday 15th -> Friday 14th, Sunday 15th -> Monday 16th",
    ),
    (
        "0 0 12 LW * ?",
        "2026-01-01",
        ["2026-01-30 12:00:00", "2026-02-27 12:00:00", "2026-03-31 12:00:00"],
        "LW: the last weekday of the month",
    ),
    (
        "0/20 * * * * ?",
        "2026-01-01",
        ["2026-01-01 00:00:20", "2026-01-01 00:00:40", "2026-01-01 00:01:00"],
        "every 20 seconds",
    ),
    (
        "0 0 0 29 2 ? *",
        "2026-01-01",
        ["2028-02-29 00:00:00", "2032-02-29 00:00:00"],
        "29 February, leap years only",
    ),
    (
        "0 0 12 ? JAN-MAR/2 MON#1",
        "2026-01-01",
        ["2026-01-05 12:00:00", "2026-03-02 12:00:00", "2027-01-04 12:00:00"],
        "first Monday of January and March",
    ),
]


@pytest.mark.parametrize(
    ("expr", "start", "expected"), [c[:3] for c in QUARTZ_DOCS], ids=[c[3] for c in QUARTZ_DOCS]
)
def test_quartz_fires_as_documented(
    engine: ModuleType, expr: str, start: str, expected: list[str]
) -> None:
    cron = Cron(expr, "UTC", "quartz")
    got = []
    at = cron.next(start)  # strictly after the start, as Quartz's getFireTimeAfter
    while at is not None and len(got) < len(expected):
        got.append(at.strftime("%Y-%m-%d %H:%M:%S"))
        at = cron.next(at)
    assert got == expected
    assert [
        t.strftime("%Y-%m-%d %H:%M:%S")
        for t in islice(cron.iter(expected[-1], reverse=True), len(expected))
    ] == expected[::-1]


def test_a_year_field_ends_the_schedule(engine: ModuleType) -> None:
    cron = Cron("0 15 10 * * ? 2005", "UTC", "quartz")
    assert cron.next("2026-01-01") is None
    assert cron.prev("2026-01-01") is not None


def test_ranges_wrap_around_in_quartz(engine: ModuleType) -> None:
    # documented extension (docs/dialects.md): FRI-MON and 22-2 wrap around the field's end
    assert Cron("0 0 22-2 * * ?", dialect="quartz").masks.hours == (
        1 << 22 | 1 << 23 | 1 | 1 << 1 | 1 << 2
    )
    assert Cron("0 0 0 ? * FRI-MON", dialect="quartz") == Cron("0 0 * * fri,sat,sun,mon")


@pytest.mark.parametrize(
    ("expr", "field", "message"),
    [
        ("0 0 12 * * *", "day_of_week", "exactly one of them; neither is '?'"),
        ("0 0 12 ? * ?", "day_of_week", "exactly one of them; both are '?'"),
        ("0 ? 12 * * ?", "minute", "'?' is only allowed in quartz day of month or day of week"),
        ("0 0 12 L-31 * ?", "day", "offset 31 is out of range 0-30"),
        ("0 0 12 L-31W * ?", "day", "offset 31 is out of range 0-30"),
        ("0 0 12 L-W * ?", "day", "'L-W'"),
        ("0 0 12 L-5WW * ?", "day", "'L-5WW'"),
        ("0 0 12 ? * 6#6", "day_of_week", "the week number must be 1-5"),
        ("0 0 12 ? * 8", "day_of_week", "'8' is out of range 1-7"),
        ("0 0 12 ? * 0", "day_of_week", "'0' is out of range 1-7"),
        ("60 * * ? * *", "second", "'60' is out of range 0-59"),
        ("0 0 12 ? * MON,2#1", "day_of_week", "mixes '#' or 'L' with plain weekdays"),
        ("0 0 12 * * ? 2100", "year", "'2100' is out of range 1970-2099"),
        ("0 0 12 * *", "expression", "expected 6 or 7 fields"),
        ("0 0 12 32W * ?", "day", "'32' is out of range 1-31"),
        ("0 0/0 12 * * ?", "minute", "step 0"),
        ("0 0 12 ?? * *", "day", "'??'"),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v and "?" in v else None,
)
def test_quartz_errors_name_the_field(expr: str, field: str, message: str) -> None:
    with pytest.raises(CronSpecError) as info:
        Cron(expr, dialect="quartz")
    assert info.value.field == field
    assert message in str(info.value)
    assert not validate(expr, "quartz").ok


# --- L-nW: the weekday nearest the n-th day before the last day -------------------------------


def nearest_weekday_in_month(year: int, month: int, target: int) -> int:
    """The Monday-Friday of the month closest to day ``target``, from first principles."""
    length = calendar.monthrange(year, month)[1]
    weekdays = [d for d in range(1, length + 1) if date(year, month, d).weekday() < 5]
    return min(weekdays, key=lambda d: (abs(d - target), d))


@pytest.mark.parametrize("n", [0, 1, 2, 5, 13, 27, 28, 29, 30])
def test_l_n_w_fires_on_the_weekday_nearest_n_days_before_the_last_day(
    engine: ModuleType, n: int
) -> None:
    expected = []
    for year in range(2023, 2029):
        for month in range(1, 13):
            length = calendar.monthrange(year, month)[1]
            if length - n >= 1:  # L-n does not exist in months of n days or fewer
                day = nearest_weekday_in_month(year, month, length - n)
                expected.append(datetime(year, month, day, 10, 15, tzinfo=timezone.utc))
    cron = Cron(f"0 15 10 L-{n}W * ?", "UTC", "quartz")
    got = list(islice(cron.iter("2023-01-01"), len(expected)))
    assert got == expected
    assert list(islice(cron.iter(expected[-1], reverse=True), len(expected))) == expected[::-1]


def test_l_0_w_is_lw_the_last_weekday(engine: ModuleType) -> None:
    assert Cron("0 0 12 L-0W * ?", dialect="quartz") == Cron("0 0 12 LW * ?", dialect="quartz")


def test_l_n_w_mixes_with_other_days_of_the_month(engine: ModuleType) -> None:
    cron = Cron("0 0 12 1,L-2W * ?", "UTC", "quartz")
    # January 2026: 31 days, L-2 = 29th, a Thursday; February: L-2 = 26th, a Thursday
    assert [t.day for t in cron.next_times(4, "2026-01-01")] == [1, 29, 1, 26]


def test_l_n_w_is_described_in_both_languages() -> None:
    cron = Cron("0 15 10 L-5W * ?", dialect="quartz")
    assert cron.describe() == (
        "at 10:15, on the weekday nearest 5 days before the last day of the month"
    )
    assert cron.describe("zh") == "每月最接近最后一天的前 5 天的工作日 10:15"


def test_l_n_w_in_short_months_is_reported_by_validate() -> None:
    result = validate("0 0 12 L-30W * ?", "quartz")
    assert result.ok
    assert [w.code for w in result.warnings] == ["rare"]
    assert "does not fire in February, April, June, September and November" in (
        result.warnings[0].message
    )
    assert validate("0 0 12 L-5W * ?", "quartz").warnings == ()
    never = validate("0 0 12 L-30W 2 ?", "quartz")
    assert [w.code for w in never.warnings] == ["never-fires"]


def test_l_n_w_cannot_become_a_cron_trigger() -> None:
    with pytest.raises(ValueError, match="L-nW"):
        Cron("0 0 12 L-3W * ?", dialect="quartz").to_trigger()
