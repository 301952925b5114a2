"""What the fleet executors (Celery, Dask) share: the job's payload, the worker-side runner, events.

A run travels to a worker as a plain :class:`dict` (the *payload*): the function by its
``module:qualname`` reference, its args and kwargs, the job id, the scheduled run times as ISO
8601 text and the misfire grace time. :func:`run_payload` runs it on the worker and returns one
*outcome* dict per run time; :func:`outcome_events` turns those back into
:class:`~triggerkit.events.JobExecutionEvent` objects in the scheduler. With ``portable=True``
(Celery's JSON results) an exception travels as its class reference, args and message and is
rebuilt in the scheduler when its class is loaded there, else reported as
:class:`~triggerkit.errors.RemoteJobError`.
"""

from __future__ import annotations

import importlib
import logging
import sys
import traceback
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ..errors import RemoteJobError
from ..events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from ..marshalling import map_module, obj_to_ref, ref_to_obj

if TYPE_CHECKING:
    from ..job import Job

__all__ = [
    "check_reference",
    "error_events",
    "make_payload",
    "outcome_events",
    "rebuild_exception",
    "run_payload",
]

_logger = logging.getLogger("triggerkit.executors.remote")


def check_reference(job: Job, where: str) -> None:
    """Reject a job whose function a worker could not import by reference.

    :raises TypeError: naming the job, the function and why it has no reference
    """
    if job.func_ref is not None:
        return
    try:
        obj_to_ref(job.func)
    except ValueError as exc:
        reason = str(exc)
    else:  # pragma: no cover - func_ref is only None when obj_to_ref failed
        reason = "it has no module:qualname reference"
    raise TypeError(
        f'Job "{job.name}" (id={job.id}) cannot run on {where}: its function {job.func!r} is '
        f"sent to the workers by reference, and it has none ({reason}). Use a module-level "
        "function importable on the workers, or pass a 'module:function' text reference."
    )


def make_payload(job: Job, run_times: Sequence[datetime]) -> dict[str, Any]:
    """Return what a worker needs to run ``job`` at ``run_times``."""
    return {
        "job_id": job.id,
        "func": job.func_ref,
        "args": list(job.args),
        "kwargs": dict(job.kwargs),
        "run_times": [run_time.isoformat() for run_time in run_times],
        "misfire_grace_time": job.misfire_grace_time,
    }


def _encode_exception(exc: BaseException, portable: bool) -> Any:
    if not portable:
        return exc
    cls = type(exc)
    type_ref = f"{cls.__module__}:{cls.__qualname__}"
    return {"type": type_ref, "args": list(exc.args), "message": str(exc)}


def _resolve(ref: str) -> Any:
    # import_module first: a worker runs several payloads at once, and ref_to_obj alone would
    # take a module another thread is still importing from sys.modules, half initialised.
    try:
        importlib.import_module(map_module(ref.partition(":")[0]))
    except ImportError:
        pass  # ref_to_obj reports it
    return ref_to_obj(ref)


def run_payload(payload: dict[str, Any], portable: bool = True) -> list[dict[str, Any]]:
    """Run a payload on a worker; return one outcome per run time.

    An outcome is ``{"run_time", "status": "executed", "retval"}``, ``{"run_time", "status":
    "missed"}`` (later than the grace time, by the worker's clock) or ``{"run_time", "status":
    "error", "error", "traceback"}``.

    :raises LookupError: if the function cannot be imported on this worker
    """
    func = _resolve(payload["func"])
    args = payload.get("args") or ()
    kwargs = payload.get("kwargs") or {}
    grace = payload.get("misfire_grace_time")
    job_id = payload.get("job_id")
    outcomes: list[dict[str, Any]] = []
    for text in payload["run_times"]:
        if grace is not None:
            late = datetime.now(timezone.utc) - datetime.fromisoformat(text)
            if late > timedelta(seconds=grace):
                _logger.warning("Run time of job %s was missed by %s", job_id, late)
                outcomes.append({"run_time": text, "status": "missed"})
                continue
        _logger.info("Running job %s (scheduled at %s)", job_id, text)
        try:
            retval = func(*args, **kwargs)
        except Exception as exc:
            _logger.exception("Job %s raised an exception", job_id)
            tb = "".join(traceback.format_tb(exc.__traceback__))
            traceback.clear_frames(exc.__traceback__)
            error = _encode_exception(exc.with_traceback(None), portable)
            outcomes.append({"run_time": text, "status": "error", "error": error, "traceback": tb})
        else:
            outcomes.append({"run_time": text, "status": "executed", "retval": retval})
    return outcomes


def rebuild_exception(error: Any) -> BaseException:
    """Return the exception an outcome carries.

    A portable one (a dict) is rebuilt only from a class already loaded in this process (no
    import is triggered by data from the result backend); otherwise, or if its constructor does
    not take its args back, it becomes a :class:`~triggerkit.errors.RemoteJobError`.
    """
    if isinstance(error, BaseException):
        return error
    type_ref = str(error.get("type", "builtins:Exception"))
    message = str(error.get("message", ""))
    module_name, _, qualname = type_ref.partition(":")
    obj: Any = sys.modules.get(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    if isinstance(obj, type) and issubclass(obj, Exception):
        try:
            return obj(*error.get("args", ()))
        except Exception:
            pass
    return RemoteJobError(type_ref, message)


def error_events(
    job_id: str, jobstore_alias: str | None, run_times: Sequence[datetime], exc: BaseException
) -> list[JobExecutionEvent]:
    """One ``EVENT_JOB_ERROR`` per run time, for a run that failed as a whole (never ran,
    lost its worker, could not be sent)."""
    formatted = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return [
        JobExecutionEvent(
            EVENT_JOB_ERROR, job_id, jobstore_alias, run_time, exception=exc, traceback=formatted
        )
        for run_time in run_times
    ]


def outcome_events(
    job_id: str,
    jobstore_alias: str | None,
    run_times: Sequence[datetime],
    outcomes: Sequence[dict[str, Any]],
) -> list[JobExecutionEvent]:
    """Turn a worker's outcomes into events; each carries the scheduler's own run time object."""
    by_text = {run_time.isoformat(): run_time for run_time in run_times}
    events = []
    for outcome in outcomes:
        text = outcome["run_time"]
        run_time = by_text.get(text) or datetime.fromisoformat(text)
        status = outcome["status"]
        if status == "executed":
            events.append(
                JobExecutionEvent(
                    EVENT_JOB_EXECUTED, job_id, jobstore_alias, run_time, outcome.get("retval")
                )
            )
        elif status == "missed":
            events.append(JobExecutionEvent(EVENT_JOB_MISSED, job_id, jobstore_alias, run_time))
        else:
            events.append(
                JobExecutionEvent(
                    EVENT_JOB_ERROR,
                    job_id,
                    jobstore_alias,
                    run_time,
                    exception=rebuild_exception(outcome.get("error", {})),
                    traceback=outcome.get("traceback"),
                )
            )
    return events
