"""``triggerkit.util``: exact instants in every year (issue #13, item 3)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from triggerkit.util import localize, normalize

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")

naive_times = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9999, 12, 30))


@settings(max_examples=300, deadline=None)
@given(naive_times)
def test_localize_keeps_every_microsecond_in_utc(value: datetime) -> None:
    assert localize(value, UTC).replace(tzinfo=None) == value


@settings(max_examples=300, deadline=None)
@given(naive_times, st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Kolkata"]))
def test_normalize_moves_a_time_by_whole_seconds_only(value: datetime, zone: str) -> None:
    result = normalize(value.replace(tzinfo=ZoneInfo(zone)))
    assert result.microsecond == value.microsecond
    assert result.replace(tzinfo=None) - value in (timedelta(0), timedelta(hours=1))


def test_far_future_microseconds_survive() -> None:
    assert localize(datetime(2300, 1, 1, 0, 0, 0, 7), UTC).microsecond == 7
    late = normalize(datetime(5000, 6, 1, 12, 0, 59, 999999, tzinfo=BERLIN))
    assert late == datetime(5000, 6, 1, 12, 0, 59, 999999, tzinfo=BERLIN)


def test_a_gap_time_moves_forward_exactly() -> None:
    # 2030-03-31 02:30 does not exist in Berlin: rule L reads it with the offset before (+1)
    moved = normalize(datetime(2030, 3, 31, 2, 30, 0, 123457, tzinfo=BERLIN))
    assert moved.replace(tzinfo=None) == datetime(2030, 3, 31, 3, 30, 0, 123457)
