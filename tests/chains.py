"""The fire-time chain every trigger test walks: successive fire times, as the scheduler asks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

CHAIN = 20  # the length of a chain when the test does not say


def chain(trigger: Any, start: datetime, n: int = CHAIN) -> list[datetime]:
    """Return up to ``n`` successive fire times of ``trigger``, stopping at the first ``None``.

    The first is searched from ``start``; each next one from the previous fire time, passed as
    both ``previous_fire_time`` and ``now`` (as the scheduler does once it runs on time). Works
    for triggerkit's and APScheduler's triggers alike.
    """
    out: list[datetime] = []
    previous: datetime | None = None
    now = start
    for _ in range(n):
        found = trigger.get_next_fire_time(previous, now)
        if found is None:
            break
        out.append(found)
        previous = now = found
    return out
