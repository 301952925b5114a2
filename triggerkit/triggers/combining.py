"""AND/OR combinations of triggers, at APScheduler 3's ``apscheduler.triggers.combining``.

Both compare **instants** (UTC), never wall clocks: Python ignores ``fold`` when it compares
two datetimes of the same zone, which would confuse the two occurrences of a repeated time.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..marshalling import obj_to_ref, ref_to_obj
from .base import BaseTrigger

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
    """False when all children are cron triggers in one zone whose fields share no value."""
    from .cron import CronTrigger

    if not triggers or not all(isinstance(t, CronTrigger) for t in triggers):
        return True
    # The masks select wall-clock times: they can only be compared within one zone.
    if any(t.timezone != triggers[0].timezone for t in triggers):  # type: ignore[attr-defined]
        return True
    masks = [t._core.masks for t in triggers]  # type: ignore[attr-defined]
    # A cron day must match its day group AND its weekday, so disjoint weekdays never agree.
    for name in ("months", "hours", "minutes", "seconds", "weeks", "weekdays"):
        common = -1
        for m in masks:
            common &= getattr(m, name)
        if not common:
            return False
    if all(m.last_days == m.nth_weekdays == m.last_weekdays == 0 for m in masks):
        common = -1
        for m in masks:
            common &= m.days
        if not common:
            return False
    return True


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
