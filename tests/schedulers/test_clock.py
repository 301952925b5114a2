"""Wall-clock steps: every scheduler kind sleeps at most MAX_SLEEP (issue #13, item 7).

The loops sleep on monotonic timers. When the wall clock steps back two hours, the time left
until the next job looks two hours longer; a scheduler that slept all of it would hold the job
for two hours after the clock is corrected. Each kind is checked with a faked clock: the sleep
it arms is at most MAX_SLEEP, and it never spins (a zero sleep with nothing due).
"""

from __future__ import annotations

import ast
import asyncio
import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

from sched_helpers import START, FakeClock, ManualScheduler

from triggerkit.events import EVENT_JOB_EXECUTED
from triggerkit.schedulers import _clock
from triggerkit.schedulers.base import MAX_SLEEP
from triggerkit.schedulers.blocking import BlockingScheduler

ROOT = Path(__file__).resolve().parents[2]
STEP_BACK = timedelta(hours=2)


def noop() -> None:
    pass


def test_a_clock_stepped_back_is_noticed_within_the_bound(
    manual: ManualScheduler, clock: FakeClock, events: list[Any]
) -> None:
    due = START + timedelta(seconds=10)
    manual.add_job(noop, "date", run_date=due, id="soon", misfire_grace_time=None)
    clock.set(START - STEP_BACK)  # the clock steps back two hours...
    wait = manual.tick()
    assert wait == MAX_SLEEP  # (APScheduler 3 sleeps 2 h 10 s here)
    clock.set(START + timedelta(seconds=3))  # ...and is corrected three seconds later
    clock.advance(wait)  # the sleep ends: the loop reads the corrected clock
    manual.tick()
    runs = [e for e in events if e.code == EVENT_JOB_EXECUTED]
    assert [e.scheduled_run_time for e in runs] == [due]
    assert clock.value - due <= timedelta(seconds=MAX_SLEEP)


def test_the_loop_does_not_spin_while_nothing_is_due(
    manual: ManualScheduler, clock: FakeClock
) -> None:
    manual.add_job(noop, "date", run_date=START + timedelta(days=1))
    waits = []
    for _ in range(5):
        waits.append(manual.tick())
        clock.advance(waits[-1] or 0)
    assert waits == [MAX_SLEEP] * 5
    manual.remove_all_jobs()
    assert manual.tick() is None  # nothing to wait for: sleep until woken


def test_a_clock_stepped_forward_runs_the_job_at_the_next_slice(
    manual: ManualScheduler, clock: FakeClock, events: list[Any]
) -> None:
    manual.add_job(noop, "date", run_date=START + timedelta(minutes=30), misfire_grace_time=None)
    assert manual.tick() == MAX_SLEEP
    clock.advance(minutes=31)  # an NTP step forward during the sleep
    manual.tick()
    assert [e.code for e in events].count(EVENT_JOB_EXECUTED) == 1


def test_the_blocking_loop_sleeps_in_bounded_slices(clock: FakeClock, monkeypatch: Any) -> None:
    sched = BlockingScheduler(timezone="UTC", executors={"default": {"type": "debug"}})
    sleeps: list[float | None] = []
    runs: list[Any] = []
    due = START + timedelta(seconds=10)

    def fake_wait(event: Any, timeout: float | None) -> bool:
        if event.is_set():
            return True
        sleeps.append(timeout)
        if len(sleeps) == 1:
            clock.set(START + timedelta(seconds=3))  # corrected during the first sleep
        clock.advance(timeout or 0)
        if runs or len(sleeps) > 10:
            sched.shutdown(wait=False)
        return False

    monkeypatch.setattr(_clock, "wait", fake_wait)
    sched.add_job(runs.append, "date", run_date=due, args=(1,), misfire_grace_time=None)
    clock.set(START - STEP_BACK)
    sched.start()  # returns when fake_wait shuts it down
    assert runs == [1]
    assert sleeps[0] == MAX_SLEEP and all(0 < s <= MAX_SLEEP for s in sleeps if s is not None)


async def run_a_little(scheduler_class: Any) -> None:
    """Start an event-loop scheduler with a job due in 10 s, let its loop turn, shut it down."""
    sched = scheduler_class(timezone="UTC", executors={"default": {"type": "debug"}})
    sched.start()
    sched.add_job(noop, "date", run_date=START + timedelta(seconds=10))
    for _ in range(5):
        await asyncio.sleep(0)
    sched.shutdown()


def assert_bounded(clock: FakeClock, main: Any) -> None:
    """With the clock stepped back, every timer delay ``main()`` records is at most MAX_SLEEP."""
    clock.set(START - STEP_BACK)
    delays = asyncio.run(main())
    assert delays and all(0 < d <= MAX_SLEEP for d in delays)


def test_the_asyncio_timer_is_bounded(clock: FakeClock) -> None:
    from triggerkit.schedulers.asyncio import AsyncIOScheduler

    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        delays: list[float] = []
        real_call_later = loop.call_later

        def call_later(delay: float, callback: Any, *args: Any, **kwargs: Any) -> Any:
            delays.append(delay)
            return real_call_later(delay, callback, *args, **kwargs)

        loop.call_later = call_later  # type: ignore[method-assign]
        await run_a_little(AsyncIOScheduler)
        return delays

    assert_bounded(clock, main)


def test_the_tornado_timer_is_bounded(clock: FakeClock) -> None:
    from tornado.ioloop import IOLoop

    from triggerkit.schedulers.tornado import TornadoScheduler

    async def main() -> list[float]:
        ioloop = IOLoop.current()
        delays: list[float] = []
        real_add_timeout = ioloop.add_timeout

        def add_timeout(deadline: Any, callback: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(deadline, timedelta):
                delays.append(deadline.total_seconds())
            return real_add_timeout(deadline, callback, *args, **kwargs)

        ioloop.add_timeout = add_timeout  # type: ignore[method-assign]
        await run_a_little(TornadoScheduler)
        return delays

    assert_bounded(clock, main)


def test_the_twisted_timer_is_bounded(clock: FakeClock) -> None:
    from twisted.internet.task import Clock

    from triggerkit.schedulers.twisted import TwistedScheduler

    class Reactor(Clock):  # type: ignore[misc]
        """Twisted's own fake reactor clock, with calls 'from threads' run at once."""

        def callFromThread(self, func: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N802
            func(*args, **kwargs)

    reactor = Reactor()
    sched = TwistedScheduler(
        reactor=reactor, timezone="UTC", executors={"default": {"type": "debug"}}
    )
    clock.set(START - STEP_BACK)
    sched.start()
    sched.add_job(noop, "date", run_date=START + timedelta(seconds=10))
    delays = [call.getTime() - reactor.seconds() for call in reactor.getDelayedCalls()]
    sched.shutdown()
    assert delays and all(0 < d <= MAX_SLEEP for d in delays)


def test_the_qt_timer_is_bounded(clock: FakeClock) -> None:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QCoreApplication, QTimer

    from triggerkit.schedulers.qt import QtScheduler

    app = QCoreApplication.instance() or QCoreApplication([])
    sched = QtScheduler(timezone="UTC", executors={"default": {"type": "debug"}})
    clock.set(START - STEP_BACK)
    sched.start()
    sched.add_job(noop, "date", run_date=START + timedelta(seconds=10))
    intervals: list[int] = []

    def look() -> None:
        timer = sched._timer  # the one single-shot timer that drives the loop
        if timer.isActive():
            intervals.append(timer.interval())
        app.quit()

    QTimer.singleShot(50, look)
    app.exec()
    sched.shutdown()
    assert intervals and all(0 < i <= MAX_SLEEP * 1000 for i in intervals)


GEVENT_SCRIPT = textwrap.dedent(
    """
    from gevent import monkey
    monkey.patch_all()

    from datetime import datetime, timedelta, timezone

    import gevent
    from triggerkit.schedulers import _clock
    from triggerkit.schedulers.gevent import GeventScheduler

    start = datetime(2030, 1, 1, tzinfo=timezone.utc)
    now = [start - timedelta(hours=2)]
    sleeps = []
    real_wait = _clock.wait

    def fake_wait(event, timeout):
        if event.is_set():
            return True
        sleeps.append(timeout)
        now[0] += timedelta(seconds=timeout or 0)
        if len(sleeps) == 1:
            now[0] = start + timedelta(seconds=3)
        if runs or len(sleeps) > 10:
            sched.shutdown(wait=False)
            return True
        return real_wait(event, 0)

    _clock.now = lambda tz: now[0].astimezone(tz)
    _clock.wait = fake_wait
    sched = GeventScheduler(timezone="UTC")
    runs = []
    due = start + timedelta(seconds=10)
    sched.add_job(runs.append, "date", run_date=due, args=(1,), misfire_grace_time=None)
    greenlet = sched.start()
    greenlet.join(timeout=30)
    gevent.sleep(0.1)
    print("runs", runs, "sleeps", sleeps)
    """
)


def test_the_gevent_loop_sleeps_in_bounded_slices(tmp_path: Path) -> None:
    script = tmp_path / "gevent_clock.py"
    script.write_text(GEVENT_SCRIPT)
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("runs [1] sleeps [60.0"), line
    sleeps = ast.literal_eval(line.split("sleeps ", 1)[1])
    assert all(0 < s <= MAX_SLEEP for s in sleeps if s is not None)
