"""Measure how often triggerkit agrees with croniter, cronsim and APScheduler 3.11.

Run: ``python tests/compat/measure_agreement.py [examples] [seed]`` (defaults 5000 and 0).
Draws expressions with :mod:`triggerkit.strategies`, zones (UTC and the DST zones) and start
times, compares the first five fire times as UTC instants, and prints the tables that
``docs/dialects.md`` shows. The draw is seeded (``hypothesis.seed``, generation phase only, no
example database), so the same command with the same versions of Hypothesis and the peers prints
the same figures.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

# its helpers: peers (here) and chains (tests/), as pytest finds them through pythonpath
sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]

from peers import (  # noqa: E402
    apscheduler_times,
    croniter_times,
    cronsim_times,
    ours,
    run,
    touches_a_transition,
)

from triggerkit.strategies import DST_ZONES, cron_expressions  # noqa: E402

ZONES = st.sampled_from(("UTC",) + DST_ZONES).map(ZoneInfo)
STARTS = st.datetimes(datetime(1990, 1, 1), datetime(2060, 1, 1))


# (peer, expr, zone, start) of each disagreement in a DST window, from the last measure()
disagreements: list[tuple[str, str, str, str]] = []


def row(label: str, agree: int, of: int) -> str:
    """Return one table row as docs/dialects.md writes it."""
    rate = f"{100 * agree / of:.2f}%" if of else "-"
    return f"| {label:71} | {agree:5} | {of:5} | {rate:>7} |"


def tables(posix: Counter[str], aps: Counter[str]) -> str:
    """Return the two tables of docs/dialects.md."""
    n, m = posix["total"], aps["total"]
    lines = [
        row(f"comparison (posix, {n} cases)", 0, 0).replace(
            "|     0 |     0 |       - |", "| agree |    of |    rate |"
        ),
        "|" + "-" * 73 + "|------:|------:|--------:|",
        row("croniter with cronsim", posix["croniter = cronsim"], n),
        row(
            "triggerkit with croniter + cronsim where they agree, no DST transition",
            posix["triggerkit = consensus, no dst"],
            posix["consensus, no dst"],
        ),
        row(
            "triggerkit with cronsim, no DST transition",
            posix["cronsim agrees, no dst"],
            posix["cronsim ran, no dst"],
        ),
        row(
            "triggerkit with cronsim, a DST transition in the window",
            posix["cronsim agrees, dst"],
            posix["cronsim ran, dst"],
        ),
        row(
            "triggerkit with croniter, no DST transition",
            posix["croniter agrees, no dst"],
            posix["croniter ran, no dst"],
        ),
        row(
            "triggerkit with croniter, a DST transition in the window",
            posix["croniter agrees, dst"],
            posix["croniter ran, dst"],
        ),
        "",
        f"cronsim rejected {posix['cronsim rejects or gives up']} cases, croniter "
        f"{posix['croniter rejects or gives up']}.",
        "",
        row(f"comparison (aps, {m} cases)", 0, 0).replace(
            "|     0 |     0 |       - |", "| agree |    of |    rate |"
        ),
        "|" + "-" * 73 + "|------:|------:|--------:|",
        row(
            "triggerkit with APScheduler 3.11 `CronTrigger.from_crontab`",
            aps["agrees"],
            m - aps["APScheduler rejects"],
        ),
        row("... no DST transition in the window", aps["agrees, no dst"], aps["no dst window"]),
        row(
            "... a DST transition in the window (rules G and O)",
            aps["agrees, dst window"],
            aps["dst window"],
        ),
        "",
        f"APScheduler 3.11 rejected {aps['APScheduler rejects']} of the generated `aps` "
        "expressions.",
    ]
    return "\n".join(lines)


def measure(examples: int, draw_seed: int = 0) -> tuple[Counter[str], Counter[str]]:
    posix: Counter[str] = Counter()
    aps: Counter[str] = Counter()
    disagreements.clear()
    budget = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )

    @seed(draw_seed)
    @budget
    @given(expr=cron_expressions("posix"), zone=ZONES, start=STARTS)
    def posix_case(expr: str, zone: ZoneInfo, start: datetime) -> None:
        start = start.replace(tzinfo=zone)
        mine = ours(expr, "posix", zone, start)
        a = run(lambda: croniter_times(expr, zone, start))
        b = run(lambda: cronsim_times(expr, zone, start))
        posix["total"] += 1
        dst = touches_a_transition(zone, start, mine)
        posix["dst window" if dst else "no dst window"] += 1
        for name, theirs in (("croniter", a), ("cronsim", b)):
            if theirs is None:
                posix[f"{name} rejects or gives up"] += 1
                continue
            posix[f"{name} ran"] += 1
            posix[f"{name} agrees"] += theirs == mine
            if dst:
                posix[f"{name} ran, dst"] += 1
                posix[f"{name} agrees, dst"] += theirs == mine
                if theirs != mine:
                    disagreements.append((name, expr, zone.key, start.isoformat()))
            else:
                posix[f"{name} ran, no dst"] += 1
                posix[f"{name} agrees, no dst"] += theirs == mine
        if a is not None and b is not None:
            posix["croniter = cronsim"] += a == b
            if a == b and not dst:
                posix["consensus, no dst"] += 1
                posix["triggerkit = consensus, no dst"] += a == mine

    @seed(draw_seed)
    @budget
    @given(expr=cron_expressions("aps"), zone=ZONES, start=STARTS)
    def aps_case(expr: str, zone: ZoneInfo, start: datetime) -> None:
        start = start.replace(tzinfo=zone)
        mine = ours(expr, "aps", zone, start)
        theirs = run(lambda: apscheduler_times(expr, zone, start))
        aps["total"] += 1
        if theirs is None:
            aps["APScheduler rejects"] += 1
            return
        aps["agrees"] += theirs == mine
        if touches_a_transition(zone, start, mine):
            aps["dst window"] += 1
            aps["agrees, dst window"] += theirs == mine
        else:
            aps["no dst window"] += 1
            aps["agrees, no dst"] += theirs == mine

    posix_case()
    aps_case()
    return posix, aps


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    draw_seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    posix_counts, aps_counts = measure(n, draw_seed)
    print(tables(posix_counts, aps_counts))
    print()
    for peer, expr, zone, start in disagreements:
        print(f"{peer} differs in a DST window: {expr!r} in {zone} from {start}")
