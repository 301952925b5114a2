"""A harness that runs the seed notes' example programs as they are written.

The examples call ``sched.start()`` on a ``BlockingScheduler`` and never return, and their
intervals are seconds to hours long. The harness runs each one in a thread with a *skipping
clock* (sleeping waits for at most a moment, then the clock jumps over the rest of the sleep),
records what it prints, and shuts the scheduler down once the expected output has appeared.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import Any

CAP = 60.0  # seconds of real time; reached only when something is broken
REAL_SLEEP = 0.15  # the real part of each sleep: long enough for a job thread to start


class SkippingClock:
    """Real time plus every skipped sleep."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.lock = threading.Lock()

    def now(self, tz: tzinfo | None) -> datetime:
        return datetime.now(tz) + self.offset

    def wait(self, event: Any, timeout: float | None) -> bool:
        if timeout is None or timeout <= REAL_SLEEP:
            return bool(event.wait(timeout))
        if event.wait(REAL_SLEEP):
            return True
        with self.lock:
            self.offset += timedelta(seconds=timeout - REAL_SLEEP)
        return False


class Example:
    """One example program, run in a thread with ``print`` recorded."""

    def __init__(self, code: str, scheduler_name: str = "sched") -> None:
        self.code = code
        self.scheduler_name = scheduler_name
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.namespace: dict[str, Any] = {"__name__": "seed_example", "print": self._print}
        self.error: BaseException | None = None
        self.jobs_at_end: list[Any] = []

    def _print(self, *args: Any, **kwargs: Any) -> None:
        with self.changed:
            self.lines.append(" ".join(str(a) for a in args))
            self.changed.notify_all()

    def _run(self) -> None:
        try:
            exec(compile(self.code, "<seed example>", "exec"), self.namespace)
        except BaseException as exc:  # reported by run()
            self.error = exc
        finally:
            with self.changed:
                self.changed.notify_all()

    def run(self, until: Callable[[list[str]], bool]) -> list[str]:
        """Run until ``until(lines)`` holds, then shut the example's scheduler down."""
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        with self.changed:
            reached = self.changed.wait_for(lambda: until(self.lines) or not thread.is_alive(), CAP)
        sched = self.namespace.get(self.scheduler_name)
        if sched is not None and sched.running:
            self.jobs_at_end = sched.get_jobs()
            sched.shutdown(wait=False)
        thread.join(CAP)
        if self.error is not None:
            raise self.error
        assert reached and until(self.lines), self.lines
        return self.lines
