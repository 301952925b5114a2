"""Iterating 10,000 successive fire times."""

from __future__ import annotations

from typing import Any

import pytest
from contenders import ROWS, ZONES, iterate_calls

COUNT = 10_000
ITERATED = ["*/5 * * * *", "*/15 9-17 * * mon-fri", "*/10 * * * * * (6 fields)"]
CASES = [
    pytest.param(row, zone, id=f"{row.name}-{zone}")
    for row in ROWS
    if row.name in ITERATED
    for zone in ZONES
]


@pytest.mark.parametrize(("row", "zone"), CASES)
@pytest.mark.parametrize("api", ["Cron.iter", "CronTrigger"])
def test_triggerkit(benchmark: Any, kernel: str, api: str, row: Any, zone: str) -> None:
    benchmark.group = f"iterate {COUNT} {row.name} {zone}"
    calls = iterate_calls(row, zone, COUNT)
    if api not in calls:
        pytest.skip(f"{api} is not available")
    assert len(benchmark.pedantic(calls[api], rounds=3, iterations=1)) == COUNT


@pytest.mark.parametrize(("row", "zone"), CASES)
@pytest.mark.parametrize("peer", ["APScheduler", "croniter", "cronsim"])
def test_peer(benchmark: Any, peer: str, row: Any, zone: str) -> None:
    benchmark.group = f"iterate {COUNT} {row.name} {zone}"
    calls = iterate_calls(row, zone, COUNT)
    assert len(benchmark.pedantic(calls[peer], rounds=3, iterations=1)) == COUNT
