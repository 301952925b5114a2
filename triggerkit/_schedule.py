"""A compiled cron schedule in a zone: field masks + DST policy, searched with the kernel.

Shared by :class:`triggerkit.triggers.cron.CronTrigger` and the toolkit's :class:`Cron`.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import lru_cache
from types import ModuleType
from typing import Any, NamedTuple

from . import _engine, _tz
from ._tz import _EPOCH, _FAST_HI, _SECOND
from .errors import TriggerArgumentError

__all__ = ["CronCore", "Masks"]

# The instants a datetime can hold in UTC (0001-01-01 00:00:00 .. 9999-12-31 23:59:59): a wall
# time at the edge of year 9999 in a zone west of UTC is later than that, and is no answer.
_fromtimestamp = datetime.fromtimestamp
_FIRST_INSTANT = -62135596800
_LAST_INSTANT = 253402300799


class Masks(NamedTuple):
    """The arguments of the kernel's ``compile_spec``, in order."""

    years: tuple[tuple[int, int, int], ...]
    months: int
    days: int
    last_days: int
    nth_weekdays: int
    last_weekdays: int
    near_weekdays: int
    flags: int
    weekdays: int
    weeks: int
    hours: int
    minutes: int
    seconds: int


@lru_cache(maxsize=4096)
def _compile(kernel: ModuleType, masks: Masks) -> tuple[Any, bool]:
    spec = kernel.compile_spec(*masks)
    return spec, bool(kernel.is_feasible(spec))


class CronCore:
    """Field masks in a time zone with DST policies; answers next/previous fire instants."""

    __slots__ = (
        "masks",
        "tz",
        "zone",
        "fold0",
        "fold1",
        "gap_shift",
        "_kernel",
        "_spec",
        "_feasible",
        "_last",
    )

    def __init__(
        self,
        masks: Masks,
        tz: tzinfo,
        follows_real_time: bool,
        dst_gap: str = "shift",
        dst_overlap: str = "auto",
    ) -> None:
        if dst_gap not in _tz.GAP_POLICIES:
            raise TriggerArgumentError(
                "dst_gap", dst_gap, "one of " + ", ".join(repr(p) for p in _tz.GAP_POLICIES)
            )
        self.masks = masks
        self.tz = tz
        self.zone = _tz.zone_for(tz)
        self.fold0, self.fold1 = _tz.fold_choice(dst_overlap, follows_real_time)
        self.gap_shift = dst_gap == "shift"
        self._kernel: ModuleType | None = None
        self._spec: Any = None
        self._feasible = True
        # The last fire time returned and its instant: iterating passes it straight back in,
        # and reading the instant off a datetime in a zone with rules costs more than a search.
        self._last: tuple[datetime, int] | None = None

    def _ready(self) -> bool:
        kernel = _engine.kernel
        if kernel is not self._kernel:
            self._spec, self._feasible = _compile(kernel, self.masks)
            self._kernel = kernel
        return self._feasible

    @property
    def feasible(self) -> bool:
        """Whether the schedule fires at all (between years 1 and 9999)."""
        return self._ready()

    def next_instant(self, start: int) -> int | None:
        """Return the first fire instant >= ``start`` (UTC epoch seconds), or ``None``."""
        if not self._ready():
            return None
        return _tz.next_fire(self._spec, self.zone, start, self.fold0, self.fold1, self.gap_shift)

    def prev_instant(self, end: int) -> int | None:
        """Return the last fire instant <= ``end`` (UTC epoch seconds), or ``None``."""
        if not self._ready():
            return None
        return _tz.prev_fire(self._spec, self.zone, end, self.fold0, self.fold1, self.gap_shift)

    def next(self, after: datetime, inclusive: bool = False) -> datetime | None:
        """Return the first fire time after ``after`` (or at it, if ``inclusive``)."""
        fixed = self.zone.fixed
        kernel = _engine.kernel
        if fixed is not None and kernel is self._kernel:
            # A fixed offset, compiled for this kernel: _tz.from_datetime, next_fire's first
            # branch and _tz.to_datetime in a few lines (the hot path of UTC schedules).
            if not self._feasible:
                return None
            seconds = (after - _EPOCH) // _SECOND
            if not inclusive or after.microsecond:
                seconds += 1
            found = kernel.next_match(self._spec, seconds + fixed)
            if found is None:
                return None
            found -= fixed
            if 0 <= found < _FAST_HI:
                return _fromtimestamp(found, self.tz)
            if not _FIRST_INSTANT <= found <= _LAST_INSTANT:
                return None
            return _tz.to_datetime(found, self.tz)
        last = self._last
        if last is not None and last[0] is after:
            seconds = last[1] if inclusive else last[1] + 1
        else:
            seconds, micro = _tz.from_datetime(after, self.zone)
            if micro or not inclusive:
                seconds += 1
        if not self._ready():
            return None
        # the general path (a zone with rules, or the first call after the kernel changed)
        found = _tz.next_fire(
            self._spec, self.zone, seconds, self.fold0, self.fold1, self.gap_shift
        )
        if found is None or not _FIRST_INSTANT <= found <= _LAST_INSTANT:
            return None  # past what a datetime can hold in UTC (9999-12-31 23:59:59-05:00)
        result = _tz.to_datetime(found, self.tz)
        self._last = (result, found)
        return result

    def prev(self, before: datetime, inclusive: bool = False) -> datetime | None:
        """Return the last fire time before ``before`` (or at it, if ``inclusive``)."""
        fixed = self.zone.fixed
        kernel = _engine.kernel
        if fixed is not None and kernel is self._kernel:  # the hot path, as in next()
            if not self._feasible:
                return None
            seconds = (before - _EPOCH) // _SECOND
            if not inclusive and not before.microsecond:
                seconds -= 1
            found = kernel.prev_match(self._spec, seconds + fixed)
            if found is None:
                return None
            found -= fixed
            if 0 <= found < _FAST_HI:
                return _fromtimestamp(found, self.tz)
            if not _FIRST_INSTANT <= found <= _LAST_INSTANT:
                return None
            return _tz.to_datetime(found, self.tz)
        last = self._last
        if last is not None and last[0] is before:
            seconds = last[1] if inclusive else last[1] - 1
        else:
            seconds, micro = _tz.from_datetime(before, self.zone)
            if not micro and not inclusive:
                seconds -= 1
        if not self._ready():
            return None
        # the general path (a zone with rules, or the first call after the kernel changed)
        found = _tz.prev_fire(
            self._spec, self.zone, seconds, self.fold0, self.fold1, self.gap_shift
        )
        if found is None or not _FIRST_INSTANT <= found <= _LAST_INSTANT:
            return None  # past what a datetime can hold in UTC (9999-12-31 23:59:59-05:00)
        result = _tz.to_datetime(found, self.tz)
        self._last = (result, found)
        return result
