"""Searches across Europe/Berlin's transitions (rules G and O), against the peers.

2026-03-29 01:00 UTC: 02:00 CET -> 03:00 CEST (a gap); 2026-10-25 01:00 UTC: 03:00 CEST ->
02:00 CET (02:00-03:00 repeats). Each call searches from one hour before the transition.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger as ApsCronTrigger
from croniter import croniter
from cronsim import CronSim

from triggerkit.triggers.cron import CronTrigger

BERLIN = ZoneInfo("Europe/Berlin")
STARTS = {
    "gap": datetime(2026, 3, 29, 1, 10, tzinfo=BERLIN),
    "overlap": datetime(2026, 10, 25, 1, 10, tzinfo=BERLIN),
}
SPECS = {  # (posix, APScheduler keywords)
    "30 2 * * *": ("30 2 * * *", {"hour": 2, "minute": 30}),
    "*/15 * * * *": ("*/15 * * * *", {"minute": "*/15"}),
}
CASES = [pytest.param(s, w, id=f"{s}-{w}") for s in SPECS for w in STARTS]


@pytest.mark.parametrize(("spec", "when"), CASES)
def test_triggerkit(benchmark: Any, kernel: str, spec: str, when: str) -> None:
    benchmark.group = f"dst {spec} {when}"
    trigger = CronTrigger(timezone=BERLIN, **SPECS[spec][1])
    at = STARTS[when]
    benchmark(lambda: trigger.get_next_fire_time(None, at))


@pytest.mark.parametrize(("spec", "when"), CASES)
def test_apscheduler(benchmark: Any, spec: str, when: str) -> None:
    benchmark.group = f"dst {spec} {when}"
    trigger = ApsCronTrigger(timezone=BERLIN, **SPECS[spec][1])
    at = STARTS[when]
    benchmark(lambda: trigger.get_next_fire_time(None, at))


@pytest.mark.parametrize(("spec", "when"), CASES)
def test_croniter(benchmark: Any, spec: str, when: str) -> None:
    benchmark.group = f"dst {spec} {when}"
    at = STARTS[when]
    it = croniter(SPECS[spec][0], at)

    def call() -> datetime:
        it.set_current(at, force=True)
        return it.get_next(datetime)  # type: ignore[no-any-return]

    benchmark(call)


@pytest.mark.parametrize(("spec", "when"), CASES)
def test_cronsim(benchmark: Any, spec: str, when: str) -> None:
    benchmark.group = f"dst {spec} {when}"
    at = STARTS[when]
    sim = CronSim(SPECS[spec][0], at)
    state = sim.dt

    def call() -> datetime:
        sim.dt = state
        return next(sim)

    benchmark(call)
