"""The JSON codec of ``export_jobs``/``import_jobs`` (APScheduler 3.10+'s export format).

A document is ``{"version": 1, "scheduler_version": ..., "jobs": [job state, ...]}``. Objects
whose ``__getstate__`` gives a mapping (triggers) are written as their class reference and state;
anything else JSON cannot hold (datetimes, zones) as a base64 pickle.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from collections.abc import Iterable, Mapping
from typing import IO, Any

from .._version import __version__
from ..marshalling import dumps_pickle, loads_pickle, obj_to_ref, ref_to_obj

__all__ = ["read_job_states", "write_job_states"]

#: the only export format version there is
VERSION = 1


def write_job_states(states: Iterable[Mapping[str, Any]], out: IO[str]) -> None:
    """Write the job states (``Job.__getstate__()``) to ``out`` as one export document."""
    document = {"version": VERSION, "scheduler_version": str(__version__), "jobs": list(states)}
    json.dump(document, out, default=_json_default)


def read_job_states(src: IO[str]) -> list[dict[str, Any]]:
    """Read an export document from ``src`` and return its job states.

    :raises ValueError: for a document that is not a version-1 export
    """
    document = json.load(src, object_hook=_json_object_hook)
    if not isinstance(document, dict) or document.get("version") != VERSION:
        version = document.get("version") if isinstance(document, dict) else None
        raise ValueError(f"unrecognized version: {version}")
    states: list[dict[str, Any]] = document["jobs"]
    return states


def _json_default(obj: Any) -> Any:
    state = obj.__getstate__() if hasattr(obj, "__setstate__") else None
    if isinstance(state, Mapping):
        return {
            "__apscheduler_class__": obj_to_ref(type(obj)),
            "__apscheduler_state__": state,
        }
    return {"__apscheduler_pickle__": b64encode(dumps_pickle(obj)).decode("ascii")}


def _json_object_hook(obj: dict[str, Any]) -> Any:
    if "__apscheduler_pickle__" in obj:
        return loads_pickle(b64decode(obj["__apscheduler_pickle__"]))
    if "__apscheduler_class__" in obj and "__apscheduler_state__" in obj:
        # a file exported by APScheduler itself names apscheduler.* classes: ref_to_obj maps them
        instance = object.__new__(ref_to_obj(obj["__apscheduler_class__"]))
        instance.__setstate__(obj["__apscheduler_state__"])
        return instance
    return obj
