"""Backward search is the exact inverse of forward search.

Every test retraces a forward run: for fire times f1 < f2 < ... from ``get_next_fire_time``
chains, ``get_prev_fire_time(f[k+1]) == f[k]``, in zones with DST transitions, with every DST
policy; and the kernel's ``prev_match``/``next_match`` invert each other on wall-clock seconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import ModuleType
from zoneinfo import ZoneInfo

from chains import chain
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triggerkit.strategies import DST_ZONES
from triggerkit.triggers.cron import CronTrigger

UTC = timezone.utc
ZONES = ("UTC",) + DST_ZONES  # the shared DST zone list, UTC as a control
# Transition instants (UTC) to start near: Berlin 2016-03-27 01:00 and 2016-10-30 01:00,
# New York 2013-11-03 06:00, Lord Howe 2023-09-30 15:30, Santiago 2022-09-11 04:00 and
# 2022-04-03 03:00, Havana 2023-11-05 05:00, Chatham 2023-04-01 14:00, Apia 2011-12-30 10:00.
NEAR = [
    datetime(2016, 3, 27, 1, tzinfo=UTC),
    datetime(2016, 10, 30, 1, tzinfo=UTC),
    datetime(2013, 11, 3, 6, tzinfo=UTC),
    datetime(2023, 9, 30, 15, 30, tzinfo=UTC),
    datetime(2022, 9, 11, 4, tzinfo=UTC),
    datetime(2022, 4, 3, 3, tzinfo=UTC),
    datetime(2023, 11, 5, 5, tzinfo=UTC),
    datetime(2023, 4, 1, 14, tzinfo=UTC),
    datetime(2011, 12, 30, 10, tzinfo=UTC),
]

_items = {
    "month": st.sampled_from(["*", "3", "jan-jun", "*/2", "4,9-12"]),
    "day": st.sampled_from(["*", "1", "last", "2nd sun", "last sat", "1-31/3", "11,30"]),
    "week": st.sampled_from(["*", "13", "1-53/2"]),
    "day_of_week": st.sampled_from(["*", "sun", "mon-fri", "5-6", "*/3"]),
    "hour": st.sampled_from(["*", "0", "1-3", "*/5", "2", "23", "0,12"]),
    "minute": st.sampled_from(["*", "0", "*/15", "30", "5-50/9", "45"]),
    "second": st.sampled_from(["0", "*/20", "59", "*"]),
}
cron_kwargs = st.fixed_dictionaries({}, optional=_items)
starts = st.one_of(
    st.builds(
        lambda t, d: t + timedelta(seconds=d),
        st.sampled_from(NEAR),
        st.integers(-3 * 86400, 3 * 86400),
    ),
    st.datetimes(datetime(2010, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)),
)
BACKWARD = settings(
    derandomize=True, max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@BACKWARD
@given(
    cron_kwargs,
    st.sampled_from(ZONES),
    starts,
    st.sampled_from(["shift", "skip"]),
    st.sampled_from(["auto", "first", "last", "both"]),
)
def test_prev_retraces_every_forward_chain(
    kwargs: dict[str, str], zone: str, start: datetime, gap: str, overlap: str
) -> None:
    trigger = CronTrigger(timezone=zone, dst_gap=gap, dst_overlap=overlap, **kwargs)
    fires = chain(trigger, start, 20)
    for earlier, later in zip(fires, fires[1:], strict=False):
        back = trigger.get_prev_fire_time(later)
        assert back == earlier
        assert back is not None and back.utcoffset() == earlier.utcoffset()
        assert trigger.get_prev_fire_time(later, inclusive=True) == later
        # between two successive fire times, the previous fire time is always the earlier one
        # (in UTC: same-zone datetimes subtract and add as wall clocks)
        a, b = earlier.astimezone(UTC), later.astimezone(UTC)
        middle = a + (b - a) / 2
        if middle > a:
            assert trigger.get_prev_fire_time(middle, inclusive=True) == earlier
    if fires:
        # nothing fires between the start and the first fire time
        before_first = trigger.get_prev_fire_time(fires[0])
        assert before_first is None or before_first < start


@BACKWARD
@given(cron_kwargs, st.sampled_from(ZONES), starts)
def test_forward_retraces_every_backward_chain(
    kwargs: dict[str, str], zone: str, start: datetime
) -> None:
    trigger = CronTrigger(timezone=zone, **kwargs)
    backwards = []
    at = start
    for _ in range(15):
        found = trigger.get_prev_fire_time(at)
        if found is None:
            break
        backwards.append(found)
        at = found
    for later, earlier in zip(backwards, backwards[1:], strict=False):
        assert trigger.get_next_fire_time(earlier, earlier) == later


def test_prev_retraces_a_chain_across_apias_skipped_day() -> None:
    # Pacific/Apia 2011-12-30 10:00 UTC: 2011-12-29 24:00 -10 -> 2011-12-31 00:00 +14
    trigger = CronTrigger(hour="*/6", timezone=ZoneInfo("Pacific/Apia"))
    fires = chain(trigger, datetime(2011, 12, 29, tzinfo=ZoneInfo("Pacific/Apia")), 10)
    assert "2011-12-31 00:00:00+14:00" in [str(f) for f in fires]
    for earlier, later in zip(fires, fires[1:], strict=False):
        assert trigger.get_prev_fire_time(later) == earlier


# --- the kernel -------------------------------------------------------------------------------

LO = -2208988800  # 1900-01-01 as local epoch seconds
HI = 4102444800  # 2100-01-01


@settings(
    derandomize=True,
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)  # the same kernel each time
@given(cron_kwargs, st.integers(LO, HI))
def test_kernel_next_and_prev_match_invert_each_other(
    engine: ModuleType, kwargs: dict[str, str], t: int
) -> None:
    masks = CronTrigger(timezone=UTC, **kwargs)._core.masks
    spec = engine.compile_spec(*masks)
    n = engine.next_match(spec, t)
    if n is not None:
        assert n >= t
        assert engine.matches(spec, n)
        assert engine.prev_match(spec, n) == n
        before = engine.prev_match(spec, n - 1)
        assert before is None or before < t  # nothing selected in [t, n)
    p = engine.prev_match(spec, t)
    if p is not None:
        assert p <= t
        assert engine.matches(spec, p)
        assert engine.next_match(spec, p) == p
        after = engine.next_match(spec, p + 1)
        assert after is None or after > t  # nothing selected in (p, t]
    # without a year field, a feasible spec fires again within a few years
    assert (n is not None) == bool(engine.is_feasible(spec))
