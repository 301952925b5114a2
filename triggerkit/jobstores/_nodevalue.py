"""The value APScheduler 3 keeps per job in ZooKeeper and etcd: ``{"next_run_time", "job_state"}``.

APScheduler 3.11's ZooKeeper and etcd stores pickle a small dict holding the run time as a UTC
timestamp and the job's ``__getstate__()`` dict itself (not a nested pickle). :class:`NodeValue`
writes that exact value with the pickle serializer, so APScheduler reads what triggerkit wrote and
the reverse, and passes the JSON serializer's bytes through unchanged (JSON state carries the run
time itself, and reading it must not unpickle anything). Like the pickle serializer, it reads
JSON values in pickle mode too, so a store can go back from ``serializer="json"``.
"""

from __future__ import annotations

import pickle
from typing import Any

from ..marshalling import dumps_pickle, loads_pickle
from ..util import datetime_to_utc_timestamp
from .serializers import PickleSerializer

__all__ = ["NodeValue"]


class NodeValue:
    """Wrap a job-state serializer so that it reads and writes APScheduler's node values.

    :param inner: the store's serializer (``PickleSerializer`` or ``JsonSerializer``)
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.pickled = isinstance(inner, PickleSerializer)

    def dumps(self, job_state: dict[str, Any]) -> bytes:
        """Return the node value for ``job_state``."""
        if not self.pickled:
            return bytes(self.inner.dumps(job_state))
        value = {
            "next_run_time": datetime_to_utc_timestamp(job_state["next_run_time"]),
            "job_state": job_state,
        }
        return dumps_pickle(value, self.inner.protocol)

    def loads(self, data: bytes) -> dict[str, Any]:
        """Return the job state kept in the node value ``data``.

        :raises ValueError: if ``data`` unpickles to something other than a node value
        """
        if not self.pickled or bytes(data[:1]) == b"{":
            # JSON rows are read by either serializer (a store can go back from JSON to pickle)
            state: dict[str, Any] = self.inner.loads(data)
            return state
        # Only a pickle that names an ``apscheduler`` module needs the mapping unpickler; the
        # others (everything triggerkit wrote) take the C unpickler, which is faster.
        value = loads_pickle(data) if b"apscheduler" in data else pickle.loads(data)
        if not isinstance(value, dict) or not isinstance(value.get("job_state"), dict):
            raise ValueError(
                f"not a job node value (a dict with a 'job_state' dict): {type(value).__name__}"
            )
        job_state: dict[str, Any] = value["job_state"]
        return job_state
