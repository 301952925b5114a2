"""Jobs kept in SQLite survive a restart: run this script twice.

The first run adds the job ``tick`` to ``jobs.sqlite`` (a local file, no server) and runs it for a
few seconds; the second run finds the same job in the file, with the time the first run added it,
and goes on running it. Delete ``jobs.sqlite`` to start over.

    python examples/jobs_in_sqlite.py            # first run: adds the job
    python examples/jobs_in_sqlite.py            # second run: the job is still there
    python examples/jobs_in_sqlite.py --db other.sqlite --seconds 10
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone

from triggerkit.jobstores.sqlalchemy import SQLAlchemyJobStore
from triggerkit.schedulers.background import BackgroundScheduler


def tick(added_at: str) -> None:
    """The job: says when it runs and when it was first added."""
    now = datetime.now(timezone.utc).strftime("%H:%M:%S")
    print(f"tick at {now} (job added {added_at})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="jobs.sqlite", help="the SQLite file (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to run")
    options = parser.parse_args()

    store = SQLAlchemyJobStore(url=f"sqlite:///{options.db}")
    scheduler = BackgroundScheduler(jobstores={"default": store}, timezone="UTC")
    scheduler.start(paused=True)  # opens the store; runs nothing until resume()
    job = scheduler.get_job("tick")
    if job is None:
        added_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        job = scheduler.add_job(tick, "interval", seconds=1, id="tick", args=(added_at,))
        print(f"added job 'tick' to {options.db}; run me again to see it come back", flush=True)
    else:
        print(f"found job 'tick' in {options.db}, added {job.args[0]}", flush=True)
    scheduler.resume()
    time.sleep(options.seconds)
    scheduler.shutdown()
    print(f"stopped; job 'tick' stays in {options.db}", flush=True)


if __name__ == "__main__":
    main()
