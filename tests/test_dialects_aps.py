"""The aps dialect is APScheduler 3's ``CronTrigger.from_crontab``: checked against our own
CronTrigger exactly, and against APScheduler 3.11 itself away from DST transitions (at
transitions triggerkit follows rules G and O, where APScheduler 3.11 does not)."""

from __future__ import annotations

from datetime import datetime, timezone
from itertools import islice
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest
from chains import chain
from hypothesis import given, settings
from hypothesis import strategies as st
from peers import COUNT, apscheduler_times, ours, run, touches_a_transition

from triggerkit import Cron
from triggerkit.errors import CronSpecError
from triggerkit.strategies import DST_ZONES, cron_expressions, invalid_cron_expressions
from triggerkit.triggers.cron import CronTrigger

ZONES = st.sampled_from(("UTC",) + DST_ZONES).map(ZoneInfo)
STARTS = st.datetimes(datetime(1990, 1, 1), datetime(2060, 1, 1))
UTC = timezone.utc


@settings(settings.get_profile("toolkit"), max_examples=300)
@given(expr=cron_expressions("aps"), zone=ZONES, start=STARTS)
def test_aps_equals_apscheduler_3_away_from_transitions(
    engine: ModuleType, expr: str, zone: ZoneInfo, start: datetime
) -> None:
    start = start.replace(tzinfo=zone)
    theirs = run(lambda: apscheduler_times(expr, zone, start))
    assert theirs is not None, f"APScheduler 3.11 rejects {expr!r}"
    if touches_a_transition(zone, start, theirs):
        return  # rules G and O differ from APScheduler 3.11 on purpose (docs/dialects.md)
    assert ours(expr, "aps", zone, start) == theirs


@settings(settings.get_profile("toolkit"), max_examples=200)
@given(expr=cron_expressions("aps"), zone=ZONES, start=STARTS)
def test_aps_equals_our_crontrigger_from_crontab_everywhere(
    engine: ModuleType, expr: str, zone: ZoneInfo, start: datetime
) -> None:
    start = start.replace(tzinfo=zone)
    cron = Cron(expr, zone, "aps")
    trigger = CronTrigger.from_crontab(expr, zone)
    assert cron.to_trigger() == trigger
    expected = chain(trigger, start, COUNT)
    assert list(islice(cron.iter(start), COUNT)) == expected


@settings(settings.get_profile("toolkit"), max_examples=200)
@given(bad=invalid_cron_expressions("aps"))
def test_aps_rejects_what_from_crontab_rejects(bad: object) -> None:
    expr = bad.expr  # type: ignore[attr-defined]
    with pytest.raises(CronSpecError):
        CronTrigger.from_crontab(expr, "UTC")
    with pytest.raises(CronSpecError) as info:
        Cron(expr, dialect="aps")
    assert info.value.span is not None


@pytest.mark.parametrize(
    ("expr", "first_two"),
    [
        ("0 9 * * 0", ["Mon 2026-01-05", "Mon 2026-01-12"]),  # 0 = Monday
        ("0 9 * * sun", ["Sun 2026-01-04", "Sun 2026-01-11"]),
        ("0 9 13 * fri", ["Fri 2026-02-13", "Fri 2026-03-13"]),  # day AND day_of_week
        ("0 9 last * *", ["Sat 2026-01-31", "Sat 2026-02-28"]),
    ],
)
def test_aps_semantics(engine: ModuleType, expr: str, first_two: list[str]) -> None:
    times = islice(Cron(expr, dialect="aps").iter("2026-01-01"), 2)
    assert [t.strftime("%a %Y-%m-%d") for t in times] == first_two


def test_one_expression_means_three_things() -> None:
    # the example of docs/dialects.md: '0 9 13 * 5'
    start = "2026-01-01"
    posix = Cron("0 9 13 * 5").next(start)  # the 13th OR a Friday -> Fri 2 Jan
    aps = Cron("0 9 13 * 5", dialect="aps").next(start)  # the 13th AND a Saturday
    quartz = Cron("0 0 9 13 * ?", dialect="quartz").next(start)  # the 13th
    assert posix is not None and aps is not None and quartz is not None
    assert posix.strftime("%a %d %b %Y") == "Fri 02 Jan 2026"
    assert aps.strftime("%a %d %b %Y") == "Sat 13 Jun 2026"
    assert quartz.strftime("%a %d %b %Y") == "Tue 13 Jan 2026"
