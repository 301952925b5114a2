"""Configuration, plugin aliases and life cycle of the scheduler."""

from __future__ import annotations

import sys
import textwrap
from datetime import timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import apscheduler.events
import pytest
from sched_helpers import ManualScheduler

import triggerkit.events
from triggerkit import events as ev
from triggerkit.errors import SchedulerAlreadyRunningError as ErrorsAlreadyRunning
from triggerkit.executors.asyncio import AsyncIOExecutor
from triggerkit.executors.base import BaseExecutor, MaxInstancesReachedError
from triggerkit.executors.debug import DebugExecutor
from triggerkit.executors.pool import ProcessPoolExecutor, ThreadPoolExecutor
from triggerkit.jobstores.base import (
    BaseJobStore,
    ConflictingIdError,
    JobLookupError,
    TransientJobError,
)
from triggerkit.jobstores.memory import MemoryJobStore
from triggerkit.schedulers import SchedulerAlreadyRunningError, SchedulerNotRunningError
from triggerkit.schedulers._plugins import _cache, load_plugin
from triggerkit.schedulers.base import STATE_PAUSED, STATE_RUNNING, STATE_STOPPED
from triggerkit.triggers.base import BaseTrigger
from triggerkit.triggers.cron import CronTrigger
from triggerkit.triggers.interval import IntervalTrigger


def test_every_event_constant_has_apschedulers_value() -> None:
    names = [name for name in dir(apscheduler.events) if name.startswith("EVENT_")]
    assert names
    for name in names:
        if name == "EVENT_ALL":  # ours adds EVENT_JOB_LOAD_FAILED (docs/migration.md)
            continue
        assert getattr(triggerkit.events, name) == getattr(apscheduler.events, name), name


def test_event_all_adds_only_our_codes_on_the_next_free_bits() -> None:
    ours = triggerkit.events.EVENT_ALL
    theirs = apscheduler.events.EVENT_ALL
    assert triggerkit.events.EVENT_JOB_LOAD_FAILED == theirs + 1  # the next free bit
    # shared stores (issue #15): a run whose scheduler died after starting it
    assert triggerkit.events.EVENT_JOB_OUTCOME_UNKNOWN == 2 * (theirs + 1)
    assert ours == (
        theirs
        | triggerkit.events.EVENT_JOB_LOAD_FAILED
        | triggerkit.events.EVENT_JOB_OUTCOME_UNKNOWN
    )
    assert triggerkit.events.EVENT_ALL_APSCHEDULER == theirs


def test_event_objects_carry_apschedulers_attributes() -> None:
    event = ev.JobExecutionEvent(ev.EVENT_JOB_ERROR, "id", "default", None, 1, None, "tb")  # type: ignore[arg-type]
    assert (event.code, event.job_id, event.jobstore, event.retval, event.traceback) == (
        ev.EVENT_JOB_ERROR,
        "id",
        "default",
        1,
        "tb",
    )
    assert event.alias is None
    submission = ev.JobSubmissionEvent(ev.EVENT_JOB_SUBMITTED, "id", "default", [])
    assert submission.scheduled_run_times == []
    assert repr(ev.SchedulerEvent(ev.EVENT_SCHEDULER_START)) == "<SchedulerEvent (code=1)>"


def test_the_apscheduler_module_paths_reexport_the_errors_objects() -> None:
    from triggerkit import errors

    assert SchedulerAlreadyRunningError is ErrorsAlreadyRunning
    assert SchedulerNotRunningError is errors.SchedulerNotRunningError
    assert MaxInstancesReachedError is errors.MaxInstancesReachedError
    assert (JobLookupError, ConflictingIdError, TransientJobError) == (
        errors.JobLookupError,
        errors.ConflictingIdError,
        errors.TransientJobError,
    )


def test_it_takes_constructor_options() -> None:
    store = MemoryJobStore()
    sched = ManualScheduler(
        timezone="Europe/Helsinki",
        jobstores={"default": store},
        executors={"default": DebugExecutor(), "pool": {"type": "threadpool", "max_workers": 2}},
        job_defaults={"coalesce": False, "max_instances": 3, "misfire_grace_time": 30},
    )
    assert sched.timezone == ZoneInfo("Europe/Helsinki")
    assert sched._jobstores["default"] is store
    assert isinstance(sched._executors["pool"], ThreadPoolExecutor)
    assert sched._job_defaults == {"coalesce": False, "max_instances": 3, "misfire_grace_time": 30}
    sched._executors["pool"].shutdown()


@pytest.mark.parametrize(
    "prefix", ["apscheduler.", "triggerkit."], ids=["apscheduler", "triggerkit"]
)
def test_it_reads_a_flat_prefixed_dict(prefix: str) -> None:
    config = {
        f"{prefix}timezone": "UTC",
        f"{prefix}jobstores.default.type": "memory",
        f"{prefix}jobstores.other.class": "triggerkit.jobstores.memory:MemoryJobStore",
        f"{prefix}executors.default.class": "triggerkit.executors.debug:DebugExecutor",
        f"{prefix}executors.processpool.type": "processpool",
        f"{prefix}executors.processpool.max_workers": "2",
        f"{prefix}job_defaults.coalesce": "false",
        f"{prefix}job_defaults.max_instances": "3",
        f"{prefix}job_defaults.misfire_grace_time": "15",
        "unrelated.key": "ignored",
    }
    sched = ManualScheduler(config)
    assert sched.timezone == timezone.utc
    assert set(sched._jobstores) == {"default", "other"}
    assert isinstance(sched._executors["default"], DebugExecutor)
    pool = sched._executors["processpool"]
    assert isinstance(pool, ProcessPoolExecutor) and pool._max_workers == 2
    assert sched._job_defaults == {"coalesce": False, "max_instances": 3, "misfire_grace_time": 15}
    pool.shutdown()


def test_configure_is_refused_while_running(manual: ManualScheduler) -> None:
    with pytest.raises(SchedulerAlreadyRunningError):
        manual.configure(timezone="UTC")


def test_a_plugin_dict_without_type_or_class_is_rejected() -> None:
    with pytest.raises(ValueError, match='"class" or "type"'):
        ManualScheduler(executors={"x": {"max_workers": 2}})
    with pytest.raises(TypeError, match="Expected executor instance or dict"):
        ManualScheduler(executors={"x": 3})


@pytest.mark.parametrize(
    ("kind", "alias", "qualname"),
    [
        ("trigger", "cron", "triggerkit.triggers.cron.CronTrigger"),
        ("trigger", "interval", "triggerkit.triggers.interval.IntervalTrigger"),
        ("trigger", "date", "triggerkit.triggers.date.DateTrigger"),
        ("trigger", "and", "triggerkit.triggers.combining.AndTrigger"),
        ("trigger", "or", "triggerkit.triggers.combining.OrTrigger"),
        ("executor", "debug", "triggerkit.executors.debug.DebugExecutor"),
        ("executor", "threadpool", "triggerkit.executors.pool.ThreadPoolExecutor"),
        ("executor", "processpool", "triggerkit.executors.pool.ProcessPoolExecutor"),
        ("executor", "asyncio", "triggerkit.executors.asyncio.AsyncIOExecutor"),
        ("executor", "gevent", "triggerkit.executors.gevent.GeventExecutor"),
        ("executor", "tornado", "triggerkit.executors.tornado.TornadoExecutor"),
        ("executor", "twisted", "triggerkit.executors.twisted.TwistedExecutor"),
        ("jobstore", "memory", "triggerkit.jobstores.memory.MemoryJobStore"),
    ],
    ids=lambda value: str(value).rsplit(".", 1)[-1],
)
def test_each_builtin_alias_resolves_to_its_class(kind: str, alias: str, qualname: str) -> None:
    base = {"trigger": BaseTrigger, "executor": BaseExecutor, "jobstore": BaseJobStore}[kind]
    cls = load_plugin(kind, alias, base)
    assert f"{cls.__module__}.{cls.__qualname__}" == qualname


@pytest.mark.parametrize(
    ("alias", "module"),
    [
        ("sqlalchemy", "triggerkit.jobstores.sqlalchemy"),
        ("mongodb", "triggerkit.jobstores.mongodb"),
        ("redis", "triggerkit.jobstores.redis"),
        ("zookeeper", "triggerkit.jobstores.zookeeper"),
        ("rethinkdb", "triggerkit.jobstores.rethinkdb"),
        ("etcd", "triggerkit.jobstores.etcd"),
    ],
)
def test_a_store_that_does_not_exist_yet_gives_a_clear_error(alias: str, module: str) -> None:
    try:
        __import__(module)
    except ModuleNotFoundError:
        with pytest.raises(LookupError, match=f"not available.*{module}"):
            ManualScheduler(jobstores={"x": {"type": alias}})
    else:  # the store has landed since: the alias must now build it
        assert load_plugin("jobstore", alias, BaseJobStore).__module__ == module


def test_an_unknown_alias_names_the_known_ones() -> None:
    with pytest.raises(LookupError, match='No executor by the name "nope" was found.*threadpool'):
        ManualScheduler().add_executor("nope")
    with pytest.raises(LookupError, match='No trigger by the name "crn".*cron'):
        ManualScheduler().add_job(print, "crn")


def test_a_third_party_plugin_is_found_through_its_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tk_thirdparty.py").write_text(
        textwrap.dedent(
            """
            from triggerkit.executors.debug import DebugExecutor

            class LoudExecutor(DebugExecutor):
                pass
            """
        )
    )
    dist = tmp_path / "tk_thirdparty-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tk-thirdparty\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[triggerkit.executors]\nloud = tk_thirdparty:LoudExecutor\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    _cache.pop(("executor", "loud"), None)
    sched = ManualScheduler()
    sched.add_executor("loud", "loud")
    assert type(sched._executors["loud"]).__name__ == "LoudExecutor"
    sys.modules.pop("tk_thirdparty", None)


def test_plugins_also_come_by_class_reference_and_with_options() -> None:
    sched = ManualScheduler()
    sched.add_executor("threadpool", "pool", max_workers=3)
    assert sched._executors["pool"]._pool._max_workers == 3  # type: ignore[attr-defined]
    sched.add_jobstore("memory", "mem")
    assert isinstance(sched._jobstores["mem"], MemoryJobStore)
    sched._executors["pool"].shutdown()


def test_start_pause_resume_shutdown_move_through_the_states(events: list[Any]) -> None:
    sched = ManualScheduler(executors={"default": DebugExecutor()})
    sched.add_listener(events.append)
    assert sched.state == STATE_STOPPED and not sched.running
    with pytest.raises(SchedulerNotRunningError):
        sched.shutdown()
    with pytest.raises(SchedulerNotRunningError):
        sched.pause()
    sched.start(paused=True)
    assert sched.state == STATE_PAUSED and sched.running
    assert sched.tick() is None  # a paused scheduler processes nothing
    with pytest.raises(SchedulerAlreadyRunningError):
        sched.start()
    sched.resume()
    assert sched.state == STATE_RUNNING
    sched.pause()
    sched.shutdown()
    assert [e.code for e in events if e.code < ev.EVENT_EXECUTOR_ADDED] == [
        ev.EVENT_SCHEDULER_START,
        ev.EVENT_SCHEDULER_RESUMED,
        ev.EVENT_SCHEDULER_PAUSED,
        ev.EVENT_SCHEDULER_SHUTDOWN,
    ]


def test_executors_and_stores_are_added_and_removed_with_events(
    manual: ManualScheduler, events: list[Any]
) -> None:
    manual.add_executor(DebugExecutor(), "extra")
    with pytest.raises(ValueError, match='already has an executor by the alias of "extra"'):
        manual.add_executor(DebugExecutor(), "extra")
    manual.remove_executor("extra")
    manual.add_jobstore(MemoryJobStore(), "extra")
    with pytest.raises(ValueError, match='already has a job store by the alias of "extra"'):
        manual.add_jobstore(MemoryJobStore(), "extra")
    manual.remove_jobstore("extra")
    with pytest.raises(KeyError):
        manual.remove_jobstore("extra")
    assert [e.code for e in events][-4:] == [
        ev.EVENT_EXECUTOR_ADDED,
        ev.EVENT_EXECUTOR_REMOVED,
        ev.EVENT_JOBSTORE_ADDED,
        ev.EVENT_JOBSTORE_REMOVED,
    ]
    with pytest.raises(TypeError):
        manual.add_executor(object(), "bad")
    with pytest.raises(TypeError):
        manual.add_jobstore(object(), "bad")


def test_the_default_executor_of_each_scheduler_kind() -> None:
    from triggerkit.schedulers.asyncio import AsyncIOScheduler

    assert isinstance(AsyncIOScheduler()._create_default_executor(), AsyncIOExecutor)
    pool = ManualScheduler()._create_default_executor()
    assert isinstance(pool, ThreadPoolExecutor)
    pool.shutdown()


def test_a_scheduler_cannot_be_pickled() -> None:
    import pickle

    with pytest.raises(TypeError, match="Schedulers cannot be serialized"):
        pickle.dumps(ManualScheduler())


def test_the_logger_option_takes_a_name_or_a_logger() -> None:
    import logging

    assert ManualScheduler()._logger.name == "triggerkit.scheduler"
    assert ManualScheduler(logger="my.app")._logger.name == "my.app"
    custom = logging.getLogger("custom")
    assert ManualScheduler(logger=custom)._logger is custom


def test_trigger_instances_pass_through(manual: ManualScheduler) -> None:
    trigger = CronTrigger(minute=5, timezone="UTC")
    assert manual.add_job(print, trigger).trigger is trigger
    interval = IntervalTrigger(seconds=5, timezone="UTC")
    assert manual.add_job(print, interval).trigger is interval
    assert manual._create_trigger(None, {}).__class__.__name__ == "DateTrigger"


def test_bad_job_defaults_are_rejected_when_configured() -> None:
    with pytest.raises(TypeError, match="max_instances must be a positive integer"):
        ManualScheduler(job_defaults={"max_instances": 0})
    with pytest.raises(TypeError, match="misfire_grace_time must be either None or a positive"):
        ManualScheduler(job_defaults={"misfire_grace_time": -1})
