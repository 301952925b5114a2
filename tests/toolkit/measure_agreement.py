"""Measure how often triggerkit agrees with croniter, cronsim and APScheduler 3.11.

Run: ``python tests/toolkit/measure_agreement.py [examples]``. Draws expressions with
:mod:`triggerkit.strategies`, zones (UTC and the DST zones) and start times, compares the first
five fire times as UTC instants, and prints the counts that ``docs/dialects.md`` records.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from peers import (  # noqa: E402
    apscheduler_times,
    croniter_times,
    cronsim_times,
    ours,
    run,
    touches_a_transition,
)

from triggerkit.strategies import DST_ZONES, cron_expressions  # noqa: E402

ZONES = st.sampled_from(("UTC",) + DST_ZONES).map(ZoneInfo)
STARTS = st.datetimes(datetime(1990, 1, 1), datetime(2060, 1, 1))


def measure(examples: int) -> tuple[Counter[str], Counter[str]]:
    posix: Counter[str] = Counter()
    aps: Counter[str] = Counter()
    budget = settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )

    @budget
    @given(expr=cron_expressions("posix"), zone=ZONES, start=STARTS)
    def posix_case(expr: str, zone: ZoneInfo, start: datetime) -> None:
        start = start.replace(tzinfo=zone)
        mine = ours(expr, "posix", zone, start)
        a = run(lambda: croniter_times(expr, zone, start))
        b = run(lambda: cronsim_times(expr, zone, start))
        posix["total"] += 1
        dst = touches_a_transition(zone, start, mine)
        posix["dst window" if dst else "no dst window"] += 1
        for name, theirs in (("croniter", a), ("cronsim", b)):
            if theirs is None:
                posix[f"{name} rejects or gives up"] += 1
                continue
            posix[f"{name} ran"] += 1
            posix[f"{name} agrees"] += theirs == mine
            if not dst:
                posix[f"{name} ran, no dst"] += 1
                posix[f"{name} agrees, no dst"] += theirs == mine
        if a is not None and b is not None:
            posix["croniter = cronsim"] += a == b
            if a == b and not dst:
                posix["consensus, no dst"] += 1
                posix["triggerkit = consensus, no dst"] += a == mine

    @budget
    @given(expr=cron_expressions("aps"), zone=ZONES, start=STARTS)
    def aps_case(expr: str, zone: ZoneInfo, start: datetime) -> None:
        start = start.replace(tzinfo=zone)
        mine = ours(expr, "aps", zone, start)
        theirs = run(lambda: apscheduler_times(expr, zone, start))
        aps["total"] += 1
        if theirs is None:
            aps["APScheduler rejects"] += 1
            return
        aps["agrees"] += theirs == mine
        if touches_a_transition(zone, start, mine):
            aps["dst window"] += 1
            aps["agrees, dst window"] += theirs == mine
        else:
            aps["no dst window"] += 1
            aps["agrees, no dst"] += theirs == mine

    posix_case()
    aps_case()
    return posix, aps


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    posix_counts, aps_counts = measure(n)
    for title, counts in (("posix", posix_counts), ("aps", aps_counts)):
        print(f"== {title}")
        for key, value in sorted(counts.items()):
            print(f"{key:34} {value}")
