"""Run semantics: misfires, coalescing, max_instances, date jobs, errors, listeners, outages.

Every test here drives a ManualScheduler by hand with a fake clock, so nothing waits.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sched_helpers import FakeClock, ManualScheduler

from triggerkit import events as ev
from triggerkit.executors.pool import ThreadPoolExecutor
from triggerkit.jobstores.memory import MemoryJobStore
from triggerkit.schedulers._planner import MAX_MISSED_REPORTED, MAX_RUNS_PER_PASS
from triggerkit.triggers.base import BaseTrigger
from triggerkit.triggers.cron import CronTrigger
from triggerkit.triggers.interval import IntervalTrigger

UTC = timezone.utc


def of(events: list[Any], code: int) -> list[Any]:
    return [e for e in events if e.code == code]


class Counting:
    """Mixed in before a trigger class: counts get_next_fire_time calls and opts in to jumps."""

    jumpable_fire_times = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls = 0

    def get_next_fire_time(self, previous: datetime | None, now: datetime) -> datetime | None:
        self.calls += 1
        return super().get_next_fire_time(previous, now)  # type: ignore[misc, no-any-return]


class CountingInterval(Counting, IntervalTrigger):
    """An interval trigger that counts get_next_fire_time calls and opts in to jumps."""


class CountingCron(Counting, CronTrigger):
    """A cron trigger that counts get_next_fire_time calls and opts in to jumps."""


class EverySecond(BaseTrigger):
    """A custom trigger the scheduler knows nothing about (no jumps)."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.calls = 0

    def get_next_fire_time(self, previous: datetime | None, now: datetime) -> datetime | None:
        self.calls += 1
        if previous is None:
            return self.start
        return previous + timedelta(seconds=1)


def test_a_date_job_runs_once_and_is_removed(
    manual: ManualScheduler, clock: FakeClock, events: list[Any]
) -> None:
    runs: list[int] = []
    manual.add_job(runs.append, "date", run_date=clock.value + timedelta(seconds=5), args=(1,))
    assert manual.tick() == 5.0
    clock.advance(5)
    assert manual.tick() is None  # no jobs left
    assert runs == [1]
    assert manual.get_jobs() == []
    assert [e.code for e in events][-3:] == [
        ev.EVENT_JOB_SUBMITTED,
        ev.EVENT_JOB_REMOVED,
        ev.EVENT_JOB_EXECUTED,
    ] or [e.code for e in events][-3:] == [
        ev.EVENT_JOB_EXECUTED,
        ev.EVENT_JOB_REMOVED,
        ev.EVENT_JOB_SUBMITTED,
    ]
    executed = of(events, ev.EVENT_JOB_EXECUTED)[0]
    assert executed.retval is None and executed.scheduled_run_time == clock.value


def test_a_run_later_than_the_grace_time_is_missed(
    manual: ManualScheduler, clock: FakeClock, events: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[int] = []
    manual.add_job(runs.append, "date", run_date=clock.value + timedelta(seconds=5), args=(1,))
    clock.advance(7)  # grace time defaults to 1 second
    manual.tick()
    assert runs == []
    missed = of(events, ev.EVENT_JOB_MISSED)
    assert len(missed) == 1 and missed[0].scheduled_run_time == clock.value - timedelta(seconds=2)
    assert "was missed by 0:00:02" in caplog.text


def test_grace_time_none_runs_however_late(manual: ManualScheduler, clock: FakeClock) -> None:
    runs: list[int] = []
    manual.add_job(runs.append, "date", run_date=clock.value, args=(1,), misfire_grace_time=None)
    clock.advance(days=400)
    manual.tick()
    assert runs == [1]


def every_second_from_now(
    manual: ManualScheduler, clock: FakeClock, runs: list[int], **options: Any
) -> datetime:
    """Add a job appending 1 to ``runs`` every second from the clock's time; returns that time."""
    start = clock.value
    trigger = IntervalTrigger(seconds=1, start_date=start, timezone="UTC")
    manual.add_job(runs.append, trigger, args=(1,), **options)
    return start


def test_coalescing_runs_the_latest_missed_run_once(
    manual: ManualScheduler, clock: FakeClock, events: list[Any]
) -> None:
    runs: list[int] = []
    start = every_second_from_now(manual, clock, runs, misfire_grace_time=None)
    clock.advance(10.5)
    manual.tick()
    assert runs == [1]
    assert of(events, ev.EVENT_JOB_EXECUTED)[0].scheduled_run_time == start + timedelta(seconds=10)
    assert manual.get_jobs()[0].next_run_time == start + timedelta(seconds=11)


def test_without_coalescing_every_run_inside_the_grace_time_runs(
    manual: ManualScheduler, clock: FakeClock, events: list[Any]
) -> None:
    runs: list[int] = []
    start = every_second_from_now(manual, clock, runs, coalesce=False, misfire_grace_time=5)
    clock.advance(10.5)
    manual.tick()
    # runs at 0..10; those older than now - 5 s (0..5) are missed, 6..10 run
    assert len(runs) == 5
    assert [e.scheduled_run_time for e in of(events, ev.EVENT_JOB_MISSED)] == [
        start + timedelta(seconds=s) for s in range(6)
    ]


def test_a_year_of_downtime_with_coalescing_costs_a_few_trigger_calls(
    manual: ManualScheduler, clock: FakeClock, events: list[Any]
) -> None:
    trigger = CountingInterval(seconds=1, start_date=clock.value, timezone="UTC")
    manual.add_job(print, trigger, args=("x",), misfire_grace_time=None, executor="default")
    trigger.calls = 0
    now = clock.advance(days=365, microseconds=250_000)
    manual._executors["default"] = _NullExecutor(manual)
    manual.tick()
    submitted = of(events, ev.EVENT_JOB_SUBMITTED)[0]
    assert submitted.scheduled_run_times == [now - timedelta(microseconds=250_000)]
    assert trigger.calls < 200  # a walk would be 31,536,000


def test_a_year_of_downtime_on_a_cron_job_uses_the_backward_search(
    manual: ManualScheduler, clock: FakeClock, events: list[Any]
) -> None:
    trigger = CountingCron(second="*/7", timezone="UTC")
    manual.add_job(print, trigger, args=("x",))
    trigger.calls = 0
    manual._executors["default"] = _NullExecutor(manual)
    clock.advance(days=365, seconds=3)
    manual.tick()
    (run_time,) = of(events, ev.EVENT_JOB_SUBMITTED)[0].scheduled_run_times
    assert run_time <= clock.value and run_time.second % 7 == 0
    assert run_time + timedelta(seconds=7) > clock.value or run_time.second + 7 >= 60
    assert trigger.calls < 10


def test_a_year_of_downtime_without_coalescing_reports_a_bounded_number_of_misses(
    manual: ManualScheduler, clock: FakeClock, events: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    trigger = CountingInterval(seconds=1, start_date=clock.value, timezone="UTC")
    manual.add_job(print, trigger, args=("x",), coalesce=False, misfire_grace_time=3)
    trigger.calls = 0
    manual._executors["default"] = _NullExecutor(manual)
    now = clock.advance(days=365)
    manual.tick()
    (submitted,) = of(events, ev.EVENT_JOB_SUBMITTED)
    times = submitted.scheduled_run_times
    assert len(times) == MAX_MISSED_REPORTED + 4  # 100 reported misses, then now-3 .. now
    assert times[-4:] == [now - timedelta(seconds=s) for s in (3, 2, 1, 0)]
    assert trigger.calls < 2 * MAX_MISSED_REPORTED
    assert "skipped them without reporting each one" in caplog.text
    assert manual.get_jobs()[0].next_run_time == now + timedelta(seconds=1)


def test_every_run_with_no_grace_limit_is_handed_over_in_bounded_batches(
    manual: ManualScheduler, clock: FakeClock, events: list[Any]
) -> None:
    start = clock.value
    manual.add_job(
        print,
        IntervalTrigger(seconds=1, start_date=start, timezone="UTC"),
        args=("x",),
        coalesce=False,
        misfire_grace_time=None,
    )
    manual._executors["default"] = _NullExecutor(manual)
    clock.advance(2500)
    waits = [manual.tick() for _ in range(3)]
    batches = [len(e.scheduled_run_times) for e in of(events, ev.EVENT_JOB_SUBMITTED)]
    assert batches == [MAX_RUNS_PER_PASS, MAX_RUNS_PER_PASS, 501]
    assert waits[:2] == [0.0, 0.0] and waits[2] == 1.0


def test_a_custom_trigger_is_walked_in_bounded_passes(
    manual: ManualScheduler, clock: FakeClock, events: list[Any]
) -> None:
    trigger = EverySecond(clock.value)
    manual.add_job(print, trigger, args=("x",), misfire_grace_time=None)
    manual._executors["default"] = _NullExecutor(manual)
    clock.advance(2500)
    for _ in range(3):
        manual.tick()
    (submitted,) = of(events, ev.EVENT_JOB_SUBMITTED)
    assert submitted.scheduled_run_times == [clock.value]


def test_max_instances_skips_a_run_and_reports_it(clock: FakeClock, events: list[Any]) -> None:
    sched = ManualScheduler(timezone="UTC", executors={"default": ThreadPoolExecutor(2)})
    sched.add_listener(events.append)
    sched.start()
    release = threading.Event()
    done = threading.Event()
    sched.add_listener(lambda e: done.set(), ev.EVENT_JOB_EXECUTED)
    sched.add_job(
        release.wait, IntervalTrigger(seconds=1, start_date=clock.value, timezone="UTC"), args=(30,)
    )
    sched.tick()
    clock.advance(1)
    sched.tick()
    assert len(of(events, ev.EVENT_JOB_MAX_INSTANCES)) == 1
    assert len(of(events, ev.EVENT_JOB_SUBMITTED)) == 1
    release.set()
    assert done.wait(30)
    sched.shutdown()


def test_a_job_that_raises_is_logged_and_reported_and_the_scheduler_continues(
    manual: ManualScheduler, clock: FakeClock, events: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    def explode() -> None:
        raise RuntimeError("kaboom")

    runs: list[int] = []
    manual.add_job(explode, "interval", seconds=1, start_date=clock.value, id="bad")
    manual.add_job(runs.append, "interval", seconds=1, start_date=clock.value, args=(1,))
    for _ in range(2):
        manual.tick()
        clock.advance(1)
    errors = of(events, ev.EVENT_JOB_ERROR)
    assert len(errors) == 2 and runs == [1, 1]
    assert isinstance(errors[0].exception, RuntimeError)
    assert "in explode" in errors[0].traceback
    assert "explode (trigger" in caplog.text and "raised an exception" in caplog.text
    assert "RuntimeError: kaboom" in caplog.text


def test_a_listener_that_raises_never_stops_the_scheduler(
    manual: ManualScheduler, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[int] = []

    def bad_listener(event: Any) -> None:
        raise ValueError("listener bug")

    manual.add_listener(bad_listener)
    manual.add_listener(lambda e: seen.append(e.code), ev.EVENT_JOB_EXECUTED)
    manual.add_job(print, "interval", seconds=1, start_date=clock.value, args=("hello",))
    manual.tick()
    clock.advance(1)
    manual.tick()
    assert seen == [ev.EVENT_JOB_EXECUTED] * 2
    assert "Error notifying listener" in caplog.text
    manual.remove_listener(bad_listener)


def test_listener_masks_filter_events(manual: ManualScheduler, clock: FakeClock) -> None:
    seen: list[int] = []
    manual.add_listener(lambda e: seen.append(e.code), ev.EVENT_JOB_ADDED | ev.EVENT_JOB_REMOVED)
    job = manual.add_job(print, "interval", seconds=1)
    job.remove()
    assert seen == [ev.EVENT_JOB_ADDED, ev.EVENT_JOB_REMOVED]


def test_jitter_delays_each_run_by_at_most_the_jitter(
    manual: ManualScheduler, clock: FakeClock
) -> None:
    start = clock.value
    job = manual.add_job(print, "interval", seconds=10, start_date=start, jitter=3, args=("x",))
    assert job.next_run_time is not None
    assert start <= job.next_run_time <= start + timedelta(seconds=3)


def test_an_interval_job_first_runs_one_interval_after_it_is_added() -> None:
    from triggerkit.schedulers.background import BackgroundScheduler

    sched = BackgroundScheduler(timezone="UTC")
    before = datetime.now(UTC)
    job = sched.add_job(print, "interval", minutes=5)
    sched.start(paused=True)
    after = datetime.now(UTC)
    assert job.next_run_time is not None
    assert before + timedelta(minutes=5) <= job.next_run_time <= after + timedelta(minutes=5)
    sched.shutdown()


def test_a_job_whose_executor_is_gone_is_removed(
    manual: ManualScheduler, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    manual.add_job(print, "date", run_date=clock.value, executor="nowhere", args=("x",))
    manual.tick()
    assert manual.get_jobs() == []
    assert 'Executor lookup ("nowhere") failed' in caplog.text


def test_a_failing_store_is_retried_after_the_retry_interval(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    class Failing(MemoryJobStore):
        def acquire_due_jobs(self, now: datetime, limit: int | None = None) -> list[Any]:
            raise ConnectionError("database is down")

    sched = ManualScheduler(
        timezone="UTC", jobstores={"default": Failing()}, jobstore_retry_interval=7
    )
    sched.start()
    assert sched.tick() == 7.0
    assert "Error getting due jobs from job store 'default': database is down" in caplog.text
    sched.shutdown()


def test_a_job_returning_a_value_reports_it(
    manual: ManualScheduler, clock: FakeClock, events: list[Any]
) -> None:
    manual.add_job(sum, "date", run_date=clock.value, args=([1, 2, 3],))
    manual.tick()
    assert of(events, ev.EVENT_JOB_EXECUTED)[0].retval == 6


def test_the_scheduler_logs_under_triggerkit_names(
    manual: ManualScheduler, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    manual.add_job(print, "date", run_date=clock.value, args=("x",), id="logged")
    manual.tick()
    names = {record.name for record in caplog.records}
    assert {"triggerkit.scheduler", "triggerkit.executors.default"} <= names


class _NullExecutor(ThreadPoolExecutor):
    """Records submissions without running anything."""

    def __init__(self, scheduler: ManualScheduler) -> None:
        super().__init__(1)
        self.start(scheduler, "default")

    def _do_submit_job(self, job: Any, run_times: Any) -> None:
        self._instances[job.id] -= 1


def test_the_latest_run_of_a_schedule_that_ended_long_ago_is_found_by_bisection(
    manual: ManualScheduler, clock: FakeClock, events: list[Any]
) -> None:
    start = clock.value
    end = start + timedelta(hours=1, milliseconds=500)
    trigger = CountingInterval(seconds=1, start_date=start, end_date=end, timezone="UTC")
    manual.add_job(print, trigger, args=("x",), misfire_grace_time=None)
    manual._executors["default"] = _NullExecutor(manual)
    trigger.calls = 0
    clock.advance(days=365)
    manual.tick()
    (submitted,) = of(events, ev.EVENT_JOB_SUBMITTED)
    assert submitted.scheduled_run_times == [start + timedelta(hours=1)]
    assert trigger.calls < 200
    assert manual.get_jobs() == []  # the schedule is over: the job is removed


def test_combined_triggers_jump_when_all_their_parts_can(
    manual: ManualScheduler, clock: FakeClock, events: list[Any]
) -> None:
    from triggerkit.schedulers._planner import is_jumpable
    from triggerkit.triggers.combining import AndTrigger, OrTrigger
    from triggerkit.triggers.date import DateTrigger

    either = OrTrigger(
        [CronTrigger(second="*/10", timezone="UTC"), CronTrigger(second="*/15", timezone="UTC")]
    )
    assert is_jumpable(either)
    assert is_jumpable(AndTrigger([CronTrigger(second="*/2"), CronTrigger(second="*/3")]))
    assert not is_jumpable(OrTrigger([CronTrigger(second="*/2"), DateTrigger(clock.value)]))
    assert not is_jumpable(EverySecond(clock.value))
    manual.add_job(print, either, args=("x",), misfire_grace_time=None)
    manual._executors["default"] = _NullExecutor(manual)
    clock.advance(days=365, seconds=17)
    manual.tick()
    (submitted,) = of(events, ev.EVENT_JOB_SUBMITTED)
    assert submitted.scheduled_run_times == [clock.value - timedelta(seconds=2)]


def test_a_custom_trigger_without_coalescing_is_walked_in_bounded_passes(
    manual: ManualScheduler, clock: FakeClock, events: list[Any]
) -> None:
    trigger = EverySecond(clock.value)
    manual.add_job(print, trigger, args=("x",), coalesce=False, misfire_grace_time=10)
    manual._executors["default"] = _NullExecutor(manual)
    clock.advance(1500)
    manual.tick()
    manual.tick()
    batches = [len(e.scheduled_run_times) for e in of(events, ev.EVENT_JOB_SUBMITTED)]
    # 100 reported misses, then (no jump possible) the walk continues, 1,000 a pass
    assert batches[0] == MAX_RUNS_PER_PASS and sum(batches) == 1501


@pytest.mark.parametrize(
    ("clock_utc", "expected_wait"),
    [
        # Europe/Berlin springs forward on 2030-03-31: 02:00 CET becomes 03:00 CEST (01:00 UTC)
        (datetime(2030, 3, 31, 0, 59, 30, tzinfo=UTC), 30.0),
        # and falls back on 2030-10-27: 03:00 CEST becomes 02:00 CET (01:00 UTC)
        (datetime(2030, 10, 27, 0, 59, 30, tzinfo=UTC), 30.0),
    ],
    ids=["berlin-spring-forward", "berlin-fall-back"],
)
def test_the_sleep_across_a_dst_change_is_elapsed_time(
    clock: FakeClock, clock_utc: datetime, expected_wait: float
) -> None:
    clock.set(clock_utc)
    sched = ManualScheduler(timezone="Europe/Berlin", executors={"default": {"type": "debug"}})
    sched.start()
    sched.add_job(print, "cron", minute="*", args=("x",))
    assert sched.tick() == expected_wait
    sched.shutdown()


class Exploding(BaseTrigger):
    """Fires once at ``start``, then fails to compute the next time."""

    def __init__(self, start: datetime) -> None:
        self.start = start

    def get_next_fire_time(self, previous: datetime | None, now: datetime) -> datetime | None:
        if previous is None:
            return self.start
        raise ArithmeticError("trigger bug")


def test_a_trigger_that_raises_pauses_its_job_and_the_loop_goes_on(
    manual: ManualScheduler, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[int] = []
    bad = manual.add_job(print, Exploding(clock.value), args=("x",), id="bad")
    manual.add_job(runs.append, "interval", seconds=1, start_date=clock.value, args=(1,))
    manual.tick()
    clock.advance(1)
    manual.tick()
    assert runs == [1, 1]
    assert manual.get_job("bad").next_run_time is None  # type: ignore[union-attr]
    assert 'Error processing job "print' in caplog.text and "ArithmeticError" in caplog.text
    assert bad.id == "bad"


def test_a_jump_past_the_grace_time_with_no_run_inside_it_moves_on(
    manual: ManualScheduler, clock: FakeClock, events: list[Any]
) -> None:
    start = clock.value
    trigger = CountingInterval(seconds=10, start_date=start, timezone="UTC")
    manual.add_job(print, trigger, args=("x",), coalesce=False, misfire_grace_time=3)
    manual._executors["default"] = _NullExecutor(manual)
    clock.advance(days=365, seconds=5)  # the last run was 5 s ago, outside the 3 s grace
    trigger.calls = 0
    manual.tick()
    manual.tick()  # nothing is due any more: no second batch of misses
    (submitted,) = of(events, ev.EVENT_JOB_SUBMITTED)
    assert len(submitted.scheduled_run_times) == MAX_MISSED_REPORTED
    assert manual.get_jobs()[0].next_run_time == clock.value + timedelta(seconds=5)
    assert trigger.calls < 2 * MAX_MISSED_REPORTED


class BatchRecordingStore(MemoryJobStore):
    """A memory store that records the batch hooks the scheduler calls."""

    def __init__(self, fail_updates: bool = False) -> None:
        super().__init__()
        self.calls: list[tuple[str, list[str]]] = []
        self.fail_updates = fail_updates

    def update_job(self, job: Any) -> None:
        self.calls.append(("update_job", [job.id]))
        super().update_job(job)

    def update_jobs(self, jobs: Any) -> None:
        jobs = list(jobs)
        self.calls.append(("update_jobs", [job.id for job in jobs]))
        if self.fail_updates:
            raise ConnectionError("database went away")
        super().update_jobs(jobs)

    def remove_jobs(self, job_ids: Any) -> list[str]:
        job_ids = list(job_ids)
        self.calls.append(("remove_jobs", job_ids))
        return super().remove_jobs(job_ids)


def test_a_pass_writes_its_next_run_times_in_one_batch(
    manual: ManualScheduler, clock: FakeClock, events: list[Any]
) -> None:
    store = BatchRecordingStore()
    manual.add_jobstore(store, "batch")
    for i in range(4):
        manual.add_job(print, "interval", seconds=10, id=f"i{i}", jobstore="batch")
    for i in range(2):
        manual.add_job(
            print, "date", run_date=clock.value + timedelta(seconds=5), id=f"d{i}", jobstore="batch"
        )
    store.calls.clear()
    clock.advance(10)
    manual.tick()
    # a finished job is removed at once (APScheduler's event order); the next run times are
    # written after the pass in one update_jobs (whose default loops over update_job)
    assert store.calls == [
        ("remove_jobs", ["d0"]),
        ("remove_jobs", ["d1"]),
        ("update_jobs", ["i0", "i1", "i2", "i3"]),
        *[("update_job", [f"i{i}"]) for i in range(4)],
    ]
    removed = [e.job_id for e in of(events, ev.EVENT_JOB_REMOVED)]
    assert removed == ["d0", "d1"]
    assert sorted(job.id for job in manual.get_jobs()) == ["i0", "i1", "i2", "i3"]
    assert all(job.next_run_time > clock.value for job in manual.get_jobs())


def test_a_failed_batch_write_is_logged_and_retried_and_the_loop_lives(
    manual: ManualScheduler, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    store = BatchRecordingStore(fail_updates=True)
    manual.add_jobstore(store, "flaky")
    manual.add_job(print, "interval", seconds=60, id="j", jobstore="flaky")
    clock.advance(60)
    with caplog.at_level(logging.ERROR, logger="triggerkit.scheduler"):
        wait = manual.tick()
    assert wait == manual.jobstore_retry_interval
    assert "Error storing the next run times of 1 job(s) in job store 'flaky'" in caplog.text
    assert manual.get_job("j") is not None  # not lost
    store.fail_updates = False
    clock.advance(manual.jobstore_retry_interval)
    manual.tick()
    job = manual.get_job("j")
    assert job is not None and job.next_run_time is not None
    assert job.next_run_time > clock.value
