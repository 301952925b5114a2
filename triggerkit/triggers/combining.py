"""AND/OR combinations of triggers, at APScheduler 3's ``apscheduler.triggers.combining``.

Both compare **instants** (UTC), never wall clocks: Python ignores ``fold`` when it compares
two datetimes of the same zone, which would confuse the two occurrences of a repeated time.
"""

from __future__ import annotations

import calendar
import functools
from datetime import datetime, timezone
from types import ModuleType
from typing import Any

from .. import _engine
from .._constants import Masks
from ..marshalling import obj_to_ref, ref_to_obj
from .base import BaseTrigger, check_jitter

__all__ = ["AndTrigger", "BaseCombiningTrigger", "OrTrigger"]

_UTC = timezone.utc
# AndTrigger gives up (returns None) after this many rounds of disagreement; children whose
# fire times can never coincide are detected up front when they are all cron triggers.
MAX_AND_ROUNDS = 100_000


class BaseCombiningTrigger(BaseTrigger):
    """Base of :class:`AndTrigger` and :class:`OrTrigger`.

    :param triggers: triggers to combine
    :param jitter: delay the job execution by ``jitter`` seconds at most
    """

    __slots__ = ("jitter", "triggers")

    def __init__(self, triggers: list[BaseTrigger], jitter: float | None = None) -> None:
        check_jitter(jitter)
        self.triggers = triggers
        self.jitter = jitter

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 1,
            "triggers": [
                (obj_to_ref(t.__class__), t.__getstate__())  # type: ignore[attr-defined]
                for t in self.triggers
            ],
            "jitter": self.jitter,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("version", 1) > 1:
            raise ValueError(
                f"Got serialized data for version {state['version']} of "
                f"{self.__class__.__name__}, but only versions up to 1 can be handled"
            )
        self.jitter = state["jitter"]
        self.triggers = []
        for ref, child_state in state["triggers"]:
            cls = ref_to_obj(ref)
            trigger = cls.__new__(cls)
            trigger.__setstate__(child_state)
            self.triggers.append(trigger)

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, BaseCombiningTrigger)
            and self.triggers == other.triggers
            and self.jitter == other.jitter
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, len(self.triggers)))

    def __repr__(self) -> str:
        jitter = f", jitter={self.jitter}" if self.jitter else ""
        return f"<{self.__class__.__name__}({self.triggers}{jitter})>"


def _cron_children_can_agree(triggers: list[BaseTrigger]) -> bool:
    """False when the children are cron triggers in one zone that can never fire together.

    The fields' masks select wall-clock times, so they compare only within one zone. Children
    whose hours, minutes or seconds share no value, or whose selected days never coincide,
    never agree. The days are decided with the kernel's day masks over every calendar type of
    year (the weekday of 1 January, leap year, previous year leap: 21 types, repeating within
    400 years), so day specials (``last``, ``1st mon``, ISO weeks, ...) count; the answer is
    cached per set of masks. Deliberately, a DST gap's shift (rule G) is not counted as
    agreement: see docs/migration.md.
    """
    from .cron import CronTrigger

    if len(triggers) < 2 or not all(type(t) is CronTrigger for t in triggers):
        return True
    crons = [t for t in triggers if isinstance(t, CronTrigger)]
    tz = crons[0].timezone
    if tz is None or any(t.timezone != tz for t in crons):
        return True
    masks = tuple(t.field_masks for t in crons)
    return _masks_can_agree(_engine.kernel, masks)


_EVERY_WEEK = ((1 << 54) - 1) & ~1  # ISO weeks 1..53: the kernel's mask for "every week"


def _year_allowed(years: tuple[tuple[int, int, int], ...], year: int) -> bool:
    return any(a <= year <= b and (year - a) % step == 0 for a, b, step in years)


@functools.lru_cache(maxsize=1024)
def _masks_can_agree(kernel: ModuleType, masks: tuple[Masks, ...]) -> bool:
    for name in ("hours", "minutes", "seconds"):
        common = -1
        for m in masks:
            common &= getattr(m, name)
        if not common:
            return False
    months = -1
    for m in masks:
        months &= m.months
    months &= 0x1FFE
    if not months:
        return False
    specs = [kernel.compile_spec(*m) for m in masks]
    # Without ISO-week rules a month's selected days depend only on its length and the
    # weekday of its 1st: each such pair is checked once (at most 28 of them).
    by_shape = all(m.weeks == _EVERY_WEEK for m in masks)
    first = max(min((a for a, _, _ in m.years), default=kernel.MAX_YEAR + 1) for m in masks)
    every_year = all(m.years == ((m.years[0][0], kernel.MAX_YEAR, 1),) for m in masks)
    seen: set[int] = set()
    shapes: set[tuple[int, int]] = set()
    scanned = 0
    for year in range(max(first, kernel.MIN_YEAR), kernel.MAX_YEAR + 1):
        if not every_year and not all(_year_allowed(m.years, year) for m in masks):
            continue
        kind = _year_kind(kernel, year)
        if kind in seen:
            scanned += 1
            if scanned > 800:  # two 400-year cycles of common years: nothing new to see
                return False
            continue
        seen.add(kind)
        bits = months
        while bits:
            month = (bits & -bits).bit_length() - 1
            bits &= bits - 1
            if by_shape:
                shape = (
                    calendar.monthrange(year, month)[1],
                    kernel.days_from_civil(year, month, 1) % 7,
                )
                if shape in shapes:
                    continue
                shapes.add(shape)
            common = -1
            for spec in specs:
                common &= kernel.day_mask(spec, year, month)
                if not common:
                    break
            if common:
                return True
        if len(seen) == 21:  # every calendar type of year has been tried
            return False
    return False


def _year_kind(kernel: ModuleType, year: int) -> int:
    """The calendar type of ``year``: weekday of 1 January, leap, previous year leap."""

    def leap(y: int) -> bool:
        return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)

    first_weekday = (int(kernel.days_from_civil(year, 1, 1)) + 3) % 7
    return first_weekday * 4 + leap(year) * 2 + leap(year - 1)


class AndTrigger(BaseCombiningTrigger):
    """Fire at the earliest time all the given triggers agree on.

    Unlike APScheduler 3.11, it never loops forever: after the first round the children are
    asked for their next time *at or after* the latest candidate, so the candidate always moves
    forward, and children that cannot agree end the search with ``None``.
    The trigger is finished when any of the given triggers has finished its schedule.
    """

    __slots__ = ()

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        if not _cron_children_can_agree(self.triggers):
            return None
        fire_times = [t.get_next_fire_time(previous_fire_time, now) for t in self.triggers]
        for _ in range(MAX_AND_ROUNDS):
            if any(ft is None for ft in fire_times):
                return None
            instants = [ft.astimezone(_UTC) for ft in fire_times if ft is not None]
            latest = max(instants)
            if min(instants) == latest:
                return self._apply_jitter(fire_times[0], self.jitter, now)
            candidate = fire_times[instants.index(latest)]
            assert candidate is not None
            fire_times = []
            for trigger in self.triggers:
                ft = trigger.get_next_fire_time(None, candidate)
                if ft is not None and ft.astimezone(_UTC) < latest:
                    return None  # this child can no longer reach the candidate (a past date)
                fire_times.append(ft)
        return None

    def __str__(self) -> str:
        return "and[{}]".format(", ".join(str(t) for t in self.triggers))


class OrTrigger(BaseCombiningTrigger):
    """Fire at the earliest next fire time produced by any of the given triggers.

    The trigger is finished when all the given triggers have finished their schedules.
    Triggers that depend on the previous fire time (the interval trigger) are passed the
    previous fire time produced by any of the triggers, as in APScheduler 3.
    """

    __slots__ = ()

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        fire_times = [t.get_next_fire_time(previous_fire_time, now) for t in self.triggers]
        found = [ft for ft in fire_times if ft is not None]
        if not found:
            return None
        earliest = min(found, key=lambda ft: ft.astimezone(_UTC))
        return self._apply_jitter(earliest, self.jitter, now)

    def __str__(self) -> str:
        return "or[{}]".format(", ".join(str(t) for t in self.triggers))
