"""``Cron``: next, prev, iter, match, identity, pickling, conversion to and from CronTrigger."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone
from itertools import islice
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest
from chains import chain
from hypothesis import given, settings
from hypothesis import strategies as st

from triggerkit import Cron
from triggerkit.errors import CronSpecError, InvalidTimezoneError, TriggerArgumentError
from triggerkit.strategies import cron_expressions, datetimes_near_transitions, dst_timezones
from triggerkit.triggers.cron import CronTrigger

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
PROPS = settings(settings.get_profile("toolkit"), max_examples=100)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_next_is_strictly_after_and_aware(engine: ModuleType) -> None:
    cron = Cron("0 9 * * mon-fri", tz="Europe/Berlin")
    assert cron.next("2026-03-27 09:00") == datetime(2026, 3, 30, 9, tzinfo=BERLIN)
    assert cron.next(datetime(2026, 3, 27, 8, 59, 59, 999999, tzinfo=BERLIN)) == datetime(
        2026, 3, 27, 9, tzinfo=BERLIN
    )


def test_next_times_lists_the_next_n(engine: ModuleType) -> None:
    cron = Cron("0 9 * * mon-fri", tz="Europe/Berlin")
    assert [t.isoformat() for t in cron.next_times(3, "2026-03-27 09:00")] == [
        "2026-03-30T09:00:00+02:00",
        "2026-03-31T09:00:00+02:00",
        "2026-04-01T09:00:00+02:00",
    ]
    assert len(Cron("* * * * *").next_times(5)) == 5
    assert Cron("0 0 30 2 *").next_times(3) == []
    assert len(Cron("0 0 0 1 1 ? 2030", dialect="quartz").next_times(3, "2026-01-01")) == 1


def test_prev_is_strictly_before(engine: ModuleType) -> None:
    cron = Cron("0 9 * * mon-fri", tz="Europe/Berlin")
    assert cron.prev("2026-03-30 09:00") == datetime(2026, 3, 27, 9, tzinfo=BERLIN)
    assert cron.prev("2026-03-30 09:00:00.5") == datetime(2026, 3, 30, 9, tzinfo=BERLIN)


def test_the_default_zone_is_utc_and_now_is_the_default_start() -> None:
    cron = Cron("* * * * *")
    assert cron.tz is UTC
    before = datetime.now(UTC)
    found = cron.next()
    assert found is not None and before < found <= before + timedelta(minutes=1)
    found = cron.prev()
    assert found is not None and before - timedelta(minutes=1) <= found <= datetime.now(UTC)


def test_iter_is_lazy_inclusive_and_bounded(engine: ModuleType) -> None:
    cron = Cron("*/15 9-17 * * mon-fri", tz="Europe/Berlin")
    times = list(cron.iter("2026-03-27 17:30", "2026-03-30 09:15"))
    assert [t.strftime("%d %H:%M") for t in times] == [
        "27 17:30",
        "27 17:45",
        "30 09:00",
        "30 09:15",
    ]
    back = list(cron.iter("2026-03-30 09:15", "2026-03-27 17:30", reverse=True))
    assert back == times[::-1]
    assert len(list(islice(cron.iter("2026-01-01"), 1000))) == 1000


def test_iterating_a_cron_starts_now() -> None:
    first = next(iter(Cron("* * * * *")))
    assert abs(first - datetime.now(UTC)) <= timedelta(minutes=1)


def test_naive_input_is_read_in_the_zone_by_rule_l(engine: ModuleType) -> None:
    cron = Cron("30 2 * * *", tz="Europe/Berlin")
    # 2016-03-27 02:30 does not exist in Berlin; fold=0 reads it as 03:30 CEST (rule L), so the
    # next 02:30 is the next day's
    assert cron.next("2016-03-27 02:30") == datetime(2016, 3, 28, 2, 30, tzinfo=BERLIN)
    # rule G: the non-existent 02:30 fires once at the transition (01:00 UTC = 03:00 CEST)
    assert cron.next("2016-03-27 00:00") == datetime(2016, 3, 27, 3, 0, tzinfo=BERLIN)


def test_the_fall_back_overlap_follows_rule_o(engine: ModuleType) -> None:
    # America/New_York 2013-11-03: 06:00 UTC, 01:00-01:59 happens twice (EDT, then EST)
    once = list(Cron("30 1 * * *", tz=NEW_YORK).iter("2013-11-03", "2013-11-03 23:00"))
    assert [t.astimezone(UTC) for t in once] == [utc(2013, 11, 3, 5, 30)]
    both = list(Cron("*/30 1 * * *", tz=NEW_YORK).iter("2013-11-03", "2013-11-03 23:00"))
    assert [t.astimezone(UTC) for t in both] == [
        utc(2013, 11, 3, 5),
        utc(2013, 11, 3, 5, 30),
        utc(2013, 11, 3, 6),
        utc(2013, 11, 3, 6, 30),
    ]
    last = Cron("30 1 * * *", tz=NEW_YORK, dst_overlap="last")
    assert last.next("2013-11-03") == datetime(2013, 11, 3, 1, 30, fold=1, tzinfo=NEW_YORK)


def test_match_is_true_only_for_fire_instants(engine: ModuleType) -> None:
    cron = Cron("0 9 * * *", tz="Europe/Berlin")
    assert cron.match("2026-05-01 09:00")
    assert not cron.match("2026-05-01 09:00:01")
    assert not cron.match(datetime(2026, 5, 1, 9, 0, 0, 1, tzinfo=BERLIN))
    assert cron.match(datetime(2026, 5, 1, 7, tzinfo=UTC))  # the same instant in UTC


@PROPS
@given(
    expr=cron_expressions("posix"),
    tz=dst_timezones(),
    start=st.datetimes(datetime(1990, 1, 1), datetime(2060, 1, 1)),
)
def test_prev_retraces_next_exactly(
    engine: ModuleType, expr: str, tz: ZoneInfo, start: datetime
) -> None:
    cron = Cron(expr, tz, job_id="job")
    forward = list(islice(cron.iter(start.replace(tzinfo=tz)), 6))
    for earlier, later in zip(forward, forward[1:], strict=False):
        assert cron.prev(later) == earlier
        assert cron.next(earlier) == later
        assert earlier.astimezone(UTC) < later.astimezone(UTC)
    if forward:
        back = list(islice(cron.iter(forward[-1], reverse=True), len(forward)))
        assert back == forward[::-1]


@PROPS
@given(expr=cron_expressions("quartz"), start=datetimes_near_transitions())
def test_match_is_true_exactly_for_the_times_iter_yields(
    engine: ModuleType, expr: str, start: datetime
) -> None:
    cron = Cron(expr, start.tzinfo, "quartz")
    window_end = start + timedelta(hours=2)
    fired = {t.astimezone(UTC) for t in islice(cron.iter(start, window_end), 2000)}
    # every fire time matches, and every whole minute in the window matches only if it fired
    for t in fired:
        assert cron.match(t)
    t = start.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    while t <= window_end and len(fired) < 2000:
        assert cron.match(t) == (t in fired)
        t += timedelta(minutes=1)


def test_equal_schedules_are_equal_whatever_the_dialect() -> None:
    assert Cron("0 9 * * 1-5") == Cron("0 9 * * mon-fri") == Cron("0 9 * * 0-4", dialect="aps")
    assert Cron("0 0 9 ? * MON-FRI", dialect="quartz") == Cron("0 9 * * 1-5")
    assert hash(Cron("0 9 * * 1-5")) == hash(Cron("0 9 * * mon-fri"))
    assert Cron("0 9 * * *") != Cron("0 9 * * *", tz="Europe/Berlin")
    assert Cron("0 9 * * *") != Cron("0 9 * * *", dst_gap="skip")
    assert Cron("0 9 * * *") != "0 9 * * *"


@pytest.mark.parametrize(
    "cron",
    [
        Cron("*/15 9-17 * * mon-fri", tz="Europe/Berlin"),
        Cron("0 0 12 ? * FRI#3 2030", dialect="quartz"),
        Cron("H H * * *", job_id="nightly", dst_overlap="both"),
        Cron("0 0 9 * * *", tz=timezone(timedelta(hours=5)), seconds=True),
    ],
    ids=["posix", "quartz", "hashed", "fixed-offset"],
)
def test_it_pickles_as_a_versioned_plain_dict(cron: Cron) -> None:
    state = cron.__getstate__()
    assert state["version"] == 1
    assert all(isinstance(v, (str, int, bool, type(None), timezone)) for v in state.values())
    clone = pickle.loads(pickle.dumps(cron))
    assert clone == cron and repr(clone) == repr(cron)


def test_it_refuses_state_from_a_newer_version() -> None:
    cron = Cron("0 9 * * *")
    state = cron.__getstate__() | {"version": 2}
    with pytest.raises(ValueError, match="version 2"):
        Cron.__new__(Cron).__setstate__(state)


def test_repr_shows_what_is_not_default() -> None:
    assert repr(Cron("0 9 * * *")) == "Cron('0 9 * * *', tz='UTC', dialect='posix')"
    assert repr(Cron("H * * * *", "Europe/Berlin", job_id="a")) == (
        "Cron('H * * * *', tz='Europe/Berlin', dialect='posix', job_id='a')"
    )


@pytest.mark.parametrize(
    ("expr", "dialect"),
    [
        ("*/15 9-17 * * mon-fri", "posix"),
        ("0 0 1 * *", "posix"),
        ("5 4 * * 7", "posix"),
        ("0 30 10 ? * 6#3", "quartz"),
        ("0 30 10 L * ? 2030-2040", "quartz"),
        ("0 9 last * sat,sun", "aps"),
        ("*/5 * * * *", "aps"),
    ],
)
def test_to_trigger_fires_at_the_same_times(engine: ModuleType, expr: str, dialect: str) -> None:
    cron = Cron(expr, "America/New_York", dialect)
    trigger = cron.to_trigger()
    assert isinstance(trigger, CronTrigger)
    now = datetime(2026, 1, 1, tzinfo=NEW_YORK)
    times = list(islice(cron.iter(now), 20))
    assert chain(trigger, now, 20) == times


def test_a_to_trigger_round_trip_of_the_aps_dialect_is_exact() -> None:
    cron = Cron("*/5 9-17 * jan-mar mon-fri", "Europe/Berlin", "aps")
    assert cron.to_trigger() == CronTrigger.from_crontab(cron.expr, "Europe/Berlin")
    assert Cron.from_trigger(cron.to_trigger()) == cron
    assert Cron.from_trigger(CronTrigger(hour=9, timezone="UTC")) == Cron("0 9 * * *")


@pytest.mark.parametrize(
    ("expr", "dialect", "what"),
    [
        ("0 0 1 * mon", "posix", "OR"),
        ("0 0 12 15W * ?", "quartz", "W"),
        ("0 0 12 LW * ?", "quartz", "LW"),
        ("0 0 12 L-3 * ?", "quartz", "L-n"),
    ],
)
def test_to_trigger_refuses_what_crontrigger_cannot_express(
    expr: str, dialect: str, what: str
) -> None:
    with pytest.raises(TriggerArgumentError, match=what):
        Cron(expr, dialect=dialect).to_trigger()


@pytest.mark.parametrize(
    ("trigger", "field"),
    [
        (CronTrigger(second="*/5", timezone="UTC"), "second"),
        (CronTrigger(year=2030, hour=1, timezone="UTC"), "year"),
        (CronTrigger(week=5, timezone="UTC"), "week"),
        (CronTrigger(day="3rd fri", timezone="UTC"), "day"),
        (CronTrigger(hour=1, timezone="UTC", start_date="2030-01-01"), "start_date"),
    ],
    ids=["second", "year", "week", "space", "start-date"],
)
def test_from_trigger_refuses_what_a_crontab_cannot_hold(trigger: CronTrigger, field: str) -> None:
    with pytest.raises(TriggerArgumentError) as info:
        Cron.from_trigger(trigger)
    assert info.value.field == field


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(InvalidTimezoneError):
        Cron("* * * * *", tz="Mars/Olympus")
    with pytest.raises(ValueError, match="dialect: 'unix'"):
        Cron("* * * * *", dialect="unix")
    with pytest.raises(ValueError, match="seconds"):
        Cron("* * * * * *", dialect="quartz", seconds=True)
    with pytest.raises(TypeError):
        Cron(5)  # type: ignore[arg-type]
    with pytest.raises(CronSpecError) as info:
        Cron("0 0 32 * *")
    assert (info.value.field, info.value.value, info.value.span) == ("day", "32", (4, 6))


@pytest.mark.parametrize("expr", ["0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 12 ? * 2#5 2021"])
def test_a_schedule_that_never_fires_gives_none_at_once(engine: ModuleType, expr: str) -> None:
    dialect = "quartz" if "?" in expr else "posix"
    cron = Cron(expr, dialect=dialect)
    assert cron.next("2020-01-01") is None or dialect == "quartz"
    if dialect == "posix":
        assert not cron.feasible
        assert cron.prev("2020-01-01") is None
        assert list(cron.iter("2020-01-01")) == []


def test_a_schedule_in_the_past_ends(engine: ModuleType) -> None:
    cron = Cron("0 0 0 1 1 ? 2001", dialect="quartz")
    assert cron.next("2002-01-01") is None
    assert cron.prev("2002-01-01") == utc(2001, 1, 1)


def test_a_naive_time_far_in_the_future_keeps_its_microseconds(engine: ModuleType) -> None:
    # the float round trip made 12:00:59.999999 into 12:01:00 and skipped 12:01 (issue #13)
    cron = Cron("* * * * *", tz="Europe/Berlin")
    assert cron.next(datetime(5000, 6, 1, 12, 0, 59, 999999)) == datetime(
        5000, 6, 1, 12, 1, tzinfo=BERLIN
    )
