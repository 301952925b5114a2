"""Job functions and the Celery app for the fleet executor tests; workers import this module.

The workers find it through ``PYTHONPATH`` (tests/executors); the Celery app reads its broker
and result backend URLs from ``TK_CELERY_BROKER`` and ``TK_CELERY_BACKEND``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from celery import Celery

import triggerkit.executors.celery  # noqa: F401 - registers the triggerkit.run_job task


class JobFailure(Exception):
    """An exception class both sides load."""


def make_app(broker: str, backend: str) -> Celery:
    app = Celery("fleet_jobs", broker=broker, backend=backend)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=False,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        result_expires=600,
    )
    return app


app = make_app(
    os.environ.get("TK_CELERY_BROKER", "redis://127.0.0.1:16379/10"),
    os.environ.get("TK_CELERY_BACKEND", "redis://127.0.0.1:16379/11"),
)


def whoami() -> int:
    """The worker's PID."""
    return os.getpid()


def started_at() -> float:
    """When the run began (for latency)."""
    return time.time()


def fail(message: str) -> None:
    raise JobFailure(message)


def fail_builtin(value: int) -> None:
    raise ValueError(value)


def slow(seconds: float, marker: str | None = None) -> tuple[int, float, float]:
    """Note the PID in ``marker`` (if given), sleep, return (pid, start, end)."""
    start = time.time()
    if marker:
        Path(marker).write_text(str(os.getpid()))
    time.sleep(seconds)
    return os.getpid(), start, time.time()


def unencodable() -> Any:
    return object()


def fail_worker_only() -> None:
    from fleet_worker_only import WorkerOnlyError

    raise WorkerOnlyError("only the worker knows this class")
