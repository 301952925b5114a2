"""A scheduler application for the fault tests, run as a subprocess (``test_faults.py``).

    python fault_app.py first|again RECIPE_JSON LOG_PATH T0 SECONDS

``RECIPE_JSON`` names the store to open: ``{"class": "module:Class", "kwargs": {...}}``. With
``first`` it adds the jobs below (their schedules start at the POSIX time ``T0``); with
``again`` it only opens the store the first run filled. ``T0`` 0 means "the next whole second
after the scheduler started" (written in the ``ready`` line), so slow imports shift nothing.
It runs for ``SECONDS`` (or until it is killed) and appends one JSON line per event to
``LOG_PATH``: ``ready`` (the scheduler started), ``submitted`` (a job's run times went to the
executor), ``executed`` (one run time finished), ``missed`` (the executor dropped a run time
older than the job's misfire grace time), ``started`` (a job function began). The test reads
the log and the store afterwards.

The script imports itself as ``fault_app`` so that the stored jobs name ``fault_app:...``
functions, which both processes can import.
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Any

UTC = timezone.utc
_log_lock = threading.Lock()
_log_path = ""

#: the jobs the first run adds; how each must come back after a kill is in test_faults.py
JOB_IDS = ("tick", "coalesced", "strict", "slow", "early", "once", "paused")
#: seconds after T0 of the date job that falls due while no scheduler runs
ONCE_AT = 5.5
SLOW_SECONDS = 2.5


def record(event: str, **fields: Any) -> None:
    """Append one event line to the log (one write, so lines of two processes never mix)."""
    line = json.dumps({"e": event, "pid": os.getpid(), "at": time.time(), **fields}) + "\n"
    with _log_lock:
        fd = os.open(_log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)


def work(job_id: str) -> None:
    """The function of every job but the slow one."""
    record("started", job=job_id)


def slow_work(job_id: str) -> None:
    """The slow job: the kill lands while it runs."""
    record("started", job=job_id)
    time.sleep(SLOW_SECONDS)


def open_store(recipe: dict[str, Any]) -> Any:
    from triggerkit.marshalling import ref_to_obj

    return ref_to_obj(recipe["class"])(**recipe["kwargs"])


def add_jobs(sched: Any, t0: float) -> None:
    start = datetime.fromtimestamp(t0, UTC)
    common = {"trigger": "interval", "seconds": 1, "start_date": start}
    sched.add_job(work, id="tick", args=["tick"], coalesce=False, misfire_grace_time=60, **common)
    sched.add_job(
        work, id="coalesced", args=["coalesced"], coalesce=True, misfire_grace_time=60, **common
    )
    sched.add_job(
        work, id="strict", args=["strict"], coalesce=False, misfire_grace_time=1, **common
    )
    sched.add_job(
        slow_work, id="slow", args=["slow"], coalesce=True, misfire_grace_time=60, **common
    )
    sched.add_job(
        work, "date", id="early", args=["early"], run_date=datetime.fromtimestamp(t0 + 1, UTC)
    )
    sched.add_job(
        work,
        "date",
        id="once",
        args=["once"],
        misfire_grace_time=60,
        run_date=datetime.fromtimestamp(t0 + ONCE_AT, UTC),
    )
    sched.add_job(work, id="paused", args=["paused"], next_run_time=None, **common)


def main(argv: list[str]) -> None:
    global _log_path
    from triggerkit.events import (
        EVENT_JOB_ERROR,
        EVENT_JOB_EXECUTED,
        EVENT_JOB_MISSED,
        EVENT_JOB_SUBMITTED,
    )
    from triggerkit.schedulers.background import BackgroundScheduler

    mode, recipe_json, _log_path, t0_text, seconds_text = argv
    sched = BackgroundScheduler(
        timezone="UTC",
        jobstores={"default": open_store(json.loads(recipe_json))},
        executors={"default": {"type": "threadpool", "max_workers": 10}},
    )

    def listener(event: Any) -> None:
        if event.code == EVENT_JOB_SUBMITTED:
            times = [t.timestamp() for t in event.scheduled_run_times]
            record("submitted", job=event.job_id, times=times)
        else:
            kind = "missed" if event.code == EVENT_JOB_MISSED else "executed"
            record(kind, job=event.job_id, time=event.scheduled_run_time.timestamp())

    mask = EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
    sched.add_listener(listener, mask)
    sched.start(paused=True)
    t0 = float(t0_text) or float(math.ceil(time.time()) + 1)
    if mode == "first":
        add_jobs(sched, t0)
    record("ready", jobs=sorted(job.id for job in sched.get_jobs()), t0=t0)
    sched.resume()
    time.sleep(float(seconds_text))
    sched.shutdown(wait=True)
    record("stopped")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import fault_app  # noqa: PLW0406 - the jobs must name fault_app:..., not __main__:...

    fault_app.main(sys.argv[1:])
