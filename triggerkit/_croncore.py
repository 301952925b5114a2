"""A compiled cron schedule in a zone: field masks + DST policy, searched with the kernel.

Shared by :class:`triggerkit.triggers.cron.CronTrigger` and the toolkit's :class:`Cron`.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING

from . import _engine, _tz
from ._constants import Masks
from .errors import TriggerArgumentError

if TYPE_CHECKING:
    from ._engine import Kernel, Search, Spec, ZoneRules

__all__ = ["CronCore", "Masks", "shared_core"]

# The instants a datetime can hold in UTC (0001-01-01 00:00:00 .. 9999-12-31 23:59:59): a wall
# time at the edge of year 9999 in a zone west of UTC is later than that, and is no answer.
_FIRST_INSTANT = -62135596800
_LAST_INSTANT = 253402300799


@lru_cache(maxsize=4096)
def _compile(kernel: Kernel, masks: Masks) -> tuple[Spec, bool]:
    spec = kernel.compile_spec(*masks)
    return spec, kernel.is_feasible(spec)


_POLICIES = {
    (a, b, c): (a, b, c) for a in (False, True) for b in (False, True) for c in (False, True)
}


class CronCore:
    """Field masks in a time zone with DST policies; answers next/previous fire instants.

    ``search`` is the hot path: the active kernel's :class:`~triggerkit._pyengine.Search` of
    this core, whose ``next``/``prev`` take an aware datetime and return the fire time, in the
    kernel, whenever no DST transition is near. It defers the rest to :meth:`general_next` /
    :meth:`general_prev` (the DST rules of ``_tz``), which also (re)build it for the active
    kernel: on first use, and after the engine is switched.
    """

    __slots__ = (
        "masks",
        "tz",
        "zone",
        "_policy",
        "search",
        "_kernel",
        "_spec",
        "_rules",
        "_feasible",
        "_last",
    )

    _spec: Spec
    _rules: ZoneRules

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
        fold0, fold1 = _tz.fold_choice(dst_overlap, follows_real_time)
        # one shared tuple per combination of the three flags (a core holds a reference only)
        self._policy = _POLICIES[fold0, fold1, dst_gap == "shift"]
        # _spec and _rules are set by _ready() with _kernel, the kernel they belong to; until
        # then the search defers every call to general_next/general_prev, which call _ready()
        self._kernel: Kernel | None = None
        self._feasible = True
        self.search: Search = _engine.kernel.Search(None, None, self)
        # The last fire time the general path returned and its instant: iterating passes it
        # straight back in, and reading the instant off a datetime costs more than a search.
        self._last: tuple[datetime, int] | None = None

    def _ready(self) -> Spec | None:
        """Return the spec compiled for the active kernel, or ``None`` if it never fires."""
        kernel = _engine.kernel
        if kernel is not self._kernel:
            self._spec, self._feasible = _compile(kernel, self.masks)
            self._rules = self.zone.rules(kernel)
            self._kernel = kernel
            self.search = kernel.Search(self._spec if self._feasible else None, self._rules, self)
        return self._spec if self._feasible else None

    @property
    def fold0(self) -> bool:
        """Whether the first occurrence of a repeated wall time fires (rule O)."""
        return self._policy[0]

    @property
    def fold1(self) -> bool:
        """Whether the second occurrence of a repeated wall time fires (rule O)."""
        return self._policy[1]

    @property
    def gap_shift(self) -> bool:
        """Whether a wall time in a DST gap fires at the transition (rule G) or is skipped."""
        return self._policy[2]

    @property
    def feasible(self) -> bool:
        """Whether the schedule fires at all (between years 1 and 9999)."""
        return self._ready() is not None

    def next(self, after: datetime, inclusive: bool = False) -> datetime | None:
        """Return the first fire time after ``after`` (or at it, if ``inclusive``)."""
        return self.search.next(after, inclusive)

    def prev(self, before: datetime, inclusive: bool = False) -> datetime | None:
        """Return the last fire time before ``before`` (or at it, if ``inclusive``)."""
        return self.search.prev(before, inclusive)

    def general_next(self, after: datetime, inclusive: bool) -> datetime | None:
        """:meth:`next` where the search could not answer: the DST rules of ``_tz``."""
        if _engine.kernel is not self._kernel:  # first use, or another engine: a new search
            if self._ready() is None:
                return None
            return self.search.next(after, inclusive)
        last = self._last
        if last is not None and last[0] is after:
            seconds = last[1] if inclusive else last[1] + 1
        else:
            seconds, micro = _tz.from_datetime(after, self.zone)
            if micro or not inclusive:
                seconds += 1
        spec = self._ready()
        if spec is None:
            return None
        instant = _tz.next_fire(spec, self.zone, seconds, self.fold0, self.fold1, self.gap_shift)
        if instant is None or not _FIRST_INSTANT <= instant <= _LAST_INSTANT:
            return None  # past what a datetime can hold in UTC (9999-12-31 23:59:59-05:00)
        result = _tz.to_datetime(instant, self.tz)
        self._last = (result, instant)
        return result

    def general_prev(self, before: datetime, inclusive: bool) -> datetime | None:
        """:meth:`prev` where the search could not answer: the DST rules of ``_tz``."""
        if _engine.kernel is not self._kernel:  # first use, or another engine: a new search
            if self._ready() is None:
                return None
            return self.search.prev(before, inclusive)
        last = self._last
        if last is not None and last[0] is before:
            seconds = last[1] if inclusive else last[1] - 1
        else:
            seconds, micro = _tz.from_datetime(before, self.zone)
            if not micro and not inclusive:
                seconds -= 1
        spec = self._ready()
        if spec is None:
            return None
        instant = _tz.prev_fire(
            spec,
            self.zone,
            end=seconds,
            fold0=self.fold0,
            fold1=self.fold1,
            gap_shift=self.gap_shift,
        )
        if instant is None or not _FIRST_INSTANT <= instant <= _LAST_INSTANT:
            return None  # past what a datetime can hold in UTC (9999-12-31 23:59:59-05:00)
        result = _tz.to_datetime(instant, self.tz)
        self._last = (result, instant)
        return result


@lru_cache(maxsize=8192)
def _shared_core(
    masks: Masks, tz: tzinfo, follows_real_time: bool, dst_gap: str, dst_overlap: str
) -> CronCore:
    return CronCore(masks, tz, follows_real_time, dst_gap, dst_overlap)


def shared_core(
    masks: Masks,
    tz: tzinfo,
    follows_real_time: bool,
    dst_gap: str = "shift",
    dst_overlap: str = "auto",
) -> CronCore:
    """Return the :class:`CronCore` of these arguments, shared by every schedule asking for it.

    A core changes only its caches (the compiled spec, the last answer, both keyed so that any
    caller gets right answers), so schedules with the same spec and zone share one: building
    the second costs a cache lookup, and it is compiled once.
    """
    try:
        return _shared_core(masks, tz, follows_real_time, dst_gap, dst_overlap)
    except TypeError:  # an unhashable tzinfo
        return CronCore(masks, tz, follows_real_time, dst_gap, dst_overlap)
