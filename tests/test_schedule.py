"""``_schedule``: identical schedules share one compiled core; different ones never do."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from types import ModuleType
from zoneinfo import ZoneInfo

from triggerkit import Cron
from triggerkit._constants import Masks
from triggerkit._schedule import CronCore, shared_core
from triggerkit.triggers.cron import CronTrigger

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")


def test_identical_schedules_share_one_core() -> None:
    a = CronTrigger(minute="*/7", hour="3-5", timezone=BERLIN)
    b = CronTrigger(minute="*/7", hour="3-5", timezone="Europe/Berlin")
    assert a._core is b._core
    assert Cron("*/7 3-5 * * *", BERLIN)._core is Cron("*/7 3-5 * * *", "Europe/Berlin")._core


def test_schedules_that_differ_in_zone_or_policy_do_not_share() -> None:
    base = CronTrigger(minute="*/7", timezone=BERLIN)
    assert CronTrigger(minute="*/7", timezone=UTC)._core is not base._core
    assert CronTrigger(minute="*/7", timezone=BERLIN, dst_gap="skip")._core is not base._core
    assert CronTrigger(minute="*/7", timezone=BERLIN, dst_overlap="both")._core is not base._core
    # hour=True is an error, not hour=1: the parse cache keys on types too
    assert CronTrigger(hour=1, timezone=UTC).fields[5].expressions


def test_a_shared_core_answers_every_caller_alike(engine: ModuleType) -> None:
    a = Cron("0 * * * *", BERLIN)
    b = Cron("0 * * * *", BERLIN)
    first = a.next(datetime(2026, 3, 29, 0, 30, tzinfo=BERLIN))
    # b continues from a different instant: a's last answer must not leak into b's
    assert b.next(datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=1)) == datetime(
        2026, 10, 25, 3, 0, tzinfo=BERLIN
    )
    assert a.next(first) == datetime(2026, 3, 29, 3, 0, tzinfo=BERLIN)


class UnhashableZone(tzinfo):
    """A fixed UTC+1 zone that cannot be a cache key."""

    __hash__ = None  # type: ignore[assignment]

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=1)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "UTC+1"


def test_an_unhashable_zone_gets_its_own_core(engine: ModuleType) -> None:
    zone = UnhashableZone()
    masks = Cron("0 0 * * *").masks
    core = shared_core(masks, zone, False)
    assert core is not shared_core(masks, zone, False)
    assert core.next(datetime(2026, 1, 1, 12, tzinfo=zone)) == datetime(2026, 1, 2, tzinfo=zone)
    assert isinstance(masks, Masks) and isinstance(core, CronCore)
