"""The kernels' datetime layer answers exactly as the general search of ``_tz`` does.

``next_datetime``/``prev_datetime`` read an aware datetime's fields, convert them with a fixed
offset or the zone's verified transition table, search and build the result; whatever they
leave to ``_tz`` they return as ``False``. Whenever they answer, the answer must be the general
path's (``_tz.next_fire``/``prev_fire`` on the instant, then ``_tz.to_datetime``), with the
same offset and fold. Runs on both engines.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from kernel_strategies import masks

from triggerkit import _tz

UTC = timezone.utc
ZONES: list[tzinfo] = [
    UTC,
    timezone(timedelta(hours=5, minutes=45)),
    timezone(-timedelta(hours=3)),
    ZoneInfo("UTC"),
    ZoneInfo("Etc/GMT+5"),
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Australia/Lord_Howe"),
    ZoneInfo("America/Havana"),
    ZoneInfo("Pacific/Apia"),
    ZoneInfo("Asia/Kathmandu"),
]
SHARED = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
moments = st.one_of(
    st.datetimes(datetime(1960, 1, 1), datetime(2045, 1, 1)),
    st.sampled_from([datetime(2026, 3, 29, 2), datetime(2026, 10, 25, 2)]).flatmap(
        lambda d: st.datetimes(d - timedelta(hours=4), d + timedelta(hours=4))
    ),  # around Europe's 2026 transitions
    st.datetimes(datetime(1, 1, 2), datetime(1, 1, 5)),
    st.datetimes(datetime(9999, 12, 28), datetime(9999, 12, 30)),
)


def general_next(spec: Any, zone: _tz.Zone, after: datetime, inclusive: bool) -> datetime | None:
    seconds, micro = _tz.from_datetime(after)
    if micro or not inclusive:
        seconds += 1
    found = _tz.next_fire(spec, zone, seconds)
    if found is None or not -62135596800 <= found <= 253402300799:
        return None
    return _tz.to_datetime(found, zone.tz)


def general_prev(spec: Any, zone: _tz.Zone, before: datetime, inclusive: bool) -> datetime | None:
    seconds, micro = _tz.from_datetime(before)
    if not micro and not inclusive:
        seconds -= 1
    found = _tz.prev_fire(spec, zone, seconds)
    if found is None or not -62135596800 <= found <= 253402300799:
        return None
    return _tz.to_datetime(found, zone.tz)


def same(found: datetime | None, expected: datetime | None) -> bool:
    """Equal as instants, and in the same zone with the same wall clock, offset and fold."""
    if found is None or expected is None:
        return found is expected
    return (
        found.tzinfo is expected.tzinfo
        and found.replace(tzinfo=None) == expected.replace(tzinfo=None)
        and found.fold == expected.fold
        and found.utcoffset() == expected.utcoffset()
    )


@settings(deadline=None, max_examples=150, suppress_health_check=SHARED)
@given(
    args=masks(),
    tz=st.sampled_from(ZONES),
    wall=moments,
    fold=st.sampled_from([0, 1]),
    in_utc=st.booleans(),
    micro=st.sampled_from([0, 0, 1, 999999]),
    inclusive=st.booleans(),
)
@example(
    args=(((1, 9999, 1),), 0x1FFE, 0xFFFFFFFE, 0, 0, 0, 0, 0, 0x7F, ((1 << 54) - 1) & ~1)
    + (1 << 2, 1, 1, 0),
    tz=ZoneInfo("Europe/Berlin"),
    wall=datetime(2026, 3, 29, 1, 30),
    fold=0,
    in_utc=False,
    micro=0,
    inclusive=False,
)  # 02:00 does not exist that night: rule G, left to the general path
def test_the_datetime_layer_answers_as_the_general_search(
    engine: ModuleType,
    args: tuple[Any, ...],
    tz: tzinfo,
    wall: datetime,
    fold: int,
    in_utc: bool,
    micro: int,
    inclusive: bool,
) -> None:
    spec = engine.compile_spec(*args)
    assume(engine.is_feasible(spec))
    zone = _tz.zone_for(tz)
    rules = zone.rules(engine)
    try:
        moment = wall.replace(tzinfo=tz, fold=fold, microsecond=micro)
        if in_utc:
            moment = moment.astimezone(UTC)
    except OverflowError:
        assume(False)
        raise  # pragma: no cover
    found = engine.next_datetime(spec, rules, moment, inclusive)
    if found is not False:
        assert same(found, general_next(spec, zone, moment, inclusive))
    found = engine.prev_datetime(spec, rules, moment, inclusive)
    if found is not False:
        assert same(found, general_prev(spec, zone, moment, inclusive))


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_the_datetime_layer_answers_most_searches_itself(engine: ModuleType, tz: tzinfo) -> None:
    # every 15 minutes on weekdays, from dates away from transitions: no general path needed
    args = (((1, 9999, 1),), 0x1FFE, 0xFFFFFFFE, 0, 0, 0, 0, 0, 0x1F, ((1 << 54) - 1) & ~1)
    spec = engine.compile_spec(*args, 0xFFFFFF, 1 | 1 << 15 | 1 << 30 | 1 << 45, 1, 0)
    rules = _tz.zone_for(tz).rules(engine)
    for month in (1, 5, 8, 12):
        moment = datetime(2026, month, 14, 10, 7, tzinfo=tz)
        found = engine.next_datetime(spec, rules, moment, False)
        assert found == datetime(2026, month, 14, 10, 15, tzinfo=tz)
        assert engine.prev_datetime(spec, rules, moment, False) == moment.replace(minute=0)
        # the same instant given in UTC
        assert engine.next_datetime(spec, rules, moment.astimezone(UTC), False) == found


def test_a_datetime_in_another_zone_is_left_to_the_general_path(engine: ModuleType) -> None:
    args = (((1, 9999, 1),), 0x1FFE, 0xFFFFFFFE, 0, 0, 0, 0, 0, 0x7F, ((1 << 54) - 1) & ~1)
    spec = engine.compile_spec(*args, 1, 1, 1, 0)
    rules = _tz.zone_for(ZoneInfo("Europe/Berlin")).rules(engine)
    tokyo = datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert engine.next_datetime(spec, rules, tokyo, False) is False
    with pytest.raises(TypeError):
        engine.next_datetime(spec, rules, "2026-01-01", False)
