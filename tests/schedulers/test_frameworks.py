"""Each scheduler kind on its real framework: jobs run, wake-ups arrive, shutdown is clean.

Nothing here asserts a duration: each test waits (with a generous cap, so a bug fails instead
of hanging) for a number of runs that short intervals produce quickly.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from triggerkit.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from triggerkit.schedulers.asyncio import AsyncIOScheduler
from triggerkit.schedulers.background import BackgroundScheduler
from triggerkit.schedulers.blocking import BlockingScheduler

CAP = 30  # seconds; only reached when something is broken
ROOT = Path(__file__).resolve().parents[2]


def test_blocking_scheduler_runs_until_a_job_shuts_it_down() -> None:
    sched = BlockingScheduler(timezone="UTC")
    runs: list[int] = []

    def job() -> None:
        runs.append(1)
        if len(runs) == 3:
            sched.shutdown(wait=False)

    sched.add_job(job, "interval", seconds=0.02)
    watchdog = threading.Timer(CAP, lambda: sched.running and sched.shutdown(wait=False))
    watchdog.start()
    sched.start()  # blocks until the job shuts the scheduler down
    watchdog.cancel()
    assert len(runs) == 3 and not sched.running


def test_background_scheduler_runs_in_its_own_thread() -> None:
    sched = BackgroundScheduler(timezone="UTC")
    done = threading.Event()
    threads: set[str] = set()

    def job() -> None:
        threads.add(threading.current_thread().name)
        done.set()

    sched.start()
    assert sched._thread is not None and sched._thread.daemon
    sched.add_job(job, "interval", seconds=0.02)  # a wake-up from the main thread
    assert done.wait(CAP)
    sched.shutdown()
    assert sched._thread is None
    assert threading.current_thread().name not in threads


def test_background_scheduler_daemon_option() -> None:
    sched = BackgroundScheduler({"apscheduler.daemon": "false"}, timezone="UTC")
    sched.start()
    assert sched._thread is not None and not sched._thread.daemon
    sched.shutdown()


def test_asyncio_scheduler_awaits_coroutines_on_the_loop_and_threads_the_rest() -> None:
    async def main() -> tuple[list[str], list[str]]:
        loop = asyncio.get_running_loop()
        sched = AsyncIOScheduler(timezone="UTC")
        coroutine_runs: list[str] = []
        thread_runs: list[str] = []
        finished = asyncio.Event()

        async def coro_job() -> str:
            await asyncio.sleep(0)
            coroutine_runs.append(threading.current_thread().name)
            return "ok"

        def plain_job() -> None:
            thread_runs.append(threading.current_thread().name)

        def on_executed(event: Any) -> None:
            if len(coroutine_runs) >= 2 and thread_runs:
                loop.call_soon_threadsafe(finished.set)

        sched.add_listener(on_executed, EVENT_JOB_EXECUTED)
        sched.add_job(coro_job, "interval", seconds=0.02)
        sched.start()
        # add a job from another thread: the wake-up must reach the loop
        adder = threading.Thread(
            target=sched.add_job, args=(plain_job, "interval"), kwargs={"seconds": 0.02}
        )
        adder.start()
        adder.join()
        await asyncio.wait_for(finished.wait(), CAP)
        sched.shutdown()
        await asyncio.sleep(0)
        assert not sched.running
        return coroutine_runs, thread_runs

    coroutine_runs, thread_runs = asyncio.run(main())
    assert set(coroutine_runs) == {"MainThread"}
    assert "MainThread" not in thread_runs


def test_asyncio_scheduler_reports_a_failing_coroutine() -> None:
    async def main() -> Any:
        loop = asyncio.get_running_loop()
        got: asyncio.Future[Any] = loop.create_future()

        async def bad() -> None:
            raise KeyError("nope")

        sched = AsyncIOScheduler(timezone="UTC")
        sched.add_listener(lambda e: got.done() or got.set_result(e), EVENT_JOB_ERROR)
        sched.add_job(bad)
        sched.start()
        event = await asyncio.wait_for(got, CAP)
        sched.shutdown()
        await asyncio.sleep(0)
        return event

    event = asyncio.run(main())
    assert isinstance(event.exception, KeyError)


def test_tornado_scheduler_runs_coroutines_and_thread_jobs() -> None:
    from triggerkit.schedulers.tornado import TornadoScheduler

    async def main() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        finished = asyncio.Event()
        counts = {"coro": 0, "thread": 0}

        async def coro_job() -> None:
            counts["coro"] += 1

        def thread_job() -> None:
            counts["thread"] += 1

        def on_executed(event: Any) -> None:
            if counts["coro"] >= 2 and counts["thread"] >= 2:
                loop.call_soon_threadsafe(finished.set)

        sched = TornadoScheduler(timezone="UTC")
        sched.add_listener(on_executed, EVENT_JOB_EXECUTED)
        sched.add_job(coro_job, "interval", seconds=0.02)
        sched.add_job(thread_job, "interval", seconds=0.02)
        sched.start()
        await asyncio.wait_for(finished.wait(), CAP)
        sched.shutdown()
        return counts["coro"], counts["thread"]

    coro, thread = asyncio.run(main())
    assert coro >= 2 and thread >= 2


def test_twisted_scheduler_runs_jobs_in_the_reactor_thread_pool() -> None:
    from twisted.internet.selectreactor import SelectReactor

    from triggerkit.schedulers.twisted import TwistedScheduler

    reactor = SelectReactor()
    sched = TwistedScheduler(reactor=reactor, timezone="UTC")
    runs: list[str] = []

    def job() -> None:
        runs.append(threading.current_thread().name)

    def on_executed(event: Any) -> None:
        if len(runs) == 3:
            reactor.callFromThread(stop)

    def stop() -> None:
        sched.shutdown()
        reactor.stop()

    sched.add_listener(on_executed, EVENT_JOB_EXECUTED)
    sched.add_job(job, "interval", seconds=0.02)
    reactor.callWhenRunning(sched.start)
    reactor.callLater(CAP, reactor.stop)
    reactor.run(installSignalHandlers=False)
    assert len(runs) == 3 and "MainThread" not in runs


def test_qt_scheduler_runs_in_the_qt_event_loop() -> None:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QCoreApplication, QTimer

    from triggerkit.schedulers.qt import QtScheduler

    app = QCoreApplication.instance() or QCoreApplication([])
    sched = QtScheduler(timezone="UTC", executors={"default": {"type": "debug"}})
    runs: list[str] = []

    def job() -> None:
        runs.append(threading.current_thread().name)
        if len(runs) == 3:
            sched.shutdown()
            app.quit()

    sched.start()
    # added from another thread: the wake-up travels to the Qt thread by a queued signal
    adder = threading.Thread(target=sched.add_job, args=(job, "interval"), kwargs={"seconds": 0.02})
    adder.start()
    adder.join()
    QTimer.singleShot(CAP * 1000, app.quit)
    app.exec()
    assert runs == ["MainThread"] * 3 and not sched.running


GEVENT_SCRIPT = textwrap.dedent(
    """
    from gevent import monkey
    monkey.patch_all()

    import gevent
    from triggerkit.events import EVENT_JOB_EXECUTED
    from triggerkit.schedulers.gevent import GeventScheduler

    sched = GeventScheduler(timezone="UTC")
    runs = []

    def job():
        runs.append(gevent.getcurrent() is not None)

    def on_executed(event):
        if len(runs) == 3:
            sched.shutdown(wait=False)

    sched.add_listener(on_executed, EVENT_JOB_EXECUTED)
    sched.add_job(job, "interval", seconds=0.02)
    greenlet = sched.start()
    greenlet.join(timeout=30)
    print("runs", len(runs), "running", sched.running, type(sched._executors["default"]).__name__)
    """
)


def test_gevent_scheduler_runs_jobs_as_greenlets(tmp_path: Path) -> None:
    # gevent's monkey patching would poison this pytest process: run it in a fresh one.
    script = tmp_path / "gevent_run.py"
    script.write_text(GEVENT_SCRIPT)
    result = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "runs 3 running False GeventExecutor"


@pytest.mark.parametrize("kind", ["blocking", "background"])
def test_a_scheduler_shut_down_from_its_own_listener_does_not_deadlock(kind: str) -> None:
    cls = BlockingScheduler if kind == "blocking" else BackgroundScheduler
    sched = cls(timezone="UTC", executors={"default": {"type": "debug"}})
    stopped = threading.Event()

    def job() -> None:
        sched.shutdown(wait=False)
        stopped.set()

    sched.add_job(job, "interval", seconds=0.02)
    sched.start()
    assert stopped.wait(CAP)
    assert not sched.running


def test_asyncio_scheduler_started_before_the_loop_runs_uses_the_current_loop() -> None:
    # The APScheduler 3.x example form: start(), then run the thread's event loop.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        sched = AsyncIOScheduler(timezone="UTC")
        runs: list[int] = []

        def job() -> None:
            runs.append(1)
            if len(runs) == 2:
                loop.call_soon_threadsafe(loop.stop)

        sched.add_job(job, "interval", seconds=0.02)
        sched.start()
        assert sched._eventloop is loop
        loop.call_later(CAP, loop.stop)
        loop.run_forever()
        sched.shutdown()
        loop.run_until_complete(asyncio.sleep(0))
        assert len(runs) == 2
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def test_the_run_in_loop_decorators_move_calls_onto_the_loop() -> None:
    from triggerkit.schedulers.asyncio import run_in_event_loop
    from triggerkit.schedulers.tornado import TornadoScheduler, run_in_ioloop

    class Probe(AsyncIOScheduler):
        @run_in_event_loop
        def where(self, box: list[str]) -> None:
            box.append(threading.current_thread().name)

    class TornadoProbe(TornadoScheduler):
        @run_in_ioloop
        def where(self, box: list[str]) -> None:
            box.append(threading.current_thread().name)

    async def main() -> list[str]:
        box: list[str] = []
        for probe in (Probe(timezone="UTC"), TornadoProbe(timezone="UTC")):
            probe._eventloop = asyncio.get_running_loop()
            caller = threading.Thread(target=probe.where, args=(box,))
            caller.start()
            caller.join()
            for _ in range(100):
                if len(box) == (1 if isinstance(probe, Probe) else 2):
                    break
                await asyncio.sleep(0.01)
        return box

    assert asyncio.run(main()) == ["MainThread", "MainThread"]
