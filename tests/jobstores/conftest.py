"""Fixtures shared by the store tests of this folder."""

from __future__ import annotations

import pytest
from apscheduler_written import LoadFailures

from triggerkit.schedulers.blocking import BlockingScheduler


@pytest.fixture
def failures() -> LoadFailures:
    """A never-started scheduler that keeps the load failures the stores report."""
    return LoadFailures()


@pytest.fixture
def scheduler() -> BlockingScheduler:
    """A never-started scheduler in UTC for stores to be started on."""
    return BlockingScheduler(timezone="UTC")
