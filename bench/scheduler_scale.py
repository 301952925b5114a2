"""Scale: 100,000 cron jobs in a MemoryJobStore, triggerkit beside APScheduler 3.11.

Prints, for each scheduler: the time to add the jobs (``add_job`` with a cron alias, into a
started scheduler so they reach the store), the memory they take (tracemalloc), and the cost of
one pass of the scheduler loop (``_process_jobs``) with none and with 100 jobs due, at several
store sizes, so that the wake-up cost can be seen not to depend on the jobs that are not due::

    python bench/scheduler_scale.py [--jobs 100000]
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

UTC = timezone.utc


def noop() -> None:
    pass


def make_scheduler(kind: str) -> Any:
    if kind == "triggerkit":
        from triggerkit.schedulers.base import BaseScheduler
    else:
        from apscheduler.schedulers.base import BaseScheduler

    class Hand(BaseScheduler):  # type: ignore[misc, valid-type]
        def wakeup(self) -> None:
            pass

        def shutdown(self, wait: bool = True) -> None:
            super().shutdown(wait)

    sched = Hand(timezone="UTC", executors={"default": {"type": "debug"}})
    sched.start(paused=True)
    return sched


def add_jobs(sched: Any, count: int) -> float:
    start = time.perf_counter()
    for i in range(count):
        sched.add_job(noop, "cron", minute=(i // 60) % 60, second=i % 60, id=str(i))
    return time.perf_counter() - start


def wakeup_cost(sched: Any, due: int, size: int, repeats: int = 9) -> float:
    """Median seconds of one loop pass with ``due`` jobs made due just before it."""
    from statistics import median

    sched.state = 1  # running, without the wake-up resume() would send
    samples = []
    for r in range(repeats):
        past = datetime.now(UTC) - timedelta(milliseconds=100)
        for i in range(due):
            sched.modify_job(str((r * due + i) % size), next_run_time=past)
        t0 = time.perf_counter()
        sched._process_jobs()
        samples.append(time.perf_counter() - t0)
    sched.state = 2
    return median(samples)


def measure(kind: str, count: int) -> dict[str, float]:
    gc.collect()
    tracemalloc.start()
    sched = make_scheduler(kind)
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()  # tracing slows adding; measure memory in a second pass below
    gc.collect()
    add_seconds = add_jobs(sched, count)
    idle = wakeup_cost(sched, 0, count)
    busy = wakeup_cost(sched, 100, count)
    sched.remove_all_jobs()
    # memory: a separate, traced fill
    gc.collect()
    tracemalloc.start()
    sched2 = make_scheduler(kind)
    before = tracemalloc.get_traced_memory()[0]
    add_jobs(sched2, count)
    memory = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    sched2.remove_all_jobs()
    return {"add": add_seconds, "memory": memory, "idle": idle, "busy": busy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=100_000)
    args = parser.parse_args()
    print(f"machine: {platform.machine()} python {platform.python_version()}")
    print(f"{args.jobs} cron jobs in a MemoryJobStore")
    header = f"{'scheduler':<12}{'add s':>9}{'µs/add':>9}{'MiB':>8}{'pass, 0 due µs':>16}"
    print(header + f"{'pass, 100 due µs':>18}")
    results = {}
    for kind in ("triggerkit", "apscheduler"):
        r = measure(kind, args.jobs)
        results[kind] = r
        print(
            f"{kind:<12}{r['add']:>9.2f}{r['add'] / args.jobs * 1e6:>9.1f}"
            f"{r['memory'] / 2**20:>8.1f}{r['idle'] * 1e6:>16.1f}{r['busy'] * 1e6:>18.1f}",
            flush=True,
        )
    ratio = results["apscheduler"]["add"] / results["triggerkit"]["add"]
    print(f"add speed-up: {ratio:.1f}x")
    print("wake-up cost by store size (triggerkit / apscheduler, µs, 100 due):")
    for size in (1_000, 10_000, args.jobs):
        row = []
        for kind in ("triggerkit", "apscheduler"):
            sched = make_scheduler(kind)
            add_jobs(sched, size)
            row.append(wakeup_cost(sched, 100, size) * 1e6)
            sched.remove_all_jobs()
        print(f"  {size:>7} jobs: {row[0]:>9.1f} / {row[1]:>9.1f}")


if __name__ == "__main__":
    main()
