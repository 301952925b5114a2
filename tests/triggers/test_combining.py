"""AndTrigger and OrTrigger: APScheduler 3.11 behaviour, minus its hang, comparing instants."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import apscheduler.triggers.combining as aps_combining
import apscheduler.triggers.cron as aps_cron
import pytest
from chains import chain

from triggerkit.triggers.combining import AndTrigger, OrTrigger
from triggerkit.triggers.cron import CronTrigger
from triggerkit.triggers.date import DateTrigger
from triggerkit.triggers.interval import IntervalTrigger

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def test_and_fires_where_all_children_agree() -> None:
    trigger = AndTrigger(
        [CronTrigger(minute="*/10", timezone=UTC), CronTrigger(minute="*/15", timezone=UTC)]
    )
    start = datetime(2024, 5, 1, 12, 1, tzinfo=UTC)
    assert chain(trigger, start, 3) == [
        datetime(2024, 5, 1, 12, 30, tzinfo=UTC),
        datetime(2024, 5, 1, 13, 0, tzinfo=UTC),
        datetime(2024, 5, 1, 13, 30, tzinfo=UTC),
    ]


def test_and_does_not_hang_with_a_previous_fire_time_where_apscheduler_does() -> None:
    # APScheduler 3.11 loops forever here: with a previous fire time its children keep
    # answering from just after it, so its "now = max(fire_times)" never moves them.
    trigger = AndTrigger(
        [CronTrigger(minute="*/10", timezone=UTC), CronTrigger(minute="*/15", timezone=UTC)]
    )
    previous = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert trigger.get_next_fire_time(previous, previous) == datetime(
        2024, 5, 1, 12, 30, tzinfo=UTC
    )


def test_and_without_a_previous_fire_time_equals_apscheduler() -> None:
    ours = AndTrigger(
        [CronTrigger(minute="*/10", timezone=UTC), CronTrigger(minute="*/15", timezone=UTC)]
    )
    theirs = aps_combining.AndTrigger(
        [
            aps_cron.CronTrigger(minute="*/10", timezone=UTC),
            aps_cron.CronTrigger(minute="*/15", timezone=UTC),
        ]
    )
    now = datetime(2024, 5, 1, 12, 1, tzinfo=UTC)
    assert ours.get_next_fire_time(None, now) == theirs.get_next_fire_time(None, now)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"minute": "1"}, {"minute": "2"}),
        ({"hour": "1", "minute": "0"}, {"hour": "2", "minute": "0"}),
        ({"second": "*/2"}, {"second": "1/2"}),
        ({"month": "1"}, {"month": "2"}),
        ({"week": "1"}, {"week": "2"}),
        ({"day": "1"}, {"day": "2"}),
        ({"day_of_week": "sat", "minute": "*/16"}, {"day_of_week": "fri", "minute": "*/16"}),
        ({"day_of_week": "mon-tue"}, {"day_of_week": "wed,thu"}),
    ],
    ids=["minutes", "hours", "seconds", "months", "weeks", "days", "weekdays", "weekday-ranges"],
)
def test_and_of_children_that_never_agree_returns_none(
    first: dict[str, str], second: dict[str, str]
) -> None:
    trigger = AndTrigger(
        [
            CronTrigger(timezone=UTC, **first),  # type: ignore[arg-type]
            CronTrigger(timezone=UTC, **second),
        ]
    )  # type: ignore[arg-type]
    now = datetime(2024, 5, 1, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, now) is None
    assert trigger.get_next_fire_time(now, now) is None


def test_and_of_children_with_disjoint_weekdays_answers_without_searching() -> None:
    # Regression: weekdays were missing from the up-front disjointness check, so this ran
    # MAX_AND_ROUNDS rounds (seconds) before giving up.
    from triggerkit.triggers import combining

    trigger = AndTrigger(
        [
            CronTrigger(day_of_week="6", minute="*/16", timezone=UTC),
            CronTrigger(day_of_week="5", minute="*/16", timezone=UTC),
        ]
    )
    assert not combining._cron_children_can_agree(trigger.triggers)


def test_and_ends_when_a_child_ends() -> None:
    trigger = AndTrigger(
        [
            CronTrigger(minute="*/5", timezone=UTC),
            CronTrigger(
                minute="*/10", end_date=datetime(2024, 5, 1, 12, 25, tzinfo=UTC), timezone=UTC
            ),
        ]
    )
    start = datetime(2024, 5, 1, 12, 1, tzinfo=UTC)
    assert chain(trigger, start, 5) == [
        datetime(2024, 5, 1, 12, 10, tzinfo=UTC),
        datetime(2024, 5, 1, 12, 20, tzinfo=UTC),
    ]


def test_and_with_a_date_child_fires_once_if_the_date_matches() -> None:
    when = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    trigger = AndTrigger([CronTrigger(minute="*/10", timezone=UTC), DateTrigger(when, UTC)])
    assert trigger.get_next_fire_time(None, datetime(2024, 5, 1, tzinfo=UTC)) == when
    assert trigger.get_next_fire_time(when, when) is None


def test_and_with_a_date_child_that_does_not_match_returns_none() -> None:
    when = datetime(2024, 5, 1, 12, 31, tzinfo=UTC)
    trigger = AndTrigger([CronTrigger(minute="*/10", timezone=UTC), DateTrigger(when, UTC)])
    assert trigger.get_next_fire_time(None, datetime(2024, 5, 1, tzinfo=UTC)) is None


def test_and_compares_instants_across_zones() -> None:
    # 09:00 in New York is 15:00 in Berlin on 2024-05-01 (both on summer time).
    trigger = AndTrigger(
        [
            CronTrigger(hour=9, minute=0, timezone=NEW_YORK),
            CronTrigger(hour=15, minute=0, timezone=BERLIN),
        ]
    )
    found = trigger.get_next_fire_time(None, datetime(2024, 5, 1, tzinfo=UTC))
    assert found == datetime(2024, 5, 1, 13, 0, tzinfo=UTC)
    # between 2024-03-10 and 03-31 New York is on summer time and Berlin is not
    found = trigger.get_next_fire_time(None, datetime(2024, 3, 12, tzinfo=UTC))
    assert found == datetime(2024, 3, 31, 13, 0, tzinfo=UTC)


def test_and_at_a_fall_back_overlap_keeps_the_two_occurrences_apart() -> None:
    # America/New_York 2013-11-03: 06:00 UTC (02:00 EDT) -> 01:00 EST; 01:00-01:59 repeats.
    # Both children follow real time (rule O), so they agree at both occurrences of 01:30.
    trigger = AndTrigger(
        [
            CronTrigger(minute="*/15", timezone=NEW_YORK),
            CronTrigger(minute="*/10", timezone=NEW_YORK),
        ]
    )
    start = datetime(2013, 11, 3, 5, 0, 1, tzinfo=UTC)
    assert [d.astimezone(UTC) for d in chain(trigger, start, 3)] == [
        datetime(2013, 11, 3, 5, 30, tzinfo=UTC),  # 01:30 EDT
        datetime(2013, 11, 3, 6, 0, tzinfo=UTC),  # 01:00 EST
        datetime(2013, 11, 3, 6, 30, tzinfo=UTC),  # 01:30 EST
    ]


def test_or_fires_at_the_earliest_child_time() -> None:
    trigger = OrTrigger(
        [CronTrigger(minute="7", timezone=UTC), CronTrigger(minute="40", timezone=UTC)]
    )
    start = datetime(2024, 5, 1, 12, 10, tzinfo=UTC)
    assert chain(trigger, start, 3) == [
        datetime(2024, 5, 1, 12, 40, tzinfo=UTC),
        datetime(2024, 5, 1, 13, 7, tzinfo=UTC),
        datetime(2024, 5, 1, 13, 40, tzinfo=UTC),
    ]


def test_or_ends_when_every_child_ends() -> None:
    a = DateTrigger(datetime(2024, 5, 1, 12, tzinfo=UTC), UTC)
    b = DateTrigger(datetime(2024, 5, 2, 12, tzinfo=UTC), UTC)
    trigger = OrTrigger([a, b])
    now = datetime(2024, 5, 1, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, now) == datetime(2024, 5, 1, 12, tzinfo=UTC)
    # As in APScheduler 3, each child sees the previous fire time: both date triggers are done.
    assert trigger.get_next_fire_time(datetime(2024, 5, 1, 12, tzinfo=UTC), now) is None


def test_or_passes_the_previous_fire_time_to_interval_children() -> None:
    # As in APScheduler 3 (documented there as "may seem to behave strangely"): the interval
    # child restarts from whichever child fired last.
    import apscheduler.triggers.interval as aps_interval

    start = datetime(2024, 5, 1, tzinfo=UTC)
    ours = OrTrigger(
        [IntervalTrigger(hours=1, start_date=start), CronTrigger(minute="30", timezone=UTC)]
    )
    theirs = aps_combining.OrTrigger(
        [
            aps_interval.IntervalTrigger(hours=1, start_date=start),
            aps_cron.CronTrigger(minute="30", timezone=UTC),
        ]
    )
    expected = [
        datetime(2024, 5, 1, h, m, tzinfo=UTC) for h, m in [(0, 0), (0, 30), (1, 30), (2, 30)]
    ]
    assert chain(ours, start, 4) == expected
    assert chain(theirs, start, 4) == expected


def test_or_compares_instants_not_wall_clocks() -> None:
    # 01:30 EDT (05:30 UTC) comes before 01:15 EST (06:15 UTC) although its wall clock is later.
    first = DateTrigger(datetime(2013, 11, 3, 6, 15, tzinfo=UTC).astimezone(NEW_YORK))
    second = DateTrigger(datetime(2013, 11, 3, 5, 30, tzinfo=UTC).astimezone(NEW_YORK))
    found = OrTrigger([first, second]).get_next_fire_time(None, datetime(2013, 1, 1, tzinfo=UTC))
    assert found is not None
    assert found.astimezone(UTC) == datetime(2013, 11, 3, 5, 30, tzinfo=UTC)


def test_jitter_delays_the_combined_fire_time_by_at_most_jitter() -> None:
    trigger = OrTrigger([CronTrigger(minute="0", timezone=UTC)], jitter=5)
    now = datetime(2024, 5, 1, 12, 1, tzinfo=UTC)
    found = trigger.get_next_fire_time(None, now)
    assert found is not None
    exact = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)
    assert exact <= found <= exact + timedelta(seconds=5)


@pytest.mark.parametrize("cls", [AndTrigger, OrTrigger], ids=["and", "or"])
def test_combining_triggers_round_trip_through_state_and_pickle(cls: type) -> None:
    trigger = cls(
        [
            CronTrigger(minute="*/10", hour="9-17", timezone=BERLIN),
            IntervalTrigger(minutes=7, start_date=datetime(2024, 5, 1, tzinfo=UTC)),
            DateTrigger(datetime(2024, 6, 1, tzinfo=UTC)),
        ],
        jitter=3,
    )
    copy = cls.__new__(cls)
    copy.__setstate__(trigger.__getstate__())
    assert copy == trigger
    assert pickle.loads(pickle.dumps(trigger)) == trigger


def test_combining_state_written_by_apscheduler_loads() -> None:
    theirs = aps_combining.OrTrigger([aps_cron.CronTrigger(minute="*/10", timezone=BERLIN)])
    ours = OrTrigger.__new__(OrTrigger)
    ours.__setstate__(theirs.__getstate__())
    assert ours == OrTrigger([CronTrigger(minute="*/10", timezone=BERLIN)])


def test_str_and_repr_equal_apscheduler() -> None:
    ours = AndTrigger([CronTrigger(minute="*/10", timezone=UTC)])
    theirs = aps_combining.AndTrigger([aps_cron.CronTrigger(minute="*/10", timezone=UTC)])
    assert str(ours) == str(theirs)
    assert repr(ours) == repr(theirs)
    ours_or = OrTrigger([CronTrigger(minute="*/10", timezone=UTC)], jitter=2)
    theirs_or = aps_combining.OrTrigger(
        [aps_cron.CronTrigger(minute="*/10", timezone=UTC)], jitter=2
    )
    assert str(ours_or) == str(theirs_or)
    assert repr(ours_or) == repr(theirs_or)


def test_and_with_an_interval_child_finds_the_common_times() -> None:
    # APScheduler 3.11 warns that interval children "will likely" hang AndTrigger; here the
    # children are asked at or after the latest candidate, so it moves forward.
    start = datetime(2024, 5, 1, tzinfo=UTC)
    trigger = AndTrigger(
        [IntervalTrigger(minutes=10, start_date=start), CronTrigger(minute="*/15", timezone=UTC)]
    )
    assert chain(trigger, start + timedelta(seconds=1), 3) == [
        start + timedelta(minutes=30),
        start + timedelta(minutes=60),
        start + timedelta(minutes=90),
    ]


# -- impossible combinations decided with day masks (issue #13, item 8) -------------------------

DAY_SPECS = [
    {"day": "last"},
    {"day": "1st mon"},
    {"day": "last fri"},
    {"day": "2nd sun"},
    {"day": "29", "month": "2"},
    {"day": "31"},
    {"day": "1-7"},
    {"day_of_week": "fri"},
    {"day_of_week": "sat,sun"},
    {"week": "53"},
    {"week": "1", "month": "12"},
    {"month": "4,6,9,11", "day": "31"},
    {"day": "last", "day_of_week": "mon"},
]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York", "Pacific/Apia"])
def test_the_issue_example_is_none_without_a_search(engine: Any, zone: str) -> None:
    from triggerkit.triggers import combining

    trigger = AndTrigger(
        [CronTrigger(day="last", timezone=zone), CronTrigger(day="1st mon", timezone=zone)]
    )
    rounds = combining.MAX_AND_ROUNDS
    try:
        combining.MAX_AND_ROUNDS = 50  # a search could not reach year 9999 in 50 rounds
        assert trigger.get_next_fire_time(None, datetime(2024, 5, 1, tzinfo=UTC)) is None
    finally:
        combining.MAX_AND_ROUNDS = rounds
    assert not combining._cron_children_can_agree(trigger.triggers)


def _common_day_within(first: CronTrigger, second: CronTrigger, years: range) -> bool:
    from triggerkit import _engine

    specs = [_engine.kernel.compile_spec(*t.field_masks) for t in (first, second)]
    months = first.field_masks.months & second.field_masks.months
    return any(
        _engine.kernel.day_mask(specs[0], y, m) & _engine.kernel.day_mask(specs[1], y, m)
        for y in years
        for m in range(1, 13)
        if months >> m & 1
    )


@pytest.mark.parametrize("first", DAY_SPECS, ids=str)
def test_the_up_front_answer_agrees_with_four_hundred_years_of_days(
    engine: Any, first: dict[str, str]
) -> None:
    from triggerkit.triggers import combining

    for second in DAY_SPECS:
        children = [CronTrigger(timezone=UTC, **first), CronTrigger(timezone=UTC, **second)]
        can = combining._cron_children_can_agree(children)  # type: ignore[arg-type]
        assert can == _common_day_within(*children, range(2000, 2400)), second


def test_children_that_agree_on_a_special_day_still_fire(engine: Any) -> None:
    trigger = AndTrigger(
        [CronTrigger(day="last", timezone=UTC), CronTrigger(day_of_week="fri", timezone=UTC)]
    )
    assert trigger.get_next_fire_time(None, datetime(2030, 1, 1, tzinfo=UTC)) == datetime(
        2030, 5, 31, tzinfo=UTC
    )
