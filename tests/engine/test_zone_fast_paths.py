"""The fast offset and conversion paths of ``_tz`` give exactly the reference answers."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from kernel_strategies import masks

from triggerkit import _engine, _tz

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_NAIVE = datetime(1970, 1, 1)
# DST at 2:00 and 1:00, a 30-minute DST (Lord Howe), a skipped day (Apia, 2011-12-30),
# odd offsets (St John's, Kathmandu), DST suspended in Ramadan (Casablanca).
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "America/St_Johns",
    "Asia/Kathmandu",
    "Africa/Casablanca",
]
instants = st.one_of(
    st.integers(_tz._MIN_T, _tz._MAX_T),
    st.integers(0, 4102444800),
    st.integers(_tz._FAST_HI - 86400, _tz._FAST_HI + 86400),
    st.integers(-86400, 86400),
)


def seconds(delta: timedelta | None) -> int:
    return 0 if delta is None else delta.days * 86400 + delta.seconds


def reference_offset(tz: tzinfo, t: int) -> int:
    t = min(max(t, _tz._MIN_T), _tz._MAX_T)
    return seconds((EPOCH + timedelta(seconds=t)).astimezone(tz).utcoffset())


def reference_wall_offsets(tz: tzinfo, w: int) -> tuple[int, int]:
    w = min(max(w, _tz._MIN_T), _tz._MAX_T)
    local = (EPOCH_NAIVE + timedelta(seconds=w)).replace(tzinfo=tz)
    return seconds(local.utcoffset()), seconds(local.replace(fold=1).utcoffset())


@pytest.mark.parametrize("key", ZONES)
@settings(deadline=None, max_examples=150)
@given(t=instants)
def test_zone_offsets_equal_the_reference_arithmetic(key: str, t: int) -> None:
    tz = ZoneInfo(key)
    zone = _tz.Zone(tz)
    assert zone.offset_at(t) == reference_offset(tz, t)
    assert zone.wall_offsets(t) == reference_wall_offsets(tz, t)


@pytest.mark.parametrize("key", ZONES)
def test_zone_offsets_equal_the_reference_around_every_transition(key: str) -> None:
    tz = ZoneInfo(key)
    zone = _tz.Zone(tz)
    for year in (1970, 1996, 2011, 2024, 2026, 2037, 2038, 2100):
        t = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
        step = 86400 * 7
        for _ in range(53):
            if reference_offset(tz, t) != reference_offset(tz, t + step):
                edge = zone.transition(t, t + step)
                for u in range(edge - 7200, edge + 7200, 900):
                    assert zone.offset_at(u) == reference_offset(tz, u)
                    assert zone.wall_offsets(u) == reference_wall_offsets(tz, u)
                    assert zone.wall_offsets(u + 3600) == reference_wall_offsets(tz, u + 3600)
            t += step


@pytest.mark.parametrize("key", ["UTC", *ZONES])
@settings(deadline=None, max_examples=150)
@given(t=instants, micro=st.integers(0, 999999))
def test_datetime_conversions_equal_the_reference_arithmetic(key: str, t: int, micro: int) -> None:
    tz: tzinfo = UTC if key == "UTC" else ZoneInfo(key)
    expected = (EPOCH + timedelta(seconds=t)).astimezone(tz)
    found = _tz.to_datetime(t, tz)
    assert (found, found.fold, found.tzinfo) == (expected, expected.fold, expected.tzinfo)
    assert found.utcoffset() == expected.utcoffset()
    moment = expected + timedelta(microseconds=micro)
    assert _tz.from_datetime(moment) == ((moment - EPOCH) // timedelta(seconds=1), micro)


ALL_KEYS = sorted(zoneinfo.available_timezones())


@settings(deadline=None, max_examples=600)
@given(key=st.sampled_from(ALL_KEYS), t=instants, shift=st.integers(-7200, 7200))
def test_transition_tables_agree_with_zoneinfo_in_every_zone(key: str, t: int, shift: int) -> None:
    tz = ZoneInfo(key)
    zone = _tz.zone_for(tz)
    assert zone.offset_at(t) == reference_offset(tz, t)
    assert zone.wall_offsets(t + shift) == reference_wall_offsets(tz, t + shift)


def test_a_zone_with_rules_searches_a_transition_table() -> None:
    zone = _tz.Zone(ZoneInfo("Europe/Berlin"))
    zone.offset_at(0)
    assert isinstance(zone._table, _tz._Transitions)
    # 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST
    assert zone.offset_at(1774746000 - 1) == 3600 and zone.offset_at(1774746000) == 7200
    assert zone.wall_offsets(1774746000 + 3600 + 1800) == (3600, 7200)  # 02:30, in the gap


def test_an_uncached_zoneinfo_is_asked_directly() -> None:
    tz = ZoneInfo.no_cache("Europe/Berlin")
    zone = _tz.Zone(tz)
    assert zone.offset_at(1774746000) == 7200
    assert zone._table is None


SEARCH_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "Africa/Casablanca",
    "America/St_Johns",
    "Asia/Tehran",
    "Antarctica/Troll",
]


@settings(deadline=None, max_examples=400)
@given(
    key=st.one_of(st.sampled_from(SEARCH_ZONES), st.sampled_from(ALL_KEYS)),
    args=masks(plain=True),
    start=st.one_of(
        st.integers(0, 2200000000),
        st.sampled_from([1774746000, 1792890000]).flatmap(
            lambda t: st.integers(t - 7 * 3600, t + 7 * 3600)
        ),  # around Berlin's 2026 transitions
    ),
    fold0=st.booleans(),
    fold1=st.booleans(),
    gap_shift=st.booleans(),
)
def test_the_table_shortcut_answers_as_the_general_search(
    key: str, args: tuple[Any, ...], start: int, fold0: bool, fold1: bool, gap_shift: bool
) -> None:
    spec = _engine.kernel.compile_spec(*args)
    assume(_engine.kernel.is_feasible(spec))
    zone = _tz.zone_for(ZoneInfo(key))
    found = (
        _tz.next_fire(spec, zone, start, fold0, fold1, gap_shift),
        _tz.prev_fire(spec, zone, start, fold0, fold1, gap_shift),
    )
    _tz._SHORTCUT = False
    try:
        expected = (
            _tz.next_fire(spec, zone, start, fold0, fold1, gap_shift),
            _tz.prev_fire(spec, zone, start, fold0, fold1, gap_shift),
        )
    finally:
        _tz._SHORTCUT = True
    assert found == expected


@settings(deadline=None, max_examples=400)
@given(
    key=st.one_of(st.sampled_from(SEARCH_ZONES), st.sampled_from(ALL_KEYS)),
    wall=st.one_of(
        st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1)),
        st.sampled_from([datetime(2026, 3, 29, 2), datetime(2026, 10, 25, 2)]).flatmap(
            lambda d: st.datetimes(d - timedelta(hours=3), d + timedelta(hours=3))
        ),  # Berlin's 2026 gap and overlap
    ),
    fold=st.sampled_from([0, 1]),
)
def test_instants_read_through_the_table_equal_datetime_arithmetic(
    key: str, wall: datetime, fold: int
) -> None:
    tz = ZoneInfo(key)
    zone = _tz.zone_for(tz)
    zone.table()
    moment = wall.replace(tzinfo=tz, fold=fold)
    assert _tz.from_datetime(moment, zone) == _tz.from_datetime(moment)
    assert _tz.from_datetime(moment.astimezone(UTC), zone) == _tz.from_datetime(moment)
