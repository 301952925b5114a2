"""triggerkit.jobstores.serializers: the pickle and JSON job-state formats."""

from __future__ import annotations

import json
import pickle
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from triggerkit.errors import JobSerializationError
from triggerkit.jobstores.serializers import (
    JSON_VERSION,
    JsonSerializer,
    PickleSerializer,
    make_serializer,
)
from triggerkit.triggers.cron import CronTrigger

UTC = timezone.utc


def state(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "version": 1,
        "id": "j1",
        "func": "builtins:print",
        "trigger": CronTrigger(hour="*/2", timezone=ZoneInfo("Europe/Paris")),
        "executor": "default",
        "args": (1, "x"),
        "kwargs": {"when": datetime(2030, 1, 2, 3, 4, 5, 6, tzinfo=UTC)},
        "name": "print",
        "misfire_grace_time": None,
        "coalesce": True,
        "max_instances": 1,
        "next_run_time": datetime(2030, 1, 2, tzinfo=ZoneInfo("Europe/Paris")),
    }
    base.update(changes)
    return base


def test_make_serializer_names_and_objects() -> None:
    assert isinstance(make_serializer(), PickleSerializer)
    assert make_serializer("pickle", 3).protocol == 3  # type: ignore[attr-defined]
    assert isinstance(make_serializer("json"), JsonSerializer)
    custom = JsonSerializer()
    assert make_serializer(custom) is custom
    with pytest.raises(ValueError, match="serializer: 'yaml' is not a serializer"):
        make_serializer("yaml")
    with pytest.raises(ValueError, match="serializer"):
        make_serializer(object())  # type: ignore[arg-type]


def test_the_json_format_is_versioned_plain_data() -> None:
    data = JsonSerializer().dumps(state())
    document = json.loads(data)
    assert document["format"] == "triggerkit.job" and document["version"] == JSON_VERSION
    assert document["state"]["func"] == "builtins:print"
    assert document["state"]["trigger"]["$trigger"] == "triggerkit.triggers.cron:CronTrigger"
    assert document["state"]["args"] == {"$tuple": [1, "x"]}
    back = JsonSerializer().loads(data)
    assert back == state()
    assert back["trigger"].timezone == ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    "value",
    [
        date(2030, 1, 2),
        timedelta(days=1, seconds=2, microseconds=3),
        datetime(2030, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2030, 1, 2, 3, 4),
        {"$zone": "not a zone"},
        [(), [], {}],
        float("inf"),
    ],
    ids=repr,
)
def test_json_values_round_trip_with_their_types(value: Any) -> None:
    back = JsonSerializer().loads(JsonSerializer().dumps(state(args=(value,))))
    assert back["args"] == (value,)
    assert type(back["args"][0]) is type(value)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"args": (1, {2, 3})}, "args[1]"),
        ({"kwargs": {"a": [b"bytes"]}}, "kwargs['a'][0]"),
        ({"kwargs": {1: "x"}}, "kwargs"),
        ({"args": (pickle,)}, "args[0]"),
    ],
)
def test_json_refuses_naming_job_field_and_reason(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(JobSerializationError) as info:
        JsonSerializer().dumps(state(**changes))
    assert info.value.job_id == "j1" and info.value.field == field
    assert str(info.value).startswith("Job 'j1' cannot be serialized: " + field)
    assert pickle.loads(pickle.dumps(info.value)).field == field


def test_json_refuses_to_build_arbitrary_classes() -> None:
    data = json.dumps(
        {
            "format": "triggerkit.job",
            "version": 1,
            "state": {"x": {"$trigger": "os:system", "state": {}}},
        }
    ).encode()
    with pytest.raises(ValueError, match="os:system is not a BaseTrigger class"):
        JsonSerializer().loads(data)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (pickle.dumps({"a": 1}), "not JSON"),
        (b'{"format": "other"}', "not a triggerkit job state"),
        (b'{"format": "triggerkit.job", "version": 99, "state": {}}', "version 99"),
        (b'{"format": "triggerkit.job", "version": 1, "state": []}', "not an object"),
    ],
)
def test_json_loads_explains_what_it_cannot_read(data: bytes, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        JsonSerializer().loads(data)


def test_the_pickle_serializer_reads_json_rows_and_refuses_non_dicts() -> None:
    assert PickleSerializer().loads(JsonSerializer().dumps(state())) == state()
    assert PickleSerializer(2).dumps(state())[:2] == b"\x80\x02"
    assert PickleSerializer().loads(memoryview(PickleSerializer().dumps(state()))) == state()
    with pytest.raises(ValueError, match="not a dict"):
        PickleSerializer().loads(pickle.dumps([1]))
    assert repr(PickleSerializer(4)) == "PickleSerializer(protocol=4)"
