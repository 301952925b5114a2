"""ZooKeeper, etcd and RethinkDB stores side by side with APScheduler 3.11.3's, in one run.

    python bench/stores_zk_etcd_rethinkdb.py [JOBS]        (default 1000; servers from TK_* vars)

For each store: add JOBS interval jobs (seeded run times), one scheduler pass over JOBS due jobs
(read the due jobs, write their next run times back: APScheduler's store one update_job per job,
triggerkit's one update_jobs batch, as the scheduler calls each) as the best of 3, and
get_next_run_time as the best of 5. Prints seconds and the ratio APScheduler/triggerkit (above
1: triggerkit is faster). RethinkDB runs on reqlite, whose speed says nothing about a real server.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from servers import ensure_server  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # etcd3's generated protobuf modules
    from apscheduler.job import Job as ApsJob
    from apscheduler.jobstores.etcd import EtcdJobStore as ApsEtcd
    from apscheduler.jobstores.rethinkdb import RethinkDBJobStore as ApsRethink
    from apscheduler.jobstores.zookeeper import ZooKeeperJobStore as ApsZooKeeper
    from apscheduler.schedulers.background import BackgroundScheduler as ApsScheduler
    from apscheduler.triggers.interval import IntervalTrigger as ApsInterval

from triggerkit.job import Job  # noqa: E402
from triggerkit.jobstores.etcd import EtcdJobStore  # noqa: E402
from triggerkit.jobstores.rethinkdb import RethinkDBJobStore  # noqa: E402
from triggerkit.jobstores.zookeeper import ZooKeeperJobStore  # noqa: E402
from triggerkit.schedulers.background import BackgroundScheduler  # noqa: E402
from triggerkit.triggers.interval import IntervalTrigger  # noqa: E402

UTC = timezone.utc
T0 = datetime(2030, 1, 1, tzinfo=UTC)


def make_jobs(job_cls: Any, sched_cls: Any, trigger_cls: Any, offsets: list[int]) -> list[Any]:
    scheduler = sched_cls(timezone="UTC")
    return [
        job_cls(
            scheduler,
            id=f"j{i:06d}",
            func=print,
            trigger=trigger_cls(seconds=60, timezone=UTC),
            executor="default",
            args=(),
            kwargs={},
            name="j",
            misfire_grace_time=1,
            coalesce=True,
            max_instances=1,
            next_run_time=T0 + timedelta(seconds=offset),
        )
        for i, offset in enumerate(offsets)
    ]


def measure(store: Any, jobs: list[Any], batch: bool) -> tuple[float, float, float]:
    store.start(None, "default")
    start = time.perf_counter()
    for job in jobs:
        store.add_job(job)
    add = time.perf_counter() - start
    now = T0 + timedelta(hours=2)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        due = store.get_due_jobs(now)
        for job in due:
            job.next_run_time += timedelta(seconds=1)
        if batch:
            store.update_jobs(due)
        else:
            for job in due:
                store.update_job(job)
        best = min(best, time.perf_counter() - start)
        assert len(due) == len(jobs)
    wake = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        store.get_next_run_time()
        wake = min(wake, time.perf_counter() - start)
    store.remove_all_jobs()
    return add, best, wake


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rng = random.Random(14)
    offsets = [rng.randrange(0, 3600) for _ in range(count)]
    zk = f"127.0.0.1:{ensure_server('zookeeper')['TK_ZK_PORT']}"
    etcd = int(ensure_server("etcd")["TK_ETCD_PORT"])
    rethink = int(ensure_server("rethinkdb")["TK_RETHINK_PORT"])
    kinds: dict[str, tuple[Callable[[str], Any], Callable[[str], Any]]] = {
        "zookeeper": (
            lambda name: ApsZooKeeper(path=f"/{name}", hosts=zk, close_connection_on_exit=True),
            lambda name: ZooKeeperJobStore(
                path=f"/{name}", hosts=zk, close_connection_on_exit=True
            ),
        ),
        "etcd": (
            lambda name: ApsEtcd(path=f"/{name}", host="127.0.0.1", port=etcd),
            lambda name: EtcdJobStore(path=f"/{name}", host="127.0.0.1", port=etcd),
        ),
        "rethinkdb (reqlite)": (
            lambda name: ApsRethink(database="bench", table=name, port=rethink),
            lambda name: RethinkDBJobStore(database="bench", table=name, port=rethink),
        ),
    }
    print(f"{count} jobs, all due; seconds APScheduler / triggerkit (ratio)")
    for kind, (aps_make, tk_make) in kinds.items():
        name = f"bench_{uuid.uuid4().hex}"
        aps_store, tk_store = aps_make(name), tk_make(name + "_tk")
        try:
            aps = measure(aps_store, make_jobs(ApsJob, ApsScheduler, ApsInterval, offsets), False)
        finally:
            aps_store.shutdown()
        try:
            tk = measure(
                tk_store, make_jobs(Job, BackgroundScheduler, IntervalTrigger, offsets), True
            )
        finally:
            tk_store.shutdown()
        cells = [
            f"{label} {a:.3f}/{t:.3f} ({a / t:.1f}x)"
            for label, a, t in zip(("add", "due pass", "next_run_time"), aps, tk, strict=True)
        ]
        print(f"{kind:20s} " + "  ".join(cells))


if __name__ == "__main__":
    main()
