"""Several schedulers on one store (``shared=True``): runs per second and lateness for N = 1, 2, 4.

    python bench/shared.py                      # PostgreSQL and SQLite, N = 1, 2, 4
    python bench/shared.py --stores sqlite --jobs 20 --seconds 5   # smaller
    python bench/shared.py --svg docs/shared-bench.svg              # also draw the plot

N scheduler processes (tests/schedulers/shared_fleet.py workers) share one store holding
``--jobs`` interval jobs that fire every second for ``--seconds`` runs each. Every run inserts its
identity (job id, scheduled time) into a runs table with a unique key (an SQLite file), so the
figures count only runs done once; duplicates and missing runs are printed too (both must be 0),
and runs the schedulers reported instead of running (missed, max instances, outcome unknown).
Worker logs go to a temporary folder (kept only for the run).
The runs table is in the PostgreSQL database itself for PostgreSQL, in a second SQLite file for
SQLite, Redis and MongoDB (``--stores mongo``: the nx-27017 stand-in, see docs/shared.md).

Reported per store and N: runs completed per second of the load window (runs / seconds), and
lateness p50/p99 (the moment the job function ran minus its scheduled time). Nothing random: the
jobs are added once every worker runs, and start on a whole second 2 s later. Servers come from the
``TK_*`` variables (``.ci/servers.sh``) or are started for the run. The SVG plot is written by this
script (no plotting library needed).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLEET_DIR = ROOT / "tests" / "schedulers"
sys.path[:0] = [str(FLEET_DIR), str(ROOT / "tests")]

import shared_fleet  # noqa: E402
from servers import store_url  # noqa: E402

UTC = timezone.utc
LEAD = 2.0  # seconds between adding the jobs (all workers running) and their first run


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def one(name: str, processes: int, jobs: int, seconds: int, folder: str) -> dict[str, float]:
    url = store_url(name, folder)
    table = f"bench_{uuid.uuid4().hex[:10]}"
    # The runs table lives in the same kind of database: a server takes concurrent inserts from
    # N processes in its stride, where an SQLite file would make the recording the bottleneck.
    runs_url = (
        url if name == "postgres" else f"sqlite:///{folder}/runs-{uuid.uuid4().hex[:8]}.sqlite"
    )
    shared_fleet.create_runs_tables(runs_url, fresh=True)
    shared_fleet.add_jobs(url, table, 0, datetime.now(UTC), 1)  # the store's tables
    log = open(f"{folder}/workers-{table}.log", "w")  # noqa: SIM115 - closed below
    # The workers start first (on a busy machine a Python process takes seconds to import its
    # way to a running scheduler); the jobs are added once every one of them is running.
    procs = [
        shared_fleet.spawn(url, table, runs_url, -1, stdin=subprocess.PIPE, stderr=log)
        for _ in range(processes)
    ]
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        while line and not line.endswith(" started\n"):
            line = proc.stdout.readline()
        if not line:
            log.close()
            tail = Path(log.name).read_text(encoding="utf-8")[-3000:]
            raise SystemExit(f"a worker did not start:\n{tail}")
    start = (datetime.now(UTC) + timedelta(seconds=LEAD)).replace(microsecond=0)
    shared_fleet.add_jobs(url, table, jobs, start, seconds)
    time.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds() + seconds + 3))
    for proc in procs:
        proc.communicate("", timeout=120)
    log.close()
    runs, rows, dups, reports = shared_fleet.fetch(runs_url)
    late = [row.ran_at - row.run_time / 1e6 for row in rows]
    expected = shared_fleet.expected_runs(jobs, start, seconds)
    return {
        "runs_per_s": len(runs) / seconds,
        "p50": percentile(late, 0.5) if late else float("nan"),
        "p99": percentile(late, 0.99) if late else float("nan"),
        "duplicates": float(len(dups)),
        "missing": float(len(expected - runs)),
        "reported": float(len(reports)),
    }


def svg(results: dict[str, dict[int, dict[str, float]]], path: Path) -> None:
    """Two panels: runs/s and p99 lateness against N, one line per store."""
    width, height, pad = 720, 300, 50
    colours = {"postgres": "#1f77b4", "sqlite": "#d62728", "redis": "#2ca02c"}
    colours["zookeeper"] = "#9467bd"
    colours["etcd"] = "#8c564b"
    colours["mongo"] = "#e377c2"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    panels = [("runs_per_s", "runs per second", 0), ("p99", "lateness p99 (s)", width // 2)]
    for key, title, x0 in panels:
        values = [r[key] for per_n in results.values() for r in per_n.values()]
        top = max(values + [1e-9]) * 1.15
        ns = sorted({n for per_n in results.values() for n in per_n})
        left, right, low, high = x0 + pad, x0 + width // 2 - 20, height - pad, 40

        def px(n: int, left: int = left, right: int = right, ns: list[int] = ns) -> float:
            return left + (right - left) * (ns.index(n) / max(1, len(ns) - 1))

        def py(v: float, top: float = top, low: int = low, high: int = high) -> float:
            return low - (low - high) * (v / top)

        parts.append(f'<text x="{(left + right) / 2}" y="20" text-anchor="middle">{title}</text>')
        parts.append(f'<line x1="{left}" y1="{low}" x2="{right}" y2="{low}" stroke="black"/>')
        parts.append(f'<line x1="{left}" y1="{low}" x2="{left}" y2="{high}" stroke="black"/>')
        for fraction in (0, 0.5, 1):
            v = top / 1.15 * fraction
            parts.append(
                f'<text x="{left - 5}" y="{py(v) + 4:.1f}" text-anchor="end">{v:.3g}</text>'
            )
        for n in ns:
            parts.append(f'<text x="{px(n):.1f}" y="{low + 18}" text-anchor="middle">N={n}</text>')
        for offset, (store, per_n) in enumerate(results.items()):
            points = " ".join(f"{px(n):.1f},{py(r[key]):.1f}" for n, r in sorted(per_n.items()))
            colour = colours.get(store, "black")
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
            for n, r in per_n.items():
                parts.append(
                    f'<circle cx="{px(n):.1f}" cy="{py(r[key]):.1f}" r="3" fill="{colour}"/>'
                )
            parts.append(
                f'<text x="{right - 60}" y="{high + 14 * offset}" fill="{colour}">{store}</text>'
            )
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", default="postgres,sqlite")
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--jobs", type=int, default=40, help="jobs, each firing every second")
    parser.add_argument("--seconds", type=int, default=8, help="runs per job")
    parser.add_argument("--svg", type=Path, help="write the plot here")
    args = parser.parse_args()
    results: dict[str, dict[int, dict[str, float]]] = {}
    print(
        f"# shared stores: {args.jobs} jobs x 1/s for {args.seconds} s, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the start\n"
    )
    print("| store | N | runs/s | lateness p50 (s) | p99 (s) | duplicates | missing | reported |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="tk-bench-shared-") as folder:
        for name in args.stores.split(","):
            for processes in (int(n) for n in args.processes.split(",")):
                r = one(name, processes, args.jobs, args.seconds, folder)
                results.setdefault(name, {})[processes] = r
                print(
                    f"| {name} | {processes} | {r['runs_per_s']:.1f} | {r['p50']:.3f} | "
                    f"{r['p99']:.3f} | {r['duplicates']:.0f} | {r['missing']:.0f} | "
                    f"{r['reported']:.0f} |",
                    flush=True,
                )
    if args.svg:
        svg(results, args.svg)
        print(f"\nplot: {args.svg}")


if __name__ == "__main__":
    main()
