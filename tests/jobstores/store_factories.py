"""The stores the contract suite (``test_contract.py``) runs on: one registry line per store.

``FACTORIES[name](**options)`` returns a fresh, EMPTY store on its real server (a unique table,
key, collection or path per call); ``options`` (``serializer="json"``, ...) go to the store's
constructor. A factory calls :func:`servers.ensure_server` for the server it needs, so a run
without CI starts the server itself and a missing server fails the test, never skips it.

``APSCHEDULER_TWINS[name](store)`` returns APScheduler 3.11.3's own store class opened on the same
location as ``store`` (same table/key/collection): the contract suite writes rows with it and
reads them with triggerkit. Every persistent store must have a twin (a test checks it).

To add a store: one line in FACTORIES, one in APSCHEDULER_TWINS, one in RECIPES.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from servers import ensure_server

from triggerkit.job import Job
from triggerkit.jobstores.base import BaseJobStore
from triggerkit.jobstores.memory import MemoryJobStore
from triggerkit.jobstores.sqlalchemy import SQLAlchemyJobStore
from triggerkit.schedulers.base import BaseScheduler
from triggerkit.triggers.interval import IntervalTrigger

_counter = itertools.count()


def unique_name(prefix: str = "tk") -> str:
    """A table/key/collection name no other test uses."""
    return f"{prefix}_{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:8]}"


# --- job functions the stored jobs call (importable as store_factories:NAME) ------------------


def job_func(*args: Any, **kwargs: Any) -> tuple[Any, ...]:
    """A stored job's function."""
    return args, kwargs


#: what :func:`record` was called with, in order
RECORDED: list[Any] = []


def record(value: Any) -> None:
    """A stored job that leaves a trace in :data:`RECORDED`."""
    RECORDED.append(value)


def other_job_func(*args: Any, **kwargs: Any) -> None:
    """Another one, to tell an update from the original."""


def store_job(
    scheduler: BaseScheduler,
    job_id: str,
    run_at: datetime | None,
    start: datetime,
    seconds: float = 1,
    **changes: Any,
) -> Job:
    """A complete job as a scheduler hands it to a store: :func:`job_func` every ``seconds``
    from ``start`` (UTC), next run ``run_at`` (None: paused); ``changes`` override the rest."""
    options: dict[str, Any] = dict(
        func=job_func,
        trigger=IntervalTrigger(seconds=seconds, start_date=start, timezone=timezone.utc),
        executor="default",
        args=(),
        kwargs={},
        name=job_id,
        misfire_grace_time=60,
        coalesce=False,
        max_instances=1,
        next_run_time=run_at,
    )
    options.update(changes)
    return Job(scheduler, id=job_id, **options)


#: The start of the jobs :func:`layout_job` makes.
LAYOUT_T0 = datetime(2031, 3, 4, 5, 6, 7, tzinfo=timezone.utc)


def layout_job(scheduler: BaseScheduler, job_id: str, run_at: datetime | None, **kw: Any) -> Job:
    """A :func:`store_job` every 30 s from :data:`LAYOUT_T0`, grace 1 s, coalescing."""
    options: dict[str, Any] = {"misfire_grace_time": 1, "coalesce": True, **kw}
    return store_job(scheduler, job_id, run_at, LAYOUT_T0, seconds=30, **options)


def added_then_moved(store: BaseJobStore, scheduler: BaseScheduler) -> list[Job]:
    """Jobs j0..j4 (:func:`layout_job`, due at T0 + i s) added to ``store``, then changed in
    memory only, for a batch update: all due at T0 + 1 h, j4 paused."""
    jobs = [layout_job(scheduler, f"j{i}", LAYOUT_T0 + timedelta(seconds=i)) for i in range(5)]
    for job in jobs:
        store.add_job(job)
    for job in jobs:
        job.next_run_time = LAYOUT_T0 + timedelta(hours=1)
    jobs[4].next_run_time = None
    return jobs


@contextmanager
def started_store(
    name: str,
    scheduler: BaseScheduler,
    kind: type[BaseJobStore],
    clean: Callable[[Any], object] = lambda store: store.remove_all_jobs(),
) -> Iterator[Any]:
    """``FACTORIES[name]()`` (a ``kind``), started on ``scheduler`` as ``"default"``; cleaned
    with ``clean(store)`` and shut down when the block ends."""
    store = FACTORIES[name]()
    assert isinstance(store, kind)
    store.start(scheduler, "default")
    try:
        yield store
    finally:
        clean(store)
        store.shutdown()


# --- the stores ------------------------------------------------------------------------------


def memory_store(**options: Any) -> BaseJobStore:
    return MemoryJobStore(**options)


_sqlite_dir: list[str] = []


def sqlite_url() -> str:
    """A new SQLite database file (no server) in this session's temporary folder."""
    if not _sqlite_dir:
        _sqlite_dir.append(tempfile.mkdtemp(prefix="tk-sqlite-"))
        atexit.register(shutil.rmtree, _sqlite_dir[0], True)
    return f"sqlite:///{_sqlite_dir[0]}/{unique_name('jobs')}.sqlite"


def sqlite_store(**options: Any) -> BaseJobStore:
    return SQLAlchemyJobStore(url=sqlite_url(), **options)


def postgres_url() -> str:
    """The URL of the test PostgreSQL server (started if it is not running)."""
    return ensure_server("postgres")["TK_PG_URL"]


def postgres_store(**options: Any) -> BaseJobStore:
    return SQLAlchemyJobStore(url=postgres_url(), tablename=unique_name("jobs"), **options)


def apscheduler_sqlalchemy_twin(store: BaseJobStore) -> Any:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore as ApsSQLAlchemyJobStore

    assert isinstance(store, SQLAlchemyJobStore)
    url = store.engine.url.render_as_string(hide_password=False)
    return ApsSQLAlchemyJobStore(url=url, tablename=store.jobs_t.name)


def _zk_hosts() -> str:
    return f"127.0.0.1:{ensure_server('zookeeper')['TK_ZK_PORT']}"


def zookeeper_store(**options: Any) -> BaseJobStore:
    from triggerkit.jobstores.zookeeper import ZooKeeperJobStore

    return ZooKeeperJobStore(
        path=f"/{unique_name()}", hosts=_zk_hosts(), close_connection_on_exit=True, **options
    )


def zookeeper_twin(store: Any) -> Any:
    from apscheduler.jobstores.zookeeper import ZooKeeperJobStore

    return ZooKeeperJobStore(path=store.path, hosts=_zk_hosts(), close_connection_on_exit=True)


def _etcd_port() -> int:
    return int(ensure_server("etcd")["TK_ETCD_PORT"])


def etcd_store(**options: Any) -> BaseJobStore:
    from triggerkit.jobstores.etcd import EtcdJobStore

    return EtcdJobStore(path=f"/{unique_name()}", host="127.0.0.1", port=_etcd_port(), **options)


def etcd_twin(store: Any) -> Any:
    from apscheduler.jobstores.etcd import EtcdJobStore

    return EtcdJobStore(path=store.path, host="127.0.0.1", port=_etcd_port())


def _rethink_port() -> int:
    return int(ensure_server("rethinkdb")["TK_RETHINK_PORT"])


def rethinkdb_store(**options: Any) -> BaseJobStore:
    from triggerkit.jobstores.rethinkdb import RethinkDBJobStore

    return RethinkDBJobStore(
        database="triggerkit_tests",
        table=unique_name(),
        host="127.0.0.1",
        port=_rethink_port(),
        **options,
    )


def rethinkdb_twin(store: Any) -> Any:
    from apscheduler.jobstores.rethinkdb import RethinkDBJobStore

    return RethinkDBJobStore(
        database=store.database, table=store.table_name, host="127.0.0.1", port=_rethink_port()
    )


def _redis_port() -> int:
    return int(ensure_server("redis")["TK_REDIS_PORT"])


def _mongo_port() -> int:
    return int(ensure_server("mongo")["TK_MONGO_PORT"])


def redis_store(**options: Any) -> BaseJobStore:
    from triggerkit.jobstores.redis import RedisJobStore

    key = unique_name("tk.redis")
    return RedisJobStore(
        jobs_key=f"{key}.jobs",
        run_times_key=f"{key}.run_times",
        host="127.0.0.1",
        port=_redis_port(),
        **options,
    )


def mongo_store(**options: Any) -> BaseJobStore:
    from triggerkit.jobstores.mongodb import MongoDBJobStore

    return MongoDBJobStore(
        database="triggerkit_tests",
        collection=unique_name("jobs"),
        host="127.0.0.1",
        port=_mongo_port(),
        directConnection=True,
        serverSelectionTimeoutMS=10_000,
        **options,
    )


def aps_redis_twin(store: Any) -> Any:
    from apscheduler.jobstores.redis import RedisJobStore as ApsRedisJobStore

    return ApsRedisJobStore(
        jobs_key=store.jobs_key,
        run_times_key=store.run_times_key,
        host="127.0.0.1",
        port=_redis_port(),
    )


def aps_mongo_twin(store: Any) -> Any:
    from apscheduler.jobstores.mongodb import MongoDBJobStore as ApsMongoDBJobStore

    return ApsMongoDBJobStore(
        database=store.collection.database.name,
        collection=store.collection.name,
        host="127.0.0.1",
        port=_mongo_port(),
        directConnection=True,
    )


FACTORIES: dict[str, Callable[..., BaseJobStore]] = {
    "memory": memory_store,
    "sqlite": sqlite_store,
    "postgres": postgres_store,
    "redis": redis_store,
    "mongo": mongo_store,
    "zookeeper": zookeeper_store,
    "etcd": etcd_store,
    "rethinkdb": rethinkdb_store,
}

APSCHEDULER_TWINS: dict[str, Callable[[BaseJobStore], Any]] = {
    "sqlite": apscheduler_sqlalchemy_twin,
    "postgres": apscheduler_sqlalchemy_twin,
    "redis": aps_redis_twin,
    "mongo": aps_mongo_twin,
    "zookeeper": zookeeper_twin,
    "etcd": etcd_twin,
    "rethinkdb": rethinkdb_twin,
}


def sqlalchemy_recipe(store: Any) -> dict[str, Any]:
    return {
        "class": "triggerkit.jobstores.sqlalchemy:SQLAlchemyJobStore",
        "kwargs": {
            "url": store.engine.url.render_as_string(hide_password=False),
            "tablename": store.jobs_t.name,
        },
    }


def redis_recipe(store: Any) -> dict[str, Any]:
    kwargs = store.redis.connection_pool.connection_kwargs
    return {
        "class": "triggerkit.jobstores.redis:RedisJobStore",
        "kwargs": {
            "jobs_key": store.jobs_key,
            "run_times_key": store.run_times_key,
            "host": kwargs["host"],
            "port": kwargs["port"],
        },
    }


def mongo_recipe(store: Any) -> dict[str, Any]:
    host, port = store.client.address
    return {
        "class": "triggerkit.jobstores.mongodb:MongoDBJobStore",
        "kwargs": {
            "database": store.collection.database.name,
            "collection": store.collection.name,
            "host": host,
            "port": port,
            "directConnection": True,
            "serverSelectionTimeoutMS": 10_000,
        },
    }


def zookeeper_recipe(store: Any) -> dict[str, Any]:
    return {
        "class": "triggerkit.jobstores.zookeeper:ZooKeeperJobStore",
        "kwargs": {"path": store.path, "hosts": _zk_hosts(), "close_connection_on_exit": True},
    }


def etcd_recipe(store: Any) -> dict[str, Any]:
    return {
        "class": "triggerkit.jobstores.etcd:EtcdJobStore",
        "kwargs": {"path": store.path, "host": "127.0.0.1", "port": _etcd_port()},
    }


def rethinkdb_recipe(store: Any) -> dict[str, Any]:
    return {
        "class": "triggerkit.jobstores.rethinkdb:RethinkDBJobStore",
        "kwargs": {
            "database": store.database,
            "table": store.table_name,
            "host": "127.0.0.1",
            "port": _rethink_port(),
        },
    }


#: ``RECIPES[name](store)``: how another process opens the same store, as JSON-able data
#: ``{"class": "module:Class", "kwargs": {...}}`` (the fault tests run schedulers in
#: subprocesses). Every persistent store must have one (a test checks it).
RECIPES: dict[str, Callable[[BaseJobStore], dict[str, Any]]] = {
    "sqlite": sqlalchemy_recipe,
    "postgres": sqlalchemy_recipe,
    "redis": redis_recipe,
    "mongo": mongo_recipe,
    "zookeeper": zookeeper_recipe,
    "etcd": etcd_recipe,
    "rethinkdb": rethinkdb_recipe,
}

#: the stores that keep jobs as bytes (every store but memory)
PERSISTENT = [name for name in FACTORIES if name != "memory"]
