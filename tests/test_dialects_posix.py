"""The posix dialect: Vixie cron rules, macros, H, seconds; differential against croniter and
cronsim (measured rates: ``measure_agreement.py`` and ``docs/dialects.md``)."""

from __future__ import annotations

from datetime import datetime, timezone
from itertools import islice
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from peers import COUNT, croniter_times, cronsim_times, ours, run, touches_a_transition

from triggerkit import Cron
from triggerkit.errors import CronSpecError
from triggerkit.strategies import DST_ZONES, cron_expressions

UTC = timezone.utc
ZONES = st.sampled_from(("UTC",) + DST_ZONES).map(ZoneInfo)
STARTS = st.datetimes(datetime(1990, 1, 1), datetime(2060, 1, 1))


def first(expr: str, start: str = "2026-01-01", n: int = 4, **kw: object) -> list[str]:
    cron = Cron(expr, **kw)  # type: ignore[arg-type]
    return [t.strftime("%a %Y-%m-%d %H:%M:%S") for t in islice(cron.iter(start), n)]


@settings(settings.get_profile("toolkit"), max_examples=300)
@given(expr=cron_expressions("posix"), zone=ZONES, start=STARTS)
@example(expr="0 0 */2 * 1", zone=ZoneInfo("UTC"), start=datetime(2026, 1, 1))
@example(expr="0 0 1-7 * 5-7", zone=ZoneInfo("UTC"), start=datetime(2026, 1, 1))
def test_posix_equals_croniter_and_cronsim_wherever_they_agree(
    engine: ModuleType, expr: str, zone: ZoneInfo, start: datetime
) -> None:
    start = start.replace(tzinfo=zone)
    a = run(lambda: croniter_times(expr, zone, start))
    b = run(lambda: cronsim_times(expr, zone, start))
    if a is None or b is None or a != b or touches_a_transition(zone, start, a):
        return  # no consensus to compare with (rates are recorded by measure_agreement.py)
    assert ours(expr, "posix", zone, start) == a


@settings(settings.get_profile("toolkit"), max_examples=200)
@given(expr=cron_expressions("posix"), zone=ZONES, start=STARTS)
def test_posix_equals_cronsim_away_from_transitions(
    engine: ModuleType, expr: str, zone: ZoneInfo, start: datetime
) -> None:
    # cronsim follows Debian cron, as we do; croniter reads '*/2' in a day field as restricted
    start = start.replace(tzinfo=zone)
    b = run(lambda: cronsim_times(expr, zone, start))
    if b is None or len(b) < COUNT or touches_a_transition(zone, start, b):
        return
    assert ours(expr, "posix", zone, start) == b


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # 0 and 7 are both Sunday
        ("0 0 * * 0", ["Sun 2026-01-04 00:00:00", "Sun 2026-01-11 00:00:00"]),
        ("0 0 * * 7", ["Sun 2026-01-04 00:00:00", "Sun 2026-01-11 00:00:00"]),
        ("0 0 * * sun", ["Sun 2026-01-04 00:00:00", "Sun 2026-01-11 00:00:00"]),
        ("0 0 * * 5-7", ["Fri 2026-01-02 00:00:00", "Sat 2026-01-03 00:00:00"]),
        # day of month OR day of week when both are restricted (2026-01-01 is a Thursday)
        ("0 0 13 * fri", ["Fri 2026-01-02 00:00:00", "Fri 2026-01-09 00:00:00"]),
        ("0 0 1,15 * mon", ["Thu 2026-01-01 00:00:00", "Mon 2026-01-05 00:00:00"]),
        # ... but AND when one starts with '*' (Vixie cron's DOM_STAR/DOW_STAR)
        ("0 0 */2 * mon", ["Mon 2026-01-05 00:00:00", "Mon 2026-01-19 00:00:00"]),
        ("0 0 13 * *", ["Tue 2026-01-13 00:00:00", "Fri 2026-02-13 00:00:00"]),
        # names, steps, a/n
        ("0 12 * feb-mar/1 *", ["Sun 2026-02-01 12:00:00", "Mon 2026-02-02 12:00:00"]),
        ("5/20 * * * *", ["Thu 2026-01-01 00:05:00", "Thu 2026-01-01 00:25:00"]),
        ("0 0 1 JAN,jul *", ["Thu 2026-01-01 00:00:00", "Wed 2026-07-01 00:00:00"]),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_posix_rules(engine: ModuleType, expr: str, expected: list[str]) -> None:
    assert first(expr, "2025-12-31 23:59:59", 2) == expected


@pytest.mark.parametrize(
    ("macro", "same_as"),
    [
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
        ("@DAILY", "0 0 * * *"),
    ],
)
def test_macros_are_their_five_field_forms(macro: str, same_as: str) -> None:
    assert Cron(macro) == Cron(same_as)
    assert Cron(macro, seconds=True) == Cron("0 " + same_as, seconds=True)


def test_reboot_and_unknown_macros_are_errors() -> None:
    with pytest.raises(CronSpecError, match="not a time schedule"):
        Cron("@reboot")
    with pytest.raises(CronSpecError, match="only in the posix"):
        Cron("@daily", dialect="quartz")


def test_the_optional_seconds_field_comes_first(engine: ModuleType) -> None:
    assert first("*/20 * * * * *", "2026-01-01", 3, seconds=True) == [
        "Thu 2026-01-01 00:00:00",
        "Thu 2026-01-01 00:00:20",
        "Thu 2026-01-01 00:00:40",
    ]
    with pytest.raises(CronSpecError, match="expected 6 fields"):
        Cron("* * * * *", seconds=True)
    with pytest.raises(CronSpecError, match="expected 5 fields"):
        Cron("* * * * * *")


def test_h_is_stable_per_job_and_spreads_jobs() -> None:
    a1 = Cron("H H * * *", job_id="backup")
    a2 = Cron("H H * * *", job_id="backup")
    assert a1 == a2 and a1.masks.minutes.bit_count() == 1 and a1.masks.hours.bit_count() == 1
    spread = {Cron("H * * * *", job_id=f"job{i}").masks.minutes for i in range(40)}
    assert len(spread) > 20


@pytest.mark.parametrize(
    ("expr", "check"),
    [
        ("H/15 * * * *", lambda m: len(m) == 4 and m[0] < 15 and m[1] - m[0] == 15),
        ("H(0-29) * * * *", lambda m: len(m) == 1 and m[0] <= 29),
        (
            "H(10-40)/10 * * * *",
            lambda m: (
                m[0] in range(10, 20)
                and all(b - a == 10 for a, b in zip(m, m[1:], strict=False))
                and m[-1] <= 40
            ),
        ),
    ],
)
def test_h_forms(expr: str, check: object) -> None:
    cron = Cron(expr, job_id="deploy")
    minutes = [m for m in range(60) if cron.masks.minutes >> m & 1]
    assert check(minutes)  # type: ignore[operator]


def test_h_in_day_of_month_stays_within_1_to_28() -> None:
    days = {Cron("0 0 H * *", job_id=str(i)).masks.days.bit_length() - 1 for i in range(200)}
    assert min(days) >= 1 and max(days) <= 28


def test_h_needs_a_job_id() -> None:
    with pytest.raises(CronSpecError, match="job_id"):
        Cron("H * * * *")


def test_h_step_follows_real_time_like_a_star_step() -> None:
    assert Cron("H/15 * * * *", job_id="x").follows_real_time
    assert not Cron("H H * * *", job_id="x").follows_real_time
