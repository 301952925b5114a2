"""The ``triggerkit`` command: next/previous fire times, explanations, validation, diffs.

Output is friendly to pipes: one ISO 8601 time per line, or ``--json``. Errors go to stderr;
the exit status is 0 on success, 1 for an invalid expression (or, for ``diff``, when the
schedules differ) and 2 for bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from itertools import islice

from . import __version__, _dialects, _engine
from .cron import Cron
from .errors import CronSpecError, TriggerkitValueError
from .util import convert_to_datetime
from .validation import validate

__all__ = ["main"]

# diff gives up after comparing this many fire times of each schedule
DIFF_SCAN_LIMIT = 100_000


def _default_zone() -> str:
    try:
        from tzlocal import get_localzone_name

        return get_localzone_name() or "UTC"
    except Exception:  # no usable local zone name: UTC is a safe, explicit default
        return "UTC"


def _common(parser: argparse.ArgumentParser, when: str | None = None) -> None:
    parser.add_argument(
        "--dialect",
        choices=_dialects.DIALECTS,
        default="posix",
        help="expression dialect (default: posix)",
    )
    parser.add_argument(
        "--tz", default=None, help="IANA time zone of the schedule (default: the local zone)"
    )
    parser.add_argument(
        "--seconds", action="store_true", help="posix: the expression has a leading seconds field"
    )
    parser.add_argument("--job-id", default=None, help="seed for posix H fields")
    parser.add_argument("--json", action="store_true", help="print JSON")
    if when:
        parser.add_argument(
            f"--{when}",
            default=None,
            metavar="TIME",
            help=f"ISO 8601 time to search {when} (default: now; a time "
            "without offset is read in --tz)",
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="triggerkit", description="Cron expressions: fire times, explanations, checks."
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"triggerkit {__version__} (engine: {_engine.ENGINE})",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("next", help="print the next fire times")
    p.add_argument("expr")
    p.add_argument("-n", type=int, default=1, help="how many (default 1)")
    _common(p, "after")

    p = sub.add_parser("prev", help="print the previous fire times, latest first")
    p.add_argument("expr")
    p.add_argument("-n", type=int, default=1, help="how many (default 1)")
    _common(p, "before")

    p = sub.add_parser("explain", help="describe, list the next fire times, warn")
    p.add_argument("expr")
    p.add_argument("-n", type=int, default=5, help="how many fire times (default 5)")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    _common(p, "after")

    p = sub.add_parser("validate", help="check an expression (exit status 0 or 1)")
    p.add_argument("expr")
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    _common(p)

    p = sub.add_parser("diff", help="print the first times where two schedules differ")
    p.add_argument("expr1")
    p.add_argument("expr2")
    p.add_argument("-n", type=int, default=5, help="how many differences (default 5)")
    p.add_argument(
        "--dialect2",
        choices=_dialects.DIALECTS,
        default=None,
        help="dialect of EXPR2 (default: --dialect)",
    )
    _common(p, "after")
    return parser


def _cron(expr: str, args: argparse.Namespace, dialect: str | None = None) -> Cron:
    args.current_expr = expr  # for the caret under an error
    return Cron(expr, args.tz, dialect or args.dialect, job_id=args.job_id, seconds=args.seconds)


def _start(cron: Cron, text: str | None) -> datetime:
    if text is None or text == "now":
        return datetime.now(timezone.utc).astimezone(cron.tz)
    value = convert_to_datetime(text, cron.tz, "time")
    assert value is not None
    return value


def _times(cron: Cron, start: datetime, n: int, reverse: bool) -> list[datetime]:
    step = cron.prev if reverse else cron.next
    out: list[datetime] = []
    at: datetime | None = start
    while len(out) < n and at is not None:
        at = step(at)
        if at is not None:
            out.append(at)
    return out


def _print_times(args: argparse.Namespace, cron: Cron, times: list[datetime]) -> int:
    if args.json:
        print(
            json.dumps(
                {
                    "expr": cron.expr,
                    "dialect": cron.dialect,
                    "tz": _tz_name(cron),
                    "times": [t.isoformat() for t in times],
                },
                ensure_ascii=False,
            )
        )
    else:
        for t in times:
            print(t.isoformat())
    if len(times) < args.n:
        print(f"triggerkit: {cron.expr!r} has only {len(times)} more fire time(s)", file=sys.stderr)
    return 0


def _tz_name(cron: Cron) -> str:
    return getattr(cron.tz, "key", None) or str(cron.tz)


def _cmd_next(args: argparse.Namespace) -> int:
    cron = _cron(args.expr, args)
    return _print_times(args, cron, _times(cron, _start(cron, args.after), args.n, False))


def _cmd_prev(args: argparse.Namespace) -> int:
    cron = _cron(args.expr, args)
    return _print_times(args, cron, _times(cron, _start(cron, args.before), args.n, True))


def _cmd_explain(args: argparse.Namespace) -> int:
    cron = _cron(args.expr, args)
    times = _times(cron, _start(cron, args.after), args.n, False)
    result = validate(args.expr, args.dialect, seconds=args.seconds, job_id=args.job_id)
    description = cron.describe(args.lang)
    if args.json:
        print(
            json.dumps(
                {
                    "expr": cron.expr,
                    "dialect": cron.dialect,
                    "tz": _tz_name(cron),
                    "description": description,
                    "times": [t.isoformat() for t in times],
                    "warnings": [w.message for w in result.warnings],
                },
                ensure_ascii=False,
            )
        )
        return 0
    print(description)
    print(f"dialect {cron.dialect}, time zone {_tz_name(cron)}")
    print("next fire times:" if times else "no fire times")
    for t in times:
        print(f"  {t.isoformat()}")
    for w in result.warnings:
        print(f"warning: {w.message}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    result = validate(args.expr, args.dialect, seconds=args.seconds, job_id=args.job_id)
    failed = not result.ok or (args.strict and bool(result.warnings))
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    elif result.errors:
        print(result.format(), file=sys.stderr)
    else:
        if result.warnings:
            print(result.format(), file=sys.stderr)
        if failed:
            print("invalid: --strict fails on warnings", file=sys.stderr)
        else:
            print("valid" + (" (with warnings)" if result.warnings else ""))
    return 1 if failed else 0


def _merged(a: Cron, b: Cron, start: datetime) -> Iterator[tuple[str, datetime]]:
    """Yield ``('-', t)`` for times only ``a`` fires, ``('+', t)`` for times only ``b`` fires."""
    ia, ib = a.iter(start), b.iter(start)
    ta, tb = next(ia, None), next(ib, None)
    scanned = 0
    while (ta is not None or tb is not None) and scanned < DIFF_SCAN_LIMIT:
        scanned += 1
        ua = None if ta is None else ta.astimezone(timezone.utc)
        ub = None if tb is None else tb.astimezone(timezone.utc)
        if ua is not None and (ub is None or ua < ub):
            assert ta is not None
            yield "-", ta
            ta = next(ia, None)
        elif ub is not None and (ua is None or ub < ua):
            assert tb is not None
            yield "+", tb
            tb = next(ib, None)
        else:
            ta, tb = next(ia, None), next(ib, None)


def _cmd_diff(args: argparse.Namespace) -> int:
    a = _cron(args.expr1, args)
    b = _cron(args.expr2, args, args.dialect2)
    start = _start(a, args.after)
    found = [] if a == b else list(islice(_merged(a, b, start), args.n))
    if args.json:
        print(
            json.dumps(
                {
                    "expr1": a.expr,
                    "expr2": b.expr,
                    "tz": _tz_name(a),
                    "identical": a == b,
                    "differences": [
                        {"time": t.isoformat(), "only_in": 1 if s == "-" else 2} for s, t in found
                    ],
                },
                ensure_ascii=False,
            )
        )
    elif a == b:
        print("the schedules are identical")
    elif not found:
        print(f"no difference in the first {DIFF_SCAN_LIMIT} fire times")
    else:
        print(f"--- {a.expr}\n+++ {b.expr}")
        for sign, t in found:
            print(f"{sign} {t.isoformat()}")
    return 1 if found else 0


_COMMANDS = {
    "next": _cmd_next,
    "prev": _cmd_prev,
    "explain": _cmd_explain,
    "validate": _cmd_validate,
    "diff": _cmd_diff,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    if getattr(args, "tz", None) is None and hasattr(args, "tz"):
        args.tz = _default_zone()
    if getattr(args, "n", 1) < 0:
        print("triggerkit: error: -n must be at least 0", file=sys.stderr)
        return 2
    try:
        return _COMMANDS[args.command](args)
    except CronSpecError as exc:
        expr = getattr(args, "current_expr", "")
        print(f"triggerkit: error: {exc.message}", file=sys.stderr)
        if exc.span is not None and expr:
            start, end = exc.span
            print(f"  {expr}\n  {' ' * start}{'^' * max(1, end - start)}", file=sys.stderr)
        return 1
    except (TriggerkitValueError, ValueError, TypeError, OverflowError) as exc:
        print(f"triggerkit: error: {exc}", file=sys.stderr)
        return 1
