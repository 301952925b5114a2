"""Time an impossible AndTrigger: ``day='last'`` AND ``day='1st mon'`` (issue #13, item 8).

    python bench/and_impossible.py

Prints, for each engine and zone, the first call (the day-mask check over the 21 calendar types
of year, then cached per set of masks) and the mean of 2,000 repeated calls. No peer is timed:
APScheduler 3.11 loops forever on this trigger. Deterministic input: nothing to seed.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from triggerkit import _engine
from triggerkit.triggers import combining
from triggerkit.triggers.combining import AndTrigger
from triggerkit.triggers.cron import CronTrigger

NOW = datetime(2024, 5, 1, tzinfo=timezone.utc)
REPEATS = 2000


def main() -> None:
    for engine in ("python", "cython"):
        _engine.use(engine)
        for zone in ("UTC", "Europe/Berlin"):
            combining._masks_can_agree.cache_clear()
            trigger = AndTrigger(
                [CronTrigger(day="last", timezone=zone), CronTrigger(day="1st mon", timezone=zone)]
            )
            start = time.perf_counter()
            assert trigger.get_next_fire_time(None, NOW) is None
            first = time.perf_counter() - start
            start = time.perf_counter()
            for _ in range(REPEATS):
                trigger.get_next_fire_time(None, NOW)
            each = (time.perf_counter() - start) / REPEATS
            print(f"{engine:7} {zone:14} first {first * 1e3:6.2f} ms, then {each * 1e6:6.1f} us")


if __name__ == "__main__":
    main()
