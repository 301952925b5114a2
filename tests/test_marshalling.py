"""triggerkit.marshalling: references and pickles, including what APScheduler 3 wrote."""

from __future__ import annotations

import functools
import pickle
from datetime import datetime, timezone
from typing import Any

import pytest
from apscheduler.triggers.combining import AndTrigger as ApsAnd
from apscheduler.triggers.combining import OrTrigger as ApsOr
from apscheduler.triggers.cron import CronTrigger as ApsCron
from apscheduler.triggers.date import DateTrigger as ApsDate
from apscheduler.triggers.interval import IntervalTrigger as ApsInterval

from triggerkit import marshalling, util
from triggerkit.marshalling import dumps_pickle, loads_pickle, map_module, obj_to_ref, ref_to_obj
from triggerkit.triggers.cron import CronTrigger

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


def module_level() -> None:
    """A job function."""


class Owner:
    def method(self) -> None:
        """An instance method."""

    @classmethod
    def klass(cls) -> None:
        """A class method."""


def test_util_reexports_the_one_implementation() -> None:
    assert util.obj_to_ref is marshalling.obj_to_ref
    assert util.ref_to_obj is marshalling.ref_to_obj
    assert util.get_callable_name is marshalling.get_callable_name


def test_references_round_trip() -> None:
    for obj in (module_level, Owner, Owner.klass, CronTrigger, datetime):
        assert ref_to_obj(obj_to_ref(obj)) == obj
    assert obj_to_ref(module_level) == f"{__name__}:module_level"
    assert obj_to_ref(Owner().method) == f"{__name__}:Owner.method"


@pytest.mark.parametrize(
    ("obj", "words"),
    [
        (lambda: None, "lambda"),
        (functools.partial(module_level), "partial"),
    ],
)
def test_unreachable_objects_are_refused_clearly(obj: Any, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        obj_to_ref(obj)


def test_a_nested_function_is_refused() -> None:
    def nested() -> None:
        pass

    with pytest.raises(ValueError, match="nested function"):
        obj_to_ref(nested)


def test_ref_to_obj_errors_name_the_reference() -> None:
    with pytest.raises(TypeError):
        ref_to_obj(1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="expected 'package.module:name'"):
        ref_to_obj("no_colon")
    with pytest.raises(LookupError, match="no_such_module_xyz:f.*could not import"):
        ref_to_obj("no_such_module_xyz:f")
    with pytest.raises(LookupError, match="error looking up"):
        ref_to_obj("triggerkit.marshalling:nothing_here")


def test_apscheduler_references_resolve_to_triggerkit() -> None:
    assert map_module("apscheduler") == "triggerkit"
    assert map_module("apscheduler.triggers.cron") == "triggerkit.triggers.cron"
    assert map_module("apschedulerx.y") == "apschedulerx.y"
    assert ref_to_obj("apscheduler.triggers.cron:CronTrigger") is CronTrigger


@pytest.mark.parametrize(
    "trigger",
    [
        ApsCron(day_of_week="mon-fri", hour="9-17/2", minute=30, timezone="Europe/Berlin"),
        ApsCron(day="last fri", month="jan-mar", timezone="UTC"),
        ApsCron(day="last", week="*/2", second="*/15", timezone="America/New_York"),
        ApsInterval(hours=2, start_date=NOW, timezone="UTC"),
        ApsDate(run_date=NOW),
        ApsOr([ApsCron(hour=3, timezone="UTC"), ApsInterval(minutes=7, timezone="UTC")]),
        ApsAnd([ApsCron(hour="*/2", timezone="UTC"), ApsCron(minute=0, timezone="UTC")]),
    ],
    ids=repr,
)
def test_an_apscheduler_pickle_loads_as_the_triggerkit_class(trigger: Any) -> None:
    data = pickle.dumps(trigger)
    assert b"apscheduler" in data
    ours = loads_pickle(data)
    assert type(ours).__module__.startswith("triggerkit.triggers")
    assert type(ours).__name__ == type(trigger).__name__
    now = NOW
    for _ in range(5):
        expected = trigger.get_next_fire_time(None, now)
        assert ours.get_next_fire_time(None, now) == expected
        now = expected
    assert b"apscheduler" not in dumps_pickle(ours)


def test_dumps_pickle_uses_the_protocol() -> None:
    assert dumps_pickle({"a": 1}, 2)[:2] == b"\x80\x02"
    assert loads_pickle(dumps_pickle({"a": (1, 2)}, 5)) == {"a": (1, 2)}
