"""A fixed table of DST cases, one per rule, zone and policy, with the chains written out.

Rules G (gap) and O (overlap) of ``docs/rules/dst.md``. Each chain is computed the way a
scheduler does (every fire time from the previous one) and then retraced backwards with
``get_prev_fire_time``. Expected values are written as ``str(datetime)``, so the offset of every
fire time is checked too: a returned datetime is always a real instant.

Transition instants (UTC), from the tz database:

* Europe/Berlin        2016-03-27 01:00 (02:00 CET -> 03:00 CEST)
                       2016-10-30 01:00 (03:00 CEST -> 02:00 CET; 02:00-02:59 twice)
* America/New_York     2013-03-10 07:00 (02:00 EST -> 03:00 EDT)
                       2013-11-03 06:00 (02:00 EDT -> 01:00 EST; 01:00-01:59 twice)
* Australia/Lord_Howe  2023-04-01 15:00 (02:00 +11 -> 01:30 +10:30; 01:30-01:59 twice)
                       2023-09-30 15:30 (02:00 +10:30 -> 02:30 +11)
* America/Santiago     2022-04-03 03:00 (24:00 -03 -> 23:00 -04 on 04-02; 23:00-23:59 twice)
                       2022-09-11 04:00 (00:00 -04 -> 01:00 -03: midnight does not exist)
* America/Havana       2023-03-12 05:00 (00:00 -05 -> 01:00 -04: midnight does not exist)
                       2023-11-05 05:00 (01:00 -04 -> 00:00 -05; 00:00-00:59 twice)
* Pacific/Chatham      2023-04-01 14:00 (03:45 +13:45 -> 02:45 +12:45; 02:45-03:44 twice)
                       2023-09-23 14:00 (02:45 +12:45 -> 03:45 +13:45)
* Asia/Kathmandu       1985-12-31 18:30 (00:00 +05:30 -> 00:15 +05:45 on 1986-01-01)
* Pacific/Apia         2011-12-30 10:00 (2011-12-29 24:00 -10 -> 2011-12-31 00:00 +14: the
                       whole of Friday 2011-12-30 does not exist)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from chains import chain

from triggerkit.triggers.cron import CronTrigger

UTC = timezone.utc


@dataclass
class Case:
    zone: str
    spec: dict[str, object]
    start: str  # wall time in the zone, read with fold=0
    expected: list[str]
    policy: dict[str, str] = field(default_factory=dict)


CASES = {
    # --- Europe/Berlin ----------------------------------------------------------------------
    "berlin-2016-03-27-gap-fires-at-the-transition": Case(
        "Europe/Berlin",
        {"hour": 2, "minute": 30},
        "2016-03-26 00:00",
        ["2016-03-26 02:30:00+01:00", "2016-03-27 03:00:00+02:00", "2016-03-28 02:30:00+02:00"],
    ),
    "berlin-2016-03-27-daily-midnight-fires-on-the-27th-and-28th": Case(
        # APScheduler 3.11 skips the 28th (its issue #606)
        "Europe/Berlin",
        {"hour": 0, "minute": 0},
        "2016-03-26 12:00",
        ["2016-03-27 00:00:00+01:00", "2016-03-28 00:00:00+02:00", "2016-03-29 00:00:00+02:00"],
    ),
    "berlin-2016-03-27-gap-times-collapse-with-the-transition": Case(
        # 02:00, 02:20, 02:40 do not exist; with 03:00 itself they fire once, at 03:00 CEST
        "Europe/Berlin",
        {"hour": "1-3", "minute": "*/20"},
        "2016-03-27 01:30",
        [
            "2016-03-27 01:40:00+01:00",
            "2016-03-27 03:00:00+02:00",
            "2016-03-27 03:20:00+02:00",
            "2016-03-27 03:40:00+02:00",
            "2016-03-28 01:00:00+02:00",
        ],
    ),
    "berlin-2016-03-27-gap-skip-policy-drops-the-day": Case(
        "Europe/Berlin",
        {"hour": 2, "minute": 30},
        "2016-03-26 12:00",
        ["2016-03-28 02:30:00+02:00", "2016-03-29 02:30:00+02:00"],
        {"dst_gap": "skip"},
    ),
    "berlin-2016-03-27-gap-skip-policy-drops-only-gap-times": Case(
        "Europe/Berlin",
        {"hour": "2-3", "minute": "*/20"},
        "2016-03-27 00:00",
        [
            "2016-03-27 03:00:00+02:00",
            "2016-03-27 03:20:00+02:00",
            "2016-03-27 03:40:00+02:00",
            "2016-03-28 02:00:00+02:00",
        ],
        {"dst_gap": "skip"},
    ),
    "berlin-2016-10-30-overlap-fixed-time-fires-once": Case(
        "Europe/Berlin",
        {"hour": 2, "minute": 30},
        "2016-10-29 12:00",
        ["2016-10-30 02:30:00+02:00", "2016-10-31 02:30:00+01:00"],
    ),
    "berlin-2016-10-30-overlap-real-time-fires-twice": Case(
        "Europe/Berlin",
        {"hour": 2, "minute": "*/30"},
        "2016-10-30 00:00",
        [
            "2016-10-30 02:00:00+02:00",
            "2016-10-30 02:30:00+02:00",
            "2016-10-30 02:00:00+01:00",
            "2016-10-30 02:30:00+01:00",
            "2016-10-31 02:00:00+01:00",
        ],
    ),
    "berlin-2016-10-30-overlap-policy-last": Case(
        "Europe/Berlin",
        {"hour": 2, "minute": 30},
        "2016-10-29 12:00",
        ["2016-10-30 02:30:00+01:00", "2016-10-31 02:30:00+01:00"],
        {"dst_overlap": "last"},
    ),
    "berlin-2016-10-30-overlap-policy-both": Case(
        "Europe/Berlin",
        {"hour": 2, "minute": 30},
        "2016-10-29 12:00",
        ["2016-10-30 02:30:00+02:00", "2016-10-30 02:30:00+01:00", "2016-10-31 02:30:00+01:00"],
        {"dst_overlap": "both"},
    ),
    "berlin-2016-10-30-overlap-policy-first-overrides-real-time": Case(
        "Europe/Berlin",
        {"hour": 2, "minute": "*/30"},
        "2016-10-30 00:00",
        ["2016-10-30 02:00:00+02:00", "2016-10-30 02:30:00+02:00", "2016-10-31 02:00:00+01:00"],
        {"dst_overlap": "first"},
    ),
    # --- America/New_York -------------------------------------------------------------------
    "new-york-2013-03-10-gap-fires-at-the-transition": Case(
        "America/New_York",
        {"hour": 2, "minute": 30},
        "2013-03-09 12:00",
        ["2013-03-10 03:00:00-04:00", "2013-03-11 02:30:00-04:00"],
    ),
    "new-york-2013-03-10-every-15-minutes-across-the-gap": Case(
        "America/New_York",
        {"minute": "*/15"},
        "2013-03-10 01:40",
        ["2013-03-10 01:45:00-05:00", "2013-03-10 03:00:00-04:00", "2013-03-10 03:15:00-04:00"],
    ),
    "new-york-2013-11-03-overlap-fixed-time-fires-once": Case(
        # APScheduler 3.11 fires twice
        "America/New_York",
        {"hour": 1, "minute": 30},
        "2013-11-02 12:00",
        ["2013-11-03 01:30:00-04:00", "2013-11-04 01:30:00-05:00"],
    ),
    "new-york-2013-11-03-overlap-every-15-minutes-fires-at-both": Case(
        "America/New_York",
        {"minute": "*/15"},
        "2013-11-03 00:50",
        [
            "2013-11-03 01:00:00-04:00",
            "2013-11-03 01:15:00-04:00",
            "2013-11-03 01:30:00-04:00",
            "2013-11-03 01:45:00-04:00",
            "2013-11-03 01:00:00-05:00",
            "2013-11-03 01:15:00-05:00",
            "2013-11-03 01:30:00-05:00",
            "2013-11-03 01:45:00-05:00",
            "2013-11-03 02:00:00-05:00",
        ],
    ),
    "new-york-2013-11-03-overlap-skip-gap-policy-changes-nothing": Case(
        "America/New_York",
        {"hour": 1, "minute": 30},
        "2013-11-02 12:00",
        ["2013-11-03 01:30:00-04:00", "2013-11-04 01:30:00-05:00"],
        {"dst_gap": "skip"},
    ),
    # --- Australia/Lord_Howe (30-minute shifts) ---------------------------------------------
    "lord-howe-2023-10-01-gap-fires-at-the-transition": Case(
        "Australia/Lord_Howe",
        {"hour": 2, "minute": 15},
        "2023-09-30 12:00",
        ["2023-10-01 02:30:00+11:00", "2023-10-02 02:15:00+11:00"],
    ),
    "lord-howe-2023-10-01-time-after-the-half-hour-gap-is-untouched": Case(
        "Australia/Lord_Howe",
        {"hour": 2, "minute": 45},
        "2023-09-30 12:00",
        ["2023-10-01 02:45:00+11:00", "2023-10-02 02:45:00+11:00"],
    ),
    "lord-howe-2023-10-01-gap-skip-policy": Case(
        "Australia/Lord_Howe",
        {"hour": 2, "minute": 15},
        "2023-09-30 12:00",
        ["2023-10-02 02:15:00+11:00"],
        {"dst_gap": "skip"},
    ),
    "lord-howe-2023-04-02-overlap-fixed-time-fires-once": Case(
        "Australia/Lord_Howe",
        {"hour": 1, "minute": 45},
        "2023-04-01 12:00",
        ["2023-04-02 01:45:00+11:00", "2023-04-03 01:45:00+10:30"],
    ),
    "lord-howe-2023-04-02-overlap-real-time-repeats-the-half-hour": Case(
        "Australia/Lord_Howe",
        {"hour": 1, "minute": "*/15"},
        "2023-04-02 01:00",
        [
            "2023-04-02 01:00:00+11:00",
            "2023-04-02 01:15:00+11:00",
            "2023-04-02 01:30:00+11:00",
            "2023-04-02 01:45:00+11:00",
            "2023-04-02 01:30:00+10:30",
            "2023-04-02 01:45:00+10:30",
            "2023-04-03 01:00:00+10:30",
        ],
    ),
    # --- America/Santiago (midnight transitions) --------------------------------------------
    "santiago-2022-09-11-missing-midnight-fires-at-01-00": Case(
        "America/Santiago",
        {"hour": 0, "minute": 0},
        "2022-09-10 12:00",
        ["2022-09-11 01:00:00-03:00", "2022-09-12 00:00:00-03:00"],
    ),
    "santiago-2022-09-11-missing-midnight-skip-policy": Case(
        "America/Santiago",
        {"hour": 0, "minute": 0},
        "2022-09-10 12:00",
        ["2022-09-12 00:00:00-03:00"],
        {"dst_gap": "skip"},
    ),
    "santiago-2022-09-11-monthly-on-the-11th-is-not-skipped": Case(
        "America/Santiago",
        {"day": 11},
        "2022-08-20 00:00",
        ["2022-09-11 01:00:00-03:00", "2022-10-11 00:00:00-03:00"],
    ),
    "santiago-2022-04-02-overlap-fixed-time-fires-once": Case(
        "America/Santiago",
        {"hour": 23, "minute": 30},
        "2022-04-02 12:00",
        ["2022-04-02 23:30:00-03:00", "2022-04-03 23:30:00-04:00"],
    ),
    "santiago-2022-04-02-overlap-real-time-fires-twice": Case(
        "America/Santiago",
        {"hour": 23, "minute": "*/30"},
        "2022-04-02 22:50",
        [
            "2022-04-02 23:00:00-03:00",
            "2022-04-02 23:30:00-03:00",
            "2022-04-02 23:00:00-04:00",
            "2022-04-02 23:30:00-04:00",
            "2022-04-03 23:00:00-04:00",
        ],
    ),
    # --- America/Havana (midnight transitions) ----------------------------------------------
    "havana-2023-03-12-missing-midnight-fires-at-01-00": Case(
        "America/Havana",
        {"hour": 0, "minute": 0},
        "2023-03-11 12:00",
        ["2023-03-12 01:00:00-04:00", "2023-03-13 00:00:00-04:00"],
    ),
    "havana-2023-03-12-missing-00-30-fires-at-01-00": Case(
        "America/Havana",
        {"hour": 0, "minute": 30},
        "2023-03-11 12:00",
        ["2023-03-12 01:00:00-04:00", "2023-03-13 00:30:00-04:00"],
    ),
    "havana-2023-11-05-repeated-midnight-fires-once": Case(
        "America/Havana",
        {"hour": 0, "minute": 0},
        "2023-11-04 12:00",
        ["2023-11-05 00:00:00-04:00", "2023-11-06 00:00:00-05:00"],
    ),
    "havana-2023-11-05-repeated-midnight-policy-last": Case(
        "America/Havana",
        {"hour": 0, "minute": 0},
        "2023-11-04 12:00",
        ["2023-11-05 00:00:00-05:00", "2023-11-06 00:00:00-05:00"],
        {"dst_overlap": "last"},
    ),
    # --- Pacific/Chatham (+12:45 / +13:45) --------------------------------------------------
    "chatham-2023-09-24-gap-fires-at-the-transition": Case(
        "Pacific/Chatham",
        {"hour": 3, "minute": 0},
        "2023-09-23 12:00",
        ["2023-09-24 03:45:00+13:45", "2023-09-25 03:00:00+13:45"],
    ),
    "chatham-2023-04-02-overlap-fixed-time-fires-once": Case(
        "Pacific/Chatham",
        {"hour": 3, "minute": 0},
        "2023-04-01 12:00",
        ["2023-04-02 03:00:00+13:45", "2023-04-03 03:00:00+12:45"],
    ),
    "chatham-2023-04-02-overlap-real-time-fires-twice": Case(
        "Pacific/Chatham",
        {"hour": 3, "minute": "*/30"},
        "2023-04-02 02:50",
        [
            "2023-04-02 03:00:00+13:45",
            "2023-04-02 03:30:00+13:45",
            "2023-04-02 03:00:00+12:45",
            "2023-04-02 03:30:00+12:45",
            "2023-04-03 03:00:00+12:45",
        ],
    ),
    "chatham-2023-04-02-overlap-policy-both": Case(
        "Pacific/Chatham",
        {"hour": 3, "minute": 0},
        "2023-04-01 12:00",
        ["2023-04-02 03:00:00+13:45", "2023-04-02 03:00:00+12:45", "2023-04-03 03:00:00+12:45"],
        {"dst_overlap": "both"},
    ),
    # --- Asia/Kathmandu (+05:30 -> +05:45 in 1986) ------------------------------------------
    "kathmandu-1986-01-01-quarter-hour-gap-fires-at-00-15": Case(
        "Asia/Kathmandu",
        {"hour": 0, "minute": 5},
        "1985-12-31 12:00",
        ["1986-01-01 00:15:00+05:45", "1986-01-02 00:05:00+05:45"],
    ),
    "kathmandu-1986-01-01-every-5-minutes-collapses-at-00-15": Case(
        "Asia/Kathmandu",
        {"hour": 0, "minute": "*/5"},
        "1985-12-31 23:58",
        ["1986-01-01 00:15:00+05:45", "1986-01-01 00:20:00+05:45", "1986-01-01 00:25:00+05:45"],
    ),
    "kathmandu-2024-odd-offset-without-transitions": Case(
        "Asia/Kathmandu",
        {"hour": 9, "minute": 0},
        "2024-01-01 00:00",
        ["2024-01-01 09:00:00+05:45", "2024-01-02 09:00:00+05:45"],
    ),
    # --- Pacific/Apia (2011-12-30 does not exist) -------------------------------------------
    "apia-2011-12-30-noon-of-the-skipped-day-fires-at-the-transition": Case(
        "Pacific/Apia",
        {"hour": 12, "minute": 0},
        "2011-12-29 00:00",
        ["2011-12-29 12:00:00-10:00", "2011-12-31 00:00:00+14:00", "2011-12-31 12:00:00+14:00"],
    ),
    "apia-2011-12-30-skipped-day-skip-policy": Case(
        "Pacific/Apia",
        {"hour": 12, "minute": 0},
        "2011-12-29 00:00",
        ["2011-12-29 12:00:00-10:00", "2011-12-31 12:00:00+14:00"],
        {"dst_gap": "skip"},
    ),
    "apia-2011-12-30-the-skipped-friday-fires-once-at-the-transition": Case(
        # every hour of Friday 2011-12-30 is selected: one fire, at 2011-12-31 00:00 +14
        "Pacific/Apia",
        {"day_of_week": "fri", "hour": "*"},
        "2011-12-29 00:00",
        ["2011-12-31 00:00:00+14:00", "2012-01-06 00:00:00+14:00", "2012-01-06 01:00:00+14:00"],
    ),
    "apia-2011-12-30-monthly-on-the-30th": Case(
        "Pacific/Apia",
        {"day": 30},
        "2011-11-01 00:00",
        ["2011-11-30 00:00:00-10:00", "2011-12-31 00:00:00+14:00", "2012-01-30 00:00:00+14:00"],
    ),
}


def wall(zone: str, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_dst_chain(case: Case) -> None:
    trigger = CronTrigger(timezone=case.zone, **case.spec, **case.policy)  # type: ignore[arg-type]
    got = chain(trigger, wall(case.zone, case.start), len(case.expected))
    assert [str(d) for d in got] == case.expected
    # Backwards, the same chain: each fire time's predecessor is the one before it.
    for earlier, later in zip(got, got[1:], strict=False):
        assert trigger.get_prev_fire_time(later) == earlier
        assert str(trigger.get_prev_fire_time(later)) == str(earlier)


@pytest.mark.parametrize(
    ("zone", "spec", "transition"),
    [
        ("America/Santiago", {"hour": 0, "minute": 0}, "2022-09-11 04:00"),
        ("Europe/Berlin", {"hour": 2, "minute": 30}, "2016-03-27 01:00"),
        ("Australia/Lord_Howe", {"hour": 2, "minute": 15}, "2023-09-30 15:30"),
        ("Pacific/Apia", {"hour": 12, "minute": 0}, "2011-12-30 10:00"),
    ],
    ids=["santiago-2022-09-11", "berlin-2016-03-27", "lord-howe-2023-10-01", "apia-2011-12-30"],
)
def test_a_search_from_the_transition_instant_finds_the_gap_fire(
    zone: str, spec: dict[str, int], transition: str
) -> None:
    # Regression: a search starting exactly at a gap's transition instant passed over the fire
    # of the gap's selected wall times there (AndTrigger asks its children exactly that).
    instant = datetime.fromisoformat(transition).replace(tzinfo=UTC)
    trigger = CronTrigger(timezone=zone, **spec)  # type: ignore[arg-type]
    assert trigger.get_next_fire_time(None, instant) == instant
    assert trigger.get_next_fire_time(None, instant.astimezone(ZoneInfo(zone))) == instant
    just_before = trigger.get_next_fire_time(
        None, datetime.fromtimestamp(instant.timestamp() - 1, UTC)
    )
    assert just_before == instant
    skipping = CronTrigger(timezone=zone, dst_gap="skip", **spec)  # type: ignore[arg-type]
    found = skipping.get_next_fire_time(None, instant)
    assert found is not None and found > instant


def test_a_fire_at_the_gap_is_not_repeated_when_the_transition_time_is_selected_too() -> None:
    # Europe/Berlin 2016-03-27 01:00 UTC: 02:00, 02:30 (gap) and 03:00 fire once, at 03:00.
    trigger = CronTrigger(hour="2-3", minute="*/30", timezone="Europe/Berlin")
    transition = datetime(2016, 3, 27, 1, 0, tzinfo=UTC)
    assert trigger.get_next_fire_time(transition, transition) == datetime(
        2016, 3, 27, 1, 30, tzinfo=UTC
    )


def test_naive_start_date_in_a_gap_reads_with_fold_0() -> None:
    # rule L: 2016-03-27 02:30 Berlin does not exist; fold=0 takes the offset before the gap
    # (+01:00), i.e. 01:30 UTC = 03:30 CEST.
    trigger = CronTrigger(minute="*/10", start_date="2016-03-27 02:30:00", timezone="Europe/Berlin")
    found = trigger.get_next_fire_time(None, datetime(2016, 1, 1, tzinfo=UTC))
    assert str(found) == "2016-03-27 03:30:00+02:00"


def test_naive_start_date_in_an_overlap_is_the_first_occurrence() -> None:
    # rule L: 2013-11-03 01:30 New York happens twice; fold=0 is the first (EDT) one.
    trigger = CronTrigger(
        minute="*/10", start_date="2013-11-03 01:30:00", timezone="America/New_York"
    )
    found = trigger.get_next_fire_time(None, datetime(2013, 1, 1, tzinfo=UTC))
    assert str(found) == "2013-11-03 01:30:00-04:00"
