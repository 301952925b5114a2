"""Run triggerkit and its peers (croniter, cronsim, APScheduler 3.11) on the same input.

Shared by the differential tests and by ``measure_agreement.py``, which records how often they
agree. Every comparison is of UTC instants, over the first ``COUNT`` fire times after a start.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from chains import chain

from triggerkit import Cron
from triggerkit.strategies import _transitions

COUNT = 5
UTC = timezone.utc
# APScheduler's first search includes ``now``; croniter, cronsim and ``Cron.next`` exclude it
_MICRO = timedelta(microseconds=1)
Times = list[datetime]


def ours(expr: str, dialect: str, zone: ZoneInfo, start: datetime) -> Times:
    cron = Cron(expr, zone, dialect)
    out: Times = []
    at: datetime | None = start
    while len(out) < COUNT and at is not None:
        at = cron.next(at)
        if at is not None:
            out.append(at.astimezone(UTC))
    return out


def croniter_times(expr: str, zone: ZoneInfo, start: datetime) -> Times:
    from croniter import croniter

    it = croniter(expr, start)
    return [it.get_next(datetime).astimezone(UTC) for _ in range(COUNT)]


def cronsim_times(expr: str, zone: ZoneInfo, start: datetime) -> Times:
    from cronsim import CronSim

    it = CronSim(expr, start)
    return [next(it).astimezone(UTC) for _ in range(COUNT)]


def apscheduler_times(expr: str, zone: ZoneInfo, start: datetime) -> Times:
    from apscheduler.triggers.cron import CronTrigger as Aps3CronTrigger

    trigger = Aps3CronTrigger.from_crontab(expr, timezone=zone)
    # as APScheduler 3's scheduler does: the first search from now, then from the last fire
    return [fire.astimezone(UTC) for fire in chain(trigger, start + _MICRO, COUNT)]


def touches_a_transition(zone: ZoneInfo, start: datetime, times: Times) -> bool:
    """Whether a DST transition falls between ``start`` and the last time (+1 day)."""
    if not times:
        return False
    lo = start.astimezone(UTC).timestamp() - 86400
    hi = max(times).timestamp() + 86400
    years = range(datetime.fromtimestamp(lo, UTC).year, datetime.fromtimestamp(hi, UTC).year + 1)
    return any(lo <= t <= hi for y in years for t in _transitions(zone.key, y))


def run(fn: Callable[[], Times]) -> Times | None:
    """The peer's answer, or ``None`` if it rejects the input or gives up."""
    try:
        return fn()
    except Exception:  # a peer's own parse errors and search limits; counted, never hidden
        return None
