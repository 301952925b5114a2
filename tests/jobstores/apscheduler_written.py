"""Helpers for the store tests: jobs written by the real APScheduler 3.11.3, and a load-failure spy.

``write_with_apscheduler`` runs an APScheduler scheduler (paused, so nothing fires) on an
APScheduler store class given by the caller, adds an interval, a cron and a date job, and returns
what APScheduler itself says about them, for the triggerkit store to be checked against.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler as APSchedulerScheduler

from triggerkit.events import EVENT_JOB_LOAD_FAILED, SchedulerEvent
from triggerkit.job import Job
from triggerkit.schedulers.background import BackgroundScheduler
from triggerkit.triggers.interval import IntervalTrigger

UTC = timezone.utc
FIRST_RUN = datetime(2031, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)


T0 = datetime(2030, 1, 1, tzinfo=UTC)
_SCHEDULER = BackgroundScheduler(timezone="UTC")


def make_job(
    job_id: str, offset: int | None, func: Any = print, kwargs: dict[str, Any] | None = None
) -> Job:
    """A complete triggerkit job (as the scheduler hands it to a store) running ``offset``
    seconds after 2030-01-01 UTC, or paused when ``offset`` is None."""
    run = None if offset is None else T0 + timedelta(seconds=offset)
    return Job(
        _SCHEDULER,
        id=job_id,
        func=func,
        trigger=IntervalTrigger(seconds=1, timezone=UTC),
        executor="default",
        args=(),
        kwargs=kwargs or {},
        name=job_id,
        misfire_grace_time=1,
        coalesce=True,
        max_instances=1,
        next_run_time=run,
    )


def write_with_apscheduler(aps_store: Any) -> dict[str, tuple[str, datetime | None]]:
    """Add three jobs through APScheduler 3.11.3 to ``aps_store`` (an APScheduler store object).

    :returns: job id -> (trigger class name, next run time) as APScheduler reports them
    """
    aps = APSchedulerScheduler(jobstores={"default": aps_store}, timezone="UTC")
    aps.start(paused=True)
    try:
        aps.add_job(print, "interval", minutes=5, id="every5", next_run_time=FIRST_RUN)
        aps.add_job(print, "cron", hour=3, minute=15, id="cron3", timezone="UTC")
        aps.add_job(print, "date", run_date=FIRST_RUN + timedelta(days=1), id="once")
        paused = aps.add_job(print, "interval", hours=1, id="paused")
        paused.pause()
        return {job.id: (type(job.trigger).__name__, job.next_run_time) for job in aps.get_jobs()}
    finally:
        aps.shutdown(wait=False)


def check_apscheduler_jobs(store: Any, expected: dict[str, tuple[str, datetime | None]]) -> None:
    """Assert that ``store`` (a triggerkit store) holds exactly ``expected``'s jobs, restored as
    triggerkit jobs with triggerkit triggers and the same next run times, in the right order."""
    jobs = store.get_all_jobs()
    scheduled = sorted(
        (run, job_id) for job_id, (_name, run) in expected.items() if run is not None
    )
    paused = sorted(job_id for job_id, (_name, run) in expected.items() if run is None)
    assert [job.id for job in jobs] == [job_id for _run, job_id in scheduled] + paused
    for job in jobs:
        trigger_name, next_run = expected[job.id]
        assert type(job.trigger).__module__.startswith("triggerkit.triggers.")
        assert type(job.trigger).__name__ == trigger_name
        assert job.next_run_time == next_run
        assert job.func is print
    assert store.get_next_run_time() == scheduled[0][0]
    due = store.get_due_jobs(FIRST_RUN)
    assert [job.id for job in due] == [job_id for run, job_id in scheduled if run <= FIRST_RUN]
    assert "every5" in [job.id for job in due]


class LoadFailures:
    """A triggerkit scheduler (never started) whose ``EVENT_JOB_LOAD_FAILED`` events are kept."""

    def __init__(self) -> None:
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self.events: list[Any] = []
        self.scheduler.add_listener(self.events.append, EVENT_JOB_LOAD_FAILED)

    def job_ids(self) -> list[str]:
        return [event.job_id for event in self.events if _is_load_failure(event)]


def _is_load_failure(event: SchedulerEvent) -> bool:
    return event.code == EVENT_JOB_LOAD_FAILED
