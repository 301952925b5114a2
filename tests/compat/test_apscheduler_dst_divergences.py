"""Where APScheduler 3.11 and triggerkit differ at DST transitions, pinned with explicit values.

Each expected value is what ``docs/rules/dst.md`` prescribes and what the oracle
(``dst_oracle.py``) computes; APScheduler's answer is pinned next to it, so a change in either
shows up here. Transition instants (UTC) are in the comments.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import apscheduler.triggers.cron as aps_cron
import pytest
from chains import chain
from dst_oracle import oracle_fires, selector

from triggerkit.triggers.cron import CronTrigger

UTC = timezone.utc

CASES = {
    # Europe/Berlin 2016-03-27 01:00 UTC (02:00 CET -> 03:00 CEST); rule G
    "berlin-2016-03-27-gap": (
        "Europe/Berlin",
        {"hour": 2, "minute": 30},
        "2016-03-26 12:00",
        ["2016-03-27 03:00:00+02:00", "2016-03-28 02:30:00+02:00"],
        ["2016-03-27 02:30:00+01:00", "2016-03-28 02:30:00+02:00"],
    ),
    # Europe/Berlin, same transition: APScheduler's issue #606 (skips the day after)
    "berlin-2016-03-27-daily-midnight": (
        "Europe/Berlin",
        {"hour": 0, "minute": 0},
        "2016-03-26 12:00",
        ["2016-03-27 00:00:00+01:00", "2016-03-28 00:00:00+02:00"],
        ["2016-03-27 00:00:00+01:00", "2016-03-29 00:00:00+02:00"],
    ),
    # America/New_York 2013-11-03 06:00 UTC (02:00 EDT -> 01:00 EST); rule O
    "new-york-2013-11-03-overlap": (
        "America/New_York",
        {"hour": 1, "minute": 30},
        "2013-11-02 12:00",
        ["2013-11-03 01:30:00-04:00", "2013-11-04 01:30:00-05:00"],
        ["2013-11-03 01:30:00-04:00", "2013-11-03 01:30:00-05:00"],
    ),
    # America/Santiago 2022-09-11 04:00 UTC (00:00 -04 -> 01:00 -03); rule G at midnight
    "santiago-2022-09-11-missing-midnight": (
        "America/Santiago",
        {"hour": 0, "minute": 0},
        "2022-09-10 12:00",
        ["2022-09-11 01:00:00-03:00", "2022-09-12 00:00:00-03:00"],
        ["2022-09-12 00:00:00-03:00", "2022-09-13 00:00:00-03:00"],
    ),
    # America/Santiago 2017-08-13 04:00 UTC (00:00 -04 -> 01:00 -03): a monthly job searched
    # from before the transition; APScheduler skips September altogether
    "santiago-2017-08-13-monthly-on-the-1st": (
        "America/Santiago",
        {"day": 1},
        "2017-08-02 00:00",
        ["2017-09-01 00:00:00-03:00", "2017-10-01 00:00:00-03:00"],
        ["2017-10-01 00:00:00-03:00", "2017-11-01 00:00:00-03:00"],
    ),
    # Australia/Lord_Howe 2023-09-30 15:30 UTC (02:00 +10:30 -> 02:30 +11); rule G
    "lord-howe-2023-10-01-gap": (
        "Australia/Lord_Howe",
        {"hour": 2, "minute": 15},
        "2023-09-30 12:00",
        ["2023-10-01 02:30:00+11:00", "2023-10-02 02:15:00+11:00"],
        ["2023-10-01 02:15:00+10:30", "2023-10-02 02:15:00+11:00"],
    ),
    # Australia/Lord_Howe 2023-09-30 15:30 UTC, crossed by a search from April to January:
    # APScheduler carries April's offset into the result and lands half an hour late
    "lord-howe-2023-month-jump-across-the-transition": (
        "Australia/Lord_Howe",
        {"month": 1, "minute": "*"},
        "2023-04-02 11:52",
        ["2024-01-01 00:00:00+11:00", "2024-01-01 00:01:00+11:00"],
        ["2024-01-01 00:30:00+11:00", "2024-01-01 00:31:00+11:00"],
    ),
}


@pytest.mark.parametrize(
    ("zone", "spec", "start", "ours", "theirs"), CASES.values(), ids=CASES.keys()
)
def test_triggerkit_follows_the_rules_where_apscheduler_does_not(
    zone: str, spec: dict[str, object], start: str, ours: list[str], theirs: list[str]
) -> None:
    tz = ZoneInfo(zone)
    begin = datetime.fromisoformat(start).replace(tzinfo=tz)
    mine = chain(CronTrigger(timezone=tz, **spec), begin, len(ours))  # type: ignore[arg-type]
    assert [str(d) for d in mine] == ours
    aps = chain(aps_cron.CronTrigger(timezone=tz, **spec), begin, len(theirs))
    assert [str(d) for d in aps] == theirs
    # the oracle agrees with the expected chain
    hi = int(datetime.fromisoformat(ours[-1]).timestamp())
    expected = oracle_fires(selector(**spec), tz, int(begin.timestamp()), hi)
    assert [str(datetime.fromtimestamp(t, tz)) for t in expected] == ours
