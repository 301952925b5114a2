"""``_croncore``: identical schedules share one compiled core; different ones never do."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from types import ModuleType
from zoneinfo import ZoneInfo

from triggerkit import Cron
from triggerkit._constants import Masks
from triggerkit._croncore import CronCore, shared_core
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


def test_the_search_belongs_to_the_active_kernel_and_follows_a_switch(
    engine: ModuleType, speedups: ModuleType
) -> None:
    from triggerkit import _engine
    from triggerkit import _pyengine as py

    core = CronCore(Cron("*/5 * * * *").masks, UTC, False)
    at = datetime(2026, 11, 25, 10, 17, 23, tzinfo=UTC)
    # not compiled yet: the first call goes through the core, which builds the search
    assert core.search.spec is None
    assert core.next(at) == datetime(2026, 11, 25, 10, 20, tzinfo=UTC)
    assert type(core.search) is engine.Search and core.search.spec is not None
    other = "python" if engine is speedups else "cython"
    _engine.use(other)
    try:
        stale = core.search
        # the kernel left behind answers nothing itself: its search defers to the core ...
        assert stale.next(at) == datetime(2026, 11, 25, 10, 20, tzinfo=UTC)
        # ... which has built a search of the new kernel
        assert type(core.search) is _engine.kernel.Search and core.search is not stale
        assert core.search.prev(at) == datetime(2026, 11, 25, 10, 15, tzinfo=UTC)
    finally:
        _engine.use("python" if engine is py else "cython")
    assert core.next(at) == datetime(2026, 11, 25, 10, 20, tzinfo=UTC)
    assert type(core.search) is engine.Search


class Recorder:
    """A ``General`` that records what a search deferred to it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, datetime, bool]] = []

    def general_next(self, after: datetime, inclusive: bool) -> datetime | None:
        self.calls.append(("next", after, inclusive))
        return None

    def general_prev(self, before: datetime, inclusive: bool) -> datetime | None:
        self.calls.append(("prev", before, inclusive))
        return None


def test_a_search_defers_what_the_datetime_layer_leaves_undecided(engine: ModuleType) -> None:
    spec = engine.compile_spec(
        ((1, 9999, 1),), 0x1FFE, 0xFFFFFFFE, 0, 0, 0, 0, 0, 0x7F, 0x3FFFFFFFFFFFFE, 1, 1, 1
    )  # 00:00:00 every day
    rules = engine.ZoneRules(UTC, 0, [], [], [], [])
    general = Recorder()
    search = engine.Search(spec, rules, general)
    at = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert search.next(at) == datetime(2026, 1, 2, tzinfo=UTC)
    assert search.prev(at, True) == datetime(2026, 1, 1, tzinfo=UTC)
    assert search.next(datetime(2026, 1, 1), True) is None  # naive: not this kernel's to read
    tokyo = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=9)))
    assert search.prev(tokyo) is None  # another zone
    assert general.calls == [("next", datetime(2026, 1, 1), True), ("prev", tokyo, False)]
    unready = engine.Search(None, None, general)
    assert unready.next(at) is None and general.calls[-1] == ("next", at, False)
