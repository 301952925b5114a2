"""Which run times of a due job to submit: APScheduler's chain, without walking a long outage.

A job's run times form a **chain**: its ``next_run_time``, then each following one from
``trigger.get_next_fire_time(previous, now)``, exactly as APScheduler 3 computes them. The chain
can lie off the trigger's grid (an explicit ``next_run_time``, ``modify_job``, an ``OrTrigger``
with an interval child), so it is always followed from the job's own previous run time.

APScheduler 3 collects every run time of the chain up to now, one trigger call each, then keeps
only the last when coalescing: a per-second job after a year's downtime costs 31 million calls.
Here the chain is **jumped** wherever the jump provably lands on it (:func:`jump`):

* the built-in interval trigger: ``previous + k·interval`` (integer arithmetic, capped by
  ``end_date``), from any run time;
* a cron trigger (and ``and``/``or`` combinations made only of them), from a run time at or
  after every ``start_date``: its next fire time after ``previous`` is the first grid time
  after it, so the chain is the grid; found by the cron backward search, or an
  exponential-then-binary search over ``get_next_fire_time(None, t)``;
* a trigger class that sets ``jumpable_fire_times = True``, from a run time on its grid.

Everything else is walked one trigger call per run time, at most :data:`MAX_RUNS_PER_PASS`
calls per job and pass (the job stays due; the next pass continues where this one stopped).

* **coalesce=True** submits the latest chain time at or before now, as APScheduler does.
* **coalesce=False** submits every run time, as APScheduler does, with two bounds: runs older
  than ``misfire_grace_time`` (which would each only produce ``EVENT_JOB_MISSED``) are reported
  one by one up to :data:`MAX_MISSED_REPORTED`, then the rest are skipped with one jump (where
  one is possible) and one warning; and at most :data:`MAX_RUNS_PER_PASS` run times are handed
  over per pass.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from ..triggers.combining import AndTrigger, OrTrigger
from ..triggers.cron import CronTrigger
from ..triggers.interval import IntervalTrigger

__all__ = ["MAX_MISSED_REPORTED", "MAX_RUNS_PER_PASS", "RunPlan", "is_jumpable", "plan_runs"]

#: Missed (beyond grace) run times reported individually before the rest are skipped at once.
MAX_MISSED_REPORTED = 100
#: Run times handed to the executor, or walked over, for one job in one scheduler pass.
MAX_RUNS_PER_PASS = 1000

_RESOLUTION = timedelta(microseconds=1)
_UTC = timezone.utc


def _utc(value: datetime) -> datetime:
    return value.astimezone(_UTC)


def _own_method(trigger: Any, base: Any) -> bool:
    """True if ``trigger`` computes its fire times with ``base``'s code (or says it does)."""
    return type(trigger).get_next_fire_time is base.get_next_fire_time or bool(
        getattr(trigger, "jumpable_fire_times", False)
    )


def _follows_grid_from(trigger: Any, previous: datetime) -> bool:
    """True if, from ``previous`` on, each chain step is the first grid time after the last.

    The grid is what ``get_next_fire_time(None, t)`` enumerates (the first time at or after
    ``t``). A cron trigger steps to its first match after ``previous`` wherever ``previous``
    is, but its grid starts at ``start_date``; combinations inherit this from their children.
    """
    if getattr(trigger, "jitter", None):
        return False
    if isinstance(trigger, CronTrigger) and _own_method(trigger, CronTrigger):
        start = trigger.start_date
        return start is None or _utc(previous) >= _utc(start)
    if type(trigger) in (AndTrigger, OrTrigger):
        children = trigger.triggers
        return bool(children) and all(_follows_grid_from(c, previous) for c in children)
    return False


def is_jumpable(trigger: Any) -> bool:
    """Tell whether the scheduler can jump along this trigger's chains (see the module doc).

    A jump may still need a run time on the grid (``jumpable_fire_times``) or at or after
    ``start_date`` (cron); :func:`jump` checks that for each run time.
    """
    if getattr(trigger, "jitter", None):
        return False
    if type(trigger) is IntervalTrigger or bool(getattr(trigger, "jumpable_fire_times", False)):
        return True
    if isinstance(trigger, CronTrigger) and _own_method(trigger, CronTrigger):
        return True
    if type(trigger) in (AndTrigger, OrTrigger):
        children = trigger.triggers
        return (
            bool(children)
            and all(
                isinstance(c, CronTrigger) or type(c) in (AndTrigger, OrTrigger) for c in children
            )
            and all(is_jumpable(c) for c in children)
        )
    return False


class RunPlan:
    """The outcome of :func:`plan_runs` for one job.

    :var run_times: run times to submit (may be empty)
    :var next_fire: the trigger's next fire time after the plan (``None``: the schedule is
        over); meaningful when ``run_times`` is not empty and ``resume_at`` is not set
    :var resume_at: when set, nothing was submitted past this point yet: store it as the job's
        next run time instead of asking the trigger (a walk cut short by the per-pass bound)
    :var skipped: ``(first, last)`` missed run times skipped without being reported, if any
    """

    __slots__ = ("next_fire", "resume_at", "run_times", "skipped")

    def __init__(
        self,
        run_times: list[datetime],
        next_fire: datetime | None = None,
        resume_at: datetime | None = None,
        skipped: tuple[datetime, datetime] | None = None,
    ) -> None:
        self.run_times = run_times
        self.next_fire = next_fire
        self.resume_at = resume_at
        self.skipped = skipped


def _interval_jump(trigger: IntervalTrigger, current: datetime, until: datetime) -> datetime:
    """``current + k·interval``, the interval chain's latest time <= ``until`` (and end)."""
    step = trigger.interval
    limit = until
    if trigger.end_date is not None:
        limit = min(limit, _utc(trigger.end_date))
    base = _utc(current)
    steps = (limit - base) // step if limit > base else 0
    if steps <= 0:
        return current
    return (base + step * steps).astimezone(trigger.timezone)


def _grid_latest(trigger: Any, known: datetime, now: datetime, until: datetime) -> datetime:
    """Return the grid's latest time ``<= until``, given ``known``, a grid time ``<= until``."""

    def first_from(t: datetime) -> datetime | None:
        result: datetime | None = trigger.get_next_fire_time(None, t)
        return result

    def is_latest(fire: datetime) -> bool:
        following = trigger.get_next_fire_time(fire, now)
        return following is None or _utc(following) > until

    # A trigger that can search backwards (the cron trigger) answers directly.
    previous = getattr(trigger, "get_prev_fire_time", None)
    if previous is not None:
        latest: datetime | None = previous(until, inclusive=True)
        if latest is not None and _utc(known) <= _utc(latest) <= until:
            return latest
        if latest is None or _utc(latest) < _utc(known):
            return known
    if is_latest(known):
        return known
    # Exponential search back from until for a window [lo, until] holding a fire time; hi is
    # the last probe whose window [hi, until] held none.
    known_utc = _utc(known)
    hi = until
    width = timedelta(seconds=1)
    while True:
        lo = until - width
        if lo <= known_utc:
            lo, fire = known_utc, known
            break
        candidate = first_from(lo)
        if candidate is not None and _utc(candidate) <= until:
            fire = candidate
            if is_latest(fire):
                return fire
            break
        hi = lo
        width *= 2
    # The latest fire time lies in [lo, hi): bisect, stopping early once a probe finds it.
    while hi - lo > _RESOLUTION:
        mid = lo + (hi - lo) / 2
        candidate = first_from(mid)
        if candidate is not None and _utc(candidate) <= until:
            lo, fire = mid, candidate
            if is_latest(fire):
                return fire
        else:
            hi = mid
    return fire


def jump(trigger: Any, current: datetime, now: datetime, until: datetime) -> datetime | None:
    """Return the chain's latest time ``<= until`` counted from ``current`` (a chain time
    ``<= until``), or ``None`` when no jump is provably on the chain (walk instead)."""
    if getattr(trigger, "jitter", None):
        return None
    if type(trigger) is IntervalTrigger:
        return _interval_jump(trigger, current, until)
    if _follows_grid_from(trigger, current):
        return _grid_latest(trigger, current, now, until)
    if getattr(trigger, "jumpable_fire_times", False):
        on_grid = trigger.get_next_fire_time(None, current)
        if on_grid is not None and _utc(on_grid) == _utc(current):
            return _grid_latest(trigger, current, now, until)
    return None


def advance(
    trigger: Any, current: datetime, now: datetime, until: datetime, budget: int
) -> tuple[datetime, datetime | None, bool]:
    """Follow the chain from ``current`` (a chain time ``<= until``) to its last time ``<= until``.

    :returns: ``(last, following, complete)``: the chain's latest time ``<= until`` and the one
        after it (``None``: the schedule is over); or, when ``budget`` trigger calls were spent
        before getting there, ``(reached, None, False)`` with ``reached`` a chain time
        ``<= until`` to continue from
    """
    calls = 0
    while True:
        jumped = jump(trigger, current, now, until)
        last = current if jumped is None or _utc(jumped) < _utc(current) else jumped
        following: datetime | None = trigger.get_next_fire_time(last, now)
        calls += 1
        if following is None or _utc(following) > until:
            return last, following, True
        if calls >= budget:
            return following, None, False
        current = following


def _walk(
    trigger: Any, start: datetime | None, now: datetime, until: datetime, limit: int
) -> tuple[list[datetime], datetime | None]:
    """Collect chain times from ``start`` while ``<= until`` and fewer than ``limit``.

    :returns: the collected times and the first chain time not collected
    """
    times: list[datetime] = []
    current = start
    while current is not None and _utc(current) <= until and len(times) < limit:
        times.append(current)
        current = trigger.get_next_fire_time(current, now)
    return times, current


def plan_runs(job: Any, now: datetime) -> RunPlan:
    """Decide which run times of ``job`` (due at ``now``) to submit in this pass."""
    # All instants are compared and shifted in UTC: aware datetimes that share a zone compare
    # and subtract as wall-clock times, which is wrong across a DST change.
    now = _utc(now)
    first: datetime | None = job.next_run_time
    if first is None or _utc(first) > now:
        return RunPlan([])
    trigger = job.trigger

    if job.coalesce:
        last, following, complete = advance(trigger, first, now, now, MAX_RUNS_PER_PASS)
        if not complete:
            return RunPlan([], resume_at=last)  # walk on in the next pass
        return RunPlan([last], following)

    run_times: list[datetime] = []
    skipped = None
    current: datetime | None = first
    if job.misfire_grace_time is not None:
        horizon = now - timedelta(seconds=job.misfire_grace_time)
        missed, current = _walk(trigger, first, now, horizon, MAX_MISSED_REPORTED)
        run_times.extend(missed)
        if current is not None and _utc(current) < horizon:
            before = horizon - _RESOLUTION
            jumped = jump(trigger, current, now, before)
            if jumped is not None:
                last, following, complete = advance(trigger, jumped, now, before, MAX_RUNS_PER_PASS)
                skipped = (current, last)
                if not complete:
                    return RunPlan(run_times, resume_at=last, skipped=skipped)
                current = following
    times, following = _walk(trigger, current, now, now, MAX_RUNS_PER_PASS - len(run_times))
    run_times.extend(times)
    if following is not None and _utc(following) <= now:
        return RunPlan(run_times, resume_at=following, skipped=skipped)
    # After a jump with no run inside the grace time, ``following`` is the jump's target:
    # asking the trigger after the last reported miss would land back in the skipped range.
    return RunPlan(run_times, following, skipped=skipped)
