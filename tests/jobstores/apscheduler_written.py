"""Helpers for the store tests: jobs written by the real APScheduler 3.11.3, and a load-failure spy.

``write_with_apscheduler`` runs an APScheduler scheduler (paused, so nothing fires) on an
APScheduler store class given by the caller, adds an interval, a cron and a date job, and returns
what APScheduler itself says about them, for the triggerkit store to be checked against.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler as APSchedulerScheduler

from triggerkit.events import EVENT_JOB_LOAD_FAILED, SchedulerEvent
from triggerkit.job import Job
from triggerkit.schedulers.background import BackgroundScheduler
from triggerkit.triggers.interval import IntervalTrigger

UTC = timezone.utc
FIRST_RUN = datetime(2031, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)


T0 = datetime(2030, 1, 1, tzinfo=UTC)
_SCHEDULER = BackgroundScheduler(timezone="UTC")


def make_job(
    job_id: str, offset: int | None, func: Any = print, kwargs: dict[str, Any] | None = None
) -> Job:
    """A complete triggerkit job (as the scheduler hands it to a store) running ``offset``
    seconds after 2030-01-01 UTC, or paused when ``offset`` is None."""
    run = None if offset is None else T0 + timedelta(seconds=offset)
    return Job(
        _SCHEDULER,
        id=job_id,
        func=func,
        trigger=IntervalTrigger(seconds=1, timezone=UTC),
        executor="default",
        args=(),
        kwargs=kwargs or {},
        name=job_id,
        misfire_grace_time=1,
        coalesce=True,
        max_instances=1,
        next_run_time=run,
    )


def write_with_apscheduler(aps_store: Any) -> dict[str, tuple[str, datetime | None]]:
    """Add three jobs through APScheduler 3.11.3 to ``aps_store`` (an APScheduler store object).

    :returns: job id -> (trigger class name, next run time) as APScheduler reports them
    """
    aps = APSchedulerScheduler(jobstores={"default": aps_store}, timezone="UTC")
    aps.start(paused=True)
    try:
        aps.add_job(print, "interval", minutes=5, id="every5", next_run_time=FIRST_RUN)
        aps.add_job(print, "cron", hour=3, minute=15, id="cron3", timezone="UTC")
        aps.add_job(print, "date", run_date=FIRST_RUN + timedelta(days=1), id="once")
        paused = aps.add_job(print, "interval", hours=1, id="paused")
        paused.pause()
        return {job.id: (type(job.trigger).__name__, job.next_run_time) for job in aps.get_jobs()}
    finally:
        aps.shutdown(wait=False)


def check_apscheduler_jobs(store: Any, expected: dict[str, tuple[str, datetime | None]]) -> None:
    """Assert that ``store`` (a triggerkit store) holds exactly ``expected``'s jobs, restored as
    triggerkit jobs with triggerkit triggers and the same next run times, in the right order."""
    jobs = store.get_all_jobs()
    scheduled = sorted(
        (run, job_id) for job_id, (_name, run) in expected.items() if run is not None
    )
    paused = sorted(job_id for job_id, (_name, run) in expected.items() if run is None)
    assert [job.id for job in jobs] == [job_id for _run, job_id in scheduled] + paused
    for job in jobs:
        trigger_name, next_run = expected[job.id]
        assert type(job.trigger).__module__.startswith("triggerkit.triggers.")
        assert type(job.trigger).__name__ == trigger_name
        assert job.next_run_time == next_run
        assert job.func is print
    assert store.get_next_run_time() == scheduled[0][0]
    due = store.get_due_jobs(FIRST_RUN)
    assert [job.id for job in due] == [job_id for run, job_id in scheduled if run <= FIRST_RUN]
    assert "every5" in [job.id for job in due]


def write_jobs_with_args(aps_store: Any, func: Any, at: datetime) -> dict[str, datetime | None]:
    """Add a cron job with args, an interval job with kwargs, a date job (``at``) and a paused job
    calling ``func`` through APScheduler 3.11.3 to ``aps_store``.

    :returns: job id -> next run time as APScheduler reports it
    """
    aps = APSchedulerScheduler(timezone="UTC")
    aps.add_jobstore(aps_store, "default")
    aps.start(paused=True)
    try:
        aps.add_job(func, "cron", id="cron", hour="*/2", minute=5, args=(1,))
        aps.add_job(func, "interval", id="every", minutes=7, kwargs={"x": "y"})
        aps.add_job(func, "date", id="date", run_date=at)
        aps.add_job(func, "interval", id="paused", hours=1, next_run_time=None)
        return {job.id: job.next_run_time for job in aps.get_jobs()}
    finally:
        aps.shutdown(wait=False)


def check_jobs_with_args(store: Any, written: dict[str, datetime | None]) -> None:
    """``store`` (triggerkit) reads the jobs of :func:`write_jobs_with_args` as APScheduler wrote
    them: the same run times, the paused one last, triggerkit triggers, the arguments."""
    jobs = store.get_all_jobs()
    assert {job.id: job.next_run_time for job in jobs} == written
    assert [job.id for job in jobs][-1] == "paused"
    assert store.get_next_run_time() == min(t for t in written.values() if t is not None)
    cron = store.lookup_job("cron")
    assert cron is not None and type(cron.trigger).__module__ == "triggerkit.triggers.cron"
    assert cron.args == (1,)


def check_apscheduler_reads_back(aps_store: Callable[[], Any], make_store: Any) -> None:
    """Write jobs with APScheduler (``aps_store()`` makes its store object), change one and add one
    through a triggerkit store (``make_store()``), and assert that APScheduler reads them back."""
    expected = write_with_apscheduler(aps_store())
    store = make_store()
    changed = store.lookup_job("every5")
    changed.next_run_time = FIRST_RUN + timedelta(hours=2)
    store.update_job(changed)
    store.add_job(make_job("new", 0))

    reader = aps_store()
    reader.start(None, "default")
    try:
        runs = {aps_job.id: aps_job.next_run_time for aps_job in reader.get_all_jobs()}
    finally:
        reader.shutdown()
    assert set(runs) == set(expected) | {"new"}
    assert runs["every5"] == FIRST_RUN + timedelta(hours=2)
    assert runs["new"] == T0
    assert runs["cron3"] == expected["cron3"][1]  # the jobs triggerkit did not touch: unchanged


def check_aps_pickled_dict(stored: bytes) -> None:
    """``stored`` is APScheduler's pickled dict of job ``a`` due at T0 + 30 s."""
    value = pickle.loads(stored)
    assert set(value) == {"next_run_time", "job_state"}
    assert value["next_run_time"] == (T0 + timedelta(seconds=30)).timestamp()
    assert value["job_state"]["id"] == "a" and value["job_state"]["func"] == "builtins:print"


def moved_job_state() -> dict[str, Any]:
    """The state of job ``moved`` (due at T0 + 5 s) whose function's module is gone."""
    state = make_job("moved", 5).__getstate__()
    state["func"] = "no_such_module_anywhere:gone"
    return state


def check_only_good_loads(store: Any, failures: LoadFailures) -> None:
    """``store`` holds job ``good`` (T0 + 10 s) and rows ``moved`` and ``corrupt`` that cannot be
    loaded: every read passes over them and reports them."""
    assert [j.id for j in store.get_all_jobs()] == ["good"]
    assert [j.id for j in store.get_due_jobs(T0 + timedelta(seconds=60))] == ["good"]
    assert store.get_next_run_time() == T0 + timedelta(seconds=10)
    assert store.lookup_job("moved") is None
    assert {"moved", "corrupt"} <= set(failures.job_ids())


def check_json_store(make_store: Any, read_raw: Callable[[], Any]) -> Any:
    """A JSON store writes job ``a`` as plain JSON (``read_raw()`` returns its stored bytes) and
    reads it back; a pickle store reads what it wrote. Returns the JSON store."""
    store = make_store(serializer="json")
    store.add_job(make_job("a", 10))
    assert json.loads(read_raw())  # plain JSON, no pickle
    assert store.lookup_job("a").next_run_time == T0 + timedelta(seconds=10)
    return store


def aps_pickled(job_id: str) -> bytes:
    """APScheduler's pickled job state of a job due at T0."""
    return pickle.dumps(make_job(job_id, 0).__getstate__())


def check_batch_updates_pass_over_removed_jobs(store: Any) -> None:
    """``update_jobs`` passes over a job removed meanwhile; ``remove_jobs`` reports what was
    stored."""
    a, b, c = make_job("a", 10), make_job("b", 20), make_job("c", 30)
    for each in (a, b, c):
        store.add_job(each)
    store.remove_job("b")
    a.next_run_time, b.next_run_time = T0 + timedelta(seconds=40), T0
    store.update_jobs([a, b])
    assert [(j.id, j.next_run_time) for j in store.get_all_jobs()] == [
        ("c", T0 + timedelta(seconds=30)),
        ("a", T0 + timedelta(seconds=40)),
    ]
    assert store.remove_jobs(["a", "b", "c"]) == ["a", "c"]
    assert store.get_all_jobs() == []


def add_tied_jobs(store: Any) -> None:
    """Jobs z, m, a at T0 + 10 s, one paused, one earlier (T0 + 5 s): for the order checks."""
    for job_id in ("z", "m", "a"):
        store.add_job(make_job(job_id, 10))
    store.add_job(make_job("paused", None))
    store.add_job(make_job("early", 5))


class LoadFailures:
    """A triggerkit scheduler (never started) whose ``EVENT_JOB_LOAD_FAILED`` events are kept."""

    def __init__(self) -> None:
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self.events: list[Any] = []
        self.scheduler.add_listener(self.events.append, EVENT_JOB_LOAD_FAILED)

    def job_ids(self) -> list[str]:
        return [event.job_id for event in self.events if _is_load_failure(event)]


@contextmanager
def started_stores(
    open_store: Callable[..., Any], failures: LoadFailures
) -> Iterator[tuple[Callable[..., Any], list[Any]]]:
    """``(make, stores)``: ``make(**options)`` opens a store with ``open_store(**options)``, starts
    it on ``failures``' scheduler as ``"default"`` and keeps it in ``stores``; all are shut down
    when the block ends (a fixture yields ``make`` inside the block and cleans up after it)."""
    stores: list[Any] = []

    def make(**options: Any) -> Any:
        store = open_store(**options)
        store.start(failures.scheduler, "default")
        stores.append(store)
        return store

    try:
        yield make, stores
    finally:
        for store in stores:
            store.shutdown()


def _is_load_failure(event: SchedulerEvent) -> bool:
    return event.code == EVENT_JOB_LOAD_FAILED
