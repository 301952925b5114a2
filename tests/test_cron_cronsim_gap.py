"""Where triggerkit and cronsim 2.8 differ on purpose: rule G at Havana's midnight gap.

America/Havana, 2024-03-10: 00:00 CST (-05) -> 01:00 CDT (-04); the hour 00:xx does not exist.
``* 0 * * *`` selects all of it: rule G fires once, at the transition (01:00-04:00); cronsim
follows Debian cron, for which a wildcard field is unaffected by the gap, and skips the day.
``docs/dialects.md`` cites this case.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from cronsim import CronSim

from triggerkit import Cron

HAVANA = ZoneInfo("America/Havana")
START = datetime(2024, 3, 9, 23, 0, tzinfo=HAVANA)


def test_rule_g_fires_once_at_havanas_midnight_gap_where_cronsim_skips_the_day() -> None:
    ours = Cron("* 0 * * *", HAVANA).next_times(2, START)
    sim = CronSim("* 0 * * *", START)
    theirs = [next(sim), next(sim)]
    assert [t.isoformat() for t in ours] == [
        "2024-03-10T01:00:00-04:00",
        "2024-03-11T00:00:00-04:00",
    ]
    assert [t.isoformat() for t in theirs] == [
        "2024-03-11T00:00:00-04:00",
        "2024-03-11T00:01:00-04:00",
    ]
