"""The one place that decides what happens at daylight-saving transitions.

The rules are those of ``docs/rules/dst.md``:

* **G** (spring-forward gap): a selected wall time that does not exist fires once, at the
  transition instant; several selected times in one gap, and the transition's own wall time,
  collapse into that one fire. Policy ``gap="skip"`` drops them instead.
* **O** (fall-back overlap): a repeated wall time fires at its first occurrence only, unless the
  spec follows real time (its hour or minute field starts with ``*``), in which case both
  occurrences fire. Policies ``first``, ``last`` and ``both`` override the automatic choice.
* **I** (intervals) and **L** (naive input) live in the interval trigger and ``util``.

The search itself works on integers: UTC epoch seconds for instants, *local epoch seconds* (the
wall clock read as if it were UTC) for wall times, and the active kernel of ``_engine``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from . import _engine
from .errors import TriggerArgumentError

if TYPE_CHECKING:
    from ._engine import Kernel, Spec, ZoneRules

__all__ = [
    "GAP_POLICIES",
    "OVERLAP_POLICIES",
    "Zone",
    "fold_choice",
    "from_datetime",
    "next_fire",
    "prev_fire",
    "resolve_wall",
    "to_datetime",
    "zone_for",
]

GAP_POLICIES = ("shift", "skip")
OVERLAP_POLICIES = ("auto", "first", "last", "both")

_UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=_UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)
# Instants the datetime type can hold in any zone (years 1..9999 with a day of margin).
_MIN_T = -62135596800 + 86400
_MAX_T = 253402300799 - 86400
_FIXED_KEYS = frozenset(
    {
        "UTC",
        "Etc/UTC",
        "Etc/UCT",
        "UCT",
        "Universal",
        "Zulu",
        "GMT",
        "Etc/GMT",
        "Etc/Universal",
        "Etc/Zulu",
        "Greenwich",
        "Etc/Greenwich",
    }
)
# Instants for which ``datetime.fromtimestamp`` works on every platform (Windows rejects
# negative timestamps and years after 3000); outside, the slower timedelta arithmetic is used.
_FAST_LO = 0
_FAST_HI = 32503680000
# next_fire/prev_fire answer from a zone's transition table when the search stays between two
# transitions (a test compares both ways); False runs the general loop only.
_SHORTCUT = True
# At most this many transitions are stepped over in one search (only pathological zones with
# transitions every few seconds could need more).
_MAX_STEPS = 10000


def _seconds(delta: timedelta | None) -> int:
    if delta is None:
        return 0
    return delta.days * 86400 + delta.seconds


class _Transitions:
    """A ZoneInfo's transitions, read from its TZif file and checked against the tzinfo.

    Between its second and last transition a zone's offsets become list bisections that mirror
    zoneinfo's own lookups: ``fromutc`` bisects the UTC transition instants; ``utcoffset``
    bisects wall-clock transition instants, the UTC instant plus the larger of the two offsets
    for fold 0 and plus the smaller for fold 1. Elsewhere (before, and under the zone's POSIX
    rule after the last transition) :class:`Zone` asks the tzinfo.
    """

    __slots__ = (
        "utc",
        "wall0",
        "wall1",
        "offsets",
        "utc_lo",
        "utc_hi",
        "wall_lo",
        "wall_hi",
        "sorted",
    )

    def __init__(self, utc: list[int], offsets: list[int]) -> None:
        self.utc = utc
        self.offsets = offsets  # the offset from each transition on
        pairs = list(zip(utc[1:], offsets[:-1], offsets[1:], strict=True))
        self.wall0 = [-(2**62)] + [t + max(a, b) for t, a, b in pairs]
        self.wall1 = [-(2**62)] + [t + min(a, b) for t, a, b in pairs]
        self.utc_lo, self.utc_hi = utc[1], utc[-1]
        self.wall_lo, self.wall_hi = self.wall0[1], self.wall1[-1]
        # The shortcut of next_fire/prev_fire needs every list in order (real zones are; a
        # zone with two transitions closer than their offset change would not be).
        self.sorted = all(
            a < b
            for column in (utc, self.wall0, self.wall1)
            for a, b in zip(column[:-1], column[1:], strict=True)
        )

    def offset_at(self, t: int) -> int:
        return self.offsets[bisect_right(self.utc, t) - 1]

    def wall_offsets(self, w: int) -> tuple[int, int]:
        return (
            self.offsets[bisect_right(self.wall0, w) - 1],
            self.offsets[bisect_right(self.wall1, w) - 1],
        )


def _read_transitions(tz: ZoneInfo) -> tuple[list[int], list[int]] | None:
    """Return the UTC transition instants of a cached ZoneInfo and the offset after each."""
    key = tz.key
    if not key or ZoneInfo(key) is not tz:  # from_file() or no_cache(): its data may differ
        return None
    try:  # zoneinfo's own (private) TZif reader; anything unexpected: no table
        from zoneinfo import _common, _tzpath

        path = _tzpath.find_tzfile(key)
        with open(path, "rb") if path else _common.load_tzdata(key) as fobj:
            trans_idx, trans_utc, utcoff, *_ = _common.load_data(fobj)
        return [int(t) for t in trans_utc], [int(utcoff[i]) for i in trans_idx]
    except Exception:
        return None


class Zone:
    """A ``tzinfo`` seen as offsets on the integer timelines."""

    __slots__ = ("tz", "fixed", "_wall_utcoffset", "_table", "_rules")

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.fixed: int | None = None
        if isinstance(tz, timezone):
            self.fixed = _seconds(tz.utcoffset(None))
        elif isinstance(tz, ZoneInfo) and (tz.key in _FIXED_KEYS or tz.key.startswith("Etc/")):
            self.fixed = _seconds(tz.utcoffset(_EPOCH_NAIVE))
        # ZoneInfo.utcoffset(dt) reads only dt's wall-clock fields and fold, never dt.tzinfo, so
        # a UTC datetime carrying the wall time stands in for it (saving a replace()). Other
        # tzinfo classes get the datetime they expect.
        self._wall_utcoffset: Callable[[datetime], timedelta] | None = None
        self._table: _Transitions | None | bool = None
        self._rules: tuple[Kernel, ZoneRules] | None = None
        if type(tz) is ZoneInfo and self.fixed is None:
            self._wall_utcoffset = cast("Callable[[datetime], timedelta]", tz.utcoffset)
            self._table = True  # read on first use

    def table(self) -> _Transitions | None:
        """Return the verified transition table, if the zone has one (read on first use)."""
        table = self._table
        if table is True:
            return self._load_table()
        return table if table else None

    def rules(self, kernel: Kernel) -> ZoneRules:
        """Return the zone as ``kernel``'s :class:`ZoneRules` (built once per kernel).

        A fixed offset, or the verified transition table when it is in order; any other zone
        gets rules without a table, for which the kernel's datetime layer always defers here.
        """
        cached = self._rules
        if cached is not None and cached[0] is kernel:
            return cached[1]
        table = self.table() if self.fixed is None else None
        if table is not None and table.sorted:
            rules = kernel.ZoneRules(
                self.tz, None, table.utc, table.offsets, table.wall0, table.wall1
            )
        else:
            rules = kernel.ZoneRules(self.tz, self.fixed, [], [], [], [])
        self._rules = (kernel, rules)
        return rules

    def _load_table(self) -> _Transitions | None:
        """Read and verify the transition table (once); ``None`` when there is none."""
        assert isinstance(self.tz, ZoneInfo)
        self._table = None
        found = _read_transitions(self.tz)
        if found is None or len(found[0]) < 3:
            return None
        table = _Transitions(*found)
        # Check the table against the tzinfo on both sides of every transition, in both
        # timelines: between transitions both are constant, so they then agree everywhere.
        for i in range(1, len(table.utc)):
            for t in (table.utc[i] - 1, table.utc[i]):
                if table.utc_lo <= t <= table.utc_hi:
                    if table.offset_at(t) != self._tz_offset_at(t):
                        return None
            for w in (table.wall0[i] - 1, table.wall0[i], table.wall1[i] - 1, table.wall1[i]):
                if table.wall_lo <= w <= table.wall_hi:
                    if table.wall_offsets(w) != self._tz_wall_offsets(w):
                        return None
        self._table = table
        return table

    def offset_at(self, t: int) -> int:
        """Return the UTC offset in seconds in force at UTC epoch second ``t``."""
        if self.fixed is not None:
            return self.fixed
        table = self._table
        if table is True:
            table = self._load_table()
        if table and table.utc_lo <= t <= table.utc_hi:
            return table.offsets[bisect_right(table.utc, t) - 1]
        return self._tz_offset_at(t)

    def _tz_offset_at(self, t: int) -> int:
        if _FAST_LO <= t < _FAST_HI:
            # the same call as astimezone() makes: tz.fromutc() on the UTC wall fields
            delta = datetime.fromtimestamp(t, self.tz).utcoffset()
        else:
            t = min(max(t, _MIN_T), _MAX_T)
            delta = (_EPOCH + timedelta(seconds=t)).astimezone(self.tz).utcoffset()
        return 0 if delta is None else delta.days * 86400 + delta.seconds

    def wall_offsets(self, w: int) -> tuple[int, int]:
        """Return the offsets of wall time ``w`` read with ``fold=0`` and ``fold=1``.

        Equal for a wall time that occurs once; ``o0 < o1`` inside a gap, ``o0 > o1`` inside
        an overlap (PEP 495).
        """
        if self.fixed is not None:
            return self.fixed, self.fixed
        table = self._table
        if table is True:
            table = self._load_table()
        if table and table.wall_lo <= w <= table.wall_hi:
            offsets = table.offsets
            return (
                offsets[bisect_right(table.wall0, w) - 1],
                offsets[bisect_right(table.wall1, w) - 1],
            )
        return self._tz_wall_offsets(w)

    def _tz_wall_offsets(self, w: int) -> tuple[int, int]:
        utcoffset = self._wall_utcoffset
        if utcoffset is not None and _FAST_LO <= w < _FAST_HI:
            wall = datetime.fromtimestamp(w, _UTC)
            d0, d1 = utcoffset(wall), utcoffset(wall.replace(fold=1))
            return d0.days * 86400 + d0.seconds, d1.days * 86400 + d1.seconds
        w = min(max(w, _MIN_T), _MAX_T)
        local = (_EPOCH_NAIVE + timedelta(seconds=w)).replace(tzinfo=self.tz)
        return _seconds(local.utcoffset()), _seconds(local.replace(fold=1).utcoffset())

    def transition(self, lo: int, hi: int) -> int:
        """Return the first instant in ``(lo, hi]`` whose offset differs from ``lo``'s."""
        before = self.offset_at(lo)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.offset_at(mid) == before:
                lo = mid
            else:
                hi = mid
        return hi


_zones: dict[Any, Zone] = {}


def zone_for(tz: tzinfo) -> Zone:
    """Return the (cached) :class:`Zone` of ``tz``."""
    try:
        return _zones[tz]
    except KeyError:
        pass
    except TypeError:  # an unhashable tzinfo
        return Zone(tz)
    if len(_zones) > 512:
        _zones.clear()
    zone = _zones[tz] = Zone(tz)
    return zone


def fold_choice(overlap: str, follows_real_time: bool) -> tuple[bool, bool]:
    """Return which occurrences of a repeated wall time fire: ``(first, second)``."""
    if overlap == "auto":
        return True, follows_real_time
    if overlap == "first":
        return True, False
    if overlap == "last":
        return False, True
    if overlap == "both":
        return True, True
    raise TriggerArgumentError(
        "dst_overlap", overlap, "one of " + ", ".join(repr(p) for p in OVERLAP_POLICIES)
    )


def next_fire(
    spec: Spec,
    zone: Zone,
    start: int,
    fold0: bool = True,
    fold1: bool = False,
    gap_shift: bool = True,
) -> int | None:
    """Return the first fire instant ``>= start`` (UTC epoch seconds), or ``None``.

    :param spec: a compiled spec of the active kernel
    :param fold0: whether the first occurrence of a repeated wall time fires
    :param fold1: whether the second occurrence fires
    :param gap_shift: rule G (fire at the transition) if true, skip gap times if false
    """
    search = _engine.kernel.next_match
    if zone.fixed is not None:
        c = search(spec, start + zone.fixed)
        return None if c is None else c - zone.fixed
    table = zone.table() if _SHORTCUT else None
    if table is not None and table.sorted and table.utc_lo <= start < table.utc_hi:
        # The shortcut: offset o holds on [utc[i], utc[i+1]), and the wall times in
        # [wall0[i], wall1[i+1]) occur once each, at wall - o. When ``start`` lies after the
        # run's first instant (where rule G may owe a gap's fire) and its wall time in that
        # range, the loop's first pass searches from there; a match that occurs once is its
        # answer, as here.
        i = bisect_right(table.utc, start) - 1
        if start > table.utc[i]:
            o = table.offsets[i]
            w = start + o
            if table.wall0[i] <= w < table.wall1[i + 1]:
                c = search(spec, w)
                if c is None:
                    return None
                if c < table.wall1[i + 1]:
                    return c - o
                c0, c1 = zone.wall_offsets(c)
                if c0 == c1:
                    return c - c0
    for _ in range(_MAX_STEPS):
        if start > _MAX_T:
            return None
        w = start + zone.offset_at(start)
        o0, o1 = zone.wall_offsets(w)
        if o0 > o1:
            # ``start`` lies in a fall-back overlap: [r0, r1) is the repeated wall range.
            t = zone.transition(w - o0, w - o1)
            r0, r1 = t + o1, t + o0
            if start < t:  # first pass
                if fold0:
                    c = search(spec, w)
                    if c is not None and c < r1:
                        return c - o0
                if fold1:
                    c = search(spec, r0)
                    if c is not None and c < r1:
                        return c - o1
            elif fold1:  # second pass
                c = search(spec, w)
                if c is not None and c < r1:
                    return c - o1
            start = r1 - o1  # the first instant after the repeated range
            continue
        if gap_shift:
            before = zone.offset_at(start - 1)
            if before < o0:
                # rule G: ``start`` is a gap's transition instant, where the gap's selected wall
                # times (all before ``w``) fire; a search from there must not pass them over
                c = search(spec, start + before)
                if c is not None and c < w:
                    return start
        c = search(spec, w)
        if c is None:
            return None
        c0, c1 = zone.wall_offsets(c)
        if c0 == c1:
            return c - c0
        if c0 < c1:
            # rule G: c does not exist; it fires at the transition, once
            t = zone.transition(c - c1, c - c0)
            if gap_shift:
                return t
            start = t
            continue
        # rule O: a repeated wall time reached from before its overlap
        return c - c0 if fold0 else c - c1
    raise RuntimeError("DST search did not converge")  # pragma: no cover


def prev_fire(
    spec: Spec,
    zone: Zone,
    end: int,
    fold0: bool = True,
    fold1: bool = False,
    gap_shift: bool = True,
) -> int | None:
    """Return the last fire instant ``<= end`` (UTC epoch seconds), or ``None``.

    The exact mirror of :func:`next_fire`: it retraces the same instants backwards.
    """
    search = _engine.kernel.prev_match
    if zone.fixed is not None:
        c = search(spec, end + zone.fixed)
        return None if c is None else c - zone.fixed
    table = zone.table() if _SHORTCUT else None
    if table is not None and table.sorted and table.utc_lo <= end < table.utc_hi:
        # next_fire's shortcut, mirrored (no rule G owed at ``end``)
        i = bisect_right(table.utc, end) - 1
        o = table.offsets[i]
        w = end + o
        if table.wall0[i] <= w < table.wall1[i + 1]:
            c = search(spec, w)
            if c is None:
                return None
            if c >= table.wall0[i]:
                return c - o
            c0, c1 = zone.wall_offsets(c)
            if c0 == c1:
                return c - c0
    for _ in range(_MAX_STEPS):
        if end < _MIN_T:
            return None
        w = end + zone.offset_at(end)
        o0, o1 = zone.wall_offsets(w)
        if o0 > o1:
            t = zone.transition(w - o0, w - o1)
            r0, r1 = t + o1, t + o0
            if end >= t:  # second pass
                if fold1:
                    c = search(spec, w)
                    if c is not None and c >= r0:
                        return c - o1
                if fold0:
                    c = search(spec, r1 - 1)
                    if c is not None and c >= r0:
                        return c - o0
            elif fold0:  # first pass
                c = search(spec, w)
                if c is not None and c >= r0:
                    return c - o0
            end = r0 - o0 - 1  # the last instant before the repeated range
            continue
        c = search(spec, w)
        if c is None:
            return None
        c0, c1 = zone.wall_offsets(c)
        if c0 == c1:
            return c - c0
        if c0 < c1:
            t = zone.transition(c - c1, c - c0)
            if gap_shift:
                return t
            end = t - 1
            continue
        return c - c1 if fold1 else c - c0
    raise RuntimeError("DST search did not converge")  # pragma: no cover


def resolve_wall(zone: Zone, w: int, gap_shift: bool = True) -> int | None:
    """Return the instant a selected wall time fires at (UTC epoch seconds), or ``None``.

    ``w`` is the wall time in local epoch seconds. Rule O: a repeated wall time fires at its
    first occurrence. Rule G: a wall time inside a gap fires at the transition instant, or, with
    ``gap_shift`` false, not at all (``None``).
    """
    o0, o1 = zone.wall_offsets(w)
    if o0 >= o1:  # exists once (equal) or twice (overlap: the first occurrence)
        return w - o0
    return zone.transition(w - o1, w - o0) if gap_shift else None


def from_datetime(dt: datetime, zone: Zone | None = None) -> tuple[int, int]:
    """Return ``(whole UTC epoch seconds, microseconds)`` of an aware datetime.

    :param zone: the zone ``dt`` is probably in: when ``dt.tzinfo`` is its tzinfo and it has a
        transition table, the offset comes from the table (what ``dt.utcoffset()`` returns)
    """
    if zone is not None and zone._table is not None and dt.tzinfo is zone.tz:
        table = zone._table
        if isinstance(table, _Transitions):
            wall = (dt.toordinal() - 719163) * 86400 + dt.hour * 3600 + dt.minute * 60 + dt.second
            if table.wall_lo <= wall <= table.wall_hi:
                walls = table.wall1 if dt.fold else table.wall0
                return wall - table.offsets[bisect_right(walls, wall) - 1], dt.microsecond
    seconds = (dt - _EPOCH) // _SECOND
    return seconds, dt.microsecond


def to_datetime(t: int, tz: tzinfo) -> datetime:
    """Return UTC epoch second ``t`` as an aware datetime in ``tz`` (with the right fold)."""
    if _FAST_LO <= t < _FAST_HI:
        return datetime.fromtimestamp(t, tz)  # what astimezone() does: tz.fromutc()
    return (_EPOCH + timedelta(seconds=t)).astimezone(tz)
