"""How persistent stores turn a job's state into bytes and back.

Two serializers, chosen with each store's ``serializer=`` argument:

- ``"pickle"`` (the default, as in APScheduler 3): any picklable argument; reads the rows that
  APScheduler 3 wrote (their ``apscheduler.*`` classes load as ``triggerkit.*``). **Unpickling runs
  code named by the data**: anyone who can write to the database can run code in the scheduler.
- ``"json"``: versioned plain data, so reading the database runs no code beyond importing the
  job's function by its ``module:qualname`` reference. The function must be importable, the
  arguments JSON-able (plus tuples, dates, datetimes, timedeltas and time zones), and the
  trigger one of triggerkit's. Anything else raises
  :class:`~triggerkit.errors.JobSerializationError` when the job is added.

A JSON row is an object ``{"format": "triggerkit.job", "version": 1, "state": ...}``; values JSON
cannot hold are tagged objects (``{"$datetime": ...}``,
``{"$trigger": "module:Class", "state": ...}``).
The pickle serializer also reads JSON rows, so a store can go back from JSON to pickle.
"""

from __future__ import annotations

import json
import pickle
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from ..errors import JobSerializationError
from ..marshalling import dumps_pickle, loads_pickle, obj_to_ref, ref_to_obj
from ..triggers.base import BaseTrigger
from ..triggers.cron.fields import BaseField

__all__ = [
    "JSON_FORMAT",
    "JSON_VERSION",
    "JsonSerializer",
    "PickleSerializer",
    "Serializer",
    "make_serializer",
]

JSON_FORMAT = "triggerkit.job"
JSON_VERSION = 1

_ALLOWED = (
    "None, bool, int, float, str, list, tuple, dict with str keys, date, datetime, timedelta, "
    "a time zone or a triggerkit trigger"
)


@runtime_checkable
class Serializer(Protocol):
    """What a store needs of a serializer."""

    def dumps(self, job_state: dict[str, Any]) -> bytes: ...

    def loads(self, data: bytes) -> dict[str, Any]: ...


class PickleSerializer:
    """Pickle job states (APScheduler 3's format); reads JSON rows too.

    :param protocol: the pickle protocol to write with
    """

    def __init__(self, protocol: int = pickle.HIGHEST_PROTOCOL) -> None:
        self.protocol = protocol

    def dumps(self, job_state: dict[str, Any]) -> bytes:
        return dumps_pickle(job_state, self.protocol)

    def loads(self, data: bytes) -> dict[str, Any]:
        data = bytes(data)
        if data[:1] == b"{":
            return JsonSerializer().loads(data)
        state = loads_pickle(data)
        if not isinstance(state, dict):
            raise ValueError(f"the pickled job state is a {type(state).__name__}, not a dict")
        return state

    def __repr__(self) -> str:
        return f"PickleSerializer(protocol={self.protocol})"


class JsonSerializer:
    """Versioned plain-data job states: reading them runs no pickled code."""

    def dumps(self, job_state: dict[str, Any]) -> bytes:
        """Encode ``job_state``.

        :raises JobSerializationError: naming the job, the field and why, for a value that JSON
            cannot carry
        """
        job_id = str(job_state.get("id"))
        document = {
            "format": JSON_FORMAT,
            "version": JSON_VERSION,
            "state": {key: _encode(value, job_id, key) for key, value in job_state.items()},
        }
        return json.dumps(document, separators=(",", ":"), allow_nan=True).encode("utf-8")

    def loads(self, data: bytes) -> dict[str, Any]:
        """Decode a row written by :meth:`dumps`.

        :raises ValueError: for bytes that are not such a row (a pickle, corrupt data, a newer
            version)
        """
        data = bytes(data)
        if data[:1] != b"{":
            raise ValueError(
                "the row is not JSON (it is probably a pickle, which serializer='json' does not "
                "load: use serializer='pickle' for rows you trust)"
            )
        document = json.loads(data.decode("utf-8"), object_hook=_decode_object)
        if not isinstance(document, dict) or document.get("format") != JSON_FORMAT:
            raise ValueError("the row is JSON but not a triggerkit job state")
        version = document.get("version")
        if not isinstance(version, int) or version > JSON_VERSION:
            raise ValueError(
                f"the row has JSON format version {version!r}; this triggerkit reads versions up "
                f"to {JSON_VERSION}"
            )
        state = document.get("state")
        if not isinstance(state, dict):
            raise ValueError("the row's job state is not an object")
        return state

    def __repr__(self) -> str:
        return "JsonSerializer()"


def make_serializer(
    serializer: str | Serializer = "pickle", pickle_protocol: int = pickle.HIGHEST_PROTOCOL
) -> Serializer:
    """Return the serializer named by ``serializer`` (``"pickle"`` or ``"json"``), or the given
    object itself if it has ``dumps`` and ``loads``.

    :raises ValueError: for any other name or object
    """
    if serializer == "pickle":
        return PickleSerializer(pickle_protocol)
    if serializer == "json":
        return JsonSerializer()
    if not isinstance(serializer, str) and isinstance(serializer, Serializer):
        return serializer
    raise ValueError(
        f"serializer: {serializer!r} is not a serializer; expected 'pickle', 'json' or an "
        "object with dumps(job_state) -> bytes and loads(data) -> dict"
    )


# --- encoding -----------------------------------------------------------------------------


def _encode(value: Any, job_id: str, path: str) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        if type(value) in (bool, int, float, str) or value is None:
            return value
        # a subclass (an IntEnum, a str Enum) would come back as its base type
        raise JobSerializationError(
            job_id, path, f"a {type(value).__qualname__} would come back as a plain value"
        )
    if isinstance(value, list):
        return [_encode(item, job_id, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, tuple) and type(value) is tuple:
        return {"$tuple": [_encode(item, job_id, f"{path}[{i}]") for i, item in enumerate(value)]}
    if isinstance(value, dict) and type(value) is dict:
        for key in value:
            if not isinstance(key, str):
                raise JobSerializationError(
                    job_id, path, f"the dict key {key!r} is not a str; JSON keys are text"
                )
        items = {key: _encode(item, job_id, f"{path}[{key!r}]") for key, item in value.items()}
        if any(key.startswith("$") for key in items):
            return {"$dict": [[key, item] for key, item in items.items()]}
        return items
    if isinstance(value, datetime):
        return {
            "$datetime": value.replace(tzinfo=None).isoformat(),
            "tz": _encode_zone(value.tzinfo, job_id, path) if value.tzinfo else None,
            "fold": value.fold,
        }
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, tzinfo):
        return _encode_zone(value, job_id, path)
    if isinstance(value, BaseField):
        return {
            "$field": obj_to_ref(type(value)),
            "name": value.name,
            "text": str(value),
            "is_default": value.is_default,
        }
    if isinstance(value, BaseTrigger):
        try:
            ref = obj_to_ref(type(value))
        except ValueError as exc:
            raise JobSerializationError(job_id, path, str(exc)) from None
        state = value.__getstate__()  # type: ignore[attr-defined]
        return {"$trigger": ref, "state": _encode(state, job_id, f"{path}.state")}
    raise JobSerializationError(
        job_id,
        path,
        f"a {type(value).__module__}.{type(value).__qualname__} cannot be carried by JSON; "
        f"allowed: {_ALLOWED} (or use serializer='pickle')",
    )


def _encode_zone(zone: tzinfo, job_id: str, path: str) -> dict[str, Any]:
    if isinstance(zone, ZoneInfo) and zone.key:
        return {"$zone": zone.key}
    if isinstance(zone, timezone):
        offset = zone.utcoffset(None)
        return {"$offset": offset.total_seconds()}
    key = getattr(zone, "zone", None) or getattr(zone, "key", None)  # pytz, dateutil
    if isinstance(key, str):
        return {"$zone": key}
    raise JobSerializationError(
        job_id, path, f"the time zone {zone!r} has no IANA name; use a zoneinfo.ZoneInfo"
    )


# --- decoding -----------------------------------------------------------------------------


def _decode_object(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        ((key, value),) = obj.items()
        if key == "$tuple":
            return tuple(value)
        if key == "$dict":
            return dict(value)
        if key == "$date":
            return date.fromisoformat(value)
        if key == "$timedelta":
            return timedelta(days=value[0], seconds=value[1], microseconds=value[2])
        if key == "$zone":
            return ZoneInfo(value)
        if key == "$offset":
            return timezone.utc if value == 0 else timezone(timedelta(seconds=value))
    if "$datetime" in obj:
        naive = datetime.fromisoformat(obj["$datetime"])
        return naive.replace(tzinfo=obj.get("tz"), fold=obj.get("fold", 0))
    if "$field" in obj:
        cls = _checked_class(obj["$field"], BaseField)
        return cls(obj["name"], obj["text"], obj["is_default"])
    if "$trigger" in obj:
        cls = _checked_class(obj["$trigger"], BaseTrigger)
        trigger = cls.__new__(cls)
        trigger.__setstate__(obj["state"])
        return trigger
    return obj


def _checked_class(ref: str, base: type) -> Any:
    """Resolve ``ref`` to a class, refusing anything but a subclass of ``base``: a JSON row
    must not be able to build arbitrary objects."""
    cls = ref_to_obj(ref)
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ValueError(f"{ref} is not a {base.__name__} class")
    return cls
