"""Which run times of a due job to submit, without walking a long outage run by run.

APScheduler 3 collects every run time between the job's ``next_run_time`` and now, one
``get_next_fire_time`` call each, then keeps only the last when coalescing: a per-second job
after a year's downtime costs 31 million calls. Here:

* **coalesce=True** submits the latest run time at or before now, exactly as APScheduler does,
  but finds it with the trigger's backward search when it has one (the cron trigger's
  ``get_prev_fire_time``), or else with an exponential-then-binary search over
  ``get_next_fire_time(None, t)`` (the first fire time at or after ``t``): about
  2·log2(outage/period) trigger calls.
* **coalesce=False** submits every run time, as APScheduler does, with two bounds:
  runs older than ``misfire_grace_time`` (which would each only produce ``EVENT_JOB_MISSED``)
  are reported one by one up to :data:`MAX_MISSED_REPORTED`, and the rest of them are skipped
  with one jump and one warning; and at most :data:`MAX_RUNS_PER_PASS` run times are handed
  over per scheduler pass (the job stays due, so the next pass continues at once).

The jump needs a trigger whose ``get_next_fire_time(None, t)`` is its first fire time at or
after ``t``: the built-in cron, interval and calendar-interval triggers, combinations of them,
and any trigger class that sets ``jumpable_fire_times = True``. Other triggers are walked run
by run (still bounded per pass), which is APScheduler's behaviour.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["MAX_MISSED_REPORTED", "MAX_RUNS_PER_PASS", "RunPlan", "plan_runs"]

#: Missed (beyond grace) run times reported individually before the rest are skipped at once.
MAX_MISSED_REPORTED = 100
#: Run times handed to the executor, or walked over, for one job in one scheduler pass.
MAX_RUNS_PER_PASS = 1000

_JUMPABLE = frozenset(
    {
        "triggerkit.triggers.cron:CronTrigger",
        "triggerkit.triggers.interval:IntervalTrigger",
        "triggerkit.triggers.calendarinterval:CalendarIntervalTrigger",
    }
)
_COMBINING = frozenset(
    {"triggerkit.triggers.combining:AndTrigger", "triggerkit.triggers.combining:OrTrigger"}
)
_RESOLUTION = timedelta(microseconds=1)
_UTC = timezone.utc


def is_jumpable(trigger: Any) -> bool:
    """Tell whether ``trigger.get_next_fire_time(None, t)`` is its first fire time >= ``t``."""
    cls = type(trigger)
    name = f"{cls.__module__}:{cls.__qualname__}"
    if name in _COMBINING:
        return all(is_jumpable(child) for child in getattr(trigger, "triggers", ()))
    return name in _JUMPABLE or bool(getattr(trigger, "jumpable_fire_times", False))


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


def _latest_at_or_before(trigger: Any, known: datetime, now: datetime) -> datetime:
    """Return the trigger's latest fire time ``<= now``, given ``known``, one such fire time."""

    def first_from(t: datetime) -> datetime | None:
        result: datetime | None = trigger.get_next_fire_time(None, t)
        return result

    def is_latest(fire: datetime) -> bool:
        following = trigger.get_next_fire_time(fire, now)
        return following is None or following > now

    if is_latest(known):
        return known
    # A trigger that can search backwards (the cron trigger) answers directly; jitter would
    # make its un-jittered answer disagree with the stored (jittered) run times.
    previous = getattr(trigger, "get_prev_fire_time", None)
    if previous is not None and not getattr(trigger, "jitter", None):
        latest: datetime | None = previous(now, inclusive=True)
        if latest is not None and known.astimezone(_UTC) <= latest <= now:
            return latest
    # Exponential search back from now for a window [lo, now] holding a fire time; hi is the
    # last probe whose window [hi, now] held none.
    hi = now
    width = timedelta(seconds=1)
    while True:
        lo = now - width
        if lo <= known:
            lo, fire = known.astimezone(_UTC), known
            break
        candidate = first_from(lo)
        if candidate is not None and candidate <= now:
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
        if candidate is not None and candidate <= now:
            lo, fire = mid, candidate
            if is_latest(fire):
                return fire
        else:
            hi = mid
    return fire


def _walk(
    trigger: Any, start: datetime | None, now: datetime, until: datetime, limit: int
) -> tuple[list[datetime], datetime | None]:
    """Collect fire times from ``start`` while ``<= until`` and fewer than ``limit``.

    :returns: the collected times and the first fire time not collected
    """
    times: list[datetime] = []
    current = start
    while current is not None and current <= until and len(times) < limit:
        times.append(current)
        current = trigger.get_next_fire_time(current, now)
    return times, current


def plan_runs(job: Any, now: datetime) -> RunPlan:
    """Decide which run times of ``job`` (due at ``now``) to submit in this pass."""
    # All instants are compared and shifted in UTC: aware datetimes that share a zone compare
    # and subtract as wall-clock times, which is wrong across a DST change.
    now = now.astimezone(_UTC)
    first: datetime | None = job.next_run_time
    if first is None or first > now:
        return RunPlan([])
    trigger = job.trigger
    jumpable = is_jumpable(trigger)

    if job.coalesce:
        if jumpable:
            following = trigger.get_next_fire_time(first, now)
            if following is None or following > now:
                return RunPlan([first], following)  # the usual case: one run is due
            latest = _latest_at_or_before(trigger, first, now)
            return RunPlan([latest], trigger.get_next_fire_time(latest, now))
        times, following = _walk(trigger, first, now, now, MAX_RUNS_PER_PASS)
        if following is not None and following <= now:
            return RunPlan([], resume_at=following)  # walk on in the next pass
        return RunPlan(times[-1:], following)

    run_times: list[datetime] = []
    skipped = None
    current: datetime | None = first
    if job.misfire_grace_time is not None:
        horizon = now - timedelta(seconds=job.misfire_grace_time)
        missed, current = _walk(trigger, first, now, horizon, MAX_MISSED_REPORTED)
        run_times.extend(missed)
        if current is not None and current < horizon and jumpable:
            jumped: datetime | None = trigger.get_next_fire_time(None, horizon)
            if jumped is not None and jumped.astimezone(_UTC) <= current.astimezone(_UTC):
                jumped = trigger.get_next_fire_time(current, now)
            skipped = (current, horizon)
            current = jumped
    times, following = _walk(trigger, current, now, now, MAX_RUNS_PER_PASS - len(run_times))
    run_times.extend(times)
    if following is not None and following <= now:
        return RunPlan(run_times, resume_at=following, skipped=skipped)
    # After a jump with no run inside the grace time, ``following`` is the jump's target:
    # asking the trigger after the last reported miss would land back in the skipped range.
    return RunPlan(run_times, following, skipped=skipped)
