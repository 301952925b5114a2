"""Measured agreement rates with APScheduler 3.11, the DST oracle, croniter and cronsim.

A fixed number of fixed-seed cases per category. The rates are printed (``pytest -s``) and, if
``TRIGGERKIT_AGREEMENT_REPORT`` names a file, appended to it as one JSON line per category and
engine. The test asserts that triggerkit agrees with APScheduler on at least 99.5% of the chains
without a DST transition, with the oracle on every chain with one, and with croniter and cronsim
on at least 99.5% of the POSIX-compatible chains; the measured rates are 100% at the time of
writing (see ``docs/rules/dst.md``).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from types import ModuleType
from zoneinfo import ZoneInfo

import apscheduler.triggers.cron as aps_cron
import apscheduler.triggers.interval as aps_interval
import pytest
from chains import chain
from diff_cases import (
    ZONE_NAMES,
    CronCase,
    compare_cron,
    posix_chains,
    random_cron_case,
    random_crontab,
    random_posix_case,
    random_start,
)
from dst_oracle import selector

from triggerkit.triggers.cron import CronTrigger
from triggerkit.triggers.interval import IntervalTrigger

UTC = timezone.utc


def engine_name(kernel: ModuleType) -> str:
    return "cython" if kernel.__name__.endswith("_speedups") else "python"


@dataclass
class Rates:
    category: str
    engine: str = ""
    cases: int = 0
    without_dst: int = 0
    agree_with_apscheduler: int = 0
    with_dst: int = 0
    agree_with_oracle: int = 0
    apscheduler_agrees_with_oracle: int = 0
    apscheduler_equal_anyway: int = 0

    def line(self) -> str:
        def pct(a: int, b: int) -> str:
            return f"{100 * a / b:.1f}% ({a}/{b})" if b else "n/a"

        return (
            f"{self.category:<22} [{self.engine}] vs APScheduler without DST: "
            f"{pct(self.agree_with_apscheduler, self.without_dst)}; vs oracle with DST: "
            f"{pct(self.agree_with_oracle, self.with_dst)}; APScheduler vs oracle: "
            f"{pct(self.apscheduler_agrees_with_oracle, self.with_dst)}"
        )


def report(rates: Rates) -> None:
    print("\n" + rates.line())
    path = os.environ.get("TRIGGERKIT_AGREEMENT_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(rates)) + "\n")


def measure_cron(
    rates: Rates, make: Callable[[random.Random], CronCase], seed: int, n: int
) -> None:
    rnd = random.Random(seed)
    failures = []
    for _ in range(n):
        case = make(rnd)
        ours = chain(CronTrigger(timezone=case.tz, **case.kwargs), case.start_datetime())
        theirs = chain(aps_cron.CronTrigger(timezone=case.tz, **case.kwargs), case.start_datetime())
        verdict = compare_cron(case, ours, theirs)
        rates.cases += 1
        if verdict.dst:
            rates.with_dst += 1
            rates.agree_with_oracle += verdict.agrees
            rates.apscheduler_agrees_with_oracle += bool(verdict.aps_oracle_agrees)
            rates.apscheduler_equal_anyway += verdict.aps_agrees
        else:
            rates.without_dst += 1
            rates.agree_with_apscheduler += verdict.agrees
        if not verdict.agrees:
            failures.append((case, verdict.detail))
    report(rates)
    assert rates.agree_with_apscheduler >= 0.995 * rates.without_dst, failures[:3]
    assert rates.agree_with_oracle == rates.with_dst, failures[:3]


def test_cron_kwargs_agreement(engine: ModuleType) -> None:
    rates = Rates("cron kwargs", engine_name(engine))
    measure_cron(rates, random_cron_case, seed=20261125, n=300)
    assert rates.without_dst >= 100 and rates.with_dst >= 50


def test_dense_cron_near_dst_agreement(engine: ModuleType) -> None:
    rates = Rates("dense cron near DST", engine_name(engine))
    measure_cron(rates, lambda rnd: random_cron_case(rnd, dense=True, close=True), seed=4242, n=150)
    assert rates.with_dst >= 40


def test_crontab_agreement(engine: ModuleType) -> None:
    rates = Rates("crontab strings", engine_name(engine))

    def make(rnd: random.Random) -> CronCase:
        _, kwargs = random_crontab(rnd)
        zone = rnd.choice(ZONE_NAMES)
        return CronCase(kwargs, zone, random_start(rnd, zone), selector(**kwargs))

    measure_cron(rates, make, seed=606, n=100)


def test_interval_agreement(engine: ModuleType) -> None:
    rates = Rates("intervals", engine_name(engine))
    rnd = random.Random(286)
    for _ in range(150):
        zone = rnd.choice(ZONE_NAMES)
        tz = ZoneInfo(zone)
        start = datetime.fromtimestamp(random_start(rnd, zone), tz)
        seconds = rnd.choice([1, 59, 60, 900, 3600, 5400, 86400, 7 * 86400, 123457])
        now = (start.astimezone(UTC) + timedelta(seconds=rnd.randint(-(10**5), 10**6))).astimezone(
            tz
        )
        ours = chain(IntervalTrigger(seconds=seconds, start_date=start, timezone=tz), now)
        theirs = chain(
            aps_interval.IntervalTrigger(seconds=seconds, start_date=start, timezone=tz), now
        )
        rates.cases += 1
        rates.without_dst += 1  # rule I: elapsed time, APScheduler decides everywhere
        rates.agree_with_apscheduler += [(d.timestamp(), d.utcoffset()) for d in ours] == [
            (d.timestamp(), d.utcoffset()) for d in theirs
        ]
    report(rates)
    assert rates.agree_with_apscheduler == rates.cases


@pytest.mark.parametrize("peer", ["croniter", "cronsim"])
def test_posix_peer_agreement(engine: ModuleType, peer: str) -> None:
    rnd = random.Random(1986)
    agree = total = 0
    for _ in range(200):
        case = random_posix_case(rnd)
        start = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(
            seconds=rnd.randint(0, 40 * 365 * 86400)
        )
        chains = posix_chains(case, start)
        total += 1
        agree += [d.astimezone(UTC) for d in chains[peer]] == chains["triggerkit"]
    line = (
        f"{peer + ' (UTC, POSIX)':<22} [{engine_name(engine)}] "
        f"{100 * agree / total:.1f}% ({agree}/{total})"
    )
    print("\n" + line)
    path = os.environ.get("TRIGGERKIT_AGREEMENT_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"category": peer, "cases": total, "agree": agree}) + "\n")
    assert agree >= 0.995 * total
