"""Job stores side by side with APScheduler 3.11.3's, on the same server, in one run (markdown).

    python bench/stores.py                     # every store, full sizes
    python bench/stores.py --stores sqlite     # some stores
    python bench/stores.py --quick             # small sizes, a smoke test

Three scenarios per store, each run by both libraries' own code (store and scheduler pass):

- **add**: ``add_job`` of N jobs (10,000), one by one, as an application adds them;
- **due pass**: one scheduler pass over M due jobs (1,000): fetch, run (an inline executor
  calling a no-op), store the next run times;
- **wake-up**: one scheduler pass with 10 due jobs among B stored ones (100,000).

Servers come from the ``TK_*`` variables (``.ci/servers.sh``) or are started for the run. Nothing is
random: job ids, run times and sizes are fixed, so a run repeats. A pass figure is the fastest of
``--repeats`` passes (the due jobs made due again between them); the add figure is one run.

To add a store: write one function ``def NAME_pair() -> StorePair`` and add it to ``STORES``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from servers import ensure_server, stop_started_servers  # noqa: E402

import triggerkit  # noqa: E402
from triggerkit.executors.debug import DebugExecutor  # noqa: E402
from triggerkit.job import Job  # noqa: E402
from triggerkit.jobstores.base import BaseJobStore  # noqa: E402
from triggerkit.schedulers.base import BaseScheduler  # noqa: E402
from triggerkit.triggers.interval import IntervalTrigger  # noqa: E402

UTC = timezone.utc


def noop() -> None:
    """The benchmarked job."""


# --- the two libraries' schedulers, cranked by hand -------------------------------------------


class TkScheduler(BaseScheduler):
    """triggerkit's scheduler without a loop thread: :meth:`tick` runs one pass."""

    def wakeup(self) -> None:
        pass

    def tick(self) -> None:
        self._process_jobs()


def aps_scheduler_class() -> Any:
    from apscheduler.schedulers.base import BaseScheduler as ApsBase

    class ApsScheduler(ApsBase):
        def shutdown(self, wait: bool = True) -> None:  # abstract in APScheduler 3
            super().shutdown(wait)

        def wakeup(self) -> None:
            pass

        def tick(self) -> None:
            self._process_jobs()

    return ApsScheduler


@dataclass
class Library:
    """One library's scheduler, job class and trigger class."""

    name: str
    scheduler: Any
    job_cls: Any
    trigger: Any

    def job(self, job_id: str, run_at: datetime) -> Any:
        return self.job_cls(
            self.scheduler,
            id=job_id,
            func=noop,
            trigger=self.trigger,
            executor="default",
            args=(),
            kwargs={},
            name="noop",
            misfire_grace_time=3600,
            coalesce=True,
            max_instances=1,
            next_run_time=run_at,
        )


def triggerkit_library() -> Library:
    scheduler = TkScheduler(timezone="UTC", executors={"default": DebugExecutor()})
    return Library("triggerkit", scheduler, Job, IntervalTrigger(hours=1, timezone=UTC))


def apscheduler_library() -> Library:
    from apscheduler.executors.debug import DebugExecutor as ApsDebug
    from apscheduler.job import Job as ApsJob
    from apscheduler.triggers.interval import IntervalTrigger as ApsInterval

    scheduler = aps_scheduler_class()(timezone="UTC", executors={"default": ApsDebug()})
    return Library("APScheduler 3.11.3", scheduler, ApsJob, ApsInterval(hours=1, timezone=UTC))


# --- the stores ---------------------------------------------------------------------------------


@dataclass
class StorePair:
    """How to make a fresh, empty store of each library on the same server.

    ``bulk_fill(store, library, jobs)`` stores many jobs fast for the wake-up scenario (default:
    ``add_job`` one by one); it must write what the store's own ``add_job`` would.
    """

    label: str
    ours: Callable[[], BaseJobStore]
    theirs: Callable[[], Any]
    bulk_fill: Callable[[Any, list[Any]], None] | None = None
    cleanup: list[Callable[[], None]] = field(default_factory=list)


def _sql_bulk_fill(store: Any, jobs: list[Any]) -> None:
    """Insert rows as the store's add_job would (same columns, same encoded state)."""
    import pickle

    encode = getattr(store, "encode_job", None)
    rows = [
        {
            "id": job.id,
            "next_run_time": job.next_run_time.timestamp() if job.next_run_time else None,
            "job_state": encode(job)
            if encode
            else pickle.dumps(job.__getstate__(), store.pickle_protocol),
        }
        for job in jobs
    ]
    with store.engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            connection.execute(store.jobs_t.insert(), rows[start : start + 5000])


_counter = iter(range(10**9))


def _table() -> str:
    return f"bench_{os.getpid()}_{next(_counter)}"


def sqlite_pair() -> StorePair:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore as Aps

    from triggerkit.jobstores.sqlalchemy import SQLAlchemyJobStore

    folder = tempfile.mkdtemp(prefix="tk-bench-")
    return StorePair(
        "SQLAlchemy, SQLite file",
        lambda: SQLAlchemyJobStore(url=f"sqlite:///{folder}/{_table()}.sqlite"),
        lambda: Aps(url=f"sqlite:///{folder}/{_table()}.sqlite"),
        _sql_bulk_fill,
        [lambda: shutil.rmtree(folder, ignore_errors=True)],
    )


def postgres_pair() -> StorePair:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore as Aps

    from triggerkit.jobstores.sqlalchemy import SQLAlchemyJobStore

    url = ensure_server("postgres")["TK_PG_URL"]
    return StorePair(
        "SQLAlchemy, PostgreSQL",
        lambda: SQLAlchemyJobStore(url=url, tablename=_table()),
        lambda: Aps(url=url, tablename=_table()),
        _sql_bulk_fill,
    )


def _redis_bulk_fill(store: Any, jobs: list[Any]) -> None:
    """Write the hash and sorted set entries the store's add_job would, pipelined."""
    import pickle

    encode = getattr(store, "encode_job", None)
    r = store.redis
    for start in range(0, len(jobs), 5000):
        with r.pipeline(transaction=False) as pipe:
            for job in jobs[start : start + 5000]:
                state = (
                    encode(job)
                    if encode
                    else pickle.dumps(job.__getstate__(), store.pickle_protocol)
                )
                pipe.hset(store.jobs_key, job.id, state)
                pipe.zadd(store.run_times_key, {job.id: job.next_run_time.timestamp()})
            pipe.execute()


def redis_pair() -> StorePair:
    from apscheduler.jobstores.redis import RedisJobStore as Aps

    from triggerkit.jobstores.redis import RedisJobStore

    port = int(ensure_server("redis")["TK_REDIS_PORT"])

    def keys() -> dict[str, str]:
        key = _table()
        return {"jobs_key": f"{key}.jobs", "run_times_key": f"{key}.run_times"}

    return StorePair(
        "Redis",
        lambda: RedisJobStore(host="127.0.0.1", port=port, **keys()),
        lambda: Aps(host="127.0.0.1", port=port, **keys()),
        _redis_bulk_fill,
    )


def _mongo_bulk_fill(store: Any, jobs: list[Any]) -> None:
    """Insert the documents the store's add_job would, in batches."""
    import pickle

    from bson.binary import Binary

    encode = getattr(store, "encode_job", None)
    docs = [
        {
            "_id": job.id,
            "next_run_time": job.next_run_time.timestamp(),
            "job_state": Binary(
                encode(job) if encode else pickle.dumps(job.__getstate__(), store.pickle_protocol)
            ),
        }
        for job in jobs
    ]
    for start in range(0, len(docs), 5000):
        store.collection.insert_many(docs[start : start + 5000], ordered=False)


def mongo_pair() -> StorePair:
    from apscheduler.jobstores.mongodb import MongoDBJobStore as Aps

    from triggerkit.jobstores.mongodb import MongoDBJobStore

    port = int(ensure_server("mongo")["TK_MONGO_PORT"])
    connect = {"host": "127.0.0.1", "port": port, "directConnection": True}
    database = f"bench_{os.getpid()}"

    def drop() -> None:
        from pymongo import MongoClient

        with MongoClient(**connect) as client:
            client.drop_database(database)

    return StorePair(
        "MongoDB (nx-27017 stand-in)",
        lambda: MongoDBJobStore(database=database, collection=_table(), **connect),
        lambda: Aps(database=database, collection=_table(), **connect),
        _mongo_bulk_fill,
        [drop],
    )


STORES: dict[str, Callable[[], StorePair]] = {
    "sqlite": sqlite_pair,
    "postgres": postgres_pair,
    "redis": redis_pair,
    "mongo": mongo_pair,
}


# --- the scenarios ----------------------------------------------------------------------------


def started(library: Library, store: Any) -> Any:
    library.scheduler.add_jobstore(store, "default")
    library.scheduler.start()
    return library.scheduler


def stopped(library: Library) -> None:
    if library.scheduler.running:
        library.scheduler.remove_all_jobs()
        library.scheduler.shutdown(wait=False)


def scenario_add(library: Library, make: Callable[[], Any], count: int) -> float:
    store = make()
    started(library, store)
    base = datetime(2031, 1, 1, tzinfo=UTC)
    jobs = [library.job(f"a{i:06}", base + timedelta(seconds=i)) for i in range(count)]
    begin = time.perf_counter()
    for job in jobs:
        store.add_job(job)
    elapsed = time.perf_counter() - begin
    assert len(store.get_all_jobs()) == count
    stopped(library)
    return elapsed


def _due_pass(
    library: Library,
    make: Callable[[], Any],
    pair: StorePair,
    due: int,
    stored: int,
    repeats: int,
) -> float:
    store = make()
    scheduler = started(library, store)
    past = datetime.now(UTC) - timedelta(seconds=1)
    far = datetime(2040, 1, 1, tzinfo=UTC)
    due_jobs = [library.job(f"d{i:06}", past) for i in range(due)]
    filler = [library.job(f"f{i:07}", far + timedelta(seconds=i)) for i in range(stored - due)]
    fill = pair.bulk_fill or (lambda s, js: [s.add_job(j) for j in js])
    fill(store, filler)
    for job in due_jobs:
        store.add_job(job)
    best = float("inf")
    for _ in range(repeats):
        begin = time.perf_counter()
        scheduler.tick()
        best = min(best, time.perf_counter() - begin)
        remaining = store.get_due_jobs(datetime.now(UTC))
        assert remaining == [], f"{library.name}: {len(remaining)} jobs still due after a pass"
        for job in due_jobs:  # due again for the next repeat (not timed)
            job.next_run_time = past
        for job in due_jobs:
            store.update_job(job)
    stopped(library)
    return best


def measure_store(name: str, sizes: dict[str, int], repeats: int) -> list[list[str]]:
    pair = STORES[name]()
    try:
        return _measure_pair(pair, sizes, repeats)
    finally:
        for cleanup in pair.cleanup:
            cleanup()


def _measure_pair(pair: StorePair, sizes: dict[str, int], repeats: int) -> list[list[str]]:
    rows = []
    for label, run in [
        (
            f"add {sizes['add']:,} jobs (s)",
            lambda lib, make: scenario_add(lib, make, sizes["add"]),
        ),
        (
            f"one pass over {sizes['due']:,} due jobs (ms)",
            lambda lib, make: (
                1000 * _due_pass(lib, make, pair, sizes["due"], sizes["due"], repeats)
            ),
        ),
        (
            f"wake-up: 10 due of {sizes['stored']:,} stored (ms)",
            lambda lib, make: 1000 * _due_pass(lib, make, pair, 10, sizes["stored"], repeats),
        ),
    ]:
        ours = run(triggerkit_library(), pair.ours)
        theirs = run(apscheduler_library(), pair.theirs)
        digits = 2 if "(s)" in label else 1
        rows.append(
            [
                pair.label,
                label,
                f"{ours:.{digits}f}",
                f"{theirs:.{digits}f}",
                f"{theirs / ours:.1f}x",
            ]
        )
        print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    return rows


def machine() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        cpu = platform.processor() or "unknown CPU"
    return f"{cpu}, {os.cpu_count()} CPUs, CPython {platform.python_version()}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default=",".join(STORES), help="comma-separated names")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--add", type=int, help="jobs added (default 10,000)")
    parser.add_argument("--due", type=int, help="due jobs in one pass (default 1,000)")
    parser.add_argument("--stored", type=int, help="stored jobs at wake-up (default 100,000)")
    options = parser.parse_args(argv)
    sizes = {"add": 10_000, "due": 1_000, "stored": 100_000}
    if options.quick:
        sizes = {"add": 500, "due": 100, "stored": 2_000}
    for key in sizes:
        if getattr(options, key):
            sizes[key] = getattr(options, key)

    rows: list[list[str]] = []
    try:
        for name in options.stores.split(","):
            rows.extend(measure_store(name.strip(), sizes, options.repeats))
    finally:
        stop_started_servers()
    print(f"Machine: {machine()}; triggerkit {triggerkit.__version__} ({triggerkit.ENGINE}),")
    print(f"APScheduler {version('APScheduler')}, SQLAlchemy {version('SQLAlchemy')}.")
    print()
    print("| store | scenario | triggerkit | APScheduler 3.11.3 | speed-up |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
