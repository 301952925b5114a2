"""The oracle itself: it reproduces the examples written in the rules file, and plain cron facts.

The oracle shares no code with triggerkit, so these checks are what makes it a judge.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from dst_oracle import find_transitions, oracle_fires, selector

UTC = timezone.utc


def fires(zone: str, spec: dict[str, object], lo: str, hi: str, **policy: str) -> list[str]:
    tz = ZoneInfo(zone)
    a = int(datetime.fromisoformat(lo).replace(tzinfo=tz).timestamp())
    b = int(datetime.fromisoformat(hi).replace(tzinfo=tz).timestamp())
    return [
        str(datetime.fromtimestamp(t, tz))
        for t in oracle_fires(selector(**spec), tz, a, b, **policy)
    ]


def test_rule_g_example_berlin_02_30_fires_at_03_00() -> None:
    assert fires(
        "Europe/Berlin", {"hour": 2, "minute": 30}, "2016-03-27 00:00", "2016-03-27 23:59"
    ) == ["2016-03-27 03:00:00+02:00"]


def test_rule_g_example_santiago_midnight_fires_at_01_00() -> None:
    assert fires(
        "America/Santiago", {"hour": 0, "minute": 0}, "2022-09-10 12:00", "2022-09-12 12:00"
    ) == ["2022-09-11 01:00:00-03:00", "2022-09-12 00:00:00-03:00"]


def test_rule_g_example_berlin_daily_midnight_fires_on_27th_and_28th() -> None:
    assert fires(
        "Europe/Berlin", {"hour": 0, "minute": 0}, "2016-03-26 12:00", "2016-03-28 12:00"
    ) == ["2016-03-27 00:00:00+01:00", "2016-03-28 00:00:00+02:00"]


def test_rule_o_examples_new_york() -> None:
    assert fires(
        "America/New_York", {"hour": 1, "minute": 30}, "2013-11-03 00:00", "2013-11-03 03:00"
    ) == ["2013-11-03 01:30:00-04:00"]
    assert fires(
        "America/New_York", {"minute": "*/15"}, "2013-11-03 01:00", "2013-11-03 02:00"
    ) == [
        "2013-11-03 01:00:00-04:00",
        "2013-11-03 01:15:00-04:00",
        "2013-11-03 01:30:00-04:00",
        "2013-11-03 01:45:00-04:00",
        "2013-11-03 01:00:00-05:00",
        "2013-11-03 01:15:00-05:00",
        "2013-11-03 01:30:00-05:00",
        "2013-11-03 01:45:00-05:00",
        "2013-11-03 02:00:00-05:00",
    ]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ({"gap": "skip"}, []),
        ({"overlap": "last"}, ["2013-11-03 01:30:00-05:00"]),
        ({"overlap": "both"}, ["2013-11-03 01:30:00-04:00", "2013-11-03 01:30:00-05:00"]),
    ],
)
def test_policies(policy: dict[str, str], expected: list[str]) -> None:
    if "gap" in policy:
        assert (
            fires(
                "Europe/Berlin",
                {"hour": 2, "minute": 30},
                "2016-03-27 00:00",
                "2016-03-27 23:59",
                **policy,
            )
            == expected
        )
    else:
        assert (
            fires(
                "America/New_York",
                {"hour": 1, "minute": 30},
                "2013-11-03 00:00",
                "2013-11-03 03:00",
                **policy,
            )
            == expected
        )


def test_plain_cron_facts_in_utc() -> None:
    assert fires("UTC", {"day": "last", "hour": 12}, "2024-01-01 00:00", "2024-04-30 23:00") == [
        "2024-01-31 12:00:00+00:00",
        "2024-02-29 12:00:00+00:00",
        "2024-03-31 12:00:00+00:00",
        "2024-04-30 12:00:00+00:00",
    ]
    assert fires("UTC", {"day": "3rd fri"}, "2024-01-01 00:00", "2024-03-31 00:00") == [
        "2024-01-19 00:00:00+00:00",
        "2024-02-16 00:00:00+00:00",
        "2024-03-15 00:00:00+00:00",
    ]
    assert fires(
        "UTC", {"week": 53, "day_of_week": "mon"}, "2020-01-01 00:00", "2026-12-31 00:00"
    ) == ["2020-12-28 00:00:00+00:00", "2026-12-28 00:00:00+00:00"]
    assert fires("UTC", {"second": "*/20"}, "2024-01-01 00:00", "2024-01-01 00:01") == [
        "2024-01-01 00:00:00+00:00",
        "2024-01-01 00:00:20+00:00",
        "2024-01-01 00:00:40+00:00",
        "2024-01-01 00:01:00+00:00",
    ]


def test_defaulting_matches_apscheduler() -> None:
    assert selector(hour=5).texts == {
        "year": "*",
        "month": "*",
        "day": "*",
        "week": "*",
        "day_of_week": "*",
        "hour": "5",
        "minute": "0",
        "second": "0",
    }
    assert selector(month=6).texts["day"] == "1"
    assert selector(day_of_week="mon").texts["week"] == "*"


def test_transitions_are_found_to_the_second() -> None:
    lo = int(datetime(2016, 1, 1, tzinfo=UTC).timestamp())
    hi = int(datetime(2017, 1, 1, tzinfo=UTC).timestamp())
    assert find_transitions(ZoneInfo("Europe/Berlin"), lo, hi) == [
        int(datetime(2016, 3, 27, 1, tzinfo=UTC).timestamp()),
        int(datetime(2016, 10, 30, 1, tzinfo=UTC).timestamp()),
    ]
