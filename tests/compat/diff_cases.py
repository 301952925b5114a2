"""Random cases for the differential tests, drawn from a ``random.Random``.

The same builders feed the Hypothesis tests (through ``st.randoms()``) and the fixed-seed
agreement-rate measurement. Specs stay within the syntax APScheduler 3.11 reads the same way as
triggerkit (no ``mon-fri/2``, which APScheduler reads as ``mon-fri``), and are checked to fire
at least a few times within two years so that APScheduler's search stays short.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from chains import CHAIN, chain
from dst_oracle import (
    EPOCH,
    MONTH_NAMES,
    WEEKDAY_NAMES,
    Selector,
    find_transitions,
    oracle_fires,
    selector,
)

ZONE_NAMES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "America/Havana",
    "Etc/GMT+5",  # a fixed offset
]
DST_ZONE_NAMES = [z for z in ZONE_NAMES if z not in ("UTC", "Asia/Kathmandu", "Etc/GMT+5")]
# Start instants near DST are drawn within this many seconds of a transition.
DST_MARGIN = 2 * 86400

_LO = int(datetime(2015, 1, 1, tzinfo=timezone.utc).timestamp())
_HI = int(datetime(2030, 1, 1, tzinfo=timezone.utc).timestamp())


def _case(rnd: random.Random, text: str) -> str:
    return rnd.choice([text, text.upper(), text.capitalize()])


def _numeric_item(rnd: random.Random, lo: int, hi: int) -> str:
    kind = rnd.randrange(6)
    a = rnd.randint(lo, hi)
    b = rnd.randint(a, hi)
    step = rnd.randint(1, max(1, hi - lo))
    if kind == 0:
        return "*"
    if kind == 1:
        return f"*/{rnd.randint(1, max(1, min(hi - lo, 20)))}"
    if kind == 2:
        return str(a)
    if kind == 3:
        return f"{a}-{b}"
    if kind == 4 and b > a:
        return f"{a}-{b}/{rnd.randint(1, b - a)}"
    if a < hi:
        return f"{a}/{rnd.randint(1, min(step, hi - a))}"
    return str(a)


def _item(rnd: random.Random, name: str) -> str:
    if name == "year":
        a = rnd.randint(2015, 2032)
        return rnd.choice(
            [
                "*",
                f"{a}-{a + rnd.randint(0, 30)}",
                f"*/{rnd.randint(1, 3)}",
                f"{a}-2060/{rnd.randint(1, 3)}",
            ]
        )
    if name == "month":
        if rnd.random() < 0.3:
            a = rnd.randrange(12)
            b = rnd.randrange(a, 12)
            names = _case(rnd, MONTH_NAMES[a])
            return names if a == b or rnd.random() < 0.5 else f"{names}-{MONTH_NAMES[b]}"
        return _numeric_item(rnd, 1, 12)
    if name == "day":
        r = rnd.random()
        if r < 0.1:
            return _case(rnd, "last")
        if r < 0.25:
            position = rnd.choice(["1st", "2nd", "3rd", "4th", "5th", "last"])
            return f"{_case(rnd, position)} {_case(rnd, rnd.choice(WEEKDAY_NAMES))}"
        return _numeric_item(rnd, 1, 31)
    if name == "week":
        return _numeric_item(rnd, 1, 53)
    if name == "day_of_week":
        if rnd.random() < 0.4:
            a = rnd.randrange(7)
            b = rnd.randrange(a, 7)
            text = _case(rnd, WEEKDAY_NAMES[a])
            return text if a == b else f"{text}-{WEEKDAY_NAMES[b]}"
        return _numeric_item(rnd, 0, 6)
    limits = {"hour": (0, 23), "minute": (0, 59), "second": (0, 59)}[name]
    return _numeric_item(rnd, *limits)


def _field(rnd: random.Random, name: str) -> str:
    items = [_item(rnd, name) for _ in range(rnd.choice([1, 1, 1, 2, 3]))]
    return rnd.choice([",", ", "]).join(items)


def selects_enough(sel: Selector, start: date, days: int = 731, needed: int = 3) -> bool:
    """Whether the spec selects at least ``needed`` dates in the ``days`` after ``start``."""
    if not (sel.hours and sel.minutes and sel.seconds):
        return False
    count = 0
    for k in range(days):
        if sel.selects_date(start + timedelta(days=k)):
            count += 1
            if count >= needed:
                return True
    return False


@dataclass
class CronCase:
    kwargs: dict[str, str]
    zone: str
    start: int  # UTC epoch seconds
    sel: Selector = field(repr=False)

    @property
    def tz(self) -> timezone | ZoneInfo:
        return ZoneInfo(self.zone)

    def start_datetime(self) -> datetime:
        return (EPOCH + timedelta(seconds=self.start)).astimezone(self.tz)


def random_start(
    rnd: random.Random, zone: str, near_dst: float = 0.5, margin: int = DST_MARGIN
) -> int:
    """A start instant in 2015-2030, within ``margin`` s of a DST transition with ``near_dst``."""
    start = rnd.randint(_LO, _HI)
    if zone in DST_ZONE_NAMES and rnd.random() < near_dst:
        transitions = find_transitions(ZoneInfo(zone), start, start + 400 * 86400, 6 * 3600)
        if transitions:
            start = rnd.choice(transitions)
            if rnd.random() < 0.8:  # else exactly at the transition instant
                start += rnd.randint(-margin, margin // 4)
    if rnd.random() < 0.5:
        start -= start % 60  # often on a whole minute, where fire times tend to be
    return start


def random_cron_case(rnd: random.Random, dense: bool = False, close: bool = False) -> CronCase:
    """Draw cron kwargs, a zone and a start.

    ``dense`` keeps to specs firing within days; ``close`` starts within hours before a DST
    transition of a zone that has them.
    """
    while True:
        if close:
            zone = rnd.choice(DST_ZONE_NAMES)
            start = random_start(rnd, zone, near_dst=1, margin=3 * 3600)
        else:
            zone = rnd.choice(ZONE_NAMES)
            start = random_start(rnd, zone)
        names = [
            n
            for n in ("year", "month", "day", "week", "day_of_week", "hour", "minute", "second")
            if rnd.random() < 0.4
        ]
        if dense:
            names = [n for n in names if n in ("day_of_week", "hour", "minute", "second")]
        if "week" in names and rnd.random() < 0.7:
            names.remove("week")
        if not names:
            names = [rnd.choice(["hour", "minute", "second"])]
        kwargs = {name: _field(rnd, name) for name in names}
        sel = selector(**kwargs)
        first_day = (EPOCH + timedelta(seconds=start)).date()
        if selects_enough(sel, first_day):
            return CronCase(kwargs, zone, start, sel)


def random_crontab(rnd: random.Random) -> tuple[str, dict[str, str]]:
    """A 5-field crontab string (APScheduler numbering) and the equivalent kwargs."""
    while True:
        kwargs = {
            "minute": _field(rnd, "minute"),
            "hour": _field(rnd, "hour"),
            "day": _field(rnd, "day") if rnd.random() < 0.4 else "*",
            "month": _field(rnd, "month") if rnd.random() < 0.4 else "*",
            "day_of_week": _field(rnd, "day_of_week") if rnd.random() < 0.4 else "*",
        }
        if any(" " in value for value in kwargs.values()):
            continue  # crontab fields cannot hold spaces
        sel = selector(**kwargs)
        if selects_enough(sel, date(2020, 1, 1)):
            text = " ".join(kwargs[k] for k in ("minute", "hour", "day", "month", "day_of_week"))
            return text, kwargs


# --- chains and comparison --------------------------------------------------------------------


def instant(dt: datetime) -> int:
    return int(dt.timestamp())


@dataclass
class Comparison:
    """The verdict on one case: vs APScheduler without DST transitions, else vs the oracle."""

    dst: bool  # a transition lies between the start and the end of the chains
    agrees: bool
    aps_agrees: bool  # APScheduler's chain equals ours
    aps_oracle_agrees: bool | None = None  # with a transition: APScheduler's vs the oracle
    detail: str = ""


def _pairs(chain_: list[datetime]) -> list[tuple[int, timedelta | None]]:
    return [(instant(d), d.utcoffset()) for d in chain_]


def compare_cron(
    case: CronCase,
    ours: list[datetime],
    theirs: list[datetime],
    gap: str = "shift",
    overlap: str = "auto",
) -> Comparison:
    """Compare our chain with APScheduler's, or with the oracle if a transition intervenes."""
    mine, aps = _pairs(ours), _pairs(theirs)
    aps_agrees = mine == aps
    if not mine and not aps:
        return Comparison(False, True, True)
    horizon = max(t for t, _ in mine + aps)
    # A start inside an overlap (a transition up to an hour before it) counts as DST too.
    if not find_transitions(case.tz, case.start - 6 * 3600, horizon + 1):
        detail = "" if aps_agrees else f"ours {mine} vs APScheduler {aps}"
        return Comparison(False, aps_agrees, aps_agrees, None, detail)
    # A transition intervenes: the oracle decides, up to the end of the shorter full chain.
    if len(mine) == len(aps) == CHAIN:
        horizon = min(mine[-1][0], aps[-1][0])
    expected = oracle_fires(case.sel, case.tz, case.start, horizon, gap, overlap)
    got = [t for t, _ in mine if t <= horizon]
    theirs_t = [t for t, _ in aps if t <= horizon]
    agrees = got == expected and real_instants_only(ours)
    detail = "" if agrees else f"ours {got} vs oracle {expected}"
    return Comparison(True, agrees, aps_agrees, theirs_t == expected, detail)


def real_instants_only(chain_: list[datetime]) -> bool:
    """Whether every datetime is a real instant with the offset in force at that instant."""
    for d in chain_:
        utc = d.astimezone(timezone.utc)
        if utc.astimezone(d.tzinfo).utcoffset() != d.utcoffset():
            return False
        if utc.astimezone(d.tzinfo).replace(tzinfo=None) != d.replace(tzinfo=None):
            return False
    return True


def strictly_increasing(chain_: list[datetime]) -> bool:
    instants = [d.astimezone(timezone.utc) for d in chain_]
    return all(a < b for a, b in zip(instants, instants[1:], strict=False))


# --- POSIX peers: croniter and cronsim ---------------------------------------------------------


@dataclass
class PosixCase:
    """The same schedule as CronTrigger kwargs (0 = Monday) and as a POSIX line (0 = Sunday)."""

    kwargs: dict[str, str]
    line: str


def random_posix_case(rnd: random.Random) -> PosixCase:
    """A spec whose meaning is the same under APScheduler's and POSIX rules.

    Day and day_of_week are never both restricted (POSIX ORs them, APScheduler ANDs them);
    weekdays are renumbered (ours 0 = Monday, POSIX 0 = Sunday); '3rd fri' in our day field is
    POSIX ``5#3`` in the weekday field; ``last`` is ``L``.
    """
    while True:
        kwargs = {
            "minute": _field(rnd, "minute"),
            "hour": _field(rnd, "hour") if rnd.random() < 0.7 else "*",
            "month": _field(rnd, "month") if rnd.random() < 0.3 else "*",
        }
        kwargs = {k: v.replace(" ", "") for k, v in kwargs.items()}
        posix_day, posix_weekday = "*", "*"
        choice = rnd.random()
        if choice < 0.35:
            kwargs["day"] = posix_day = ",".join(
                _numeric_item(rnd, 1, 31) for _ in range(rnd.randint(1, 2))
            )
            kwargs["day_of_week"] = "*"
        elif choice < 0.45:
            kwargs["day"], posix_day = "last", "L"
            kwargs["day_of_week"] = "*"
        elif choice < 0.55:
            n, weekday = rnd.randint(1, 5), rnd.randrange(7)
            kwargs["day"] = f"{['1st', '2nd', '3rd', '4th', '5th'][n - 1]} {WEEKDAY_NAMES[weekday]}"
            kwargs["day_of_week"] = "*"
            posix_weekday = f"{(weekday + 1) % 7}#{n}"
        elif choice < 0.85:
            kwargs["day"] = "*"
            kwargs["day_of_week"] = _field(rnd, "day_of_week").replace(" ", "")
            ours = selector(day_of_week=kwargs["day_of_week"], second="0").weekdays
            posix_weekday = ",".join(str(w) for w in sorted((d + 1) % 7 for d in ours))
        else:
            kwargs["day"] = kwargs["day_of_week"] = "*"
        # croniter 7.0.0 reads a one-value range such as '8-8' as '*': write it as '8'
        for name in ("minute", "hour", "day", "month"):
            if name in kwargs:
                kwargs[name] = re.sub(r"\b(\d+)-\1\b", r"\1", kwargs[name])
        if posix_day not in ("*", "L"):
            posix_day = kwargs["day"]
        month = kwargs["month"]
        sel = selector(**{**kwargs, "second": "0"})
        if selects_enough(sel, date(2020, 1, 1)):
            line = " ".join([kwargs["minute"], kwargs["hour"], posix_day, month, posix_weekday])
            return PosixCase(kwargs, line)


def posix_chains(case: PosixCase, start: datetime, n: int = CHAIN) -> dict[str, list[datetime]]:
    """Return the next ``n`` fire times after ``start`` (UTC) from triggerkit and the peers."""
    import croniter
    import cronsim

    from triggerkit.triggers.cron import CronTrigger

    ours = CronTrigger(timezone=timezone.utc, second="0", **case.kwargs)
    mine = chain(ours, start + timedelta(microseconds=1), n)  # strictly after start, as the peers
    it = croniter.croniter(case.line, start)
    theirs_croniter = [it.get_next(datetime) for _ in range(n)]
    sim = cronsim.CronSim(case.line, start)
    theirs_cronsim = [next(sim) for _ in range(n)]
    return {"triggerkit": mine, "croniter": theirs_croniter, "cronsim": theirs_cronsim}
