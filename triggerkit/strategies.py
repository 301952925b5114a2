"""Hypothesis strategies for property-testing cron handling (yours or ours).

Needs the optional dependency: ``pip install 'triggerkit-cron[hypothesis]'``.

* :func:`cron_expressions` -- valid (or invalid) expressions of a dialect;
* :func:`invalid_cron_expressions` -- invalid expressions with the kind of mistake and the field;
* :func:`fire_times` -- instants at which an expression fires;
* :func:`dst_timezones` -- zones with daylight-saving transitions (and their oddities);
* :func:`datetimes_near_transitions` -- aware datetimes within a few hours of a DST transition;
* :func:`edge_datetimes` -- datetimes at the edges of years 1 and 9999, naive or aware, in zones
  and at offsets that push their instant out of what a datetime holds in UTC;
* :func:`edge_numbers` -- numbers that break arithmetic: NaN, infinities, huge, negative, bools.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import NamedTuple, cast
from zoneinfo import ZoneInfo

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "triggerkit.strategies needs Hypothesis; install it with "
        "pip install 'triggerkit-cron[hypothesis]'"
    ) from exc

from . import _dialects, _tz
from ._constants import MONTH_NAMES, WEEKDAY_NAMES, WEEKDAY_NAMES_SUNDAY_FIRST
from .cron import Cron

__all__ = [
    "DST_ZONES",
    "INVALID_KINDS",
    "InvalidExpression",
    "cron_expressions",
    "datetimes_near_transitions",
    "dst_timezones",
    "edge_datetimes",
    "edge_numbers",
    "fire_times",
    "invalid_cron_expressions",
]

#: Zones whose transitions exercise every DST rule: 1-hour shifts both ways, a 30-minute shift
#: (Lord Howe), midnight transitions (Santiago, Havana), odd offsets (Chatham; Kathmandu, whose
#: only change is 1986's +05:30 -> +05:45) and a skipped calendar day (Apia, 2011).
DST_ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "America/Havana",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "Pacific/Apia",
    "Europe/London",
    "Australia/Sydney",
)

#: The kinds of mistake :func:`invalid_cron_expressions` makes.
INVALID_KINDS = (
    "out-of-range",
    "zero-step",
    "inverted-range",
    "unknown-name",
    "empty-item",
    "garbage",
    "field-count",
    "dialect-syntax",
)

_MONTHS = MONTH_NAMES
_SUN_FIRST = WEEKDAY_NAMES_SUNDAY_FIRST
_MON_FIRST = WEEKDAY_NAMES

# (lo, hi, names, name offset) per dialect and field
_FIELDS: dict[str, dict[str, tuple[int, int, tuple[str, ...], int]]] = {
    "posix": {
        "second": (0, 59, (), 0),
        "minute": (0, 59, (), 0),
        "hour": (0, 23, (), 0),
        "day": (1, 31, (), 0),
        "month": (1, 12, _MONTHS, 1),
        "day_of_week": (0, 7, _SUN_FIRST, 0),
    },
    "quartz": {
        "second": (0, 59, (), 0),
        "minute": (0, 59, (), 0),
        "hour": (0, 23, (), 0),
        "day": (1, 31, (), 0),
        "month": (1, 12, _MONTHS, 1),
        "day_of_week": (1, 7, tuple(n.upper() for n in _SUN_FIRST), 1),
        "year": (2020, 2099, (), 0),
    },
    "aps": {
        "minute": (0, 59, (), 0),
        "hour": (0, 23, (), 0),
        "day": (1, 31, (), 0),
        "month": (1, 12, _MONTHS, 1),
        "day_of_week": (0, 6, _MON_FIRST, 0),
    },
}


def _names(dialect: str, seconds: bool, year: bool = False) -> tuple[str, ...]:
    if dialect == "posix":
        return (("second",) if seconds else ()) + _dialects.POSIX_FIELDS
    if dialect == "quartz":
        return _dialects.QUARTZ_FIELDS[: 7 if year else 6]
    return _dialects.POSIX_FIELDS


@st.composite
def _item(draw: st.DrawFn, dialect: str, name: str) -> str:
    lo, hi, names, offset = _FIELDS[dialect][name]
    if name == "day_of_week" and dialect == "posix":
        hi_range = 7
    else:
        hi_range = hi

    def show(v: int) -> str:
        if names and lo <= v - offset < len(names) and draw(st.booleans()):
            return names[v - offset]
        return str(v)

    kind = draw(
        st.sampled_from(["star", "star_step", "value", "range", "range_step", "start_step"])
    )
    if kind == "star":
        return "*"
    if kind == "star_step":
        return f"*/{draw(st.integers(1, max(1, hi - lo)))}"
    first = draw(st.integers(lo, hi_range))
    if kind == "value":
        return show(first) if not (names and first - offset >= len(names)) else str(first)
    if kind == "start_step":
        if first >= hi:
            return str(first)
        return f"{first}/{draw(st.integers(1, hi - first))}"
    last = draw(st.integers(first, hi_range))
    text = f"{first}-{last}"
    if kind == "range_step" and last > first:
        text += f"/{draw(st.integers(1, last - first))}"
    return text


@st.composite
def _plain_field(draw: st.DrawFn, dialect: str, name: str) -> str:
    items = draw(st.lists(_item(dialect, name), min_size=1, max_size=3))
    if len(items) > 1 and "*" in items:
        items = [i for i in items if i != "*"] or ["*"]
    return ",".join(items)


@st.composite
def _quartz_days(draw: st.DrawFn) -> tuple[str, str]:
    if draw(st.booleans()):
        dom = draw(
            st.one_of(
                _plain_field("quartz", "day"),
                st.sampled_from(["L", "LW"]),
                st.integers(0, 30).map(lambda k: f"L-{k}"),
                st.integers(0, 30).map(lambda k: f"L-{k}W"),
                st.integers(1, 31).map(lambda d: f"{d}W"),
            )
        )
        return dom, "?"
    dow = draw(
        st.one_of(
            _plain_field("quartz", "day_of_week"),
            st.tuples(
                st.sampled_from(["1", "2", "3", "4", "5", "6", "7", "MON", "FRI", "SUN"]),
                st.integers(1, 5),
            ).map(lambda p: f"{p[0]}#{p[1]}"),
            st.sampled_from(["1", "3", "6", "FRI", "SUN"]).map(lambda w: f"{w}L"),
        )
    )
    return "?", dow


def cron_expressions(
    dialect: str = "posix", valid: bool = True, *, seconds: bool = False
) -> st.SearchStrategy[str]:
    """Return a strategy for expressions of ``dialect``.

    Valid ones parse without error (they may still never fire, like ``0 0 30 2 *``); with
    ``valid=False`` each has exactly one mistake (see :func:`invalid_cron_expressions`).

    :param seconds: posix only: with a leading seconds field
    """
    if dialect not in _dialects.DIALECTS:
        raise ValueError(f"dialect: {dialect!r} is not one of {_dialects.DIALECTS}")
    if not valid:
        return invalid_cron_expressions(dialect, seconds=seconds).map(lambda x: x.expr)
    return _valid(dialect, seconds)


@st.composite
def _valid(draw: st.DrawFn, dialect: str, seconds: bool) -> str:
    if dialect == "posix" and not seconds and draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(sorted(_dialects.MACROS)))
    year = dialect == "quartz" and draw(st.booleans())
    names = _names(dialect, seconds, year)
    fields = {n: draw(_plain_field(dialect, n)) for n in names if n != "year"}
    if dialect == "quartz":
        fields["day"], fields["day_of_week"] = draw(_quartz_days())
        if year:
            fields["year"] = draw(_plain_field(dialect, "year"))
    return " ".join(fields[n] for n in names)


class InvalidExpression(NamedTuple):
    """An invalid expression, what is wrong with it, and where (1-based field, 0 = whole)."""

    expr: str
    kind: str
    field_index: int


@st.composite
def _broken(draw: st.DrawFn, dialect: str, seconds: bool) -> InvalidExpression:
    names = _names(dialect, seconds)
    fields = {n: draw(_plain_field(dialect, n)) for n in names}
    if dialect == "quartz":
        fields["day"], fields["day_of_week"] = draw(_quartz_days())
    kinds = list(INVALID_KINDS)
    if dialect == "quartz":
        kinds.remove("inverted-range")  # quartz ranges wrap around (FRI-MON)
    kind = draw(st.sampled_from(kinds))
    candidates = [n for n in names if not (dialect == "quartz" and fields[n] == "?")]
    if kind == "unknown-name":
        candidates = [n for n in candidates if _FIELDS[dialect][n][2]]
    if kind == "inverted-range":
        candidates = [n for n in candidates if _FIELDS[dialect][n][1] > _FIELDS[dialect][n][0]]
    name = draw(st.sampled_from(candidates))
    lo, hi, _, _ = _FIELDS[dialect][name]
    if name == "year":
        lo, hi = 1970, 2099
    index = names.index(name) + 1
    if kind == "field-count":
        parts = [fields[n] for n in names]
        if draw(st.booleans()) or (dialect == "quartz" and len(parts) == 6):
            parts = parts[:-2] if dialect == "quartz" else parts[:-1]
        else:
            parts = parts + ["1", "1"] if dialect == "quartz" else parts + ["1"]
        return InvalidExpression(" ".join(parts), kind, 0)
    if kind == "out-of-range":
        bad = draw(
            st.one_of(
                st.integers(hi + 1, hi + 40),
                st.integers(0, lo - 1) if lo > 0 else st.integers(hi + 41, hi + 99),
            )
        )
        text = str(bad)
    elif kind == "zero-step":
        text = draw(st.sampled_from(["*/0", f"{lo}/0", f"{lo}-{hi}/0"]))
    elif kind == "inverted-range":
        a = draw(st.integers(lo + 1, hi))
        b = draw(st.integers(lo, a - 1))
        if dialect == "posix" and name == "day_of_week":
            a = draw(st.integers(1, 6))  # 7-0 would hint Sunday; any b < a is inverted
            b = draw(st.integers(0, a - 1))
        text = f"{a}-{b}"
    elif kind == "unknown-name":
        text = draw(st.sampled_from(["mun", "tues", "jna", "sept", "fryday", "xyz"]))
    elif kind == "empty-item":
        text = draw(st.sampled_from([f"{lo},,{hi}", f"{lo},", f",{hi}"]))
    elif kind == "garbage":
        text = draw(st.sampled_from(["5x", "1-", "-3", "*/", "1..5", "+1", "%", "1/x"]))
    elif dialect == "posix":
        name, index = "day", names.index("day") + 1
        text = draw(st.sampled_from(["L", "15W", "LW", "?"]))
    elif dialect == "quartz":
        name, index = "minute", names.index("minute") + 1
        text = "?"
    else:
        name, index = "day_of_week", names.index("day_of_week") + 1
        text = draw(st.sampled_from(["7", "5L", "FRI#3"]))
    fields[name] = text
    return InvalidExpression(" ".join(fields[n] for n in names), kind, index)


def invalid_cron_expressions(
    dialect: str = "posix", *, seconds: bool = False
) -> st.SearchStrategy[InvalidExpression]:
    """Return a strategy for invalid expressions, each with one known mistake.

    ``kind`` is one of :data:`INVALID_KINDS`; ``field_index`` is the field that holds the
    mistake (1-based, as written), or 0 for a wrong number of fields.
    """
    return _broken(dialect, seconds)


def fire_times(
    expr: str,
    *,
    dialect: str = "posix",
    tz: tzinfo | str = "UTC",
    start: datetime = datetime(2000, 1, 1),
    end: datetime = datetime(2100, 1, 1),
) -> st.SearchStrategy[datetime]:
    """Return a strategy for instants at which ``expr`` fires between ``start`` and ``end``.

    Each example is a real fire time (an aware datetime in ``tz``) found from a random point.

    :raises ValueError: if ``expr`` never fires
    """
    cron = Cron(expr, tz, dialect)
    if not cron.feasible:
        raise ValueError(f"fire_times: {expr!r} never fires")
    lo = start.replace(tzinfo=None)
    hi = end.replace(tzinfo=None)

    def first_after(moment: datetime) -> datetime | None:
        return cron.next(moment.replace(tzinfo=timezone.utc))

    found = st.datetimes(lo, hi).map(first_after).filter(lambda t: t is not None)
    return cast("st.SearchStrategy[datetime]", found)


def dst_timezones() -> st.SearchStrategy[ZoneInfo]:
    """Return a strategy for zones with daylight-saving transitions (see :data:`DST_ZONES`)."""
    return st.sampled_from(DST_ZONES).map(ZoneInfo)


@lru_cache(maxsize=512)
def _transitions(key: str, year: int) -> tuple[int, ...]:
    """UTC epoch seconds of the offset changes of zone ``key`` during ``year``."""
    zone = _tz.zone_for(ZoneInfo(key))
    t = int(datetime(year, 1, 1, tzinfo=timezone.utc).timestamp())
    stop = int(datetime(year + 1, 1, 1, tzinfo=timezone.utc).timestamp())
    out = []
    while t < stop:
        nxt = min(t + 7 * 86400, stop)
        if zone.offset_at(nxt) != zone.offset_at(t):
            found = zone.transition(t, nxt)
            out.append(found)
            t = found
        else:
            t = nxt
    return tuple(out)


@lru_cache(maxsize=64)
def _all_transitions(key: str) -> tuple[int, ...]:
    """Every offset change of zone ``key`` from 1970 to 2037."""
    return tuple(t for year in range(1970, 2038) for t in _transitions(key, year))


@st.composite
def _near(draw: st.DrawFn, zones: st.SearchStrategy[ZoneInfo], within: int) -> datetime:
    zone = draw(zones.filter(lambda z: bool(_all_transitions(z.key))))
    t = draw(st.sampled_from(_all_transitions(zone.key))) + draw(st.integers(-within, within))
    return _tz.to_datetime(t, zone)


def datetimes_near_transitions(
    tz: tzinfo | str | None = None, *, within: timedelta = timedelta(hours=3)
) -> st.SearchStrategy[datetime]:
    """Return a strategy for aware datetimes at most ``within`` from a DST transition.

    :param tz: a zone (name or ``ZoneInfo``); default: any of :func:`dst_timezones`
    """
    if tz is None:
        zones = dst_timezones()
    else:
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        if not isinstance(zone, ZoneInfo):
            raise TypeError("datetimes_near_transitions: tz must be a zone name or ZoneInfo")
        zones = st.just(zone)
    return _near(zones, int(within.total_seconds()))


# Zones far from UTC on both sides (and UTC): at the year edges their wall times and their UTC
# instants fall on different sides of year 1 / year 9999.
EDGE_ZONES = ("UTC", "Pacific/Kiritimati", "Asia/Tokyo", "Pacific/Pago_Pago", "America/New_York")


def edge_datetimes(*, naive: bool | None = None) -> st.SearchStrategy[datetime]:
    """Return a strategy for datetimes within two days of 0001-01-01 or of 9999-12-31.

    Naive ones (``naive=True``), aware ones in :data:`EDGE_ZONES` or at fixed offsets up to
    ±23:59 (``naive=False``), or both (``None``). Many denote instants a datetime cannot hold in
    UTC: good input for checking that an API answers ``None`` or a clear error.
    """
    low = st.datetimes(datetime(1, 1, 1), datetime(1, 1, 2, 23, 59, 59, 999999))
    high = st.datetimes(datetime(9999, 12, 30), datetime(9999, 12, 31, 23, 59, 59, 999999))
    walls = low | high
    zones = st.sampled_from(EDGE_ZONES).map(ZoneInfo) | st.integers(-1439, 1439).map(
        lambda minutes: timezone(timedelta(minutes=minutes))
    )
    aware = st.builds(lambda wall, tz: wall.replace(tzinfo=tz), walls, zones)
    if naive is True:
        return walls
    if naive is False:
        return aware
    return walls | aware


def edge_numbers() -> st.SearchStrategy[float | int | bool]:
    """Return a strategy for numbers that break arithmetic: NaN, ±inf, huge, tiny, negative,
    zero and bools (which are ints to Python)."""
    specials = st.sampled_from(
        [float("nan"), float("inf"), float("-inf"), 1e308, -1.0, 0, 0.0, 10**12, 3650000, True]
    )
    return (
        specials | st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**15), 10**15)
    )
