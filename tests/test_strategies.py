"""The public Hypothesis strategies produce what they promise."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from triggerkit import Cron, validate
from triggerkit.strategies import (
    DST_ZONES,
    cron_expressions,
    datetimes_near_transitions,
    dst_timezones,
    fire_times,
)

PROFILE = settings.get_profile("toolkit")


@settings(PROFILE, max_examples=200)
@given(
    case=st.sampled_from(["posix", "quartz", "aps"]).flatmap(
        lambda d: st.tuples(st.just(d), cron_expressions(d))
    )
)
def test_valid_expressions_parse(case: tuple[str, str]) -> None:
    dialect, expr = case
    assert validate(expr, dialect).ok


@settings(PROFILE, max_examples=100)
@given(
    case=st.sampled_from(["posix", "quartz", "aps"]).flatmap(
        lambda d: st.tuples(st.just(d), cron_expressions(d, valid=False))
    )
)
def test_invalid_expressions_do_not_parse(case: tuple[str, str]) -> None:
    dialect, expr = case
    assert not validate(expr, dialect).ok


@settings(PROFILE, max_examples=50)
@given(t=fire_times("30 2 * * *", tz="Europe/Berlin"))
def test_fire_times_are_fire_times(t: datetime) -> None:
    assert Cron("30 2 * * *", "Europe/Berlin").match(t)
    assert t.tzinfo is not None


def test_fire_times_refuses_a_schedule_that_never_fires() -> None:
    try:
        fire_times("0 0 30 2 *")
    except ValueError as exc:
        assert "never fires" in str(exc)
    else:
        raise AssertionError("expected ValueError")


@settings(PROFILE, max_examples=30)
@given(zone=dst_timezones())
def test_dst_timezones_have_transitions(zone: object) -> None:
    key = zone.key  # type: ignore[attr-defined]
    assert key in DST_ZONES


@settings(PROFILE, max_examples=100)
@given(t=datetimes_near_transitions(within=timedelta(hours=2)))
def test_datetimes_near_transitions_are_near_one(t: datetime) -> None:
    assert t.tzinfo is not None
    instant = t.astimezone(timezone.utc)  # shift on the UTC timeline, not the wall clock
    before = (instant - timedelta(hours=2, seconds=1)).astimezone(t.tzinfo)
    after = (instant + timedelta(hours=2)).astimezone(t.tzinfo)
    assert before.utcoffset() != after.utcoffset()


@settings(PROFILE, max_examples=20)
@given(t=datetimes_near_transitions("America/New_York"))
def test_a_zone_can_be_chosen(t: datetime) -> None:
    assert str(t.tzinfo) == "America/New_York"


def test_a_missing_hypothesis_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "try:\n    import triggerkit.strategies\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "pip install 'triggerkit-cron[hypothesis]'" in done.stdout
