"""The benchmark rows and contenders, shared by the pytest-benchmark files and ``compare.py``.

Every contender of a row computes the *same* schedule: APScheduler numbers weekdays from 0 =
Monday, so its rows (and triggerkit's APScheduler-compatible ``CronTrigger``) use weekday names;
croniter puts the seconds field last, cronsim first. ``compare.py`` checks that all contenders
return the same first fire times for every row.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import apscheduler.triggers.cron as aps_cron
from croniter import croniter
from cronsim import CronSim

from triggerkit import _engine
from triggerkit._croncore import CronCore
from triggerkit.triggers.cron import CronTrigger

try:  # the toolkit API, when it exists
    from triggerkit import Cron
except ImportError:  # pragma: no cover
    Cron = None

UTC = timezone.utc
ZONES: dict[str, tzinfo] = {"UTC": UTC, "Europe/Berlin": ZoneInfo("Europe/Berlin")}
# A Wednesday, well inside the zones' winter time, with seconds so that no row fires *at* it.
START = datetime(2026, 11, 25, 10, 17, 23)


@dataclass(frozen=True)
class Row:
    """One schedule, spelled for each contender."""

    name: str
    posix: str  # croniter and cronsim (5 or 6 fields); triggerkit's Cron unless ``cron`` is set
    aps: dict[str, Any]  # APScheduler 3 / triggerkit CronTrigger keyword arguments
    croniter: str = ""  # when croniter spells it differently (seconds last)
    cron: tuple[str, dict[str, Any]] | None = None  # triggerkit Cron (expr, options)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def croniter_expr(self) -> str:
        return self.croniter or self.posix

    @property
    def cron_args(self) -> tuple[str, dict[str, Any]]:
        return self.cron or (self.posix, {})


ROWS = [
    Row("* * * * *", "* * * * *", {"minute": "*"}),
    Row("*/5 * * * *", "*/5 * * * *", {"minute": "*/5"}),
    Row("0 9 * * 1-5", "0 9 * * 1-5", {"minute": 0, "hour": 9, "day_of_week": "mon-fri"}),
    Row(
        "*/15 9-17 * * mon-fri",
        "*/15 9-17 * * mon-fri",
        {"minute": "*/15", "hour": "9-17", "day_of_week": "mon-fri"},
    ),
    Row("0 0 1 1 *", "0 0 1 1 *", {"month": 1, "day": 1, "hour": 0, "minute": 0}),
    Row("0 0 29 2 * (leap day)", "0 0 29 2 *", {"month": 2, "day": 29, "hour": 0, "minute": 0}),
    Row(
        "0 0 L * * (last day)",
        "0 0 L * *",
        {"day": "last", "hour": 0, "minute": 0},
        cron=("0 0 0 L * ?", {"dialect": "quartz"}),
    ),
    Row(
        "0 0 * * 5#3 (3rd fri)",
        "0 0 * * 5#3",
        {"day": "3rd fri", "hour": 0, "minute": 0},
        cron=("0 0 0 ? * FRI#3", {"dialect": "quartz"}),
    ),
    Row(
        "*/10 * * * * * (6 fields)",
        "*/10 * * * * *",
        {"second": "*/10"},
        croniter="* * * * * */10",
        cron=("*/10 * * * * *", {"seconds": True}),
    ),
]


@contextmanager
def engine(name: str) -> Iterator[None]:
    """Run the block on engine ``name`` (``"cython"`` or ``"python"``)."""
    before = _engine.ENGINE
    _engine.use(name)
    try:
        yield
    finally:
        _engine.use(before)


def start(zone: str) -> datetime:
    return START.replace(tzinfo=ZONES[zone])


# --- construction -----------------------------------------------------------------------------


_clearers: list[Callable[[], None]] = []
_modules_seen = -1


def clear_caches() -> None:
    """Empty every ``lru_cache`` of triggerkit (parsed fields, masks, compiled specs).

    A cold construction then pays for everything a never-seen schedule costs. The caches are
    looked up again whenever a module was imported since the last call; otherwise the call
    only empties them, so that it neither takes long nor leaves allocations behind (the
    memory table and the cold timings would count them as the schedule's).
    """
    global _modules_seen
    if len(sys.modules) != _modules_seen:
        _clearers[:] = [
            clear
            for name, module in list(sys.modules.items())
            if name == "triggerkit" or name.startswith("triggerkit.")
            for value in list(vars(module).values())
            if callable(clear := getattr(value, "cache_clear", None))
        ]
        _modules_seen = len(sys.modules)
    for clear in _clearers:
        clear()


def assert_caches_empty() -> None:
    """Fail unless every ``lru_cache`` of every triggerkit module is empty (a never-seen check)."""
    for name, module in list(sys.modules.items()):
        if name == "triggerkit" or name.startswith("triggerkit."):
            for value in list(vars(module).values()):
                info = getattr(value, "cache_info", None)
                if callable(info):
                    assert info().currsize == 0, f"{name}.{value.__name__} kept entries"


def make_cron(row: Row, zone: str) -> Any:
    expr, options = row.cron_args
    return Cron(expr, tz=ZONES[zone], **options)


def make_trigger(row: Row, zone: str) -> CronTrigger:
    return CronTrigger(timezone=ZONES[zone], **row.aps)


def make_core(row: Row, zone: str) -> CronCore:
    return make_trigger(row, zone)._core


def make_aps(row: Row, zone: str) -> aps_cron.CronTrigger:
    return aps_cron.CronTrigger(timezone=ZONES[zone], **row.aps)


def make_croniter(row: Row, zone: str) -> croniter:
    return croniter(row.croniter_expr, start(zone))


def make_cronsim(row: Row, zone: str) -> CronSim:
    return CronSim(row.posix, start(zone))


# --- one call each: the next fire time after START --------------------------------------------

Call = Callable[[], Any]


def next_calls(row: Row, zone: str) -> dict[str, Call]:
    """Zero-argument callables computing the next fire time after START, per contender.

    The triggerkit entries run on whichever engine is active when they are *called*.
    """
    at = start(zone)
    calls: dict[str, Call] = {}
    if Cron is not None:
        cron = make_cron(row, zone)
        calls["Cron.next"] = lambda: cron.next(at)
    core = make_core(row, zone)
    calls["CronCore.next"] = lambda: core.next(at)
    trigger = make_trigger(row, zone)
    calls["CronTrigger"] = lambda: trigger.get_next_fire_time(None, at)
    aps = make_aps(row, zone)
    calls["APScheduler"] = lambda: aps.get_next_fire_time(None, at)
    it = make_croniter(row, zone)

    def croniter_next() -> datetime:
        it.set_current(at, force=True)
        return it.get_next(datetime)  # type: ignore[no-any-return]

    calls["croniter"] = croniter_next
    sim = make_cronsim(row, zone)
    state = sim.dt  # the state the constructor leaves (naive for its DST fix-up mode)

    def cronsim_next() -> datetime:
        sim.dt = state
        return next(sim)

    calls["cronsim"] = cronsim_next
    return calls


def construct_calls(row: Row, zone: str) -> dict[str, Call]:
    """Zero-argument callables that build the schedule, per contender.

    triggerkit's entries repeat one spec (its parse caches warm); ``cold_calls`` gives the
    never-seen constructions.
    """
    calls: dict[str, Call] = {}
    if Cron is not None:
        calls["Cron"] = lambda: make_cron(row, zone)
    calls["CronTrigger"] = lambda: make_trigger(row, zone)
    calls["APScheduler"] = lambda: make_aps(row, zone)
    calls["croniter"] = lambda: make_croniter(row, zone)
    calls["cronsim"] = lambda: make_cronsim(row, zone)
    return calls


def cold_calls(row: Row, zone: str) -> dict[str, Call]:
    """Constructions of a never-seen spec: time each after ``clear_caches`` (not timed)."""
    calls: dict[str, Call] = {"CronTrigger (cold)": lambda: make_trigger(row, zone)}
    if Cron is not None:
        calls["Cron (cold)"] = lambda: make_cron(row, zone)
    return calls


def iterate_calls(row: Row, zone: str, count: int) -> dict[str, Call]:
    """Zero-argument callables that produce ``count`` successive fire times, per contender."""
    at = start(zone)
    calls: dict[str, Call] = {}
    if Cron is not None:
        cron = make_cron(row, zone)
        calls["Cron.iter"] = lambda: list(itertools.islice(cron.iter(at), count))
    trigger = make_trigger(row, zone)

    def trigger_iter() -> list[datetime]:
        out, previous = [], None
        now = at
        for _ in range(count):
            previous = trigger.get_next_fire_time(previous, now)
            if previous is None:
                break
            out.append(previous)
            now = previous
        return out

    calls["CronTrigger"] = trigger_iter
    aps = make_aps(row, zone)

    def aps_iter() -> list[datetime]:
        out, previous = [], None
        now = at
        for _ in range(count):
            previous = aps.get_next_fire_time(previous, now)
            if previous is None:
                break
            out.append(previous)
            now = previous
        return out

    calls["APScheduler"] = aps_iter

    def croniter_iter() -> list[datetime]:
        it = croniter(row.croniter_expr, at)
        return [it.get_next(datetime) for _ in range(count)]

    calls["croniter"] = croniter_iter

    def cronsim_iter() -> list[datetime]:
        return list(itertools.islice(CronSim(row.posix, at), count))

    calls["cronsim"] = cronsim_iter
    return calls


def first_fire_times(row: Row, zone: str, count: int = 3) -> dict[str, list[datetime]]:
    """The first ``count`` fire times of each contender, as UTC instants (for the check)."""
    calls = iterate_calls(row, zone, count)
    return {name: [t.astimezone(UTC) for t in call()] for name, call in calls.items()}


def prev_calls(row: Row, zone: str) -> dict[str, Call]:
    """Zero-argument callables computing the previous fire time before START, per contender."""
    at = start(zone)
    calls: dict[str, Call] = {}
    if Cron is not None:
        cron = make_cron(row, zone)
        calls["Cron.prev"] = lambda: cron.prev(at)
    core = make_core(row, zone)
    calls["CronCore.prev"] = lambda: core.prev(at)
    trigger = make_trigger(row, zone)
    calls["CronTrigger"] = lambda: trigger.get_prev_fire_time(at)
    it = make_croniter(row, zone)

    def croniter_prev() -> datetime:
        it.set_current(at, force=True)
        return it.get_prev(datetime)  # type: ignore[no-any-return]

    calls["croniter"] = croniter_prev

    def cronsim_prev() -> datetime:
        return next(CronSim(row.posix, at, reverse=True))

    calls["cronsim (incl. construction)"] = cronsim_prev
    return calls


__all__ = [
    "ROWS",
    "START",
    "ZONES",
    "Row",
    "assert_caches_empty",
    "clear_caches",
    "cold_calls",
    "construct_calls",
    "engine",
    "first_fire_times",
    "iterate_calls",
    "next_calls",
    "prev_calls",
    "start",
]
