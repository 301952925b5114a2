"""Switching a live SQLite database: an application that ran on APScheduler 3.11.3 is stopped, its
imports swapped to triggerkit, and started again: the same jobs, the same next run times, nothing
deleted, and only the rows of jobs that ran are rewritten."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

APP = textwrap.dedent(
    '''
    """An application that keeps its jobs in SQLite (written for APScheduler 3)."""
    import json
    import sys
    import time

    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.combining import OrTrigger
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    import app_tasks


    def main():
        db, mode, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
        store = SQLAlchemyJobStore(url="sqlite:///" + db)
        scheduler = BackgroundScheduler(jobstores={"default": store}, timezone="Europe/Berlin")
        scheduler.start(paused=True)
        if mode == "setup":
            add = scheduler.add_job
            add(app_tasks.beat, "interval", seconds=1, id="beat", args=("beat",))
            add(app_tasks.beat, "cron", day_of_week="mon-fri", hour="9-17", minute="*/15",
                id="office", args=("office",), kwargs={"extra": [1, 2]})
            add(app_tasks.beat, OrTrigger([CronTrigger(hour=3), IntervalTrigger(hours=7)]),
                id="either", args=("either",))
            add(app_tasks.beat, "date", run_date="2035-06-01 12:00:00", id="once",
                args=("once",))
            add(app_tasks.beat, "cron", day="last fri", id="monthly", args=("monthly",),
                misfire_grace_time=None, coalesce=False)
            add(app_tasks.beat, "interval", minutes=10, id="paused", args=("paused",)).pause()
        jobs = [
            {
                "id": job.id,
                "next_run_time": job.next_run_time.isoformat() if job.next_run_time else None,
                "trigger": str(job.trigger),
                "func": job.func_ref,
                "args": repr(job.args),
                "kwargs": repr(job.kwargs),
                "options": [job.misfire_grace_time, job.coalesce, job.max_instances],
            }
            for job in scheduler.get_jobs()
        ]
        print(json.dumps(jobs))
        if seconds:
            scheduler.resume()
            time.sleep(seconds)
        scheduler.shutdown()


    main()
    '''
)

TASKS = textwrap.dedent(
    """
    import os


    def beat(name, extra=None):
        with open(os.environ["APP_LOG"], "a") as log:
            log.write(name + " " + os.environ["APP_LIB"] + "\\n")
    """
)


def run_app(folder: Path, library: str, mode: str, seconds: float) -> list[dict[str, Any]]:
    source = APP if library == "apscheduler" else APP.replace("apscheduler", "triggerkit")
    script = folder / f"app_{library}.py"
    script.write_text(source)
    env = dict(
        os.environ,
        APP_LOG=str(folder / "runs.log"),
        APP_LIB=library,
        PYTHONPATH=str(folder),
    )
    proc = subprocess.run(
        [sys.executable, str(script), str(folder / "app.sqlite"), mode, str(seconds)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    listing: list[dict[str, Any]] = json.loads(proc.stdout.splitlines()[0])
    return listing


def raw_rows(folder: Path) -> dict[str, tuple[float | None, bytes]]:
    with sqlite3.connect(folder / "app.sqlite") as db:
        return {
            row[0]: (row[1], row[2])
            for row in db.execute("SELECT id, next_run_time, job_state FROM apscheduler_jobs")
        }


def runs(folder: Path) -> list[str]:
    return (folder / "runs.log").read_text().splitlines()


def test_an_apscheduler_sqlite_application_switches_to_triggerkit(tmp_path: Path) -> None:
    (tmp_path / "app_tasks.py").write_text(TASKS)
    run_app(tmp_path, "apscheduler", "setup", 2.5)
    assert "beat apscheduler" in runs(tmp_path)
    stopped = raw_rows(tmp_path)
    assert len(stopped) == 6 and stopped["paused"][0] is None

    on_apscheduler = run_app(tmp_path, "apscheduler", "list", 0)
    # APScheduler's loop runs one more pass after shutdown(): the due job "beat" ran and was
    # rewritten after its listing was printed. Nothing else was.
    stopped = raw_rows(tmp_path)
    on_triggerkit = run_app(tmp_path, "triggerkit", "list", 0)
    assert raw_rows(tmp_path) == stopped  # opening and listing rewrote nothing

    def without_beat_time(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [dict(job, next_run_time=None) if job["id"] == "beat" else job for job in listing]

    # ids, next run times, triggers, args, options
    assert without_beat_time(on_triggerkit) == without_beat_time(on_apscheduler)
    assert [job["id"] for job in on_triggerkit][-1] == "paused"
    for job in on_triggerkit:  # every next run time is the stored one
        stored = stopped[job["id"]][0]
        if stored is None:
            assert job["next_run_time"] is None
        else:
            assert datetime.fromisoformat(job["next_run_time"]).timestamp() == stored

    before_run = len(runs(tmp_path))
    after = run_app(tmp_path, "triggerkit", "run", 2.5)
    assert after == on_triggerkit  # the listing is taken before resume()
    new_runs = runs(tmp_path)[before_run:]
    assert new_runs and set(new_runs) == {"beat triggerkit"}

    rows = raw_rows(tmp_path)
    assert set(rows) == set(stopped)  # nothing deleted
    for job_id in ("office", "either", "once", "monthly", "paused"):
        assert rows[job_id] == stopped[job_id], job_id  # not run: not rewritten
    assert rows["beat"][0] is not None and stopped["beat"][0] is not None
    assert rows["beat"][0] > stopped["beat"][0]
    assert b"triggerkit" in rows["beat"][1]

    # ... and APScheduler 3 itself still reads every row it wrote.
    back = run_app(tmp_path, "apscheduler", "list", 0)
    assert [job["id"] for job in back] == [job["id"] for job in on_apscheduler]
