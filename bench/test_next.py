"""Next fire time after an instant: every row, UTC and Europe/Berlin, every contender."""

from __future__ import annotations

from typing import Any

import pytest
from contenders import ROWS, ZONES, next_calls

CASES = [pytest.param(row, zone, id=f"{row.name}-{zone}") for row in ROWS for zone in ZONES]
PEERS = ["APScheduler", "croniter", "cronsim"]


@pytest.mark.parametrize(("row", "zone"), CASES)
@pytest.mark.parametrize("api", ["Cron.next", "CronTrigger", "CronCore.next"])
def test_triggerkit(benchmark: Any, kernel: str, api: str, row: Any, zone: str) -> None:
    benchmark.group = f"next {row.name} {zone}"
    calls = next_calls(row, zone)
    if api not in calls:
        pytest.skip(f"{api} is not available")
    benchmark(calls[api])


@pytest.mark.parametrize(("row", "zone"), CASES)
@pytest.mark.parametrize("peer", PEERS)
def test_peer(benchmark: Any, peer: str, row: Any, zone: str) -> None:
    benchmark.group = f"next {row.name} {zone}"
    benchmark(next_calls(row, zone)[peer])
