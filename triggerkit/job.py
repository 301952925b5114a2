"""Scheduled jobs, at APScheduler 3's ``apscheduler.job`` path."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from inspect import isclass, ismethod
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from .triggers.base import BaseTrigger
from .util import (
    check_callable_args,
    convert_to_datetime,
    datetime_repr,
    get_callable_name,
    obj_to_ref,
    ref_to_obj,
)

if TYPE_CHECKING:
    from .schedulers.base import BaseScheduler

__all__ = ["JOB_STATE_VERSION", "Job", "check_max_instances", "check_misfire_grace_time"]

#: The version of the plain dict :meth:`Job.__getstate__` returns (APScheduler 3's is 1).
JOB_STATE_VERSION = 1


class Job:
    """Contains the options given when scheduling callables and its current schedule.

    Obtain a job from :meth:`~triggerkit.schedulers.base.BaseScheduler.add_job`; do not create
    one yourself.

    :var str id: the unique identifier of this job
    :var str name: the description of this job
    :var func: the callable to execute
    :var tuple args: positional arguments to the callable
    :var dict kwargs: keyword arguments to the callable
    :var bool coalesce: whether to only run the job once when several run times are due
    :var trigger: the trigger object that controls the schedule of this job
    :var str executor: the name of the executor that will run this job
    :var int misfire_grace_time: the time (in seconds) how much this job's execution is allowed
        to be late (``None`` means "allow the job to run no matter how late it is")
    :var int max_instances: the maximum number of concurrently executing instances allowed
    :var datetime.datetime next_run_time: the next scheduled run time of this job
    """

    __slots__ = (
        "_scheduler",
        "_jobstore_alias",
        "id",
        "trigger",
        "executor",
        "func",
        "func_ref",
        "args",
        "kwargs",
        "name",
        "misfire_grace_time",
        "coalesce",
        "max_instances",
        "next_run_time",
        "__weakref__",
    )

    _scheduler: BaseScheduler
    _jobstore_alias: str | None
    id: str
    trigger: BaseTrigger
    executor: str
    func: Any
    func_ref: str | None
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    name: str
    misfire_grace_time: int | None
    coalesce: bool
    max_instances: int
    next_run_time: datetime | None

    def __init__(self, scheduler: BaseScheduler, id: str | None = None, **kwargs: Any) -> None:
        super().__init__()
        self._scheduler = scheduler
        self._jobstore_alias = None
        self._modify(id=id or uuid4().hex, **kwargs)

    def modify(self, **changes: Any) -> Job:
        """Make the given changes to this job and save it in the associated job store."""
        self._scheduler.modify_job(self.id, self._jobstore_alias, **changes)
        return self

    def reschedule(self, trigger: Any, **trigger_args: Any) -> Job:
        """Shortcut for switching the trigger on this job."""
        self._scheduler.reschedule_job(self.id, self._jobstore_alias, trigger, **trigger_args)
        return self

    def pause(self) -> Job:
        """Temporarily suspend the execution of this job."""
        self._scheduler.pause_job(self.id, self._jobstore_alias)
        return self

    def resume(self) -> Job:
        """Resume the schedule of this job if previously paused."""
        self._scheduler.resume_job(self.id, self._jobstore_alias)
        return self

    def remove(self) -> None:
        """Unschedule this job and remove it from its associated job store."""
        self._scheduler.remove_job(self.id, self._jobstore_alias)

    @property
    def pending(self) -> bool:
        """``True`` if the job is waiting for the scheduler to start and add it to its store."""
        return self._jobstore_alias is None

    def _get_run_times(self, now: datetime) -> list[datetime]:
        """Return every scheduled run time between ``next_run_time`` and ``now`` (inclusive).

        Kept for APScheduler 3 compatibility; the scheduler itself uses the bounded search in
        :mod:`triggerkit.schedulers._planner`, which never walks a long outage run by run.
        """
        run_times = []
        next_run_time = self.next_run_time
        while next_run_time and next_run_time <= now:
            run_times.append(next_run_time)
            next_run_time = self.trigger.get_next_fire_time(next_run_time, now)
        return run_times

    def _modify(self, **changes: Any) -> None:
        """Validate the changes and apply them to this job, all or nothing."""
        approved: dict[str, Any] = {}

        if "id" in changes:
            value = changes.pop("id")
            if not isinstance(value, str) or not value:
                raise TypeError("id must be a nonempty string")
            if hasattr(self, "id"):
                raise ValueError("The job ID may not be changed")
            approved["id"] = value

        if "func" in changes or "args" in changes or "kwargs" in changes:
            func = changes.pop("func") if "func" in changes else self.func
            args = changes.pop("args") if "args" in changes else self.args
            kwargs = changes.pop("kwargs") if "kwargs" in changes else self.kwargs
            func_ref: str | None
            if isinstance(func, str):
                func_ref = func
                func = ref_to_obj(func)
            elif callable(func):
                try:
                    func_ref = obj_to_ref(func)
                except ValueError:
                    func_ref = None
            else:
                raise TypeError(
                    f"func must be a callable or a textual reference to one, got {func!r}; "
                    "pass the function itself (my_job), not the result of calling it (my_job())"
                )
            if not hasattr(self, "name") and changes.get("name") is None:
                changes["name"] = get_callable_name(func)
            if type(args) is not tuple:  # fast path: add_job always passes a tuple
                if isinstance(args, str) or not isinstance(args, Iterable):
                    raise TypeError("args must be a non-string iterable")
                args = tuple(args)
            if type(kwargs) is not dict:
                if isinstance(kwargs, str) or not isinstance(kwargs, Mapping):
                    raise TypeError("kwargs must be a dict-like object")
                kwargs = dict(kwargs)
            check_callable_args(func, args, kwargs)
            approved.update(func=func, func_ref=func_ref, args=args, kwargs=kwargs)

        if "name" in changes:
            value = changes.pop("name")
            if not isinstance(value, str) or not value:
                raise TypeError("name must be a nonempty string")
            approved["name"] = value

        if "misfire_grace_time" in changes:
            approved["misfire_grace_time"] = check_misfire_grace_time(
                changes.pop("misfire_grace_time")
            )

        if "coalesce" in changes:
            approved["coalesce"] = bool(changes.pop("coalesce"))

        if "max_instances" in changes:
            approved["max_instances"] = check_max_instances(changes.pop("max_instances"))

        if "trigger" in changes:
            value = changes.pop("trigger")
            if not isinstance(value, BaseTrigger):
                raise TypeError(
                    f"Expected a trigger instance, got {value.__class__.__name__} instead"
                )
            approved["trigger"] = value

        if "executor" in changes:
            value = changes.pop("executor")
            if not isinstance(value, str):
                raise TypeError("executor must be a string")
            approved["executor"] = value

        if "next_run_time" in changes:
            value = changes.pop("next_run_time")
            approved["next_run_time"] = convert_to_datetime(
                value, self._scheduler.timezone, "next_run_time"
            )

        if changes:
            raise AttributeError(
                "The following are not modifiable attributes of Job: " + ", ".join(changes)
            )

        for key, value in approved.items():
            setattr(self, key, value)

    def __getstate__(self) -> dict[str, Any]:
        """Return the job as a versioned plain dict (APScheduler 3's version-1 layout).

        :raises ValueError: if the callable has no importable text reference
        """
        if not self.func_ref:
            raise ValueError(
                f"This Job cannot be serialized since the reference to its callable "
                f"({self.func!r}) could not be determined. Consider giving a textual reference "
                "(module:function name) instead."
            )
        # A bound method is stored as a reference to its class's function plus the instance as
        # the first argument, so it survives the round trip.
        args = self.args
        if (
            ismethod(self.func)
            and not isclass(self.func.__self__)
            and obj_to_ref(self.func) == self.func_ref
        ):
            args = (self.func.__self__, *args)
        return {
            "version": JOB_STATE_VERSION,
            "id": self.id,
            "func": self.func_ref,
            "trigger": self.trigger,
            "executor": self.executor,
            "args": args,
            "kwargs": self.kwargs,
            "name": self.name,
            "misfire_grace_time": self.misfire_grace_time,
            "coalesce": self.coalesce,
            "max_instances": self.max_instances,
            "next_run_time": self.next_run_time,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore the job from :meth:`__getstate__`'s dict.

        :raises ValueError: for a state version newer than this code understands
        """
        version = state.get("version", 1)
        if version > JOB_STATE_VERSION:
            raise ValueError(
                f"Job has version {version}, but only version {JOB_STATE_VERSION} can be handled"
            )
        self.id = state["id"]
        self.func_ref = state["func"]
        self.func = ref_to_obj(self.func_ref)
        self.trigger = state["trigger"]
        self.executor = state["executor"]
        args = state["args"]  # as stored (a list after a JSON import), as in APScheduler 3
        # Undo the bound-method split made by __getstate__.
        if args and not ismethod(self.func) and _is_unbound_method_of(self.func, args[0]):
            self.func = getattr(args[0], self.func.__name__)
            args = args[1:]
        self.args = args
        self.kwargs = state["kwargs"]
        self.name = state["name"]
        self.misfire_grace_time = state["misfire_grace_time"]
        self.coalesce = state["coalesce"]
        self.max_instances = state["max_instances"]
        self.next_run_time = state["next_run_time"]
        self._jobstore_alias = None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Job):
            return self.id == other.id
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<Job (id={self.id} name={self.name})>"

    def __str__(self) -> str:
        if hasattr(self, "next_run_time"):
            if self.next_run_time:
                status = "next run at: " + datetime_repr(self.next_run_time)
            else:
                status = "paused"
        else:
            status = "pending"
        return f"{self.name} (trigger: {self.trigger}, {status})"


def check_misfire_grace_time(value: Any) -> int | None:
    """Return ``value`` if it is a valid ``misfire_grace_time`` (None or a positive int).

    :raises TypeError: otherwise
    """
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
        raise TypeError("misfire_grace_time must be either None or a positive integer")
    return value


def check_max_instances(value: Any) -> int:
    """Return ``value`` if it is a valid ``max_instances`` (a positive int).

    :raises TypeError: otherwise
    """
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise TypeError("max_instances must be a positive integer")
    return value


def _is_unbound_method_of(func: Any, obj: Any) -> bool:
    """Tell whether ``func`` is the function behind ``obj.<name>`` for an instance method."""
    name = getattr(func, "__name__", None)
    if not name or isclass(obj):
        return False
    bound = getattr(obj, name, None)
    return ismethod(bound) and getattr(bound, "__func__", None) is func
