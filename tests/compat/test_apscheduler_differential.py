"""Differential tests against APScheduler 3.11, with the DST oracle where a transition intervenes.

Chains of 20 successive fire times (each computed from the previous one, as the scheduler does)
must equal APScheduler 3.11's when no DST transition lies between the start and the end of the
chains; when one does, ``docs/rules/dst.md`` decides, and the first-principles model in
``dst_oracle.py`` is the judge.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import apscheduler.triggers.combining as aps_combining
import apscheduler.triggers.cron as aps_cron
import apscheduler.triggers.date as aps_date
import apscheduler.triggers.interval as aps_interval
import pytest
from chains import CHAIN, chain
from diff_cases import (
    ZONE_NAMES,
    CronCase,
    compare_cron,
    find_transitions,
    instant,
    random_cron_case,
    random_crontab,
    random_start,
    real_instants_only,
    strictly_increasing,
)
from dst_oracle import oracle_fires, selector
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triggerkit.triggers.combining import AndTrigger, OrTrigger
from triggerkit.triggers.cron import CronTrigger
from triggerkit.triggers.date import DateTrigger
from triggerkit.triggers.interval import IntervalTrigger

# Each example draws its case from a seeded random.Random (printed on failure), so that the same
# builders serve the Hypothesis tests and the fixed-seed agreement measurement.
SEEDS = st.integers(0, 2**32).map(random.Random)
DIFF = settings(
    derandomize=True,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check_cron_case(case: CronCase, gap: str = "shift", overlap: str = "auto") -> None:
    ours_trigger = CronTrigger(timezone=case.tz, dst_gap=gap, dst_overlap=overlap, **case.kwargs)
    ours = chain(ours_trigger, case.start_datetime())
    theirs = chain(aps_cron.CronTrigger(timezone=case.tz, **case.kwargs), case.start_datetime())
    verdict = compare_cron(case, ours, theirs, gap, overlap)
    assert verdict.agrees, (case, verdict.detail)
    assert strictly_increasing(ours)
    assert real_instants_only(ours)


@DIFF
@given(SEEDS)
def test_cron_chains_equal_apscheduler_or_the_oracle(rnd: random.Random) -> None:
    check_cron_case(random_cron_case(rnd))


@DIFF
@given(SEEDS)
def test_dense_cron_chains_near_dst_transitions_equal_the_oracle(rnd: random.Random) -> None:
    check_cron_case(random_cron_case(rnd, dense=True, close=True))


@DIFF
@given(
    SEEDS,
    st.sampled_from(["shift", "skip"]),
    st.sampled_from(["auto", "first", "last", "both"]),
)
def test_dst_policies_equal_the_oracle_at_real_transitions(
    rnd: random.Random, gap: str, overlap: str
) -> None:
    case = random_cron_case(rnd, dense=True, close=True)
    ours = chain(
        CronTrigger(timezone=case.tz, dst_gap=gap, dst_overlap=overlap, **case.kwargs),
        case.start_datetime(),
    )
    if not ours:
        return
    horizon = instant(ours[-1]) if len(ours) == CHAIN else case.start + 3 * 86400
    expected = oracle_fires(case.sel, case.tz, case.start, horizon, gap, overlap)
    assert [instant(d) for d in ours if instant(d) <= horizon] == expected, case
    assert real_instants_only(ours)


@DIFF
@given(SEEDS, st.sampled_from(ZONE_NAMES))
def test_crontab_strings_equal_apscheduler_or_the_oracle(rnd: random.Random, zone: str) -> None:
    text, kwargs = random_crontab(rnd)
    assert (
        CronTrigger.from_crontab(text, zone).fields == CronTrigger(timezone=zone, **kwargs).fields
    )
    case = CronCase(kwargs, zone, random_start(rnd, zone), selector(**kwargs))
    ours = chain(CronTrigger.from_crontab(text, case.tz), case.start_datetime())
    theirs = chain(aps_cron.CronTrigger.from_crontab(text, case.tz), case.start_datetime())
    verdict = compare_cron(case, ours, theirs)
    assert verdict.agrees, (text, case, verdict.detail)


@DIFF
@given(
    SEEDS,
    st.sampled_from(ZONE_NAMES),
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(0, 30),
    st.integers(0, 90),
    st.integers(0, 200),
    st.sampled_from([0, 0.5, 0.25]),
)
def test_interval_chains_equal_apscheduler_everywhere(
    rnd: random.Random,
    zone: str,
    weeks: int,
    days: int,
    hours: int,
    minutes: int,
    seconds: int,
    fraction: float,
) -> None:
    # rule I: intervals are elapsed time, which is what APScheduler 3.11 does too.
    seconds_f = seconds + fraction
    if weeks == days == hours == minutes == 0 and seconds_f == 0:
        seconds_f = 1
    tz = ZoneInfo(zone)
    start = datetime.fromtimestamp(random_start(rnd, zone), tz)
    # ``now`` is a real instant (UTC arithmetic): for a non-existent wall time APScheduler 3.11
    # compares wall clocks where triggerkit compares instants (see test_interval_trigger.py).
    offset = timedelta(seconds=rnd.choice([0, -100, 3600 * 30, 86400 * 5]))
    now = (start.astimezone(timezone.utc) + offset).astimezone(tz)
    kwargs = dict(
        weeks=weeks,
        days=days,
        hours=hours,
        minutes=minutes,
        seconds=seconds_f,
        start_date=start,
        timezone=tz,
    )
    ours = chain(IntervalTrigger(**kwargs), now)  # type: ignore[arg-type]
    theirs = chain(aps_interval.IntervalTrigger(**kwargs), now)
    assert [d.astimezone(timezone.utc) for d in ours] == [
        d.astimezone(timezone.utc) for d in theirs
    ]
    assert [d.utcoffset() for d in ours] == [d.utcoffset() for d in theirs]
    assert real_instants_only(ours)


@DIFF
@given(
    st.sampled_from(ZONE_NAMES),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
    st.sampled_from(["datetime", "naive", "date", "text"]),
)
def test_date_triggers_equal_apscheduler(zone: str, when: datetime, form: str) -> None:
    tz = ZoneInfo(zone)
    when = when.replace(microsecond=0)
    run_date: object
    if form == "datetime":
        run_date = when.replace(tzinfo=tz)
    elif form == "naive":
        run_date = when
    elif form == "date":
        run_date = when.date()
    else:
        run_date = when.strftime("%Y-%m-%d %H:%M:%S")
    ours = DateTrigger(run_date, tz)  # type: ignore[arg-type]
    theirs = aps_date.DateTrigger(run_date, tz)
    now = datetime(1999, 1, 1, tzinfo=timezone.utc)
    mine, aps = ours.get_next_fire_time(None, now), theirs.get_next_fire_time(None, now)
    assert mine is not None and aps is not None
    # rule L: a naive time reads with fold=0, as APScheduler 3.11's replace(tzinfo=...) does
    assert mine.astimezone(timezone.utc) == aps.astimezone(timezone.utc)
    assert ours.get_next_fire_time(mine, now) is None
    assert theirs.get_next_fire_time(aps, now) is None


def _no_transition(tz: ZoneInfo, lo: int, hi: int) -> bool:
    return not find_transitions(tz, lo - 1, hi + 1)


@DIFF
@given(SEEDS)
def test_or_combinations_equal_apscheduler_or_the_oracle(rnd: random.Random) -> None:
    first = random_cron_case(rnd)
    tz = first.tz
    children_ours: list[object] = [CronTrigger(timezone=tz, **first.kwargs)]
    children_aps: list[object] = [aps_cron.CronTrigger(timezone=tz, **first.kwargs)]
    sels = [first.sel]
    for _ in range(rnd.randint(1, 2)):
        kind = rnd.choice(["cron", "cron", "interval", "date"])
        if kind == "cron":
            other = random_cron_case(rnd)
            children_ours.append(CronTrigger(timezone=tz, **other.kwargs))
            children_aps.append(aps_cron.CronTrigger(timezone=tz, **other.kwargs))
            sels.append(other.sel)
        elif kind == "interval":
            seconds = rnd.randint(1, 86400 * 3)
            start = first.start_datetime() + timedelta(seconds=rnd.randint(-(10**6), 10**6))
            children_ours.append(IntervalTrigger(seconds=seconds, start_date=start, timezone=tz))
            children_aps.append(
                aps_interval.IntervalTrigger(seconds=seconds, start_date=start, timezone=tz)
            )
            sels.append(None)
        else:
            when = first.start_datetime() + timedelta(seconds=rnd.randint(0, 10**6))
            children_ours.append(DateTrigger(when, tz))
            children_aps.append(aps_date.DateTrigger(when, tz))
            sels.append(None)
    start = first.start_datetime()
    ours = chain(OrTrigger(children_ours), start)  # type: ignore[arg-type]
    theirs = chain(aps_combining.OrTrigger(children_aps), start)
    assert strictly_increasing(ours)
    if not ours:
        assert not theirs
        return
    horizon = instant(ours[-1])
    if _no_transition(tz, first.start - 6 * 3600, max(horizon, instant(theirs[-1]))):
        assert [(instant(d), d.utcoffset()) for d in ours] == [
            (instant(d), d.utcoffset()) for d in theirs
        ]
    elif all(s is not None for s in sels):
        expected = sorted(
            {t for s in sels for t in oracle_fires(s, tz, first.start, horizon)}  # type: ignore[arg-type]
        )
        assert [instant(d) for d in ours] == expected


@DIFF
@given(SEEDS)
def test_and_combinations_equal_apscheduler_or_the_oracle(rnd: random.Random) -> None:
    first = random_cron_case(rnd, dense=rnd.random() < 0.5)
    other = random_cron_case(rnd, dense=True)
    tz = first.tz
    # The second child shares the first one's time fields often enough to agree sometimes.
    kwargs2 = dict(other.kwargs)
    for name in ("hour", "minute", "second"):
        if rnd.random() < 0.5 and name in first.kwargs:
            kwargs2[name] = first.kwargs[name]
    ours_and = AndTrigger(
        [CronTrigger(timezone=tz, **first.kwargs), CronTrigger(timezone=tz, **kwargs2)]
    )
    sel1, sel2 = first.sel, selector(**kwargs2)
    start = first.start_datetime()
    ours = chain(ours_and, start, 5)
    assert strictly_increasing(ours)
    horizon = instant(ours[-1]) if len(ours) == 5 else first.start + 8 * 86400
    horizon = min(horizon, first.start + 8 * 86400)  # keeps the oracle's walk short
    expected = sorted(
        set(oracle_fires(sel1, tz, first.start, horizon))
        & set(oracle_fires(sel2, tz, first.start, horizon))
    )
    if any(
        not getattr(sel1, name) & getattr(sel2, name)
        for name in ("months", "weeks", "hours", "minutes")
    ) or not set(sel1.seconds) & set(sel2.seconds):
        # Deliberate: children whose fields share no value never agree, so AndTrigger returns
        # None up front, even though both would fire at a gap's transition instant (rule G).
        expected = []
    assert [instant(d) for d in ours if instant(d) <= horizon] == expected
    if len(ours) == 5 and _no_transition(tz, first.start - 6 * 3600, instant(ours[-1])):
        # APScheduler 3.11 loops forever with a previous fire time whenever its children
        # disagree; asked from "now" instead it moves forward, so compare that way.
        aps_and = aps_combining.AndTrigger(
            [
                aps_cron.CronTrigger(timezone=tz, **first.kwargs),
                aps_cron.CronTrigger(timezone=tz, **kwargs2),
            ]
        )
        theirs = []
        now = start
        for _ in ours:
            found = aps_and.get_next_fire_time(None, now)
            theirs.append(found)
            now = found + timedelta(microseconds=1)
        assert [instant(d) for d in ours] == [instant(d) for d in theirs]


@pytest.mark.parametrize("zone", ZONE_NAMES)
def test_a_chain_from_each_zone_equals_apscheduler_away_from_dst(zone: str) -> None:
    tz = ZoneInfo(zone)
    start = datetime(2021, 6, 15, 0, 0, 30, tzinfo=tz)  # no zone here changes offset mid-June
    case = CronCase(
        {"minute": "*/7", "hour": "9-17"}, zone, instant(start), selector(minute="*/7", hour="9-17")
    )
    check_cron_case(case)
