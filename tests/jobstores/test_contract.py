"""The job store contract, run on every store of ``store_factories.FACTORIES`` on its real server.

What every store must do: add, refuse a duplicate id, look up, hand out due jobs earliest first
(ties, paused jobs last), update, remove, remove all, the batch hooks the scheduler calls once per
pass. Persistent stores also: a row whose function no longer imports or whose bytes are corrupt is
logged, skipped, reported (``EVENT_JOB_LOAD_FAILED``) and KEPT, and restored once the code is back;
``serializer="json"`` round trips and refuses what it cannot carry at ``add_job``; a row written
by APScheduler 3.11.3's own store class loads transparently and is not rewritten by reading it.
"""

from __future__ import annotations

import logging
import sys
import textwrap
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from store_factories import (
    APSCHEDULER_TWINS,
    FACTORIES,
    PERSISTENT,
    job_func,
    other_job_func,
    unique_name,
)

from triggerkit.errors import ConflictingIdError, JobLookupError, JobSerializationError
from triggerkit.events import EVENT_ALL, EVENT_JOB_LOAD_FAILED, JobLoadFailedEvent
from triggerkit.job import Job
from triggerkit.jobstores.base import BaseJobStore
from triggerkit.jobstores.serializers import PickleSerializer
from triggerkit.schedulers.background import BackgroundScheduler
from triggerkit.schedulers.blocking import BlockingScheduler
from triggerkit.triggers.combining import OrTrigger
from triggerkit.triggers.cron import CronTrigger
from triggerkit.triggers.date import DateTrigger
from triggerkit.triggers.interval import IntervalTrigger

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2031, 3, 4, 5, 6, 7, tzinfo=UTC)


class Harness:
    """A store started on an unstarted scheduler that records the events it dispatches."""

    def __init__(self, name: str, **options: Any) -> None:
        self.name = name
        self.scheduler = BlockingScheduler(timezone="UTC")
        self.events: list[Any] = []
        self.scheduler.add_listener(self.events.append, EVENT_ALL)
        self.store = FACTORIES[name](**options)
        self.store.start(self.scheduler, "default")

    def job(
        self, job_id: str, run_at: datetime | None, *, func: Any = job_func, **changes: Any
    ) -> Job:
        options: dict[str, Any] = dict(
            func=func,
            trigger=IntervalTrigger(seconds=30, start_date=T0, timezone=UTC),
            executor="default",
            args=(1, "two"),
            kwargs={"three": 3.0},
            name=f"job {job_id}",
            misfire_grace_time=7,
            coalesce=True,
            max_instances=2,
            next_run_time=run_at,
        )
        options.update(changes)
        return Job(self.scheduler, id=job_id, **options)

    def load_failures(self) -> list[JobLoadFailedEvent]:
        return [e for e in self.events if e.code == EVENT_JOB_LOAD_FAILED]

    def close(self) -> None:
        try:
            self.store.remove_all_jobs()
        finally:
            self.store.shutdown()


@pytest.fixture(params=list(FACTORIES))
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    h = Harness(request.param)
    yield h
    h.close()


@pytest.fixture(params=PERSISTENT)
def persistent(request: pytest.FixtureRequest) -> Iterator[Harness]:
    h = Harness(request.param)
    yield h
    h.close()


@pytest.fixture(params=PERSISTENT)
def json_harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    h = Harness(request.param, serializer="json")
    yield h
    h.close()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ids(jobs: list[Job]) -> list[str]:
    return [job.id for job in jobs]


def assert_same_job(loaded: Job | None, original: Job) -> None:
    assert loaded is not None
    assert loaded.id == original.id
    assert loaded.func is original.func
    assert loaded.func_ref == original.func_ref
    assert loaded.args == original.args and loaded.kwargs == original.kwargs
    assert loaded.trigger == original.trigger
    assert loaded.name == original.name and loaded.executor == original.executor
    assert loaded.misfire_grace_time == original.misfire_grace_time
    assert loaded.coalesce == original.coalesce
    assert loaded.max_instances == original.max_instances
    assert loaded.next_run_time == original.next_run_time


# --- every store -----------------------------------------------------------------------------


def test_add_and_lookup(harness: Harness) -> None:
    job = harness.job("a", at(5))
    harness.store.add_job(job)
    assert_same_job(harness.store.lookup_job("a"), job)
    assert harness.store.lookup_job("missing") is None


def test_a_duplicate_id_is_refused_and_the_first_job_kept(harness: Harness) -> None:
    harness.store.add_job(harness.job("a", at(5)))
    with pytest.raises(ConflictingIdError):
        harness.store.add_job(harness.job("a", at(1), func=other_job_func))
    loaded = harness.store.lookup_job("a")
    assert loaded is not None and loaded.func is job_func and loaded.next_run_time == at(5)


def test_due_jobs_are_those_at_or_before_now_earliest_first(harness: Harness) -> None:
    for job_id, offset in [("late", 20), ("first", 0), ("mid", 10), ("paused", None)]:
        harness.store.add_job(harness.job(job_id, None if offset is None else at(offset)))
    assert harness.store.get_due_jobs(at(-1)) == []
    assert ids(harness.store.get_due_jobs(at(10))) == ["first", "mid"]  # inclusive bound
    assert ids(harness.store.get_due_jobs(at(100))) == ["first", "mid", "late"]
    assert ids(harness.store.acquire_due_jobs(at(100))) == ["first", "mid", "late"]
    due = harness.store.get_due_jobs(at(0))
    assert len(due) == 1 and due[0].next_run_time == at(0)


def test_ordering_with_ties_and_paused_jobs_last(harness: Harness) -> None:
    harness.store.add_job(harness.job("p1", None))
    for job_id, offset in [("t2", 5), ("t1", 5), ("e", 1), ("t3", 5)]:
        harness.store.add_job(harness.job(job_id, at(offset)))
    harness.store.add_job(harness.job("p2", None))
    jobs = harness.store.get_all_jobs()
    assert ids(jobs)[0] == "e"
    assert sorted(ids(jobs)[1:4]) == ["t1", "t2", "t3"]
    assert sorted(ids(jobs)[4:]) == ["p1", "p2"]
    assert [j.next_run_time for j in jobs] == [at(1), at(5), at(5), at(5), None, None]
    assert harness.store.get_next_run_time() == at(1)
    assert ids(harness.store.get_due_jobs(at(5)))[0] == "e"


def test_next_run_time_is_none_with_only_paused_jobs_or_none_at_all(harness: Harness) -> None:
    assert harness.store.get_next_run_time() is None
    harness.store.add_job(harness.job("p", None))
    assert harness.store.get_next_run_time() is None
    assert harness.store.get_due_jobs(at(10**6)) == []
    assert ids(harness.store.get_all_jobs()) == ["p"]


def test_next_run_time_keeps_its_zone_instant(harness: Harness) -> None:
    run = datetime(2031, 10, 26, 2, 30, tzinfo=BERLIN, fold=1)  # the second 02:30 (CET)
    harness.store.add_job(harness.job("z", run))
    # (PEP 495: an ambiguous time never compares equal across zones, so compare instants)
    next_run = harness.store.get_next_run_time()
    assert next_run is not None and next_run.timestamp() == run.timestamp()
    loaded = harness.store.lookup_job("z")
    assert loaded is not None and loaded.next_run_time is not None
    assert loaded.next_run_time.timestamp() == run.timestamp()


def test_update_replaces_the_job_and_its_place_in_the_order(harness: Harness) -> None:
    harness.store.add_job(harness.job("a", at(1)))
    harness.store.add_job(harness.job("b", at(2)))
    changed = harness.job("a", at(3), func=other_job_func, args=(9,), name="renamed")
    harness.store.update_job(changed)
    assert_same_job(harness.store.lookup_job("a"), changed)
    assert ids(harness.store.get_all_jobs()) == ["b", "a"]
    assert harness.store.get_next_run_time() == at(2)
    harness.store.update_job(harness.job("b", None))  # paused
    assert ids(harness.store.get_all_jobs()) == ["a", "b"]
    assert harness.store.get_next_run_time() == at(3)


def test_update_of_a_missing_job_raises(harness: Harness) -> None:
    with pytest.raises(JobLookupError):
        harness.store.update_job(harness.job("nope", at(1)))
    assert harness.store.get_all_jobs() == []


def test_remove_and_remove_all(harness: Harness) -> None:
    for job_id, offset in [("a", 1), ("b", 2), ("c", None)]:
        harness.store.add_job(harness.job(job_id, None if offset is None else at(offset)))
    harness.store.remove_job("a")
    assert harness.store.lookup_job("a") is None
    with pytest.raises(JobLookupError):
        harness.store.remove_job("a")
    assert ids(harness.store.get_all_jobs()) == ["b", "c"]
    harness.store.remove_all_jobs()
    assert harness.store.get_all_jobs() == []
    assert harness.store.get_next_run_time() is None
    harness.store.add_job(harness.job("a", at(1)))  # the id is free again
    assert ids(harness.store.get_all_jobs()) == ["a"]


def test_the_batch_hooks_pass_over_jobs_that_are_gone(harness: Harness) -> None:
    for job_id, offset in [("a", 1), ("b", 2), ("c", 3)]:
        harness.store.add_job(harness.job(job_id, at(offset)))
    harness.store.update_jobs(
        [harness.job("a", at(10)), harness.job("ghost", at(0)), harness.job("b", None)]
    )
    assert harness.store.lookup_job("ghost") is None
    assert [(j.id, j.next_run_time) for j in harness.store.get_all_jobs()] == [
        ("c", at(3)),
        ("a", at(10)),
        ("b", None),
    ]
    assert sorted(harness.store.remove_jobs(["a", "ghost", "c"])) == ["a", "c"]
    assert ids(harness.store.get_all_jobs()) == ["b"]
    harness.store.update_jobs([])
    assert harness.store.remove_jobs([]) == []


def test_jobs_come_back_bound_to_the_scheduler_and_alias(harness: Harness) -> None:
    harness.store.add_job(harness.job("a", at(1)))
    for job in [
        harness.store.lookup_job("a"),
        *harness.store.get_due_jobs(at(1)),
        *harness.store.get_all_jobs(),
    ]:
        assert job is not None
        assert job._scheduler is harness.scheduler
        assert job._jobstore_alias in ("default", None)  # memory keeps the object as given


# --- persistent stores -----------------------------------------------------------------------


@pytest.fixture
def vanishing_module(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A module of job functions that can be made unimportable and brought back."""
    name = unique_name("tk_vanishing")
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent("def run(*args, **kwargs):\n    return 'ran'\n"))
    sys.path.insert(0, str(tmp_path))
    yield name, tmp_path
    sys.modules.pop(name, None)
    if str(tmp_path) in sys.path:
        sys.path.remove(str(tmp_path))


def _make_vanish(name: str, directory: Path) -> None:
    sys.modules.pop(name, None)
    sys.path.remove(str(directory))


def test_a_job_whose_function_no_longer_imports_is_kept_and_comes_back(
    persistent: Harness,
    vanishing_module: tuple[str, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    name, directory = vanishing_module
    store = persistent.store
    store.add_job(persistent.job("ok", at(1)))
    store.add_job(persistent.job("moved", at(0), func=f"{name}:run"))
    _make_vanish(name, directory)

    with caplog.at_level(logging.ERROR, logger="triggerkit.jobstores.default"):
        assert store.lookup_job("moved") is None
        assert ids(store.get_due_jobs(at(5))) == ["ok"]
        assert ids(store.get_all_jobs()) == ["ok"]
        # A row known to be unloadable does not set the wake-up time (the scheduler would
        # wake at once for it, skip it, and ask again, forever).
        assert store.get_next_run_time() == at(1)
    failures = persistent.load_failures()
    # lookup_job and get_all_jobs try again; get_due_jobs may pass over a known failure
    assert len(failures) >= 2 and {e.job_id for e in failures} == {"moved"}
    assert all(e.jobstore == "default" and name in e.reason for e in failures)
    assert all(isinstance(e, JobLoadFailedEvent) for e in failures)
    logged = [r for r in caplog.records if r.name == "triggerkit.jobstores.default"]
    assert logged and all("'moved'" in r.getMessage() for r in logged)
    assert all(r.levelno == logging.ERROR for r in logged)

    # The row is still there: its id is taken, and once the code is back the job is whole.
    with pytest.raises(ConflictingIdError):
        store.add_job(persistent.job("moved", at(3)))
    sys.path.insert(0, str(directory))
    restored = store.lookup_job("moved")
    assert restored is not None and restored.func() == "ran"
    assert restored.next_run_time == at(0) and restored.args == (1, "two")
    assert ids(store.get_all_jobs()) == ["moved", "ok"]
    assert store.get_next_run_time() == at(0)
    assert ids(store.get_due_jobs(at(5))) == ["moved", "ok"]


class _CorruptingSerializer:
    """Writes garbage for one job id, as a damaged row would hold."""

    def __init__(self, inner: Any, bad_id: str) -> None:
        self.inner = inner
        self.bad_id = bad_id

    def dumps(self, job_state: dict[str, Any]) -> bytes:
        if job_state["id"] == self.bad_id:
            return b"\x80\x05\x95 this is not a pickle"
        return bytes(self.inner.dumps(job_state))

    def loads(self, data: bytes) -> dict[str, Any]:
        return dict(self.inner.loads(data))


def test_a_corrupt_row_is_kept_skipped_and_reported(persistent: Harness) -> None:
    store = persistent.store
    original = store.serializer
    store.serializer = _CorruptingSerializer(original, "bad")
    try:
        store.add_job(persistent.job("bad", at(0)))
        store.add_job(persistent.job("good", at(2)))
    finally:
        store.serializer = original
    assert ids(store.get_due_jobs(at(10))) == ["good"]
    assert ids(store.get_all_jobs()) == ["good"]
    assert store.lookup_job("bad") is None
    failures = persistent.load_failures()
    assert failures and {e.job_id for e in failures} == {"bad"}
    assert all(isinstance(e.exception, Exception) for e in failures)
    # still stored: removing it is the user's call, and it works
    with pytest.raises(ConflictingIdError):
        store.add_job(persistent.job("bad", at(1)))
    store.remove_job("bad")
    with pytest.raises(JobLookupError):
        store.remove_job("bad")


def test_the_json_serializer_round_trips_every_trigger_kind(json_harness: Harness) -> None:
    triggers = [
        CronTrigger(day_of_week="mon-fri", hour="9-17/2", minute=30, timezone=BERLIN),
        IntervalTrigger(hours=2, start_date=T0, end_date=at(86400 * 30), timezone=BERLIN),
        DateTrigger(run_date=at(60), timezone=UTC),
        OrTrigger([CronTrigger(hour=3, timezone=UTC), IntervalTrigger(minutes=5, timezone=UTC)]),
    ]
    args = (1, 2.5, "x", None, True, [1, [2]], (3, 4), {"$tuple": 1}, at(1), timedelta(hours=3))
    kwargs = {"when": datetime(2031, 10, 26, 2, 30, tzinfo=BERLIN, fold=1), "d": {"k": [1]}}
    jobs = [
        json_harness.job(f"j{i}", at(i), trigger=t, args=args, kwargs=kwargs)
        for i, t in enumerate(triggers)
    ]
    for job in jobs:
        json_harness.store.add_job(job)
    for job in jobs:
        loaded = json_harness.store.lookup_job(job.id)
        assert_same_job(loaded, job)
        assert loaded is not None
        assert type(loaded.args[6]) is tuple and type(loaded.args[5][1]) is list
        when = loaded.kwargs["when"]
        assert when.fold == 1 and when.utcoffset() == timedelta(hours=1)
        now = at(3600)
        assert loaded.trigger.get_next_fire_time(None, now) == job.trigger.get_next_fire_time(
            None, now
        )
    assert json_harness.load_failures() == []


def test_the_json_serializer_refuses_what_it_cannot_carry_at_add_job(
    json_harness: Harness,
) -> None:
    with pytest.raises(JobSerializationError) as info:
        json_harness.store.add_job(json_harness.job("bad", at(1), args=(1, object())))
    assert info.value.job_id == "bad" and info.value.field == "args[1]"
    assert "'bad'" in str(info.value) and "object" in str(info.value)
    assert isinstance(info.value, ValueError)
    with pytest.raises(JobSerializationError, match=r"kwargs\['k'\]"):
        json_harness.store.add_job(json_harness.job("bad2", at(1), kwargs={"k": {1: 2}}))
    assert json_harness.store.get_all_jobs() == []


def test_scheduler_add_job_raises_the_json_error(json_harness: Harness) -> None:
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_jobstore(json_harness.store, "default")
    scheduler.start(paused=True)
    try:
        with pytest.raises(JobSerializationError, match="args"):
            scheduler.add_job(job_func, "interval", seconds=5, id="x", args=(object(),))
        assert scheduler.get_jobs() == []
        scheduler.add_job(job_func, "interval", seconds=5, id="y", args=(1,))
        assert [j.id for j in scheduler.get_jobs()] == ["y"]
        scheduler.remove_all_jobs()
    finally:
        scheduler.shutdown(wait=False)
    # shutdown closed the first store: hand the fixture a fresh one to clean up
    json_harness.store = FACTORIES[json_harness.name]()
    json_harness.store.start(json_harness.scheduler, "default")


def test_a_json_store_does_not_unpickle_a_pickled_row(json_harness: Harness) -> None:
    store = json_harness.store
    original = store.serializer
    store.serializer = PickleSerializer()  # (a store made for its serializer would stay open)
    try:
        store.add_job(json_harness.job("pickled", at(1)))
    finally:
        store.serializer = original
    assert store.lookup_job("pickled") is None
    (failure,) = json_harness.load_failures()
    assert "pickle" in failure.reason
    with pytest.raises(ConflictingIdError):  # kept
        store.add_job(json_harness.job("pickled", at(1)))


def test_every_persistent_store_has_an_apscheduler_twin() -> None:
    assert sorted(APSCHEDULER_TWINS) == sorted(PERSISTENT)


@pytest.mark.parametrize("name", PERSISTENT)
def test_a_row_apscheduler_wrote_loads_and_is_not_rewritten_by_reading(name: str) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler as ApsScheduler
    from apscheduler.triggers.cron import CronTrigger as ApsCron

    h = Harness(name)
    try:
        aps_scheduler = ApsScheduler(timezone="UTC")
        twin = APSCHEDULER_TWINS[name](h.store)
        aps_scheduler.add_jobstore(twin, "default")
        aps_scheduler.start(paused=True)
        try:
            aps_scheduler.add_job(
                job_func,
                ApsCron(hour="*/3", minute=15, timezone=BERLIN),
                id="aps",
                args=(1, "a"),
                kwargs={"k": at(1)},
                next_run_time=at(0),
            )
            aps_scheduler.add_job(job_func, "interval", minutes=5, id="aps2", next_run_time=at(100))
            loaded = h.store.lookup_job("aps")
            assert loaded is not None and loaded.func is job_func
            assert type(loaded.trigger).__module__.startswith("triggerkit.")
            assert loaded.args == (1, "a") and loaded.kwargs == {"k": at(1)}
            assert loaded.next_run_time == at(0)
            now = at(3600 * 7)
            expected = ApsCron(hour="*/3", minute=15, timezone=BERLIN).get_next_fire_time(None, now)
            assert loaded.trigger.get_next_fire_time(None, now) == expected
            assert ids(h.store.get_due_jobs(at(1))) == ["aps"]
            assert sorted(ids(h.store.get_all_jobs())) == ["aps", "aps2"]
            # Reading did not rewrite: APScheduler still finds its own classes in the row.
            again = twin.lookup_job("aps")
            assert type(again.trigger).__module__.startswith("apscheduler.")
            # A change is written back as triggerkit state.
            loaded._modify(next_run_time=at(50))
            h.store.update_job(loaded)
            reloaded = h.store.lookup_job("aps")
            assert reloaded is not None and reloaded.next_run_time == at(50)
            assert h.load_failures() == []
        finally:
            aps_scheduler.shutdown()  # closes the twin, not our store
            # APScheduler's thread runs one more pass after shutdown, reopening a connection
            twin.shutdown()
    finally:
        h.close()


def test_the_store_reports_through_the_scheduler_it_is_bound_to(
    harness: Harness,
) -> None:
    assert harness.store.alias == "default"
    assert harness.store.logger.name == "triggerkit.jobstores.default"
    assert isinstance(harness.store, BaseJobStore)
