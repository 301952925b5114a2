"""Every dialect follows the DST rules (docs/rules/dst.md) through ``Cron``.

Checked against the first-principles oracle of ``tests/compat/dst_oracle.py`` (a minute-by-minute
walk of the UTC timeline), in windows around real transitions of the DST zones, for every gap
and overlap policy; plus named cases in the zones the rules list.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest
from dst_oracle import oracle_fires, selector
from hypothesis import given, settings
from hypothesis import strategies as st

from triggerkit import Cron
from triggerkit.errors import TriggerArgumentError
from triggerkit.strategies import cron_expressions, datetimes_near_transitions

UTC = timezone.utc
WINDOW = timedelta(hours=3)
DIALECT_AND_EXPR = st.sampled_from(["posix", "quartz", "aps"]).flatmap(
    lambda d: st.tuples(st.just(d), cron_expressions(d))
)


@settings(settings.get_profile("toolkit"), max_examples=150)
@given(
    case=DIALECT_AND_EXPR,
    near=datetimes_near_transitions(within=WINDOW),
    gap=st.sampled_from(["shift", "skip"]),
    overlap=st.sampled_from(["auto", "first", "last", "both"]),
)
def test_every_dialect_follows_the_dst_rules_near_transitions(
    engine: ModuleType, case: tuple[str, str], near: datetime, gap: str, overlap: str
) -> None:
    dialect, expr = case
    zone = near.tzinfo
    assert isinstance(zone, ZoneInfo)
    cron = Cron(expr, zone, dialect, dst_gap=gap, dst_overlap=overlap)
    if cron.masks.seconds.bit_count() > 4:
        return  # keep the oracle's walk short: a few seconds per minute are enough
    try:
        fields = {f.name: str(f) for f in cron.to_trigger().fields}
    except TriggerArgumentError:
        return  # OR days, W, LW, L-n: the oracle speaks APScheduler's fields only
    if overlap == "auto":  # the oracle reads rule O from its own field texts
        overlap = "both" if cron.follows_real_time else "first"
    lo = int((near - WINDOW).timestamp())
    hi = int((near + WINDOW).timestamp())
    expected = oracle_fires(selector(**fields), zone, lo, hi, gap, overlap)
    start = datetime.fromtimestamp(lo, UTC)
    end = datetime.fromtimestamp(hi, UTC)
    assert [int(t.timestamp()) for t in cron.iter(start, end)] == expected


# (zone, expression, start, expected fire times); transition instants in the comments
NAMED = [
    # Berlin 2016-03-27 01:00 UTC: 02:00 CET -> 03:00 CEST; 02:30 fires once at 03:00 (rule G)
    (
        "Europe/Berlin",
        "30 2 * * *",
        "2016-03-26 12:00",
        ["2016-03-27T03:00:00+02:00", "2016-03-28T02:30:00+02:00"],
    ),
    # Santiago 2022-09-11 04:00 UTC: 00:00 -04 -> 01:00 -03; midnight fires at 01:00, day kept
    (
        "America/Santiago",
        "0 0 * * *",
        "2022-09-10 12:00",
        ["2022-09-11T01:00:00-03:00", "2022-09-12T00:00:00-03:00"],
    ),
    # Havana 2013-03-10 05:00 UTC: 00:00 CST -> 01:00 CDT
    (
        "America/Havana",
        "30 0 * * *",
        "2013-03-09 12:00",
        ["2013-03-10T01:00:00-04:00", "2013-03-11T00:30:00-04:00"],
    ),
    # Lord Howe 2020-10-03 15:30 UTC: 02:00 +10:30 -> 02:30 +11; a 30-minute gap
    (
        "Australia/Lord_Howe",
        "15 2 * * *",
        "2020-10-03 12:00",
        ["2020-10-04T02:30:00+11:00", "2020-10-05T02:15:00+11:00"],
    ),
    # Lord Howe 2021-04-03 15:00 UTC: 02:00 +11 -> 01:30 +10:30; 01:45 repeats, fires once
    (
        "Australia/Lord_Howe",
        "45 1 * * *",
        "2021-04-03 12:00",
        ["2021-04-04T01:45:00+11:00", "2021-04-05T01:45:00+10:30"],
    ),
    # Chatham 2021-04-03 14:00 UTC: 03:45 +13:45 -> 02:45 +12:45; '*/30 3' fires in both passes
    (
        "Pacific/Chatham",
        "*/30 3 * * *",
        "2021-04-04 02:00",
        [
            "2021-04-04T03:00:00+13:45",
            "2021-04-04T03:30:00+13:45",
            "2021-04-04T03:00:00+12:45",
            "2021-04-04T03:30:00+12:45",
        ],
    ),
    # Apia skipped 2011-12-30 entirely (10:00 UTC on the 30th: -10 -> +14); its 12:00 lies in
    # the gap and fires at the transition, 2011-12-31 00:00 +14 (rule G)
    (
        "Pacific/Apia",
        "0 12 * * *",
        "2011-12-29 00:00",
        ["2011-12-29T12:00:00-10:00", "2011-12-31T00:00:00+14:00", "2011-12-31T12:00:00+14:00"],
    ),
    # New York 2013-11-03 06:00 UTC: 02:00 EDT -> 01:00 EST; 01:30 fires once (rule O)
    (
        "America/New_York",
        "30 1 * * *",
        "2013-11-02 12:00",
        ["2013-11-03T01:30:00-04:00", "2013-11-04T01:30:00-05:00"],
    ),
]


@pytest.mark.parametrize(
    ("zone", "expr", "start", "expected"), NAMED, ids=[f"{z}:{e}" for z, e, _, _ in NAMED]
)
def test_named_transitions(
    engine: ModuleType, zone: str, expr: str, start: str, expected: list[str]
) -> None:
    cron = Cron(expr, zone)
    got = []
    at = cron.next(start)
    while at is not None and len(got) < len(expected):
        got.append(at.isoformat())
        at = cron.next(at)
    assert got == expected
    back = [t.isoformat() for t in cron.iter(expected[-1], start, reverse=True)]
    assert back == expected[::-1]


def test_skip_drops_a_time_inside_the_gap(engine: ModuleType) -> None:
    cron = Cron("30 2 * * *", "Europe/Berlin", dst_gap="skip")
    found = cron.next("2016-03-26 12:00")
    assert found is not None and found.isoformat() == "2016-03-28T02:30:00+02:00"
