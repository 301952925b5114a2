"""Previous fire time before an instant (APScheduler 3.11 has no backward search)."""

from __future__ import annotations

from typing import Any

import pytest
from contenders import ROWS, ZONES, prev_calls

CASES = [pytest.param(row, zone, id=f"{row.name}-{zone}") for row in ROWS for zone in ZONES]


@pytest.mark.parametrize(("row", "zone"), CASES)
@pytest.mark.parametrize("api", ["Cron.prev", "CronTrigger", "CronCore.prev"])
def test_triggerkit(benchmark: Any, kernel: str, api: str, row: Any, zone: str) -> None:
    benchmark.group = f"prev {row.name} {zone}"
    calls = prev_calls(row, zone)
    if api not in calls:
        pytest.skip(f"{api} is not available")
    benchmark(calls[api])


@pytest.mark.parametrize(("row", "zone"), CASES)
@pytest.mark.parametrize("peer", ["croniter", "cronsim (incl. construction)"])
def test_peer(benchmark: Any, peer: str, row: Any, zone: str) -> None:
    benchmark.group = f"prev {row.name} {zone}"
    benchmark(prev_calls(row, zone)[peer])
