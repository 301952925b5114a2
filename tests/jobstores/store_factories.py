"""The stores the contract suite (``test_contract.py``) runs on: one registry line per store.

``FACTORIES[name](**options)`` returns a fresh, EMPTY store on its real server (a unique table,
key, collection or path per call); ``options`` (``serializer="json"``, ...) go to the store's
constructor. A factory calls :func:`servers.ensure_server` for the server it needs, so a run
without CI starts the server itself and a missing server fails the test, never skips it.

``APSCHEDULER_TWINS[name](store)`` returns APScheduler 3.11.3's own store class opened on the same
location as ``store`` (same table/key/collection): the contract suite writes rows with it and
reads them with triggerkit. Every persistent store must have a twin (a test checks it).

To add a store: one line in FACTORIES, one in APSCHEDULER_TWINS.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable
from typing import Any

from triggerkit.jobstores.base import BaseJobStore
from triggerkit.jobstores.memory import MemoryJobStore

_counter = itertools.count()


def unique_name(prefix: str = "tk") -> str:
    """A table/key/collection name no other test uses."""
    return f"{prefix}_{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:8]}"


# --- job functions the stored jobs call (importable as store_factories:NAME) ------------------


def job_func(*args: Any, **kwargs: Any) -> tuple[Any, ...]:
    """A stored job's function."""
    return args, kwargs


def other_job_func(*args: Any, **kwargs: Any) -> None:
    """Another one, to tell an update from the original."""


# --- the stores ------------------------------------------------------------------------------


def memory_store(**options: Any) -> BaseJobStore:
    return MemoryJobStore(**options)


FACTORIES: dict[str, Callable[..., BaseJobStore]] = {
    "memory": memory_store,
}

APSCHEDULER_TWINS: dict[str, Callable[[BaseJobStore], Any]] = {}

#: the stores that keep jobs as bytes (every store but memory)
PERSISTENT = [name for name in FACTORIES if name != "memory"]
