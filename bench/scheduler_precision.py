"""Scheduling precision: 1,000 interval jobs firing every second in a BackgroundScheduler.

Runs triggerkit and APScheduler 3.11 one after the other in the same process and prints the
median and p99 lateness of the job starts (time the job function began minus its scheduled run
time), side by side::

    python bench/scheduler_precision.py [--seconds 30] [--jobs 1000] [--burst]

By default the jobs' start times are spread over the second (job i at +i ms), which measures
the wake-up precision; ``--burst`` starts them all on the same instant, which measures how fast
a burst of due jobs is handed out.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

UTC = timezone.utc


def run(kind: str, seconds: float, jobs: int, burst: bool) -> list[float]:
    if kind == "triggerkit":
        from triggerkit.schedulers.background import BackgroundScheduler
    else:
        from apscheduler.schedulers.background import BackgroundScheduler

    lateness: list[float] = []
    lock = threading.Lock()
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    base_ts = base.timestamp()

    def job(offset: float) -> None:
        now = time.time()
        # the scheduled run time is base + offset + k seconds for the k that makes it <= now
        elapsed = now - base_ts - offset
        late = elapsed - int(elapsed)
        with lock:
            lateness.append(late)

    sched: Any = BackgroundScheduler(
        timezone="UTC",
        job_defaults={"misfire_grace_time": 30, "coalesce": False, "max_instances": 5},
        executors={"default": {"type": "threadpool", "max_workers": 20}},
    )
    for i in range(jobs):
        offset = 0.0 if burst else (i % 1000) / 1000
        sched.add_job(
            job, "interval", seconds=1, start_date=base + timedelta(seconds=offset), args=(offset,)
        )
    sched.start()
    time.sleep(2 + seconds)
    sched.shutdown(wait=True)
    return lateness


def summary(values: list[float]) -> tuple[int, float, float, float]:
    ms = sorted(v * 1000 for v in values)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return len(ms), statistics.median(ms), p99, ms[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--burst", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=1, help="alternate the contenders this many times"
    )
    args = parser.parse_args()
    from importlib.metadata import version

    print(
        f"machine: {platform.machine()} {platform.processor() or ''} "
        f"python {platform.python_version()}  apscheduler {version('APScheduler')}"
    )
    print(
        f"{args.jobs} interval jobs, every 1 s, {args.seconds:g} s, "
        f"{'burst (same instant)' if args.burst else 'spread over the second'}"
    )
    print(f"{'scheduler':<14}{'runs':>8}{'median ms':>12}{'p99 ms':>10}{'max ms':>10}")
    order = ["triggerkit", "apscheduler"]
    for round_number in range(args.rounds):
        # alternate who goes first, so that neither always gets the colder (or warmer) machine
        kinds = order if round_number % 2 == 0 else order[::-1]
        for kind in kinds:
            gc.collect()
            runs, median, p99, worst = summary(run(kind, args.seconds, args.jobs, args.burst))
            print(f"{kind:<14}{runs:>8}{median:>12.3f}{p99:>10.3f}{worst:>10.3f}", flush=True)


if __name__ == "__main__":
    main()
