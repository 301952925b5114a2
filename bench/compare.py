"""Print the side-by-side benchmark tables (markdown), all measured in this one run.

    python bench/compare.py            # full run, a few minutes
    python bench/compare.py --quick    # fewer repeats, for a smoke test

Contenders: triggerkit on the Cython engine and on the pure-Python engine (toolkit ``Cron`` and
the APScheduler-compatible ``CronTrigger``), APScheduler 3.11, croniter and cronsim. Each number
is the fastest of several repeats (``timeit``-style), in microseconds per call. Every row checks
that all contenders return the same first fire times; a mismatch is printed, never hidden.
"""

from __future__ import annotations

import argparse
import gc
import platform
import subprocess
import sys
import timeit
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contenders as c  # noqa: E402

from triggerkit import _engine  # noqa: E402

REPEATS = 7
MIN_TIME = 0.02  # seconds per repeat


def measure(call: Callable[[], Any], repeats: int = REPEATS) -> float:
    """Return the fastest time of one call, in nanoseconds."""
    call()  # warm caches (zone objects, compiled specs) as a long-running process would
    timer = timeit.Timer(call)
    number = 1
    while True:
        if timer.timeit(number) >= MIN_TIME:
            break
        number *= 2
    return min(timer.repeat(repeats, number)) / number * 1e9


def us(ns: float) -> str:
    return f"{ns / 1000:.2f}"


def ratio(slow: float, fast: float) -> str:
    return f"{slow / fast:.1f}x"


def machine() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in out.splitlines()
            if line.startswith("Model name")
        )
    except (OSError, subprocess.CalledProcessError, StopIteration):
        cpu = platform.processor() or "unknown CPU"
    return (
        f"{cpu}; {platform.system()} {platform.machine()}; Python {platform.python_version()} "
        f"({platform.python_implementation()}); triggerkit engine {_engine.ENGINE}; "
        f"APScheduler {version('APScheduler')}, croniter {version('croniter')}, "
        f"cronsim {version('cronsim')}; "
        f"measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    )


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def same_schedule(row: c.Row, zone: str) -> str:
    """Check that every contender returns the same first fire times; name the ones that do not."""
    with c.engine("cython"):
        times = c.first_fire_times(row, zone)
    reference = times.pop("Cron.iter" if "Cron.iter" in times else "CronTrigger")
    with c.engine("python"):
        times["python engine"] = c.first_fire_times(row, zone)["CronTrigger"]
    wrong = [name for name, found in times.items() if found != reference]
    return "yes" if not wrong else "**no: " + ", ".join(wrong) + "**"


def next_table(repeats: int) -> tuple[str, dict[str, Any]]:
    header = [
        "row",
        "zone",
        "cy Cron.next",
        "cy CronTrigger",
        "cy CronCore",
        "py Cron.next",
        "py CronTrigger",
        "APScheduler",
        "croniter",
        "cronsim",
        "fastest peer ÷ cy Cron",
        "APS ÷ cy CronTrigger",
        "fastest peer ÷ py Cron",
        "same fire times",
    ]
    out, raw = [], {}
    for row in c.ROWS:
        for zone in c.ZONES:
            calls = c.next_calls(row, zone)
            mine = "Cron.next" if "Cron.next" in calls else "CronCore.next"
            with c.engine("cython"):
                cy = {
                    name: measure(calls[name], repeats)
                    for name in ("Cron.next", "CronTrigger", "CronCore.next")
                    if name in calls
                }
                peers = {
                    name: measure(calls[name], repeats)
                    for name in ("APScheduler", "croniter", "cronsim")
                }
            with c.engine("python"):
                py = {
                    name: measure(calls[name], repeats)
                    for name in ("Cron.next", "CronTrigger")
                    if name in calls
                }
            fastest = min(peers.values())
            raw[f"{row.name} {zone}"] = {"cython": cy, "python": py, "peers": peers}
            out.append(
                [
                    f"`{row.name}`",
                    zone,
                    us(cy.get("Cron.next", float("nan"))),
                    us(cy["CronTrigger"]),
                    us(cy["CronCore.next"]),
                    us(py.get("Cron.next", float("nan"))),
                    us(py["CronTrigger"]),
                    us(peers["APScheduler"]),
                    us(peers["croniter"]),
                    us(peers["cronsim"]),
                    ratio(fastest, cy[mine]),
                    ratio(peers["APScheduler"], cy["CronTrigger"]),
                    ratio(fastest, py.get("Cron.next", py["CronTrigger"])),
                    same_schedule(row, zone),
                ]
            )
            print(f"  next: {row.name} {zone}", file=sys.stderr, flush=True)
    return table(header, out), raw


def construct_table(repeats: int) -> tuple[str, dict[str, Any]]:
    header = [
        "row",
        "Cron",
        "CronTrigger",
        "CronTrigger (cold)",
        "APScheduler",
        "croniter",
        "cronsim",
        "cronsim ÷ CronTrigger",
        "cronsim ÷ CronTrigger (cold)",
        "APS ÷ CronTrigger (cold)",
    ]
    out, raw = [], {}
    for row in c.ROWS:
        calls = c.construct_calls(row, "UTC")
        times = {name: measure(call, repeats) for name, call in calls.items()}
        times["CronTrigger (cold)"] -= times.pop("clear_caches")
        raw[row.name] = times
        out.append(
            [
                f"`{row.name}`",
                us(times.get("Cron", float("nan"))),
                us(times["CronTrigger"]),
                us(times["CronTrigger (cold)"]),
                us(times["APScheduler"]),
                us(times["croniter"]),
                us(times["cronsim"]),
                ratio(times["cronsim"], times["CronTrigger"]),
                ratio(times["cronsim"], times["CronTrigger (cold)"]),
                ratio(times["APScheduler"], times["CronTrigger (cold)"]),
            ]
        )
        print(f"  construct: {row.name}", file=sys.stderr, flush=True)
    return table(header, out), raw


ITERATE_ROWS = ["*/5 * * * *", "*/15 9-17 * * mon-fri", "*/10 * * * * * (6 fields)"]


def iterate_table(count: int, repeats: int) -> tuple[str, dict[str, Any]]:
    header = [
        "row",
        "zone",
        "cy Cron.iter",
        "cy CronTrigger",
        "py Cron.iter",
        "APScheduler",
        "croniter",
        "cronsim",
        "croniter ÷ cy Cron",
        "fastest peer ÷ cy Cron",
    ]
    out, raw = [], {}
    for row in (r for r in c.ROWS if r.name in ITERATE_ROWS):
        for zone in c.ZONES:
            calls = c.iterate_calls(row, zone, count)
            mine = "Cron.iter" if "Cron.iter" in calls else "CronTrigger"
            lengths = {name: len(call()) for name, call in calls.items()}
            assert set(lengths.values()) == {count}, lengths
            with c.engine("cython"):
                cy = {name: measure(calls[name], repeats) / 1000 for name in (mine, "CronTrigger")}
                peers = {
                    name: measure(calls[name], repeats) / 1000
                    for name in ("APScheduler", "croniter", "cronsim")
                }
            with c.engine("python"):
                py = measure(calls[mine], repeats) / 1000
            raw[f"{row.name} {zone}"] = {"cython": cy, "python": py, "peers": peers}
            fastest = min(peers.values())
            out.append(
                [
                    f"`{row.name}`",
                    zone,
                    f"{cy[mine] / 1000:.2f}",
                    f"{cy['CronTrigger'] / 1000:.2f}",
                    f"{py / 1000:.2f}",
                    f"{peers['APScheduler'] / 1000:.2f}",
                    f"{peers['croniter'] / 1000:.2f}",
                    f"{peers['cronsim'] / 1000:.2f}",
                    ratio(peers["croniter"], cy[mine]),
                    ratio(fastest, cy[mine]),
                ]
            )
            print(f"  iterate: {row.name} {zone}", file=sys.stderr, flush=True)
    return table(header, out), raw


def bytes_per_schedule(
    make: Callable[[], Any], first: Callable[[Any], Any], n: int, clear: bool = True
) -> float:
    """Bytes held by one schedule after its first search (its compiled form included).

    The first schedules are built before the baseline, so one-time costs (module caches, the
    tracer's own tables) are left out; the rest is the slope over ``n`` more.

    :param clear: empty triggerkit's caches before each schedule (as if all were distinct);
        without, identical schedules share their parsed fields and compiled spec
    """
    keep = []

    def build() -> None:
        if clear:  # each schedule parses, compiles and holds its own, like distinct ones
            c.clear_caches()
        schedule = make()
        first(schedule)
        keep.append(schedule)

    gc.collect()
    tracemalloc.start()
    for _ in range(20):
        build()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(n):
        build()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    c.clear_caches()
    return (after - before) / n


def row_sizes(row: c.Row, n: int) -> dict[str, float]:
    at = c.start("UTC")
    sizes = {}
    with c.engine("cython"):
        if c.Cron is not None:
            sizes["Cron"] = bytes_per_schedule(
                lambda: c.make_cron(row, "UTC"), lambda s: s.next(at), n
            )
        sizes["CronTrigger"] = bytes_per_schedule(
            lambda: c.make_trigger(row, "UTC"), lambda s: s.get_next_fire_time(None, at), n
        )
        sizes["CronTrigger (same spec)"] = bytes_per_schedule(
            lambda: c.make_trigger(row, "UTC"),
            lambda s: s.get_next_fire_time(None, at),
            n,
            clear=False,
        )
    sizes["APScheduler"] = bytes_per_schedule(
        lambda: c.make_aps(row, "UTC"), lambda s: s.get_next_fire_time(None, at), n
    )
    sizes["croniter"] = bytes_per_schedule(
        lambda: c.make_croniter(row, "UTC"), lambda s: s.get_next(datetime), n
    )
    sizes["cronsim"] = bytes_per_schedule(lambda: c.make_cronsim(row, "UTC"), next, n)
    return sizes


def memory_table(n: int = 200) -> tuple[str, dict[str, Any]]:
    header = [
        "row",
        "Cron",
        "CronTrigger",
        "CronTrigger (same spec)",
        "APScheduler",
        "croniter",
        "cronsim",
        "APS ÷ CronTrigger",
        "APS ÷ CronTrigger (same spec)",
        "APS ÷ Cron",
    ]
    out, raw = [], {}
    for row in c.ROWS:
        sizes = raw[row.name] = row_sizes(row, n)
        out.append(
            [
                f"`{row.name}`",
                *(
                    f"{sizes[k]:.0f}" if k in sizes else "-"
                    for k in (
                        "Cron",
                        "CronTrigger",
                        "CronTrigger (same spec)",
                        "APScheduler",
                        "croniter",
                        "cronsim",
                    )
                ),
                ratio(sizes["APScheduler"], sizes["CronTrigger"]),
                ratio(sizes["APScheduler"], sizes["CronTrigger (same spec)"]),
                ratio(sizes["APScheduler"], sizes.get("Cron", float("nan"))),
            ]
        )
    return table(header, out), raw


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and iterations")
    parser.add_argument("--json", metavar="FILE", help="also write the raw numbers as JSON")
    parser.add_argument(
        "--only",
        choices=("next", "construct", "iterate", "memory"),
        action="append",
        help="print only these tables (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    wanted = set(args.only or ("next", "construct", "iterate", "memory"))
    _engine.load("cython")  # the comparison needs both engines: fail loudly without it
    repeats = 2 if args.quick else REPEATS
    count = 1000 if args.quick else 10_000

    sections = []
    raw: dict[str, Any] = {"machine": machine()}
    if "next" in wanted:
        text, raw["next"] = next_table(repeats)
        sections.append("### Next fire time after an instant (µs per call)\n\n" + text)
    if "construct" in wanted:
        text, raw["construct"] = construct_table(repeats)
        sections.append("### Construction (µs per schedule, UTC)\n\n" + text)
    if "iterate" in wanted:
        text, raw["iterate"] = iterate_table(count, min(repeats, 3))
        sections.append(f"### Iterating {count:,} fire times (ms per run)\n\n" + text)
    if "memory" in wanted:
        text, raw["memory"] = memory_table()
        sections.append(
            "### Memory per compiled schedule (bytes, tracemalloc; caches emptied "
            "before each, except in the *same spec* column)\n\n" + text
        )

    print(f"Machine: {raw['machine']}\n")
    print("\n\n".join(sections))
    if args.json:
        import json

        Path(args.json).write_text(json.dumps(raw, indent=2, default=str))


if __name__ == "__main__":
    main()
