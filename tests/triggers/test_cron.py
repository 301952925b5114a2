"""CronTrigger: defaulting, str/repr, state and pickles, start/end dates, jitter, backwards."""

from __future__ import annotations

import pickle
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import apscheduler.triggers.cron as aps_cron
import pytest
import pytz
from chains import chain
from hypothesis import given, settings
from hypothesis import strategies as st

from triggerkit.triggers.cron import CronTrigger

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
FIELDS = ("year", "month", "day", "week", "day_of_week", "hour", "minute", "second")


# --- defaulting of omitted fields -------------------------------------------------------------

DEFAULTING = [
    ({}, ["*", "*", "*", "*", "*", "*", "*", "*"]),
    ({"second": 5}, ["*", "*", "*", "*", "*", "*", "*", "5"]),
    ({"minute": 5}, ["*", "*", "*", "*", "*", "*", "5", "0"]),
    ({"hour": 5}, ["*", "*", "*", "*", "*", "5", "0", "0"]),
    ({"day_of_week": "mon"}, ["*", "*", "*", "*", "mon", "0", "0", "0"]),
    ({"week": 5}, ["*", "*", "*", "5", "*", "0", "0", "0"]),
    ({"day": 5}, ["*", "*", "5", "*", "*", "0", "0", "0"]),
    ({"month": 5}, ["*", "5", "1", "*", "*", "0", "0", "0"]),
    ({"year": 2030}, ["2030", "1", "1", "*", "*", "0", "0", "0"]),
    ({"month": 5, "minute": 30}, ["*", "5", "*", "*", "*", "*", "30", "0"]),
    ({"year": 2030, "second": 1}, ["2030", "*", "*", "*", "*", "*", "*", "1"]),
]


@pytest.mark.parametrize(
    ("given_fields", "texts"), DEFAULTING, ids=[",".join(d[0]) or "none" for d in DEFAULTING]
)
def test_omitted_fields_default_like_apscheduler(
    given_fields: dict[str, object], texts: list[str]
) -> None:
    ours = CronTrigger(timezone=UTC, **given_fields)  # type: ignore[arg-type]
    theirs = aps_cron.CronTrigger(timezone=UTC, **given_fields)
    assert [str(f) for f in ours.fields] == texts
    assert [(f.name, str(f), f.is_default) for f in ours.fields] == [
        (f.name, str(f), f.is_default) for f in theirs.fields
    ]


_items = {
    "year": st.sampled_from(["*", "2030", "2030-2040", "*/3", "2025-2035/5"]),
    "month": st.sampled_from(["*", "1", "jan", "JAN-Mar", "*/2", "2-11/3", "6,jul"]),
    "day": st.sampled_from(["*", "1", "last", "3rd fri", "LAST Sun", "1-31/10", "15,20"]),
    "week": st.sampled_from(["*", "1", "53", "10-20", "*/4"]),
    "day_of_week": st.sampled_from(["*", "0", "mon-fri", "Sat,sun", "*/2", "1-5/2"]),
    "hour": st.sampled_from(["*", "0", "9-17", "*/6", "8/3", "1,13"]),
    "minute": st.sampled_from(["*", "0", "*/15", "5-50/5", "30", "1, 2"]),
    "second": st.sampled_from(["*", "0", "*/30", "59", "10-20"]),
}
cron_kwargs = st.fixed_dictionaries({}, optional=_items)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(cron_kwargs, st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kathmandu"]))
def test_fields_str_and_repr_equal_apscheduler(kwargs: dict[str, str], zone: str) -> None:
    ours = CronTrigger(timezone=zone, **kwargs)
    theirs = aps_cron.CronTrigger(timezone=zone, **kwargs)
    assert [(f.name, str(f), f.is_default) for f in ours.fields] == [
        (f.name, str(f), f.is_default) for f in theirs.fields
    ]
    assert str(ours) == str(theirs)
    assert repr(ours) == repr(theirs)


def test_repr_with_dates_and_jitter_equals_apscheduler() -> None:
    kwargs = dict(
        minute="*/10",
        hour="9-17",
        start_date="2024-05-01 10:00:00",
        end_date="2024-06-01",
        timezone=BERLIN,
        jitter=3,
    )
    ours, theirs = CronTrigger(**kwargs), aps_cron.CronTrigger(**kwargs)  # type: ignore[arg-type]
    assert (
        repr(ours)
        == repr(theirs)
        == (
            "<CronTrigger (hour='9-17', minute='*/10', start_date='2024-05-01 10:00:00 CEST', "
            "end_date='2024-06-01 00:00:00 CEST', jitter=3, timezone='Europe/Berlin')>"
        )
    )
    assert str(ours) == str(theirs) == "cron[hour='9-17', minute='*/10']"


def test_repr_shows_non_default_dst_policies() -> None:
    trigger = CronTrigger(hour=2, timezone=UTC, dst_gap="skip", dst_overlap="both")
    assert repr(trigger) == (
        "<CronTrigger (hour='2', dst_gap='skip', dst_overlap='both', timezone='UTC')>"
    )


def test_from_crontab_equals_the_keyword_form() -> None:
    ours = CronTrigger.from_crontab("*/5 9-17 1,15 jan-jun mon-fri", timezone=BERLIN)
    theirs = aps_cron.CronTrigger.from_crontab("*/5 9-17 1,15 jan-jun mon-fri", timezone=BERLIN)
    assert ours == CronTrigger(
        minute="*/5",
        hour="9-17",
        day="1,15",
        month="jan-jun",
        day_of_week="mon-fri",
        timezone=BERLIN,
    )
    assert repr(ours) == repr(theirs)


# --- state ------------------------------------------------------------------------------------


def sample_triggers() -> list[CronTrigger]:
    return [
        CronTrigger(minute="*/10", hour="9-17", timezone=BERLIN),
        CronTrigger(day="last fri", hour=18, timezone="America/New_York", jitter=5),
        CronTrigger(
            year="2030-2040/2",
            month="feb",
            day="last",
            timezone=UTC,
            start_date=datetime(2031, 1, 1, tzinfo=UTC),
            end_date=datetime(2039, 1, 1, tzinfo=UTC),
        ),
        CronTrigger(week=53, day_of_week="mon-fri/2", timezone="Asia/Kathmandu"),
        CronTrigger(hour=2, minute=30, timezone=BERLIN, dst_gap="skip", dst_overlap="last"),
    ]


@pytest.mark.parametrize("trigger", sample_triggers(), ids=repr)
def test_state_round_trips(trigger: CronTrigger) -> None:
    copy = CronTrigger.__new__(CronTrigger)
    copy.__setstate__(trigger.__getstate__())
    assert copy == trigger
    assert repr(copy) == repr(trigger)
    start = datetime(2030, 6, 1, tzinfo=UTC)
    if trigger.jitter is None:
        assert chain(copy, start, 10) == chain(trigger, start, 10)


@pytest.mark.parametrize("trigger", sample_triggers(), ids=repr)
def test_triggers_pickle(trigger: CronTrigger) -> None:
    copy = pickle.loads(pickle.dumps(trigger))
    assert copy == trigger
    assert copy.dst_gap == trigger.dst_gap and copy.dst_overlap == trigger.dst_overlap
    start = datetime(2030, 6, 1, tzinfo=UTC)
    if trigger.jitter is None:
        assert chain(copy, start, 10) == chain(trigger, start, 10)


APS_SPECS = [
    {"minute": "*/10", "hour": "9-17"},
    {"day": "last fri", "hour": 18},
    {"day": "3rd mon,last", "month": "jan-jun"},
    {"week": "10-20", "day_of_week": "sat,sun", "second": "*/30"},
    {"year": "2030-2040/2", "month": "feb", "day": "last"},
]


@pytest.mark.parametrize("spec", APS_SPECS, ids=str)
def test_state_written_by_apscheduler_gives_the_same_schedule(spec: dict[str, object]) -> None:
    theirs = aps_cron.CronTrigger(
        timezone="Europe/Berlin", start_date="2030-01-01", end_date="2045-01-01", **spec
    )
    ours = CronTrigger.__new__(CronTrigger)
    ours.__setstate__(theirs.__getstate__())
    direct = CronTrigger(
        timezone="Europe/Berlin", start_date="2030-01-01", end_date="2045-01-01", **spec
    )  # type: ignore[arg-type]
    assert ours == direct
    # away from DST transitions (June and July), APScheduler's own answers agree too
    start = datetime(2030, 6, 1, tzinfo=BERLIN)
    assert chain(ours, start, 15) == chain(direct, start, 15)
    ours_first = ours.get_next_fire_time(None, start)
    theirs_first = theirs.get_next_fire_time(None, start)
    assert ours_first == theirs_first


def test_apscheduler_3_0_tuple_state_loads() -> None:
    theirs = aps_cron.CronTrigger(hour=5, timezone=UTC)
    ours = CronTrigger.__new__(CronTrigger)
    ours.__setstate__((1, theirs.__getstate__()))
    assert ours == CronTrigger(hour=5, timezone=UTC)


def test_state_written_by_triggerkit_loads_into_apscheduler() -> None:
    # Downgrading keeps working: APScheduler 3.11 reads our fields through their interface.
    ours = CronTrigger(minute="*/10", hour="9-17", day="last fri,1", timezone=BERLIN)
    theirs = aps_cron.CronTrigger.__new__(aps_cron.CronTrigger)
    theirs.__setstate__(ours.__getstate__())
    start = datetime(2030, 6, 1, tzinfo=BERLIN)
    assert chain(theirs, start, 12) == chain(ours, start, 12)


def test_state_from_a_newer_version_is_refused() -> None:
    state = CronTrigger(hour=5, timezone=UTC).__getstate__()
    state["version"] = 3
    with pytest.raises(ValueError, match="version 3"):
        CronTrigger.__new__(CronTrigger).__setstate__(state)


def test_state_is_a_plain_dict_without_engine_objects() -> None:
    state = CronTrigger(hour=5, timezone=UTC).__getstate__()
    assert set(state) == {
        "version",
        "timezone",
        "start_date",
        "end_date",
        "fields",
        "jitter",
        "dst_gap",
        "dst_overlap",
    }
    assert state["version"] == 2


# --- start, end, now, time zones --------------------------------------------------------------


def test_the_search_starts_at_now_or_start_date_whichever_is_later() -> None:
    trigger = CronTrigger(
        minute=0, start_date=datetime(2024, 5, 1, 12, 30, tzinfo=UTC), timezone=UTC
    )
    assert trigger.get_next_fire_time(None, datetime(2024, 5, 1, tzinfo=UTC)) == datetime(
        2024, 5, 1, 13, tzinfo=UTC
    )
    assert trigger.get_next_fire_time(None, datetime(2024, 5, 2, tzinfo=UTC)) == datetime(
        2024, 5, 2, tzinfo=UTC
    )


def test_start_date_and_now_are_inclusive_and_fractions_round_up() -> None:
    trigger = CronTrigger(second="*/10", timezone=UTC)
    exact = datetime(2024, 5, 1, 12, 0, 10, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, exact) == exact
    assert trigger.get_next_fire_time(None, exact + timedelta(microseconds=1)) == exact + timedelta(
        seconds=10
    )


def test_the_previous_fire_time_is_never_returned_again() -> None:
    trigger = CronTrigger(second="*/10", timezone=UTC)
    previous = datetime(2024, 5, 1, 12, 0, 10, tzinfo=UTC)
    assert trigger.get_next_fire_time(previous, previous) == previous + timedelta(seconds=10)
    # with "now" earlier than the previous fire time, APScheduler starts from now
    earlier = previous - timedelta(seconds=25)
    assert trigger.get_next_fire_time(previous, earlier) == aps_cron.CronTrigger(
        second="*/10", timezone=UTC
    ).get_next_fire_time(previous, earlier)


def test_end_date_is_inclusive_and_ends_the_schedule() -> None:
    end = datetime(2024, 5, 1, 12, 20, tzinfo=UTC)
    trigger = CronTrigger(minute="*/10", end_date=end, timezone=UTC)
    assert chain(trigger, datetime(2024, 5, 1, 12, 1, tzinfo=UTC), 5) == [
        datetime(2024, 5, 1, 12, 10, tzinfo=UTC),
        end,
    ]


def test_the_zone_comes_from_start_or_end_date_when_not_given() -> None:
    assert CronTrigger(start_date=datetime(2024, 1, 1, tzinfo=BERLIN)).timezone == BERLIN
    assert CronTrigger(end_date=datetime(2030, 1, 1, tzinfo=BERLIN)).timezone == BERLIN
    assert CronTrigger(timezone="Europe/Berlin").timezone == BERLIN
    assert CronTrigger(timezone="UTC").timezone == UTC


def test_pytz_zones_become_zoneinfo() -> None:
    trigger = CronTrigger(hour=2, timezone=pytz.timezone("Europe/Berlin"))
    assert trigger.timezone == BERLIN


def test_fire_times_are_in_the_trigger_zone_whatever_the_zone_of_now() -> None:
    trigger = CronTrigger(hour=9, minute=0, timezone=BERLIN)
    found = trigger.get_next_fire_time(None, datetime(2024, 5, 1, tzinfo=ZoneInfo("Asia/Tokyo")))
    assert found is not None and found.tzinfo == BERLIN
    assert str(found) == "2024-05-01 09:00:00+02:00"


def test_dates_and_strings_are_read_in_the_trigger_zone() -> None:
    trigger = CronTrigger(
        hour=9, start_date=date(2024, 5, 3), end_date="2024-05-04 09:00:00", timezone=BERLIN
    )
    assert trigger.start_date == datetime(2024, 5, 3, tzinfo=BERLIN)
    assert chain(trigger, datetime(2024, 1, 1, tzinfo=UTC), 5) == [
        datetime(2024, 5, 3, 9, tzinfo=BERLIN),
        datetime(2024, 5, 4, 9, tzinfo=BERLIN),
    ]


# --- jitter -----------------------------------------------------------------------------------


def test_jitter_delays_by_at_most_jitter_seconds() -> None:
    trigger = CronTrigger(minute=0, timezone=UTC, jitter=30)
    exact = datetime(2024, 5, 1, 13, tzinfo=UTC)
    for _ in range(20):
        found = trigger.get_next_fire_time(None, datetime(2024, 5, 1, 12, 1, tzinfo=UTC))
        assert found is not None and exact <= found <= exact + timedelta(seconds=30)


def test_jitter_never_passes_the_end_date() -> None:
    end = datetime(2024, 5, 1, 13, 0, 1, tzinfo=UTC)
    trigger = CronTrigger(minute=0, timezone=UTC, jitter=300, end_date=end)
    for _ in range(20):
        found = trigger.get_next_fire_time(None, datetime(2024, 5, 1, 12, 1, tzinfo=UTC))
        assert found is not None and found <= end


# --- backwards --------------------------------------------------------------------------------


def test_prev_fire_time_is_strictly_before_unless_inclusive() -> None:
    trigger = CronTrigger(minute="*/15", timezone=UTC)
    at = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert trigger.get_prev_fire_time(at) == datetime(2024, 5, 1, 12, 15, tzinfo=UTC)
    assert trigger.get_prev_fire_time(at, inclusive=True) == at
    assert trigger.get_prev_fire_time(at + timedelta(microseconds=1)) == at


def test_prev_fire_time_respects_start_and_end_dates() -> None:
    trigger = CronTrigger(
        minute="*/15",
        timezone=UTC,
        start_date=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        end_date=datetime(2024, 5, 1, 13, 0, tzinfo=UTC),
    )
    assert trigger.get_prev_fire_time(datetime(2030, 1, 1, tzinfo=UTC)) == datetime(
        2024, 5, 1, 13, 0, tzinfo=UTC
    )
    assert trigger.get_prev_fire_time(datetime(2024, 5, 1, 12, 0, tzinfo=UTC)) is None
    assert trigger.get_prev_fire_time(
        datetime(2024, 5, 1, 12, 0, tzinfo=UTC), inclusive=True
    ) == datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_prev_fire_time_of_a_spec_that_never_fired_is_none() -> None:
    assert (
        CronTrigger(year=2030, timezone=UTC).get_prev_fire_time(datetime(2029, 1, 1, tzinfo=UTC))
        is None
    )


def test_equality_and_hash() -> None:
    a = CronTrigger(hour="9-17", minute="*/10", timezone=BERLIN)
    b = CronTrigger(hour="9-17", minute="*/10", timezone="Europe/Berlin")
    assert a == b and hash(a) == hash(b)
    assert a != CronTrigger(hour="9-17", minute="*/10", timezone=UTC)
    assert a != CronTrigger(hour="9-17", minute="*/10", timezone=BERLIN, dst_gap="skip")
