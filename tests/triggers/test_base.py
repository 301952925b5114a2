"""triggers/base.py: an end_date before the start_date is accepted, as APScheduler 3 does."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger as ApsCronTrigger
from apscheduler.triggers.interval import IntervalTrigger as ApsIntervalTrigger

from triggerkit.triggers.cron import CronTrigger
from triggerkit.triggers.interval import IntervalTrigger

UTC = timezone.utc
NOW = datetime(2024, 6, 1, tzinfo=UTC)
ENDS_EARLY = {
    "start_date": "2025-01-01 17:00:00",
    "end_date": "2025-01-01 16:30:00",
    "timezone": UTC,
}


@pytest.mark.parametrize(
    ("ours", "theirs", "kwargs"),
    [
        (CronTrigger, ApsCronTrigger, {"minute": 0}),
        (IntervalTrigger, ApsIntervalTrigger, {"hours": 1}),
    ],
    ids=["cron", "interval"],
)
def test_an_end_date_before_the_start_date_never_fires_and_warns_naming_both(
    ours: Any, theirs: Any, kwargs: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    trigger = ours(**kwargs, **ENDS_EARLY)
    assert trigger.get_next_fire_time(None, NOW) is None
    assert theirs(**kwargs, **ENDS_EARLY).get_next_fire_time(None, NOW) is None
    (record,) = [r for r in caplog.records if r.name == "triggerkit.triggers"]
    assert record.levelname == "WARNING"
    assert "end_date 2025-01-01T16:30:00+00:00" in record.getMessage()
    assert "start_date 2025-01-01T17:00:00+00:00" in record.getMessage()


def test_an_end_date_at_the_start_date_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    trigger = CronTrigger(minute=0, start_date="2025-01-01", end_date="2025-01-01", timezone=UTC)
    assert trigger.get_next_fire_time(None, NOW) == datetime(2025, 1, 1, tzinfo=UTC)
    assert caplog.records == []
