"""Helpers for the fleet executor tests: an event collector and Celery worker processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from triggerkit.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
)
from triggerkit.schedulers.background import BackgroundScheduler

HERE = Path(__file__).resolve().parent
CAP = 60.0  # the longest any wait may take before the test fails


class Collector:
    """A background scheduler whose execution events are gathered for the test to wait on."""

    def __init__(self, **options: Any) -> None:
        self.events: list[Any] = []
        self.arrived = threading.Condition()
        # No grace limit: on a loaded machine a run may reach a worker seconds late, and these
        # tests are about runs happening (the worker-side miss is tested in test_remote.py).
        options.setdefault("job_defaults", {"misfire_grace_time": None})
        self.sched = BackgroundScheduler(timezone="UTC", **options)
        mask = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
        self.sched.add_listener(self._on_event, mask)

    def _on_event(self, event: Any) -> None:
        with self.arrived:
            self.events.append(event)
            self.arrived.notify_all()

    def of(self, job_id: str, code: int | None = None) -> list[Any]:
        with self.arrived:
            return [
                e for e in self.events if e.job_id == job_id and (code is None or e.code == code)
            ]

    def wait_until(self, check: Callable[[], bool], timeout: float = CAP) -> None:
        with self.arrived:
            assert self.arrived.wait_for(check, timeout), f"timed out; events: {self.events}"

    def wait_for(self, job_id: str, code: int, count: int = 1, timeout: float = CAP) -> list[Any]:
        self.wait_until(lambda: len(self.of(job_id, code)) >= count, timeout)
        return self.of(job_id, code)


def wait_for_file(path: Path, timeout: float = CAP) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} was not written within {timeout} s")


class CeleryWorker:
    """One ``celery worker`` process (threads pool) for the app in ``fleet_jobs``."""

    def __init__(
        self, name: str, broker: str, backend: str, log_dir: Path, queue: str = "celery"
    ) -> None:
        self.name = name
        self.hostname = f"{name}@{socket.gethostname()}"
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
            TK_CELERY_BROKER=broker,
            TK_CELERY_BACKEND=backend,
        )
        self.log = log_dir / f"{name}.log"
        cmd = [
            sys.executable, "-m", "celery", "-A", "fleet_jobs", "worker", "-n", self.hostname,
            "-Q", queue, "--pool=threads", "--concurrency=2", "--without-gossip",
            "--without-mingle", "--without-heartbeat", "--loglevel=INFO",
        ]  # fmt: skip
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(HERE)
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def wait_ready(app: Any, workers: list[CeleryWorker], timeout: float = CAP) -> None:
    """Wait until every worker answers ``inspect ping`` (the control broadcast behind
    ``celery inspect ping``); fail early with its log if one exits."""
    wanted = {w.hostname for w in workers}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for w in workers:
            if w.proc.poll() is not None:
                raise AssertionError(f"celery worker {w.name} exited:\n{w.log.read_text()[-3000:]}")
        replies = app.control.ping(destination=sorted(wanted), timeout=0.5) or []
        answered = {name for reply in replies for name in reply}
        if wanted <= answered:
            return
    raise AssertionError(f"celery workers not ready within {timeout} s: {wanted}")
