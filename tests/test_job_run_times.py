"""``Job._get_run_times``: kept because code and tests written for APScheduler 3 call it
(APScheduler 3.11.3's own ``tests/test_job.py`` does); checked against the real APScheduler."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from unittest.mock import MagicMock

import pytest
from apscheduler.job import Job as ApsJob
from apscheduler.triggers.cron import CronTrigger as ApsCronTrigger
from apscheduler.triggers.interval import IntervalTrigger as ApsIntervalTrigger

from triggerkit.job import Job
from triggerkit.triggers.cron import CronTrigger
from triggerkit.triggers.interval import IntervalTrigger

UTC = timezone.utc
START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def job_with(job_class: type, trigger: object, next_run_time: datetime | None) -> object:
    scheduler = MagicMock(timezone=UTC)
    return job_class(
        scheduler, id="j", func=print, trigger=trigger, next_run_time=next_run_time,
        max_instances=1, misfire_grace_time=1, coalesce=False, executor="default",
        args=(), kwargs={}, name="j",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            IntervalTrigger(seconds=7, start_date=START),
            ApsIntervalTrigger(seconds=7, start_date=START),
        ),
        (
            CronTrigger(minute="*/5", second=30, timezone=UTC),
            ApsCronTrigger(minute="*/5", second=30, timezone=UTC),
        ),
    ],
    ids=["interval", "cron"],
)
@pytest.mark.parametrize("hours", [0, 1, 5])
def test_run_times_up_to_now_are_apschedulers(ours: object, theirs: object, hours: int) -> None:
    now = START + timedelta(hours=hours, seconds=13)
    first = ours.get_next_fire_time(None, START)  # type: ignore[attr-defined]
    mine = job_with(Job, ours, first)._get_run_times(now)  # type: ignore[attr-defined]
    expected = job_with(ApsJob, theirs, first)._get_run_times(now)  # type: ignore[attr-defined]
    assert mine == expected
    if first <= now:
        assert mine[0] == first and mine[-1] <= now
    else:
        assert mine == []


def test_a_paused_job_has_no_run_times() -> None:
    job = job_with(Job, IntervalTrigger(seconds=1, start_date=START), None)
    assert job._get_run_times(START + timedelta(days=1)) == []  # type: ignore[attr-defined]


def test_a_next_run_time_after_now_gives_none() -> None:
    job = job_with(Job, IntervalTrigger(seconds=1, start_date=START), START + timedelta(hours=1))
    assert job._get_run_times(START) == []  # type: ignore[attr-defined]
