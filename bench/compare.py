"""Print the side-by-side benchmark tables (markdown), all measured in this one run.

    python bench/compare.py                # full run, a few minutes
    python bench/compare.py --quick        # fewer repeats, for a smoke test
    python bench/compare.py --write-docs   # and put the tables into docs/performance.md and
                                           # the README (between their bench markers)

Contenders: triggerkit on the Cython engine and on the pure-Python engine (toolkit ``Cron`` and
the APScheduler-compatible ``CronTrigger``), APScheduler 3.11, croniter and cronsim. Each number
is the fastest of several repeats (``timeit``-style), in microseconds per call. Every row checks
that all contenders return the same first fire times; a mismatch is printed, never hidden.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import subprocess
import sys
import time
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

# Many short repeats, keeping the fastest: on a shared machine a repeat that was preempted is
# slower, never faster, so the minimum of many short ones is the least disturbed figure.
REPEATS = 25
MIN_TIME = 0.002  # seconds per repeat


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


def measure_cold(call: Callable[[], Any], samples: int) -> float:
    """Return the fastest of ``samples`` constructions, each timed alone after emptying caches.

    Emptying the caches is outside the timed span (never subtracted), so no figure can come
    out negative however busy the machine is.
    """
    best = float("inf")
    clock = time.perf_counter_ns
    call()  # once, so that every module the call imports is in place
    c.clear_caches()
    c.assert_caches_empty()  # really never seen: no cache of any module kept an entry
    for _ in range(samples):
        c.clear_caches()
        start = clock()
        call()
        best = min(best, clock() - start)
    c.clear_caches()
    return best


def construct_table(repeats: int) -> tuple[str, dict[str, Any]]:
    header = [
        "row",
        "Cron (never seen)",
        "Cron (repeated)",
        "CronTrigger (never seen)",
        "CronTrigger (repeated)",
        "APScheduler",
        "croniter",
        "cronsim",
        "cronsim ÷ Cron (never seen)",
        "APS ÷ CronTrigger (never seen)",
    ]
    out, raw = [], {}
    for row in c.ROWS:
        calls = c.construct_calls(row, "UTC")
        times = {name: measure(call, repeats) for name, call in calls.items()}
        for name, call in c.cold_calls(row, "UTC").items():
            times[name] = measure_cold(call, 40 * repeats)
        raw[row.name] = times
        out.append(
            [
                f"`{row.name}`",
                us(times.get("Cron (cold)", float("nan"))),
                us(times.get("Cron", float("nan"))),
                us(times["CronTrigger (cold)"]),
                us(times["CronTrigger"]),
                us(times["APScheduler"]),
                us(times["croniter"]),
                us(times["cronsim"]),
                ratio(times["cronsim"], times.get("Cron (cold)", float("nan"))),
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


def _span(values: list[float], fmt: str = "{:.2f}") -> str:
    return (fmt + "-" + fmt).format(min(values), max(values))


def targets_table(raw: dict[str, Any]) -> str:
    """The targets of issue 16, each against this run's numbers: met or missed, and by how much."""
    rows = []

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**missed**"

    nxt = raw["next"]
    for zone, limit in (("UTC", 0.35), ("Europe/Berlin", 0.5)):
        for api in ("Cron.next", "CronTrigger"):
            values = [v["cython"][api] / 1000 for k, v in nxt.items() if k.endswith(zone)]
            worst = max(values)
            rows.append(
                [
                    f"cy `{api}` ≤ {limit} µs on every row, {zone}",
                    f"{verdict(worst <= limit)}: {_span(values)} µs"
                    + ("" if worst <= limit else f" (worst {worst / limit:.1f}x the target)"),
                ]
            )
    for zone in ("UTC", "Europe/Berlin"):
        ratios = [
            min(v["peers"].values()) / v["cython"]["Cron.next"]
            for k, v in nxt.items()
            if k.endswith(zone)
        ]
        rows.append(
            [
                f"every row ≥ 10x the fastest Python peer, {zone}",
                f"{verdict(min(ratios) >= 10)}: {_span(ratios, '{:.1f}')}x",
            ]
        )
    pure = [v["peers"]["cronsim"] / v["python"]["Cron.next"] for v in nxt.values()]
    rows.append(
        [
            "pure engine faster than cronsim on every row",
            f"{verdict(min(pure) > 1)}: {_span(pure, '{:.1f}')}x cronsim's speed",
        ]
    )
    it = [v["peers"]["croniter"] / v["cython"]["Cron.iter"] for v in raw["iterate"].values()]
    rows.append(
        [
            "iterating 10,000 fire times ≥ 50x croniter",
            f"{verdict(min(it) >= 50)}: {_span(it, '{:.0f}')}x",
        ]
    )
    con = raw["construct"]
    for key, label, limit in (
        ("Cron (cold)", "`Cron` from a never-seen string ≤ 5 µs", 5),
        ("CronTrigger (cold)", "never-seen `CronTrigger` ≤ 10 µs", 10),
        ("Cron", "repeated `Cron` ≤ 2 µs", 2),
        ("CronTrigger", "repeated `CronTrigger` ≤ 2 µs", 2),
    ):
        values = [v[key] / 1000 for v in con.values()]
        rows.append([label, f"{verdict(max(values) <= limit)}: {_span(values)} µs"])
    mem = [v["APScheduler"] / v["CronTrigger"] for v in raw["memory"].values()]
    rows.append(
        [
            "memory per distinct `CronTrigger` ≤ 1/3 of APScheduler's",
            f"{verdict(min(mem) >= 3)}: {_span(mem, '{:.1f}')}x less",
        ]
    )
    return table(["target (issue 16)", "this run"], rows)


def readme_table(raw: dict[str, Any]) -> str:
    """The README's short table: next fire time, both zones, triggerkit against the peers."""
    header = [
        "row",
        "zone",
        "`Cron.next` (Cython)",
        "`CronTrigger` (Cython)",
        "`Cron.next` (pure Python)",
        "APScheduler 3.11",
        "croniter",
        "cronsim",
    ]
    rows = []
    for key, v in raw["next"].items():
        row, zone = key.rsplit(" ", 1)
        rows.append(
            [
                f"`{row}`",
                zone,
                us(v["cython"]["Cron.next"]),
                us(v["cython"]["CronTrigger"]),
                us(v["python"]["Cron.next"]),
                us(v["peers"]["APScheduler"]),
                us(v["peers"]["croniter"]),
                us(v["peers"]["cronsim"]),
            ]
        )
    return table(header, rows)


START_MARK = "<!-- bench:start (generated by `python bench/compare.py --write-docs`) -->"
END_MARK = "<!-- bench:end -->"


def replace_block(path: Path, text: str) -> None:
    """Replace what lies between the bench markers of ``path`` with ``text``."""
    content = path.read_text()
    start = content.index(START_MARK) + len(START_MARK)
    end = content.index(END_MARK)
    path.write_text(content[:start] + "\n" + text.strip() + "\n" + content[end:])


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
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="write the tables into docs/performance.md and README.md (between their markers)",
    )
    args = parser.parse_args(argv)
    wanted = set(args.only or ("next", "construct", "iterate", "memory"))
    _engine.load("cython")  # the comparison needs both engines: fail loudly without it
    repeats = 2 if args.quick else REPEATS
    count = 1000 if args.quick else 10_000

    sections = []
    raw: dict[str, Any] = {"machine": machine(), "load": load()}
    if args.write_docs and args.only:
        parser.error("--write-docs writes every table: leave out --only")
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
    if not args.only:
        sections.append("### Targets against this run\n\n" + targets_table(raw))
    raw["load_after"] = load()
    command = "python bench/compare.py" + (" --quick" if args.quick else "")
    command += "".join(f" --only {name}" for name in args.only or ()) or " --write-docs"
    header = (
        f"Machine: {raw['machine']}; load average {raw['load']} before, "
        f"{raw['load_after']} after. Command: `{command}`."
    )
    body = header + "\n\n" + "\n\n".join(sections)
    print(body)
    if args.write_docs:
        root = Path(__file__).resolve().parents[1]
        replace_block(root / "docs" / "performance.md", body)
        replace_block(
            root / "README.md",
            header + "\n\n" + readme_table(raw) + "\n\n" + targets_table(raw),
        )
    if args.json:
        import json

        Path(args.json).write_text(json.dumps(raw, indent=2, default=str))


def load() -> str:
    """The 1/5/15-minute load averages, for the record (other work skews the numbers)."""
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "unknown"


if __name__ == "__main__":
    main()
