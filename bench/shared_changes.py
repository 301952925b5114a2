"""How soon a change made through one shared scheduler is seen by another (a process of its own).

    python bench/shared_changes.py                                  # every store, 20 changes
    python bench/shared_changes.py --stores redis --changes 50 --poll 5 --seed 1

Scheduler B is a ``tests/schedulers/shared_fleet.py`` worker (``shared_poll_interval=--poll``,
lease 3x that) that runs every job; scheduler A, in this process, is started paused and only
writes. ``--changes`` times, after a pause drawn from a seeded generator (0.2 to 2 s, so that the
changes fall anywhere in B's poll cycle), A adds a job due at once; the delay is the moment B's
job function ran (its ``time.time()``, recorded in the runs table) minus the moment just before
A's ``add_job`` call: A's write, the notice (or the poll), B's claim and its thread pool.

PostgreSQL and Redis notify B (LISTEN/NOTIFY, pub/sub); SQLite cannot, and B sees changes at its
next poll. Printed per store: p50, p95 and the largest delay, in seconds. Servers come from the
``TK_*`` variables (``.ci/servers.sh``) or are started for the run.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLEET_DIR = ROOT / "tests" / "schedulers"
sys.path[:0] = [str(FLEET_DIR), str(ROOT / "tests")]

import shared_fleet  # noqa: E402
from servers import store_url  # noqa: E402

UTC = timezone.utc


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(name: str, changes: int, poll: float, rng: random.Random, folder: str) -> list[float]:
    url = store_url(name, folder)
    table = f"bench_{uuid.uuid4().hex[:10]}"
    runs_url = f"sqlite:///{folder}/runs-{table}.sqlite"
    shared_fleet.create_runs_tables(runs_url)
    worker = shared_fleet.spawn(
        url, table, runs_url, -1, "--poll", str(poll), stdin=subprocess.PIPE
    )
    assert worker.stdout is not None
    assert worker.stdout.readline().endswith("started\n")
    store = shared_fleet.open_store(url, table)
    writer = shared_fleet.make_scheduler(
        url, table, store, shared_poll_interval=poll, shared_lease=3 * poll
    )
    writer.start(paused=True)
    delays: list[float] = []
    try:
        time.sleep(1.0)
        for number in range(changes):
            time.sleep(rng.uniform(0.2, 2.0))
            job_id = f"change{number:04d}"
            before = time.time()
            writer.add_job(
                "shared_fleet:record_run",
                "date",
                run_date=datetime.now(UTC),
                id=job_id,
                misfire_grace_time=60,
            )
            deadline = time.monotonic() + 3 * poll + 10
            while time.monotonic() < deadline:
                rows = {row.job_id: row.ran_at for row in shared_fleet.fetch(runs_url)[1]}
                if job_id in rows:
                    delays.append(rows[job_id] - before)
                    break
                time.sleep(0.01)
            else:
                raise RuntimeError(f"{name}: {job_id} never ran")
    finally:
        writer.shutdown()
        worker.communicate(timeout=60)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", default="postgres,redis,sqlite")
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--poll", type=float, default=5.0, help="B's shared_poll_interval")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    load = os.getloadavg()[0]
    print(f"changes {args.changes}, poll {args.poll:g} s, seed {args.seed}, load {load:.1f}")
    print("| store | how B learns of it | p50 (s) | p95 (s) | max (s) |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.stores.split(","):
            delays = measure(name, args.changes, args.poll, rng, folder)
            how = {"postgres": "LISTEN/NOTIFY", "redis": "pub/sub", "zookeeper": "watch"}.get(
                name, "polling"
            )
            print(
                f"| {name} | {how} | {percentile(delays, 0.5):.3f} | "
                f"{percentile(delays, 0.95):.3f} | {max(delays):.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
