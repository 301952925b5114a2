"""Adding, finding, changing and removing jobs; the Job object and its pickled state."""

from __future__ import annotations

import io
import pickle
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

import pytest
from apscheduler.job import Job as ApsJob
from apscheduler.schedulers.background import BackgroundScheduler as ApsScheduler
from apscheduler.triggers.interval import IntervalTrigger as ApsInterval
from sched_helpers import FakeClock, ManualScheduler

from triggerkit import events as ev
from triggerkit.job import Job
from triggerkit.jobstores.base import ConflictingIdError, JobLookupError
from triggerkit.jobstores.memory import MemoryJobStore
from triggerkit.triggers.date import DateTrigger
from triggerkit.triggers.interval import IntervalTrigger

UTC = timezone.utc


def dummy(a: int = 0, b: int = 0) -> int:
    return a + b


class Holder:
    def method(self, x: int) -> int:
        return x * 2

    @classmethod
    def cmethod(cls, x: int) -> int:
        return x * 3

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Holder)

    __hash__ = object.__hash__


def test_wrong_cron_argument_names_are_rejected_naming_the_allowed_ones(
    manual: ManualScheduler,
) -> None:
    with pytest.raises(TypeError) as info:
        manual.add_job(dummy, "cron", hours=3)
    message = str(info.value)
    assert "'hours' (did you mean 'hour'?)" in message
    assert "allowed: year, month, day, week, day_of_week, hour, minute, second" in message


def test_wrong_interval_argument_names_are_rejected_with_a_suggestion(
    manual: ManualScheduler,
) -> None:
    with pytest.raises(TypeError, match=r"'minute' \(did you mean 'minutes'\?\).*allowed: weeks"):
        manual.add_job(dummy, trigger="interval", seconds=3, minute=1)


def test_passing_the_result_of_a_call_instead_of_the_function_is_explained(
    manual: ManualScheduler,
) -> None:
    with pytest.raises(TypeError, match=r"not the result of calling it \(my_job\(\)\)"):
        manual.add_job(None, "cron", day_of_week="mon-fri", hour=5, minute=30)


def test_arguments_that_do_not_fit_the_function_are_rejected(manual: ManualScheduler) -> None:
    with pytest.raises(ValueError, match="dummy.*cannot be called"):
        manual.add_job(dummy, args=(1, 2, 3))
    with pytest.raises(ValueError, match="unexpected keyword argument 'c'"):
        manual.add_job(dummy, kwargs={"c": 1})
    with pytest.raises(TypeError, match="args must be a non-string iterable"):
        Job(manual, func=dummy, args="ab", kwargs={}, trigger=DateTrigger(timezone="UTC"))
    with pytest.raises(TypeError, match="kwargs must be a dict-like object"):
        Job(manual, func=dummy, args=(), kwargs=[1], trigger=DateTrigger(timezone="UTC"))


def test_bad_trigger_arguments_are_rejected(manual: ManualScheduler) -> None:
    with pytest.raises(TypeError, match="Expected a trigger instance or string"):
        manual.add_job(dummy, 5)
    job = manual.add_job(dummy, IntervalTrigger(seconds=1, timezone="UTC"), seconds=3)
    assert str(job.trigger) == "interval[0:00:01]"  # ignored, as APScheduler 3 does, but logged


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("misfire_grace_time", 0, "misfire_grace_time must be either None or a positive integer"),
        ("max_instances", 0, "max_instances must be a positive integer"),
        ("name", "", "name must be a nonempty string"),
        ("id", 5, "id must be a nonempty string"),
    ],
)
def test_bad_job_options_are_rejected(
    manual: ManualScheduler, option: str, value: Any, message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        manual.add_job(dummy, **{option: value})


def test_a_text_reference_is_accepted_as_the_function(manual: ManualScheduler) -> None:
    job = manual.add_job(f"{__name__}:dummy", args=(1, 2))
    assert job.func is dummy and job.func_ref == f"{__name__}:dummy" and job.name == "dummy"
    with pytest.raises(LookupError):
        manual.add_job(f"{__name__}:nothing_here")


def test_job_ids_are_unique_per_store(manual: ManualScheduler) -> None:
    manual.add_job(dummy, id="x")
    with pytest.raises(ConflictingIdError):
        manual.add_job(dummy, id="x")
    manual.add_job(dummy, id="x", args=(1,), replace_existing=True)
    jobs = manual.get_jobs()
    assert len(jobs) == 1 and jobs[0].args == (1,)
    manual.add_jobstore(MemoryJobStore(), "other")
    manual.add_job(dummy, id="x", jobstore="other")
    assert len(manual.get_jobs()) == 2
    assert len(manual.get_jobs(jobstore="other")) == 1


def test_lookup_and_removal(manual: ManualScheduler, events: list[Any]) -> None:
    manual.add_job(dummy, "interval", seconds=10, id="x")
    assert manual.get_job("x") is not None
    assert manual.get_job("y") is None
    assert manual.get_job("x", jobstore="default") is not None
    manual.remove_job("x")
    with pytest.raises(JobLookupError):
        manual.remove_job("x")
    manual.add_job(dummy, "interval", seconds=10)
    manual.remove_all_jobs()
    assert manual.get_jobs() == []
    assert ev.EVENT_JOB_REMOVED in [e.code for e in events]
    assert events[-1].code == ev.EVENT_ALL_JOBS_REMOVED


def test_jobs_added_before_start_are_pending(clock: FakeClock) -> None:
    sched = ManualScheduler(timezone="UTC")
    job = sched.add_job(dummy, "interval", seconds=10, id="p")
    other = sched.add_job(dummy, "interval", seconds=10, id="q", jobstore="x")
    assert job.pending and not hasattr(job, "next_run_time")
    assert str(job) == "dummy (trigger: interval[0:00:10], pending)"
    out = io.StringIO()
    sched.print_jobs(out=out)
    assert out.getvalue().splitlines()[0] == "Pending jobs:"
    assert sched.get_jobs() == [job, other]
    assert sched.get_jobs(jobstore="x") == [other]
    assert sched.get_job("p") is job
    sched.modify_job("p", name="renamed")
    assert job.name == "renamed"
    sched.remove_job("q")
    sched.remove_all_jobs(jobstore="x")
    out = io.StringIO()
    sched.remove_all_jobs()
    sched.print_jobs(out=out)
    assert out.getvalue() == "Pending jobs:\n    No pending jobs\n"


def test_pending_jobs_get_their_defaults_and_next_run_time_at_start(clock: FakeClock) -> None:
    sched = ManualScheduler(timezone="UTC", job_defaults={"max_instances": 4})
    job = sched.add_job(dummy, "date", run_date=datetime(2031, 1, 1, tzinfo=UTC))
    sched.start()
    assert not job.pending
    assert job.max_instances == 4 and job.coalesce is True and job.misfire_grace_time == 1
    assert job.next_run_time == datetime(2031, 1, 1, tzinfo=UTC)
    out = io.StringIO()
    sched.print_jobs(out=out)
    assert out.getvalue().splitlines()[0] == "Jobstore default:"
    assert "next run at: 2031-01-01 00:00:00 UTC" in out.getvalue()
    sched.shutdown()


def test_modify_reschedule_pause_resume(
    manual: ManualScheduler, clock: FakeClock, events: list[Any]
) -> None:
    job = manual.add_job(dummy, "interval", seconds=10, id="x")
    job.modify(name="new name", max_instances=2)
    assert manual.get_job("x").name == "new name"  # type: ignore[union-attr]
    assert events[-1].code == ev.EVENT_JOB_MODIFIED
    job.reschedule("cron", minute=30)
    assert job.next_run_time == datetime(2030, 1, 1, 0, 30, tzinfo=UTC)
    job.pause()
    assert job.next_run_time is None
    assert "paused" in str(job)
    job.resume()
    assert job.next_run_time == datetime(2030, 1, 1, 0, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="The job ID may not be changed"):
        job.modify(id="y")
    with pytest.raises(AttributeError, match="not modifiable attributes of Job: bogus"):
        job.modify(bogus=1)
    job.remove()
    assert manual.get_jobs() == []


def test_resuming_a_finished_job_removes_it(manual: ManualScheduler, clock: FakeClock) -> None:
    job = manual.add_job(dummy, "date", run_date=clock.value + timedelta(seconds=5), id="x")
    job.pause()
    clock.advance(10)
    # the date trigger still offers its run date once: the job resumes, then runs as missed
    assert manual.resume_job("x") is not None
    end = clock.value + timedelta(seconds=1)
    job2 = manual.add_job(dummy, "interval", seconds=1, end_date=end, id="y")
    job2.pause()
    clock.advance(10)
    assert manual.resume_job("y") is None
    assert manual.get_job("y") is None


def test_next_run_time_may_be_text_or_none(manual: ManualScheduler) -> None:
    job = manual.add_job(dummy, "date", next_run_time="2030-06-28 18:09:00")
    assert job.next_run_time == datetime(2030, 6, 28, 18, 9, tzinfo=UTC)
    paused = manual.add_job(dummy, "interval", seconds=5, next_run_time=None)
    assert paused.next_run_time is None
    assert manual.get_jobs()[-1] is paused  # paused jobs are listed last


def test_the_scheduled_job_decorator_returns_the_function(manual: ManualScheduler) -> None:
    @manual.scheduled_job("interval", seconds=5, id="deco")
    def decorated() -> None:
        pass

    assert callable(decorated)
    assert manual.get_job("deco").func is decorated  # type: ignore[union-attr]


def test_job_state_is_a_versioned_plain_dict_like_apschedulers(manual: ManualScheduler) -> None:
    job = manual.add_job(dummy, "interval", seconds=5, args=(1,), kwargs={"b": 2}, id="x")
    state = job.__getstate__()
    assert state["version"] == 1
    # APScheduler 3.11.3's own job state is the oracle for the keys (and their order).
    aps_job = ApsJob(
        ApsScheduler(timezone=UTC),
        id="x",
        func=dummy,
        trigger=ApsInterval(seconds=5, timezone=UTC),
        executor="default",
        args=(1,),
        kwargs={"b": 2},
        name="dummy",
        misfire_grace_time=1,
        coalesce=True,
        max_instances=1,
        next_run_time=job.next_run_time,
    )
    assert list(state) == list(aps_job.__getstate__())
    assert "version" in state and "next_run_time" in state
    assert state["func"] == f"{__name__}:dummy"
    clone = pickle.loads(pickle.dumps(job))
    assert clone.func is dummy and clone.args == (1,) and clone.kwargs == {"b": 2}
    assert clone.next_run_time == job.next_run_time and clone.trigger == job.trigger
    assert clone == job and repr(clone) == "<Job (id=x name=dummy)>"


def test_bound_methods_survive_pickling(manual: ManualScheduler) -> None:
    job = manual.add_job(Holder().method, "interval", seconds=5, args=(4,))
    clone = pickle.loads(pickle.dumps(job))
    assert clone.func(*clone.args) == 8 and clone.args == (4,)
    cjob = manual.add_job(Holder.cmethod, "interval", seconds=5, args=(4,))
    assert pickle.loads(pickle.dumps(cjob)).func(4) == 12


@pytest.mark.parametrize(
    "func",
    [lambda: None, partial(dummy, 1)],
    ids=["lambda", "partial"],
)
def test_a_job_without_a_reference_cannot_be_pickled(manual: ManualScheduler, func: Any) -> None:
    job = manual.add_job(func, "interval", seconds=5)
    assert job.func_ref is None
    with pytest.raises(ValueError, match="cannot be serialized"):
        pickle.dumps(job)


def test_a_newer_state_version_is_refused(manual: ManualScheduler) -> None:
    job = manual.add_job(dummy, "interval", seconds=5)
    state = job.__getstate__()
    state["version"] = 2
    blank = Job.__new__(Job)
    with pytest.raises(ValueError, match="Job has version 2, but only version 1"):
        blank.__setstate__(state)


def test_nested_functions_get_no_reference(manual: ManualScheduler) -> None:
    def nested() -> None:
        pass

    assert manual.add_job(nested).func_ref is None


def test_jobs_export_to_json_and_import_back(manual: ManualScheduler, tmp_path: Any) -> None:
    import json

    manual.add_job(dummy, "cron", minute="*/5", args=(1,), id="c")
    manual.add_job(dummy, "interval", seconds=30, kwargs={"b": 2}, id="i", next_run_time=None)
    path = tmp_path / "jobs.json"
    manual.export_jobs(str(path))
    document = json.loads(path.read_text())
    assert document["version"] == 1 and len(document["jobs"]) == 2
    assert document["jobs"][0]["trigger"]["__apscheduler_class__"] == (
        "triggerkit.triggers.cron:CronTrigger"
    )
    manual.remove_all_jobs()
    with open(path) as infile:
        manual.import_jobs(infile)
    jobs = {job.id: job for job in manual.get_jobs()}
    # args come back as JSON gives them, a list, as in APScheduler 3
    assert str(jobs["c"].trigger) == "cron[minute='*/5']" and jobs["c"].args == [1]
    assert jobs["i"].next_run_time is None and jobs["i"].kwargs == {"b": 2}
    jobs["c"].modify(name="still managed")  # imported jobs belong to the scheduler


def test_export_needs_a_started_scheduler_and_import_a_known_version(tmp_path: Any) -> None:
    sched = ManualScheduler(timezone="UTC")
    with pytest.raises(RuntimeError, match="must have been started"):
        sched.export_jobs(io.StringIO())
    sched.start(paused=True)
    with pytest.raises(ValueError, match="unrecognized version: 7"):
        sched.import_jobs(io.StringIO('{"version": 7, "jobs": []}'))
    sched.shutdown()


def test_jobs_with_identical_cron_arguments_share_one_trigger(manual: ManualScheduler) -> None:
    a = manual.add_job(dummy, "cron", minute="*/5", hour="8-17")
    b = manual.add_job(dummy, "cron", hour="8-17", minute="*/5")
    c = manual.add_job(dummy, "cron", minute="*/5", hour="8-18")
    d = manual.add_job(dummy, "cron", minute="*/5", hour="8-17", timezone="Europe/Helsinki")
    assert a.trigger is b.trigger
    assert c.trigger is not a.trigger and d.trigger is not a.trigger
    b.reschedule("cron", minute="*/10")  # rescheduling one job leaves the other alone
    assert str(a.trigger) == "cron[hour='8-17', minute='*/5']"
    with pytest.raises(TypeError, match=r"'hours' \(did you mean 'hour'\?\)"):
        manual.add_job(dummy, "cron", hours=5)


# -- shared cron triggers (issue #13, item 2) ----------------------------------------------------


def test_jobs_whose_start_dates_differ_only_by_fold_get_their_own_triggers(
    manual: ManualScheduler, clock: FakeClock
) -> None:
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    # 2030-10-27: 03:00 CEST falls back to 02:00 CET, so 02:30 happens twice
    clock.set(datetime(2030, 10, 26, 23, 0, tzinfo=UTC))
    first = datetime(2030, 10, 27, 2, 30, tzinfo=berlin)
    second = first.replace(fold=1)
    a = manual.add_job(dummy, "cron", minute="30", start_date=first, timezone=berlin)
    b = manual.add_job(dummy, "cron", minute="30", start_date=second, timezone=berlin)
    assert a.trigger is not b.trigger
    assert a.next_run_time.astimezone(UTC) == datetime(2030, 10, 27, 0, 30, tzinfo=UTC)
    assert b.next_run_time.astimezone(UTC) == datetime(2030, 10, 27, 1, 30, tzinfo=UTC)


def test_a_shared_trigger_never_stands_in_for_an_argument_of_another_type(
    manual: ManualScheduler,
) -> None:
    from triggerkit.errors import CronSpecError

    good = manual.add_job(dummy, "cron", hour=1)
    with pytest.raises(CronSpecError, match="hour: True is a bool"):
        manual.add_job(dummy, "cron", hour=True)
    same = manual.add_job(dummy, "cron", hour=1)
    assert same.trigger is good.trigger  # equal arguments of the same types still share
    as_text = manual.add_job(dummy, "cron", hour="1")
    assert as_text.trigger is not good.trigger
