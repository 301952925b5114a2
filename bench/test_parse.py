"""Parsing and constructing a schedule (triggerkit compiles its spec lazily, on first use)."""

from __future__ import annotations

from typing import Any

import pytest
from contenders import ROWS, construct_calls

CASES = [pytest.param(row, id=row.name) for row in ROWS]


@pytest.mark.parametrize("row", CASES)
@pytest.mark.parametrize("api", ["Cron", "CronTrigger", "APScheduler", "croniter", "cronsim"])
def test_construct(benchmark: Any, api: str, row: Any) -> None:
    benchmark.group = f"construct {row.name}"
    calls = construct_calls(row, "UTC")
    if api not in calls:
        pytest.skip(f"{api} is not available")
    benchmark(calls[api])
