"""CalendarIntervalTrigger: APScheduler 3.11's arguments and semantics, rules G and O at its
wall-clock time, and a differential run against APScheduler 3.11.3."""

from __future__ import annotations

import inspect
import pickle
import random
from datetime import date, datetime, timedelta, timezone
from typing import Any
from unittest.mock import Mock
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.calendarinterval import CalendarIntervalTrigger as ApsTrigger
from chains import chain

from triggerkit.errors import TriggerArgumentError
from triggerkit.schedulers.background import BackgroundScheduler
from triggerkit.strategies import DST_ZONES
from triggerkit.triggers import calendarinterval
from triggerkit.triggers.calendarinterval import CalendarIntervalTrigger

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2000, 1, 1, tzinfo=UTC)  # the first fire ignores now, as in APScheduler
ZONES = ("UTC",) + DST_ZONES  # the shared DST zone list, UTC as a control


def fires(trigger: Any, count: int) -> list[datetime]:
    return chain(trigger, NOW, count)


def random_case(rng: random.Random) -> dict[str, Any]:
    interval = {
        "years": rng.choice([0, 0, 0, 1, 2]),
        "months": rng.choice([0, 0, 1, 2, 5, 13]),
        "weeks": rng.choice([0, 0, 0, 1, 3]),
        "days": rng.choice([0, 0, 1, 2, 6, 40]),
    }
    if not any(interval.values()):
        interval["days"] = 1
    start = date(1995, 1, 1) + timedelta(days=rng.randrange(40 * 365))
    return {
        **interval,
        # hours around the transitions are drawn more often
        "hour": rng.choice([0, 1, 2, 2, 3, 23, rng.randrange(24)]),
        "minute": rng.choice([0, 30, rng.randrange(60)]),
        "second": rng.choice([0, rng.randrange(60)]),
        "start_date": start,
        "timezone": rng.choice(ZONES),
    }


CASES = [random_case(random.Random(seed)) for seed in range(300)]


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_it_fires_as_apscheduler_does_with_dst_gap_skip(case: dict[str, Any]) -> None:
    ours = fires(CalendarIntervalTrigger(**case, dst_gap="skip"), 40)
    theirs = fires(ApsTrigger(**case), 40)
    assert ours == theirs
    assert [d.utcoffset() for d in ours] == [d.utcoffset() for d in theirs]


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_rule_g_adds_one_fire_at_each_gap_apscheduler_skips(case: dict[str, Any]) -> None:
    ours = fires(CalendarIntervalTrigger(**case), 40)
    theirs = fires(ApsTrigger(**case), 60)
    end = ours[-1]
    theirs = [d for d in theirs if d <= end]
    assert set(theirs) <= set(ours)
    wanted = (case["hour"], case["minute"], case["second"])
    for extra in sorted(set(ours) - set(theirs)):
        # a fire at a transition instant: the wall time differs, the offset just changed
        assert (extra.hour, extra.minute, extra.second) != wanted
        assert (extra - timedelta(seconds=1)).utcoffset() != extra.utcoffset()
    assert all(a < b for a, b in zip(ours, ours[1:], strict=False))


def test_a_missing_time_fires_at_the_end_of_the_gap_in_berlin() -> None:
    # Europe/Berlin, 2016-03-27: 02:00 CET -> 03:00 CEST (rule G)
    trigger = CalendarIntervalTrigger(
        days=1, hour=2, minute=30, start_date=date(2016, 3, 26), timezone=BERLIN
    )
    assert [d.isoformat() for d in fires(trigger, 3)] == [
        "2016-03-26T02:30:00+01:00",
        "2016-03-27T03:00:00+02:00",
        "2016-03-28T02:30:00+02:00",
    ]


def test_dst_gap_skip_passes_over_the_missing_day_as_apscheduler_does() -> None:
    trigger = CalendarIntervalTrigger(
        days=1, hour=2, minute=30, start_date="2016-03-27", timezone=BERLIN, dst_gap="skip"
    )
    assert trigger.get_next_fire_time(None, NOW) == datetime(2016, 3, 28, 2, 30, tzinfo=BERLIN)


def test_a_missing_midnight_fires_at_one_oclock_in_santiago() -> None:
    # America/Santiago, 2022-09-11: 00:00 -04 -> 01:00 -03
    trigger = CalendarIntervalTrigger(days=1, start_date="2022-09-10", timezone="America/Santiago")
    assert [d.isoformat() for d in fires(trigger, 3)] == [
        "2022-09-10T00:00:00-04:00",
        "2022-09-11T01:00:00-03:00",
        "2022-09-12T00:00:00-03:00",
    ]


def test_the_day_apia_skipped_fires_at_the_transition_and_the_next_day_keeps_its_time() -> None:
    # Pacific/Apia skipped 2011-12-30: 2011-12-29 24:00 -10 -> 2011-12-31 00:00 +14
    trigger = CalendarIntervalTrigger(
        days=1, hour=10, start_date="2011-12-29", timezone="Pacific/Apia"
    )
    assert [d.isoformat() for d in fires(trigger, 4)] == [
        "2011-12-29T10:00:00-10:00",
        "2011-12-31T00:00:00+14:00",
        "2011-12-31T10:00:00+14:00",
        "2012-01-01T10:00:00+14:00",
    ]


def test_a_repeated_time_fires_once_at_its_first_occurrence_in_new_york() -> None:
    # America/New_York, 2013-11-03: 02:00 EDT -> 01:00 EST (rule O)
    trigger = CalendarIntervalTrigger(
        days=1, hour=1, minute=30, start_date="2013-11-02", timezone="America/New_York"
    )
    assert [d.isoformat() for d in fires(trigger, 3)] == [
        "2013-11-02T01:30:00-04:00",
        "2013-11-03T01:30:00-04:00",
        "2013-11-04T01:30:00-05:00",
    ]


def test_months_without_the_day_are_passed_over() -> None:
    trigger = CalendarIntervalTrigger(months=1, start_date="2016-01-31", timezone=UTC)
    assert [d.date().isoformat() for d in fires(trigger, 4)] == [
        "2016-01-31",
        "2016-03-31",
        "2016-05-31",
        "2016-07-31",
    ]


def test_a_leap_day_with_years_fires_in_leap_years_only() -> None:
    trigger = CalendarIntervalTrigger(years=1, start_date="2096-02-29", timezone=UTC)
    assert [d.date().isoformat() for d in fires(trigger, 3)] == [
        "2096-02-29",
        "2104-02-29",  # 2100 is not a leap year
        "2108-02-29",
    ]


def test_it_ends_at_the_year_9999_without_hanging() -> None:
    trigger = CalendarIntervalTrigger(years=1, start_date="9996-02-29", timezone=UTC)
    assert [d.year for d in fires(trigger, 5)] == [9996]
    assert (
        CalendarIntervalTrigger(days=3, start_date="9999-12-30", timezone=UTC).get_next_fire_time(
            datetime(9999, 12, 30, tzinfo=UTC), NOW
        )
        is None
    )


def test_end_date_is_the_last_possible_date() -> None:
    trigger = CalendarIntervalTrigger(
        weeks=1, start_date="2020-01-01", end_date="2020-01-15", timezone=UTC
    )
    assert [d.day for d in fires(trigger, 5)] == [1, 8, 15]


def test_a_jittered_fire_past_midnight_keeps_the_schedule_of_its_date() -> None:
    trigger = CalendarIntervalTrigger(
        days=1, hour=23, minute=59, second=50, start_date="2020-01-01", timezone=UTC
    )
    late = datetime(2020, 1, 2, 0, 0, 20, tzinfo=UTC)  # the 2020-01-01 fire, 30 s late
    assert trigger.get_next_fire_time(late, NOW) == datetime(2020, 1, 2, 23, 59, 50, tzinfo=UTC)


def test_jitter_delays_the_fire_by_at_most_jitter_seconds() -> None:
    trigger = CalendarIntervalTrigger(days=1, start_date="2020-01-01", timezone=UTC, jitter=5)
    fire = trigger.get_next_fire_time(None, NOW)
    assert fire is not None
    assert timedelta(0) <= fire - datetime(2020, 1, 1, tzinfo=UTC) <= timedelta(seconds=5)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "interval"),
        ({"days": -1}, "days"),
        ({"months": 1.5}, "months"),
        ({"days": 1, "hour": 24}, "hour"),
        ({"days": 1, "minute": 60}, "minute"),
        ({"days": 1, "second": -1}, "second"),
        ({"days": 1, "start_date": "2020-13-01"}, "start_date"),
        ({"days": 1, "start_date": "2020-01-02", "end_date": "2020-01-01"}, "end_date"),
        ({"days": 1, "jitter": -1}, "jitter"),
        ({"days": 1, "dst_gap": "later"}, "dst_gap"),
    ],
    ids=lambda v: str(v),
)
def test_it_rejects_bad_arguments_naming_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(TriggerArgumentError) as info:
        CalendarIntervalTrigger(timezone=UTC, **kwargs)
    assert info.value.field == field
    assert isinstance(info.value, ValueError)


def test_an_end_date_before_the_start_date_raises_as_in_apscheduler() -> None:
    with pytest.raises(ValueError, match="end_date cannot be earlier than start_date"):
        CalendarIntervalTrigger(days=1, start_date="2020-01-02", end_date="2020-01-01")
    with pytest.raises(ValueError, match="end_date cannot be earlier than start_date"):
        ApsTrigger(days=1, start_date="2020-01-02", end_date="2020-01-01")


def test_it_pickles_and_reads_apschedulers_state() -> None:
    kwargs: dict[str, Any] = {
        "months": 1,
        "hour": 3,
        "start_date": date(2016, 3, 5),
        "end_date": date(2020, 12, 25),
        "timezone": BERLIN,
    }
    trigger = CalendarIntervalTrigger(**kwargs, dst_gap="skip")
    copy = pickle.loads(pickle.dumps(trigger))
    assert copy == trigger and copy.dst_gap == "skip"
    from_aps = CalendarIntervalTrigger.__new__(CalendarIntervalTrigger)
    from_aps.__setstate__(ApsTrigger(**kwargs).__getstate__())
    assert fires(from_aps, 10) == fires(CalendarIntervalTrigger(**kwargs), 10)
    assert repr(from_aps) == repr(ApsTrigger(**kwargs))


def test_the_local_zone_comes_from_the_patchable_get_localzone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(calendarinterval, "get_localzone", Mock(return_value=BERLIN))
    assert CalendarIntervalTrigger(days=1).timezone == BERLIN


def test_it_takes_apschedulers_parameters_and_dst_gap() -> None:
    theirs = inspect.signature(ApsTrigger).parameters
    ours = inspect.signature(CalendarIntervalTrigger).parameters
    assert [(p.name, p.kind, p.default) for p in theirs.values()] == [
        (p.name, p.kind, p.default) for p in ours.values() if p.name != "dst_gap"
    ]


def test_the_scheduler_knows_it_as_calendarinterval() -> None:
    scheduler = BackgroundScheduler(timezone="Europe/Berlin")
    job = scheduler.add_job(print, "calendarinterval", months=2, start_date="2030-01-15")
    assert isinstance(job.trigger, CalendarIntervalTrigger)
    assert job.trigger.timezone == BERLIN
    assert job.trigger.get_next_fire_time(None, NOW) == datetime(2030, 1, 15, tzinfo=BERLIN)
