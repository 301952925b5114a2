"""Plugin aliases: the built-in names, then the ``triggerkit.*`` entry-point groups.

``'cron'`` resolves to :class:`triggerkit.triggers.cron.CronTrigger`, ``'threadpool'`` to
:class:`triggerkit.executors.pool.ThreadPoolExecutor` and so on, imported only when used.
Third-party packages add names through the entry-point groups ``triggerkit.triggers``,
``triggerkit.executors`` and ``triggerkit.jobstores`` (value ``'package.module:Class'``).
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from ..util import ref_to_obj

__all__ = ["BUILTIN", "load_plugin"]

BUILTIN: dict[str, dict[str, str]] = {
    "trigger": {
        "date": "triggerkit.triggers.date:DateTrigger",
        "interval": "triggerkit.triggers.interval:IntervalTrigger",
        "cron": "triggerkit.triggers.cron:CronTrigger",
        "calendarinterval": "triggerkit.triggers.calendarinterval:CalendarIntervalTrigger",
        "and": "triggerkit.triggers.combining:AndTrigger",
        "or": "triggerkit.triggers.combining:OrTrigger",
    },
    "executor": {
        "debug": "triggerkit.executors.debug:DebugExecutor",
        "threadpool": "triggerkit.executors.pool:ThreadPoolExecutor",
        "processpool": "triggerkit.executors.pool:ProcessPoolExecutor",
        "asyncio": "triggerkit.executors.asyncio:AsyncIOExecutor",
        "gevent": "triggerkit.executors.gevent:GeventExecutor",
        "tornado": "triggerkit.executors.tornado:TornadoExecutor",
        "twisted": "triggerkit.executors.twisted:TwistedExecutor",
        "celery": "triggerkit.executors.celery:CeleryExecutor",
        "dask": "triggerkit.executors.dask:DaskExecutor",
    },
    "jobstore": {
        "memory": "triggerkit.jobstores.memory:MemoryJobStore",
        "sqlalchemy": "triggerkit.jobstores.sqlalchemy:SQLAlchemyJobStore",
        "mongodb": "triggerkit.jobstores.mongodb:MongoDBJobStore",
        "redis": "triggerkit.jobstores.redis:RedisJobStore",
        "rethinkdb": "triggerkit.jobstores.rethinkdb:RethinkDBJobStore",
        "zookeeper": "triggerkit.jobstores.zookeeper:ZooKeeperJobStore",
        "etcd": "triggerkit.jobstores.etcd:EtcdJobStore",
    },
}

_KIND_NAMES = {"trigger": "trigger", "executor": "executor", "jobstore": "job store"}
_cache: dict[tuple[str, str], type[Any]] = {}


def _entry_point_refs(kind: str) -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=f"triggerkit.{kind}s")}


def load_plugin(kind: str, alias: str, base: type[Any]) -> type[Any]:
    """Return the class registered as ``alias`` for ``kind`` (trigger, executor, jobstore).

    :raises LookupError: for an unknown alias
    :raises TypeError: if the class found is not a subclass of ``base``
    """
    cached = _cache.get((kind, alias))
    if cached is not None:
        return cached
    refs = {**_entry_point_refs(kind), **BUILTIN[kind]}
    ref = refs.get(alias)
    noun = _KIND_NAMES[kind]
    if ref is None:
        raise LookupError(
            f'No {noun} by the name "{alias}" was found; known names: {", ".join(sorted(refs))}'
        )
    cls = ref_to_obj(ref)  # a missing driver raises its own ImportError, naming the extra
    if not isinstance(cls, type) or not issubclass(cls, base):
        raise TypeError(f"The {noun} entry point {alias!r} ({ref}) is not a {base.__name__}")
    _cache[(kind, alias)] = cls
    return cls
