"""Fixtures shared by the store tests of this folder."""

from __future__ import annotations

import pytest
from apscheduler_written import LoadFailures


@pytest.fixture
def failures() -> LoadFailures:
    """A never-started scheduler that keeps the load failures the stores report."""
    return LoadFailures()
