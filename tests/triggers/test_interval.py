"""IntervalTrigger (rule I: elapsed time), against APScheduler 3.11."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import apscheduler.triggers.interval as aps_interval
import pytest
from chains import chain

from triggerkit.triggers.interval import IntervalTrigger

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def test_interval_fires_at_start_date_then_every_interval() -> None:
    start = datetime(2024, 5, 1, 12, tzinfo=UTC)
    trigger = IntervalTrigger(minutes=90, start_date=start)
    assert chain(trigger, datetime(2024, 1, 1, tzinfo=UTC), 3) == [
        start,
        start + timedelta(minutes=90),
        start + timedelta(minutes=180),
    ]


def test_interval_after_start_fires_at_the_next_whole_step() -> None:
    start = datetime(2024, 5, 1, 12, tzinfo=UTC)
    trigger = IntervalTrigger(hours=1, start_date=start)
    now = datetime(2024, 5, 1, 14, 0, 1, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, now) == datetime(2024, 5, 1, 15, tzinfo=UTC)
    exact = datetime(2024, 5, 1, 14, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, exact) == exact


def test_interval_from_long_ago_steps_in_one_go_exactly() -> None:
    start = datetime(1970, 1, 1, tzinfo=UTC)
    trigger = IntervalTrigger(seconds=7, start_date=start)
    now = datetime(2024, 5, 1, 12, 0, 0, 1, tzinfo=UTC)
    found = trigger.get_next_fire_time(None, now)
    assert found is not None
    assert (found - start) % timedelta(seconds=7) == timedelta(0)
    assert timedelta(0) < found - now <= timedelta(seconds=7)


def test_interval_ends_at_end_date_inclusive() -> None:
    start = datetime(2024, 5, 1, tzinfo=UTC)
    trigger = IntervalTrigger(hours=1, start_date=start, end_date=start + timedelta(hours=2))
    assert len(chain(trigger, start, 10)) == 3


def test_a_zero_interval_is_one_second_as_in_apscheduler() -> None:
    start = datetime(2024, 5, 1, tzinfo=UTC)
    ours, theirs = IntervalTrigger(start_date=start), aps_interval.IntervalTrigger(start_date=start)
    assert ours.interval == theirs.interval == timedelta(seconds=1)
    assert chain(ours, start, 3) == chain(theirs, start, 3)


def test_without_start_date_it_starts_one_interval_from_now() -> None:
    before = datetime.now(UTC)
    trigger = IntervalTrigger(minutes=5, timezone=UTC)
    assert trigger.start_date is not None
    assert before + timedelta(minutes=5) <= trigger.start_date


@pytest.mark.parametrize(
    ("zone", "start", "expected"),
    [
        # Europe/Berlin 2016-03-27 01:00 UTC: 02:00 CET -> 03:00 CEST
        (
            "Europe/Berlin",
            "2016-03-27 00:30:00",
            [
                "2016-03-27 00:30:00+01:00",
                "2016-03-27 01:30:00+01:00",
                "2016-03-27 03:30:00+02:00",
                "2016-03-27 04:30:00+02:00",
            ],
        ),
        # America/New_York 2013-11-03 06:00 UTC: 02:00 EDT -> 01:00 EST
        (
            "America/New_York",
            "2013-11-03 00:30:00",
            [
                "2013-11-03 00:30:00-04:00",
                "2013-11-03 01:30:00-04:00",
                "2013-11-03 01:30:00-05:00",
                "2013-11-03 02:30:00-05:00",
            ],
        ),
        # Australia/Lord_Howe 2023-09-30 15:30 UTC: 02:00 +10:30 -> 02:30 +11
        (
            "Australia/Lord_Howe",
            "2023-10-01 01:15:00",
            [
                "2023-10-01 01:15:00+10:30",
                "2023-10-01 02:45:00+11:00",
                "2023-10-01 03:45:00+11:00",
                "2023-10-01 04:45:00+11:00",
            ],
        ),
    ],
    ids=["berlin-2016-03-27", "new-york-2013-11-03", "lord-howe-2023-10-01"],
)
def test_hourly_interval_is_elapsed_time_across_dst(
    zone: str, start: str, expected: list[str]
) -> None:
    # rule I: every 3600 s on the UTC timeline; the wall-clock time moves
    trigger = IntervalTrigger(hours=1, start_date=start, timezone=zone)
    got = chain(trigger, datetime(2000, 1, 1, tzinfo=UTC), len(expected))
    assert [str(d) for d in got] == expected
    theirs = aps_interval.IntervalTrigger(hours=1, start_date=start, timezone=zone)
    assert [d.astimezone(UTC) for d in chain(theirs, datetime(2000, 1, 1, tzinfo=UTC), 4)] == [
        d.astimezone(UTC) for d in got
    ]


def test_daily_interval_moves_its_wall_time_across_dst() -> None:
    trigger = IntervalTrigger(days=1, start_date="2016-03-26 12:00:00", timezone=BERLIN)
    got = chain(trigger, datetime(2016, 1, 1, tzinfo=UTC), 3)
    assert [str(d) for d in got] == [
        "2016-03-26 12:00:00+01:00",
        "2016-03-27 13:00:00+02:00",
        "2016-03-28 13:00:00+02:00",
    ]


def test_now_at_a_non_existent_wall_time_is_read_as_the_instant_it_denotes() -> None:
    # Deliberate difference: 02:58:20 "+01:00" on 2016-03-27 in Berlin is 01:58:20 UTC, after
    # the start (01:00 UTC = 03:00 CEST); APScheduler 3.11 compares the wall clocks instead and
    # answers the start, 58 minutes in the past.
    start = datetime(2016, 3, 27, 3, 0, tzinfo=BERLIN)
    now = start - timedelta(seconds=100)  # wall-clock arithmetic: 02:58:20, fold=0
    trigger = IntervalTrigger(minutes=1, start_date=start)
    found = trigger.get_next_fire_time(None, now)
    assert found is not None
    assert found.astimezone(UTC) == datetime(2016, 3, 27, 1, 59, tzinfo=UTC)
    theirs = aps_interval.IntervalTrigger(minutes=1, start_date=start)
    assert theirs.get_next_fire_time(None, now) == start


def test_interval_jitter_stays_within_bounds() -> None:
    start = datetime(2024, 5, 1, tzinfo=UTC)
    trigger = IntervalTrigger(minutes=1, start_date=start, jitter=4)
    for _ in range(20):
        found = trigger.get_next_fire_time(start, start)
        assert found is not None
        assert start + timedelta(minutes=1) <= found <= start + timedelta(minutes=1, seconds=4)


def test_interval_str_repr_and_state_equal_apscheduler() -> None:
    kwargs = dict(
        hours=1,
        minutes=30,
        start_date=datetime(2024, 5, 1, tzinfo=BERLIN),
        end_date="2024-06-01",
        timezone=BERLIN,
        jitter=2,
    )
    ours = IntervalTrigger(**kwargs)  # type: ignore[arg-type]
    theirs = aps_interval.IntervalTrigger(**kwargs)
    assert str(ours) == str(theirs) == "interval[1:30:00]"
    assert repr(ours) == repr(theirs)
    assert ours.__getstate__() == theirs.__getstate__()
    loaded = IntervalTrigger.__new__(IntervalTrigger)
    loaded.__setstate__(theirs.__getstate__())
    assert loaded == ours
    assert pickle.loads(pickle.dumps(ours)) == ours


def test_interval_state_from_a_newer_version_is_refused() -> None:
    state = IntervalTrigger(hours=1, start_date=datetime(2024, 5, 1, tzinfo=UTC)).__getstate__()
    state["version"] = 3
    with pytest.raises(ValueError, match="version 3"):
        IntervalTrigger.__new__(IntervalTrigger).__setstate__(state)
