"""Start, shut down and start again, from any thread (issue #13, items 4-6)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from sched_helpers import FakeClock, ManualScheduler

from triggerkit import events as ev
from triggerkit.executors.pool import ThreadPoolExecutor
from triggerkit.schedulers.background import BackgroundScheduler


def noop() -> None:
    pass


class _HookedLock:
    """A reentrant lock that calls ``hook`` each time its owner fully releases it."""

    def __init__(self, hook: Any) -> None:
        self._lock = threading.RLock()
        self.depth = 0
        self.hook = hook

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self._lock.acquire(blocking, timeout)
        if got:
            self.depth += 1
        return got

    def release(self) -> None:
        self.depth -= 1
        outermost = self.depth == 0
        self._lock.release()
        if outermost:
            self.hook()

    __enter__ = acquire

    def __exit__(self, *exc: object) -> None:
        self.release()


class RacingScheduler(ManualScheduler):
    """Whenever start() lets go of a lock, another thread adds a job and finishes first."""

    racing = False
    raced: list[str]

    def _create_lock(self) -> Any:
        return _HookedLock(self._race)

    def _race(self) -> None:
        if not self.racing or threading.current_thread() is not self._starter:
            return
        locks = (self._jobstores_lock, self._executors_lock, self._listeners_lock)
        if any(lock.depth for lock in locks):
            return  # the starter still holds a lock: the adder would only wait for it
        job_id = f"raced-{len(self.raced)}"
        self.raced.append(job_id)
        adder = threading.Thread(
            target=self.add_job, args=(noop, "interval"), kwargs={"id": job_id, "seconds": 5}
        )
        adder.start()
        adder.join(10)
        assert not adder.is_alive()

    def start(self, paused: bool = False) -> None:
        self.raced = []
        self._starter = threading.current_thread()
        self.racing = True
        try:
            super().start(paused)
        finally:
            self.racing = False


def test_a_job_added_while_start_runs_is_stored(clock: FakeClock) -> None:
    sched = RacingScheduler(timezone="UTC", executors={"default": {"type": "debug"}})
    sched.add_job(noop, "interval", seconds=5, id="before")
    sched.start()
    assert sched.raced  # the other thread really did add jobs in the middle of start()
    stored = {job.id for job in sched.get_jobs()}
    assert stored == {"before", *sched.raced}
    sched.shutdown()


def test_many_threads_adding_while_the_scheduler_starts_lose_nothing(clock: FakeClock) -> None:
    for _ in range(20):
        sched = BackgroundScheduler(timezone="UTC", executors={"default": {"type": "debug"}})
        go = threading.Barrier(5)
        added: list[str] = []

        def add_many(
            n: int,
            sched: BackgroundScheduler = sched,
            go: threading.Barrier = go,
            added: list[str] = added,
        ) -> None:
            go.wait()
            for i in range(50):
                job = sched.add_job(noop, "interval", hours=1, id=f"{n}-{i}")
                added.append(job.id)

        threads = [threading.Thread(target=add_many, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        go.wait()
        sched.start()
        for t in threads:
            t.join(30)
        assert {job.id for job in sched.get_jobs()} == set(added)
        assert len(added) == 200
        sched.shutdown()


def test_a_scheduler_starts_again_after_shutdown_with_its_jobs_and_working_executors(
    clock: FakeClock,
) -> None:
    sched = ManualScheduler(timezone="UTC", executors={"default": ThreadPoolExecutor(2)})
    done = threading.Event()
    runs: list[str] = []

    def record(event: Any) -> None:
        runs.append(event.job_id)
        if len(runs) == 2:
            done.set()

    sched.add_listener(record, ev.EVENT_JOB_EXECUTED)
    sched.start()
    sched.add_job(noop, "date", run_date=clock.value + timedelta(seconds=1), id="kept")
    sched.shutdown()
    sched.start()
    assert [job.id for job in sched.get_jobs()] == ["kept"]
    sched.add_job(noop, "date", run_date=clock.value + timedelta(seconds=1), id="new")
    clock.advance(1)
    sched.tick()
    assert done.wait(10)
    assert sorted(runs) == ["kept", "new"]
    sched.shutdown()


def test_shutdown_from_inside_a_thread_pool_job(clock: FakeClock) -> None:
    sched = BackgroundScheduler(timezone="UTC", executors={"default": ThreadPoolExecutor(2)})
    errors: list[BaseException] = []
    finished = threading.Event()

    def stop_everything() -> None:
        try:
            sched.shutdown()
        except BaseException as exc:  # the test's subject: it must not raise
            errors.append(exc)
        finally:
            finished.set()

    sched.start()
    sched.add_job(stop_everything, "date", run_date=clock.value)
    assert finished.wait(10)
    assert errors == []
    assert not sched.running
