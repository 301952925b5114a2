"""The fleet executors' shared pieces: payload, worker runner, outcome codec, reference check."""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import fleet_jobs
import pytest

from triggerkit.errors import RemoteJobError
from triggerkit.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from triggerkit.executors.remote import (
    check_reference,
    error_events,
    make_payload,
    outcome_events,
    rebuild_exception,
    run_payload,
)
from triggerkit.schedulers.background import BackgroundScheduler

UTC = timezone.utc


def make_job(func: Any, *args: Any, grace: int | None = 5) -> Any:
    sched = BackgroundScheduler(timezone="UTC")
    job = sched.add_job(func, "date", args=args, misfire_grace_time=grace, id="j")
    job.misfire_grace_time = grace  # add_job on a stopped scheduler leaves defaults unapplied
    return job


def test_the_payload_names_the_function_by_reference_and_is_plain_json() -> None:
    job = make_job(fleet_jobs.fail_builtin, 7)
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    payload = make_payload(job, [when])
    assert payload == {
        "job_id": "j",
        "func": "fleet_jobs:fail_builtin",
        "args": [7],
        "kwargs": {},
        "run_times": ["2026-01-02T03:04:05+00:00"],
        "misfire_grace_time": 5,
    }
    assert json.loads(json.dumps(payload)) == payload


def test_a_portable_round_trip_gives_the_value_the_exception_and_the_miss() -> None:
    now = datetime.now(UTC)
    late = now - timedelta(seconds=60)
    ok = run_payload(make_payload(make_job(fleet_jobs.whoami), [now]))
    failed = run_payload(make_payload(make_job(fleet_jobs.fail, "boom"), [now]))
    missed = run_payload(make_payload(make_job(fleet_jobs.whoami), [late]))
    outcomes = json.loads(json.dumps(ok + failed + missed))  # what a JSON result backend keeps

    events = outcome_events("j", "default", [now, now, late], outcomes)
    assert [e.code for e in events] == [EVENT_JOB_EXECUTED, EVENT_JOB_ERROR, EVENT_JOB_MISSED]
    assert events[0].retval == fleet_jobs.whoami()
    assert events[0].scheduled_run_time is now
    assert type(events[1].exception) is fleet_jobs.JobFailure
    assert events[1].exception.args == ("boom",)
    assert "raise JobFailure(message)" in events[1].traceback
    assert events[2].scheduled_run_time is late


def test_each_run_time_gets_its_own_outcome() -> None:
    now = datetime.now(UTC)
    times = [now - timedelta(seconds=2), now - timedelta(seconds=1), now]
    outcomes = run_payload(make_payload(make_job(fleet_jobs.whoami), times))
    assert [o["run_time"] for o in outcomes] == [t.isoformat() for t in times]
    assert {o["status"] for o in outcomes} == {"executed"}


def test_a_non_portable_run_keeps_the_exception_object() -> None:
    now = datetime.now(UTC)
    (outcome,) = run_payload(make_payload(make_job(fleet_jobs.fail, "x"), [now]), portable=False)
    assert isinstance(outcome["error"], fleet_jobs.JobFailure)
    assert outcome["error"].__traceback__ is None
    (event,) = outcome_events("j", None, [now], [outcome])
    assert event.exception is outcome["error"]


def test_a_function_the_worker_cannot_import_fails_the_whole_payload() -> None:
    payload = make_payload(make_job(fleet_jobs.whoami), [datetime.now(UTC)])
    payload["func"] = "fleet_jobs:no_such_function"
    with pytest.raises(LookupError, match="no_such_function"):
        run_payload(payload)


def test_an_exception_class_not_loaded_here_becomes_a_remote_job_error() -> None:
    assert "fleet_worker_only" not in sys.modules
    error = {"type": "fleet_worker_only:WorkerOnlyError", "args": ["x"], "message": "x"}
    exc = rebuild_exception(error)
    assert "fleet_worker_only" not in sys.modules  # nothing was imported on the data's word
    assert isinstance(exc, RemoteJobError)
    assert (exc.type_ref, exc.message) == ("fleet_worker_only:WorkerOnlyError", "x")
    assert str(exc) == "fleet_worker_only:WorkerOnlyError: x"


def test_an_exception_that_does_not_take_its_args_back_becomes_a_remote_job_error() -> None:
    exc = rebuild_exception({"type": "builtins:UnicodeDecodeError", "args": [1], "message": "m"})
    assert isinstance(exc, RemoteJobError)
    key_error = rebuild_exception({"type": "builtins:KeyError", "args": ["k"], "message": "'k'"})
    assert type(key_error) is KeyError and key_error.args == ("k",)
    # a non-exception class named in the data is never called
    assert isinstance(rebuild_exception({"type": "os:system", "args": ["true"]}), RemoteJobError)


def test_error_events_cover_every_run_time() -> None:
    now = datetime.now(UTC)
    exc = ConnectionError("broker down")
    events = error_events("j", "default", [now, now + timedelta(seconds=1)], exc)
    assert [(e.code, e.exception) for e in events] == [(EVENT_JOB_ERROR, exc)] * 2
    assert "ConnectionError: broker down" in events[0].traceback


def nested_holder() -> Any:
    def nested() -> None:
        pass

    return nested


@pytest.mark.parametrize(
    ("func", "reason"),
    [(lambda: None, "lambda"), (nested_holder(), "nested function")],
    ids=["lambda", "nested"],
)
def test_a_function_without_a_reference_is_rejected_with_the_reason(func: Any, reason: str) -> None:
    job = make_job(func)
    with pytest.raises(TypeError, match=f"cannot run on a test fleet.*by reference.*{reason}"):
        check_reference(job, "a test fleet")


def test_a_text_reference_is_accepted() -> None:
    check_reference(make_job("fleet_jobs:whoami"), "a test fleet")


def test_payloads_run_at_once_wait_for_a_module_still_being_imported(tmp_path: Any) -> None:
    # A worker thread must not take a module that another thread is still importing.
    (tmp_path / "slow_import_jobs.py").write_text(
        "import time\ntime.sleep(0.5)\n\ndef ready() -> str:\n    return 'ready'\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        payload = {"job_id": "j", "func": "slow_import_jobs:ready", "run_times": []}
        payload["run_times"] = [datetime.now(UTC).isoformat()]
        with ThreadPoolExecutor(4) as pool:
            outcomes = list(pool.map(lambda _: run_payload(dict(payload)), range(4)))
        assert [o[0]["retval"] for o in outcomes] == ["ready"] * 4
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("slow_import_jobs", None)
