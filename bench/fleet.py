"""Fleet executors: runs per second and added latency, Celery and Dask beside a thread pool.

One BackgroundScheduler hands trivial runs (the job returns ``time.time()`` when it starts) to
each executor in turn, in the same process and on the same machine::

    python bench/fleet.py [--runs 1000] [--rate 20] [--seconds 10]

* **throughput**: ``--runs`` date jobs all due at the same instant; runs per second is
  ``runs / (time the last outcome event arrived - that instant)``.
* **added latency**: ``--rate`` runs a second for ``--seconds`` seconds, spread evenly (well
  below every executor's capacity); latency is the job's start time minus its scheduled run
  time, p50 and p99.

Contenders: ``threadpool`` (ThreadPoolExecutor, 10 threads, in the scheduler's process),
``celery`` (CeleryExecutor, Redis broker and result backend, 2 worker processes with a pool of
4 threads each) and ``dask`` (DaskExecutor, LocalCluster of 2 worker processes with 4 threads
each). Redis: the server on ``TK_REDIS_PORT`` (db 14 and 15) when set, else a private
``redis-server`` on a free port. This module is also the workers' job module (``fleet:started_at``).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from celery import Celery  # noqa: E402

import triggerkit.executors.celery  # noqa: E402,F401 - registers the task in the workers

UTC = timezone.utc
app = Celery(
    "fleet",
    broker=os.environ.get("TK_BENCH_BROKER", "redis://127.0.0.1:16379/14"),
    backend=os.environ.get("TK_BENCH_BACKEND", "redis://127.0.0.1:16379/15"),
)
app.conf.update(task_acks_late=True, worker_prefetch_multiplier=4, result_expires=600)


def started_at() -> float:
    """The job: when it began, by the worker's clock (the same machine's)."""
    return time.time()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(executor: Any, runs: int, rate: float, seconds: float) -> dict[str, float]:
    from triggerkit.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
    from triggerkit.schedulers.background import BackgroundScheduler

    done = threading.Condition()
    latencies: list[float] = []
    arrivals: list[float] = []
    errors: list[Any] = []

    def listener(event: Any) -> None:
        with done:
            if event.code == EVENT_JOB_EXECUTED:
                latencies.append(event.retval - event.scheduled_run_time.timestamp())
            else:
                errors.append(event.exception)
            arrivals.append(time.time())
            done.notify_all()

    sched = BackgroundScheduler(
        timezone="UTC",
        executors={"default": executor},
        job_defaults={"misfire_grace_time": None, "max_instances": 10_000},
    )
    sched.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    sched.start()

    def phase(times: list[datetime]) -> tuple[list[float], list[float]]:
        with done:
            latencies.clear()
            arrivals.clear()
        for i, when in enumerate(times):
            sched.add_job("fleet:started_at", "date", run_date=when, id=f"r{i}")
        with done:
            ok = done.wait_for(lambda: len(arrivals) >= len(times), 120 + seconds)
            assert ok, f"only {len(arrivals)} of {len(times)} outcomes arrived"
            assert not errors, errors[:3]
            return list(latencies), list(arrivals)

    try:
        start = datetime.now(UTC) + timedelta(seconds=1)
        _, arrived = phase([start] * runs)
        throughput = runs / (max(arrived) - start.timestamp())
        count = int(rate * seconds)
        start = datetime.now(UTC) + timedelta(seconds=1)
        paced, _ = phase([start + timedelta(seconds=i / rate) for i in range(count)])
    finally:
        sched.shutdown()
    return {
        "throughput": throughput,
        "p50": pct(paced, 0.50) * 1000,
        "p99": pct(paced, 0.99) * 1000,
    }


def engine_payload() -> dict[str, Any]:
    """A payload as the executors make it, for the engines' own rate without a scheduler."""
    return {
        "job_id": "engine",
        "func": "fleet:started_at",
        "args": [],
        "kwargs": {},
        "run_times": [datetime.now(UTC).isoformat()],
        "misfire_grace_time": None,
    }


def celery_alone(runs: int) -> float:
    """Celery's own rate: send ``runs`` tasks, then wait for all results (no scheduler)."""
    from celery.result import ResultSet

    from triggerkit.executors.celery import TASK_NAME

    payload = engine_payload()
    start = time.time()
    results = [app.send_task(TASK_NAME, args=[payload]) for _ in range(runs)]
    ResultSet(results).join_native(timeout=120)
    return runs / (time.time() - start)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def redis_urls() -> Iterator[tuple[str, str]]:
    port = os.environ.get("TK_REDIS_PORT")
    if port:
        yield f"redis://127.0.0.1:{port}/14", f"redis://127.0.0.1:{port}/15"
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is needed: apt-get install redis-server")
    port = str(free_port())
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [binary, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", tmp],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            time.sleep(0.3)
            yield f"redis://127.0.0.1:{port}/14", f"redis://127.0.0.1:{port}/15"
        finally:
            proc.terminate()
            proc.wait(10)


@contextmanager
def celery_fleet() -> Iterator[Any]:
    from triggerkit.executors.celery import CeleryExecutor

    with redis_urls() as (broker, backend):
        app.conf.broker_url, app.conf.result_backend = broker, backend
        import redis

        for url in (broker, backend):
            redis.Redis.from_url(url).flushdb()
        env = dict(
            os.environ, TK_BENCH_BROKER=broker, TK_BENCH_BACKEND=backend, PYTHONPATH=str(HERE)
        )
        names = [f"bench{i}@{socket.gethostname()}" for i in (1, 2)]
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "fleet",
                    "worker",
                    "-n",
                    name,
                    "--pool=threads",
                    "--concurrency=4",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=WARNING",
                ],
                env=env,
                cwd=str(HERE),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            for name in names
        ]
        try:
            deadline = time.monotonic() + 60
            while True:
                replies = app.control.ping(destination=names, timeout=0.5) or []
                if {n for reply in replies for n in reply} >= set(names):
                    break
                assert time.monotonic() < deadline, "celery workers did not start"
            yield CeleryExecutor(app), celery_alone
        finally:
            for w in workers:
                w.terminate()
            for w in workers:
                w.wait(30)


@contextmanager
def dask_fleet() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    from triggerkit.executors.dask import DaskExecutor

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=4,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    )
    client = Client(cluster, set_as_default=False)

    def alone(runs: int) -> float:
        from triggerkit.executors.remote import run_payload

        payload = engine_payload()
        start = time.time()
        client.gather([client.submit(run_payload, payload, False, pure=False) for _ in range(runs)])
        return runs / (time.time() - start)

    try:
        alone(10)  # warm the workers (imports)
        yield DaskExecutor(client), alone
    finally:
        client.close()
        cluster.close()


@contextmanager
def threadpool() -> Iterator[Any]:
    from triggerkit.executors.pool import ThreadPoolExecutor

    def alone(runs: int) -> float:
        from concurrent.futures import ThreadPoolExecutor as Pool

        from triggerkit.executors.remote import run_payload

        payload = engine_payload()
        start = time.time()
        with Pool(10) as pool:
            list(pool.map(lambda _: run_payload(payload), range(runs)))
        return runs / (time.time() - start)

    yield ThreadPoolExecutor(10), alone


CONTENDERS: dict[str, Callable[[], Any]] = {
    "threadpool": threadpool,
    "celery": celery_fleet,
    "dask": dask_fleet,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000, help="runs in the burst")
    parser.add_argument("--rate", type=float, default=20.0, help="paced runs per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the paced phase")
    parser.add_argument("--only", choices=sorted(CONTENDERS), action="append")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.ERROR)
    results = {}
    for name in args.only or list(CONTENDERS):
        with CONTENDERS[name]() as (executor, alone):
            results[name] = measure(executor, args.runs, args.rate, args.seconds)
            results[name]["alone"] = alone(args.runs)
        print(f"{name}: {results[name]}", file=sys.stderr)
    base = results.get("threadpool")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n{platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} cores, load average at the end {load}; burst {args.runs} runs, "
          f"paced {args.rate:g}/s for {args.seconds:g} s\n")  # fmt: skip
    print(
        "| executor | runs/s (burst) | vs threadpool | engine alone runs/s "
        "| latency p50 (ms) | p99 (ms) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        ratio = f"{r['throughput'] / base['throughput']:.3f}x" if base else "-"
        print(
            f"| {name} | {r['throughput']:,.0f} | {ratio} | {r['alone']:,.0f} "
            f"| {r['p50']:.1f} | {r['p99']:.1f} |"
        )


if __name__ == "__main__":
    main()
