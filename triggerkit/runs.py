"""The identity of one scheduled run, for jobs that must make their side effects idempotent.

A run is identified by its job id and its scheduled run time (UTC). With several schedulers
sharing a store (``shared=True``), each run is handed to one scheduler only, but a run whose
scheduler died after starting it is reported, not repeated: a job that writes somewhere can key
its writes on :func:`current_run` so that a retry by the application is harmless::

    from triggerkit.runs import current_run

    def send_report():
        run = current_run()
        db.execute("INSERT INTO sent (job_id, run_time) VALUES (?, ?) ON CONFLICT DO NOTHING",
                   (run.job_id, run.scheduled_run_time))

The same pair is on every ``JobExecutionEvent`` (``job_id``, ``scheduled_run_time``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import NamedTuple

__all__ = ["RunId", "current_run", "running"]


class RunId(NamedTuple):
    """One scheduled run: the job's id, its scheduled time (aware, UTC) and its store alias."""

    job_id: str
    scheduled_run_time: datetime
    jobstore: str | None

    @property
    def key(self) -> str:
        """``"<job id>@<scheduled time as an ISO 8601 UTC instant>"``: a ready-made unique key."""
        return f"{self.job_id}@{self.scheduled_run_time.isoformat()}"


_current: ContextVar[RunId | None] = ContextVar("triggerkit_current_run", default=None)


def current_run() -> RunId | None:
    """The run the calling job function is executing, or ``None`` outside a job run."""
    return _current.get()


@contextlib.contextmanager
def running(job_id: str, run_time: datetime, jobstore: str | None) -> Iterator[RunId]:
    """Make :func:`current_run` return this run inside the block (used by the executors)."""
    run = RunId(job_id, run_time.astimezone(timezone.utc), jobstore)
    token = _current.set(run)
    try:
        yield run
    finally:
        _current.reset(token)
