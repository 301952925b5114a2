"""The scheduler core, at APScheduler 3's ``apscheduler.schedulers.base`` path.

:class:`BaseScheduler` holds the job stores, executors and listeners, validates jobs, and runs
:meth:`BaseScheduler._process_jobs`, one pass of the loop: claim the due jobs from every store,
submit their run times to the executors, store the next run times and report how long to sleep.
Each concrete scheduler only decides *how* it sleeps and wakes up (a thread, an event loop, a
greenlet, a Qt timer).

Its helpers live beside it: ``_shared`` (claims and leases when ``shared=True``), ``_planner``
(which run times of a due job to submit), ``_trigger_cache`` (one cron trigger per distinct set
of arguments), ``_export`` (the JSON export codec), ``_diagnostics`` (configuration mistakes
explained), ``_plugins`` (alias -> class); ``triggerkit._clock`` is the wall clock.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from datetime import datetime, timedelta, timezone, tzinfo
from typing import IO, Any, TypeVar

from tzlocal import get_localzone

from .. import _clock
from ..errors import (
    ConflictingIdError,
    JobLookupError,
    MaxInstancesReachedError,
    SchedulerAlreadyRunningError,
    SchedulerNotRunningError,
)
from ..events import (
    EVENT_ALL_APSCHEDULER,
    EVENT_ALL_JOBS_REMOVED,
    EVENT_EXECUTOR_ADDED,
    EVENT_EXECUTOR_REMOVED,
    EVENT_JOB_ADDED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MODIFIED,
    EVENT_JOB_REMOVED,
    EVENT_JOB_SUBMITTED,
    EVENT_JOBSTORE_ADDED,
    EVENT_JOBSTORE_REMOVED,
    EVENT_SCHEDULER_PAUSED,
    EVENT_SCHEDULER_RESUMED,
    EVENT_SCHEDULER_SHUTDOWN,
    EVENT_SCHEDULER_START,
    JobEvent,
    JobSubmissionEvent,
    SchedulerEvent,
)
from ..executors.base import BaseExecutor
from ..job import Job, check_max_instances, check_misfire_grace_time
from ..jobstores.base import BaseJobStore
from ..triggers.base import BaseTrigger
from ..util import asbool, asint, astimezone, maybe_ref, undefined
from ._diagnostics import check_trigger_args, strip_prefix
from ._export import read_job_states, write_job_states
from ._planner import plan_runs
from ._plugins import load_plugin
from ._shared import SharedStoreMixin
from ._trigger_cache import shared_trigger

__all__ = [
    "MAX_SLEEP",
    "STATE_PAUSED",
    "STATE_RUNNING",
    "STATE_STOPPED",
    "TIMEOUT_MAX",
    "BaseScheduler",
]

#: constant indicating a scheduler's stopped state
STATE_STOPPED = 0
#: constant indicating a scheduler's running state (started and processing jobs)
STATE_RUNNING = 1
#: constant indicating a scheduler's paused state (started but not processing jobs)
STATE_PAUSED = 2

#: The longest single sleep of a scheduler loop, in seconds (``threading.TIMEOUT_MAX``).
TIMEOUT_MAX = 4294967  # Maximum value accepted by Event.wait() on Windows
#: The longest sleep while a job is waiting, in seconds: the loop wakes at least this often
#: and reads the wall clock again, so a step of the clock either way is noticed within it.
MAX_SLEEP = 60.0

_NOUNS = {"executor": "executor", "jobstore": "job store"}
#: the longest back-off between retries of a failing job store, unless the retry interval is longer
_RETRY_CAP = 60.0
_UTC = timezone.utc
_F = TypeVar("_F", bound=Callable[..., Any])


class BaseScheduler(SharedStoreMixin, metaclass=ABCMeta):
    """Abstract base class for all schedulers.

    Takes the following keyword arguments (also accepted by :meth:`configure`, and in a flat
    ``gconfig`` dict with ``apscheduler.`` or ``triggerkit.`` prefixed keys):

    :param str|logging.Logger logger: logger to use for the scheduler's logging (defaults to
        ``triggerkit.scheduler``)
    :param str|datetime.tzinfo timezone: the default time zone (defaults to the local zone)
    :param int|float jobstore_retry_interval: the minimum number of seconds to wait between
        retries in the scheduler's main loop if the job store raises an exception when getting
        the list of due jobs
    :param dict job_defaults: default values for newly added jobs (``misfire_grace_time``,
        ``coalesce``, ``max_instances``)
    :param dict jobstores: a dictionary of job store alias -> job store instance or
        configuration dict
    :param dict executors: a dictionary of executor alias -> executor instance or
        configuration dict
    :param bool shared: ``True`` when several schedulers (processes, hosts) share the job
        stores: each scheduled run is claimed in the store and run by one scheduler only (see
        ``docs/shared.md``); ``False`` (the default) behaves as APScheduler 3
    :param int|float shared_lease: seconds a claim on a run lasts unless its scheduler renews
        it (it does, every pass, while the run is in flight); after a crash, another scheduler
        takes the run over once the lease is over (default 30)
    :param int|float shared_poll_interval: the longest sleep of a shared scheduler's loop, in
        seconds: how soon it sees jobs added, changed or removed by another scheduler
        (default 1; at most a third of ``shared_lease``)
    """

    # APScheduler 3's plugin registries (alias -> class, alias -> entry point); empty here:
    # triggerkit's own names live in ``_plugins``, and code written for APScheduler 3 may add to
    # these (see :meth:`_plugin_class`)
    _trigger_classes: dict[str, type[Any]] = {}
    _trigger_plugins: dict[str, Any] = {}
    _executor_classes: dict[str, type[Any]] = {}
    _executor_plugins: dict[str, Any] = {}
    _jobstore_classes: dict[str, type[Any]] = {}
    _jobstore_plugins: dict[str, Any] = {}

    def __init__(self, gconfig: Mapping[str, Any] | None = None, **options: Any) -> None:
        super().__init__()
        self._executors: dict[str, BaseExecutor] = {}
        self._executors_lock = self._create_lock()
        self._jobstores: dict[str, BaseJobStore] = {}
        self._jobstores_lock = self._create_lock()
        self._listeners: list[tuple[Callable[[Any], Any], int]] = []
        self._listeners_lock = self._create_lock()
        self._pending_jobs: list[tuple[Job, str, bool]] = []
        # per store alias: consecutive failed passes, and a batch a failed pass could not write
        self._store_failures: dict[str, int] = {}
        self._unwritten: dict[str, _PassBatch] = {}
        self._init_shared()
        self.state = STATE_STOPPED
        self.configure(gconfig or {}, **options)

    def __getstate__(self) -> Any:
        raise TypeError(
            "Schedulers cannot be serialized. Ensure that you are not passing a "
            "scheduler instance as an argument to a job, or scheduling an instance "
            "method where the instance contains a scheduler as an attribute."
        )

    # -- configuration ---------------------------------------------------------------------

    def configure(
        self,
        gconfig: Mapping[str, Any] | None = None,
        prefix: str = "apscheduler.",
        **options: Any,
    ) -> None:
        """Reconfigure the scheduler with the given options.

        Can only be done when the scheduler isn't running. Keys of ``gconfig`` that start with
        ``prefix`` (and, whatever ``prefix`` is, with ``apscheduler.`` or ``triggerkit.``) have
        it stripped and are split on dots into nested dicts:
        ``{'apscheduler.executors.default.max_workers': '20'}``.

        :param gconfig: a "global" configuration dictionary whose values can be overridden by
            keyword arguments to this method
        :param prefix: pick only those keys from ``gconfig`` that are prefixed with this string
            (pass an empty string or ``None`` to use all keys)
        :raises SchedulerAlreadyRunningError: if the scheduler is already running
        """
        if self.state != STATE_STOPPED:
            raise SchedulerAlreadyRunningError
        config: dict[str, Any] = {}
        for key, value in (gconfig or {}).items():
            stripped = strip_prefix(key, prefix)
            if stripped is None:
                continue
            target = config
            *parents, leaf = stripped.split(".")
            for part in parents:
                target = target.setdefault(part, {})
                if not isinstance(target, MutableMapping):
                    raise ValueError(f"Configuration key {key!r} conflicts with another key")
            target[leaf] = value
        config.update(options)
        self._configure(config)

    def _configure(self, config: dict[str, Any]) -> None:
        logger = config.pop("logger", None) or "triggerkit.scheduler"
        if isinstance(logger, str) and ":" in logger:
            logger = maybe_ref(logger)  # a 'module:attribute' reference to a Logger
        self._logger: logging.Logger = (
            logging.getLogger(logger) if isinstance(logger, str) else logger
        )
        self.timezone: tzinfo = astimezone(config.pop("timezone", None)) or get_localzone()
        self.jobstore_retry_interval = float(config.pop("jobstore_retry_interval", 10))
        self.shared = asbool(config.pop("shared", False))
        self.shared_lease = float(config.pop("shared_lease", 30))
        self.shared_poll_interval = float(config.pop("shared_poll_interval", 1))
        if not self.shared_poll_interval > 0:
            raise ValueError(
                f"shared_poll_interval must be a positive number of seconds, "
                f"got {self.shared_poll_interval!r}"
            )
        if not self.shared_lease >= 3 * self.shared_poll_interval:
            raise ValueError(
                f"shared_lease ({self.shared_lease!r} s) must be at least three times "
                f"shared_poll_interval ({self.shared_poll_interval!r} s): leases are renewed "
                "once per poll"
            )

        job_defaults = config.pop("job_defaults", {})
        grace = job_defaults.get("misfire_grace_time", 1)
        self._job_defaults: dict[str, Any] = {
            "misfire_grace_time": check_misfire_grace_time(asint(grace)),
            "coalesce": asbool(job_defaults.get("coalesce", True)),
            "max_instances": check_max_instances(asint(job_defaults.get("max_instances", 1))),
        }

        self._executors.clear()
        for alias, value in config.pop("executors", {}).items():
            self.add_executor(self._plugin_from_config("executor", value, alias), alias)
        self._jobstores.clear()
        for alias, value in config.pop("jobstores", {}).items():
            self.add_jobstore(self._plugin_from_config("jobstore", value, alias), alias)
        if config:
            self._logger.debug("Ignoring unknown configuration options: %s", ", ".join(config))

    def _plugin_from_config(self, kind: str, value: Any, alias: str) -> Any:
        base = BaseExecutor if kind == "executor" else BaseJobStore
        if isinstance(value, base):
            return value
        if isinstance(value, MutableMapping):
            options = dict(value)
            if "class" in options:
                cls = maybe_ref(options.pop("class"))
                return cls(**options)
            if "type" in options:
                return self._create_plugin_instance(kind, options.pop("type"), options)
            raise ValueError(
                f'Cannot create {kind} "{alias}": either "class" or "type" must be defined'
            )
        raise TypeError(
            f"Expected {_NOUNS[kind]} instance or dict for {kind}s[{alias!r}], got "
            f"{value.__class__.__name__} instead"
        )

    # -- life cycle --------------------------------------------------------------------------

    def start(self, paused: bool = False) -> None:
        """Start the configured executors and job stores and begin processing scheduled jobs.

        :param paused: if ``True``, don't start job processing until :meth:`resume` is called
        :raises SchedulerAlreadyRunningError: if the scheduler is already running
        """
        if self.state != STATE_STOPPED:
            raise SchedulerAlreadyRunningError
        with self._executors_lock:
            if "default" not in self._executors:
                self.add_executor(self._create_default_executor(), "default")
            for alias, executor in self._executors.items():
                executor.start(self, alias)
        with self._jobstores_lock:
            if "default" not in self._jobstores:
                self.add_jobstore(self._create_default_jobstore(), "default")
            self._start_shared()
            for alias, store in self._jobstores.items():
                store.start(self, alias)
                self._enable_shared(alias, store)
            for job, jobstore_alias, replace_existing in self._pending_jobs:
                self._real_add_job(job, jobstore_alias, replace_existing)
            del self._pending_jobs[:]
            # Still under the lock: an add_job from another thread waits for it and then sees
            # the started state, so it stores its job instead of queueing it on the emptied
            # pending list (where APScheduler 3 loses it).
            self.state = STATE_PAUSED if paused else STATE_RUNNING
        self._logger.info("Scheduler started")
        self._dispatch_event(SchedulerEvent(EVENT_SCHEDULER_START))
        if not paused:
            self.wakeup()

    def shutdown(self, wait: bool = True) -> None:
        """Shut down the scheduler, along with its executors and job stores.

        Does not interrupt any currently running jobs.

        :param wait: ``True`` to wait until all currently executing jobs have finished
        :raises SchedulerNotRunningError: if the scheduler has not been started yet
        """
        if self.state == STATE_STOPPED:
            raise SchedulerNotRunningError
        self.state = STATE_STOPPED
        with self._executors_lock:
            for executor in self._executors.values():
                executor.shutdown(wait)
        with self._jobstores_lock:
            for store in self._jobstores.values():
                store.shutdown()
        self._logger.info("Scheduler has been shut down")
        self._dispatch_event(SchedulerEvent(EVENT_SCHEDULER_SHUTDOWN))

    def pause(self) -> None:
        """Pause job processing in the scheduler (jobs keep their schedules)."""
        if self.state == STATE_STOPPED:
            raise SchedulerNotRunningError
        if self.state == STATE_RUNNING:
            self.state = STATE_PAUSED
            self._logger.info("Paused scheduler job processing")
            self._dispatch_event(SchedulerEvent(EVENT_SCHEDULER_PAUSED))

    def resume(self) -> None:
        """Resume job processing in the scheduler."""
        if self.state == STATE_STOPPED:
            raise SchedulerNotRunningError
        if self.state == STATE_PAUSED:
            self.state = STATE_RUNNING
            self._logger.info("Resumed scheduler job processing")
            self._dispatch_event(SchedulerEvent(EVENT_SCHEDULER_RESUMED))
            self.wakeup()

    @property
    def running(self) -> bool:
        """``True`` if the scheduler has been started (paused or not)."""
        return self.state != STATE_STOPPED

    @abstractmethod
    def wakeup(self) -> None:
        """Notify the scheduler that there may be jobs due for execution."""

    # -- executors, job stores, listeners ------------------------------------------------------

    def add_executor(self, executor: Any, alias: str = "default", **executor_opts: Any) -> None:
        """Add an executor to this scheduler.

        :param executor: the executor instance or the name of an executor plugin (``'debug'``)
        :param alias: alias for the executor
        :param executor_opts: keyword arguments for the plugin's constructor
        :raises ValueError: if there is already an executor by the given alias
        """
        with self._executors_lock:
            if alias in self._executors:
                raise ValueError(
                    f'This scheduler already has an executor by the alias of "{alias}"'
                )
            if isinstance(executor, BaseExecutor):
                self._executors[alias] = executor
            elif isinstance(executor, str):
                executor = self._create_plugin_instance("executor", executor, executor_opts)
                self._executors[alias] = executor
            else:
                raise TypeError(
                    "Expected an executor instance or a string, got "
                    f"{executor.__class__.__name__} instead"
                )
            if self.state != STATE_STOPPED:
                executor.start(self, alias)
        self._dispatch_event(SchedulerEvent(EVENT_EXECUTOR_ADDED, alias))

    def remove_executor(self, alias: str, shutdown: bool = True) -> None:
        """Remove the executor by the given alias from this scheduler.

        :param shutdown: ``True`` to shut down the executor after removing it
        """
        with self._executors_lock:
            executor = self._lookup_executor(alias)
            del self._executors[alias]
        if shutdown:
            executor.shutdown()
        self._dispatch_event(SchedulerEvent(EVENT_EXECUTOR_REMOVED, alias))

    def add_jobstore(self, jobstore: Any, alias: str = "default", **jobstore_opts: Any) -> None:
        """Add a job store to this scheduler.

        :param jobstore: job store instance or the name of a job store plugin (``'memory'``)
        :param alias: alias for the job store
        :param jobstore_opts: keyword arguments for the plugin's constructor
        :raises ValueError: if there is already a job store by the given alias
        """
        with self._jobstores_lock:
            if alias in self._jobstores:
                raise ValueError(
                    f'This scheduler already has a job store by the alias of "{alias}"'
                )
            if isinstance(jobstore, BaseJobStore):
                self._jobstores[alias] = jobstore
            elif isinstance(jobstore, str):
                jobstore = self._create_plugin_instance("jobstore", jobstore, jobstore_opts)
                self._jobstores[alias] = jobstore
            else:
                raise TypeError(
                    "Expected a job store instance or a string, got "
                    f"{jobstore.__class__.__name__} instead"
                )
            if self.state != STATE_STOPPED:
                jobstore.start(self, alias)
                self._enable_shared(alias, jobstore)
        self._dispatch_event(SchedulerEvent(EVENT_JOBSTORE_ADDED, alias))
        if self.state != STATE_STOPPED:
            self.wakeup()

    def remove_jobstore(self, alias: str, shutdown: bool = True) -> None:
        """Remove the job store by the given alias from this scheduler.

        :param shutdown: ``True`` to shut down the job store after removing it
        """
        with self._jobstores_lock:
            jobstore = self._lookup_jobstore(alias)
            del self._jobstores[alias]
            self._store_failures.pop(alias, None)
            self._unwritten.pop(alias, None)
            self._shared_aliases.discard(alias)
        if shutdown:
            jobstore.shutdown()
        self._dispatch_event(SchedulerEvent(EVENT_JOBSTORE_REMOVED, alias))

    def add_listener(
        self, callback: Callable[[Any], Any], mask: int = EVENT_ALL_APSCHEDULER
    ) -> None:
        """Add a listener for scheduler events.

        When a matching event occurs, ``callback`` is executed with the event object as its
        sole argument. A listener that raises is logged and never stops the scheduler.

        :param callback: any callable that takes one argument
        :param mask: bitmask that indicates which events should be listened to; the default
            is APScheduler 3's ``EVENT_ALL`` (pass ``EVENT_ALL`` for ``EVENT_JOB_LOAD_FAILED`` too)
        """
        with self._listeners_lock:
            self._listeners.append((callback, mask))

    def remove_listener(self, callback: Callable[[Any], Any]) -> None:
        """Remove a previously added event listener."""
        with self._listeners_lock:
            for i, (cb, _) in enumerate(self._listeners):
                if callback == cb:
                    del self._listeners[i]
                    return

    # -- jobs ------------------------------------------------------------------------------

    def add_job(
        self,
        func: Any,
        trigger: Any = None,
        args: Iterable[Any] | None = None,
        kwargs: Mapping[str, Any] | None = None,
        id: str | None = None,
        name: str | None = None,
        misfire_grace_time: Any = undefined,
        coalesce: Any = undefined,
        max_instances: Any = undefined,
        next_run_time: Any = undefined,
        jobstore: str = "default",
        executor: str = "default",
        replace_existing: bool = False,
        **trigger_args: Any,
    ) -> Job:
        """Add the given job to the job list and wake up the scheduler if it's already running.

        Any option that defaults to ``undefined`` will be replaced with the corresponding
        default value when the job is scheduled (which happens when the scheduler is started,
        or immediately if the scheduler is already running).

        The ``func`` argument can be given either as a callable object or a textual reference
        in the ``package.module:some.object`` format, where the first half (separated by ``:``)
        is an importable module and the second half is a reference to the callable object,
        relative to the module.

        The ``trigger`` argument can either be:
          #. the alias name of the trigger (e.g. ``date``, ``interval`` or ``cron``), in which
             case any extra keyword arguments to this method are passed on to the trigger's
             constructor
          #. an instance of a trigger class

        :param func: callable (or a textual reference to one) to run at the given time
        :param trigger: trigger that determines when ``func`` is called
        :param args: list of positional arguments to call func with
        :param kwargs: dict of keyword arguments to call func with
        :param id: explicit identifier for the job (for modifying it later)
        :param name: textual description of the job
        :param misfire_grace_time: seconds after the designated runtime that the job is still
            allowed to be run (or ``None`` to allow the job to run no matter how late it is)
        :param coalesce: run once instead of many times if the scheduler determines that the
            job should be run more than once in succession
        :param max_instances: maximum number of concurrently running instances allowed for
            this job
        :param next_run_time: when to first run the job, regardless of the trigger (pass
            ``None`` to add the job as paused)
        :param jobstore: alias of the job store to store the job in
        :param executor: alias of the executor to run the job with
        :param replace_existing: ``True`` to replace an existing job with the same ``id``
            (but retain the number of runs from the existing one)
        :raises TypeError: for a bad ``func``, ``trigger`` or trigger argument name
        :raises ConflictingIdError: if the job id exists in the store (and not replacing)
        """
        job_kwargs: dict[str, Any] = {
            "trigger": self._create_trigger(trigger, trigger_args),
            "executor": executor,
            "func": func,
            "args": tuple(args) if args is not None else (),
            "kwargs": dict(kwargs) if kwargs is not None else {},
            "id": id,
            "name": name,
            "misfire_grace_time": misfire_grace_time,
            "coalesce": coalesce,
            "max_instances": max_instances,
            "next_run_time": next_run_time,
        }
        job_kwargs = {key: value for key, value in job_kwargs.items() if value is not undefined}
        job = Job(self, **job_kwargs)
        with self._executors_lock:
            target_executor = self._executors.get(executor)
        if target_executor is not None:
            target_executor.check_job(job)

        with self._jobstores_lock:
            if self.state == STATE_STOPPED:
                self._pending_jobs.append((job, jobstore, replace_existing))
                self._logger.info(
                    "Adding job tentatively -- it will be properly scheduled when "
                    "the scheduler starts"
                )
            else:
                self._real_add_job(job, jobstore, replace_existing)
        return job

    def scheduled_job(
        self,
        trigger: Any,
        args: Iterable[Any] | None = None,
        kwargs: Mapping[str, Any] | None = None,
        id: str | None = None,
        name: str | None = None,
        misfire_grace_time: Any = undefined,
        coalesce: Any = undefined,
        max_instances: Any = undefined,
        next_run_time: Any = undefined,
        jobstore: str = "default",
        executor: str = "default",
        **trigger_args: Any,
    ) -> Callable[[_F], _F]:
        """Return a decorator that schedules the function it decorates with :meth:`add_job`.

        The decorated function is returned unchanged.
        """

        def inner(func: _F) -> _F:
            self.add_job(
                func,
                trigger,
                args,
                kwargs,
                id,
                name,
                misfire_grace_time,
                coalesce,
                max_instances,
                next_run_time,
                jobstore,
                executor,
                True,
                **trigger_args,
            )
            return func

        return inner

    def modify_job(self, job_id: str, jobstore: str | None = None, **changes: Any) -> Job:
        """Modify the properties of a single job.

        Modifications are passed to this method as extra keyword arguments.

        :param job_id: the identifier of the job
        :param jobstore: alias of the job store that contains the job
        :return: the relevant job instance
        :raises JobLookupError: if the job is not found
        """
        with self._jobstores_lock:
            job, store_alias = self._lookup_job(job_id, jobstore)
            job._modify(**changes)
            if store_alias:
                self._lookup_jobstore(store_alias).update_job(job)
        self._dispatch_event(JobEvent(EVENT_JOB_MODIFIED, job_id, store_alias))
        if self.state == STATE_RUNNING:
            self.wakeup()
        return job

    def reschedule_job(
        self, job_id: str, jobstore: str | None = None, trigger: Any = None, **trigger_args: Any
    ) -> Job:
        """Construct a new trigger for a job and update its next run time.

        Extra keyword arguments are passed directly to the trigger's constructor.

        :return: the relevant job instance
        """
        new_trigger = self._create_trigger(trigger, trigger_args)
        next_run_time = new_trigger.get_next_fire_time(None, self._now())
        return self.modify_job(job_id, jobstore, trigger=new_trigger, next_run_time=next_run_time)

    def pause_job(self, job_id: str, jobstore: str | None = None) -> Job:
        """Cause the given job not to be executed until it is explicitly resumed."""
        return self.modify_job(job_id, jobstore, next_run_time=None)

    def resume_job(self, job_id: str, jobstore: str | None = None) -> Job | None:
        """Resume the schedule of the given job, or remove the job if its schedule is finished.

        :return: the relevant job instance if the job was rescheduled, or ``None`` if no next
            run time could be calculated and the job was removed
        """
        with self._jobstores_lock:
            job, store_alias = self._lookup_job(job_id, jobstore)
            next_run_time = job.trigger.get_next_fire_time(None, self._now())
            if next_run_time:
                return self.modify_job(job_id, store_alias, next_run_time=next_run_time)
            self.remove_job(job.id, store_alias)
            return None

    def get_jobs(self, jobstore: str | None = None, pending: bool | None = None) -> list[Job]:
        """Return a list of pending jobs (if the scheduler hasn't been started yet) and
        scheduled jobs, either from a specific job store or from all of them.

        :param jobstore: alias of the job store
        :param pending: **DEPRECATED** (ignored, as in APScheduler 3)
        """
        with self._jobstores_lock:
            jobs: list[Job] = []
            if self.state == STATE_STOPPED:
                for job, alias, _ in self._pending_jobs:
                    if jobstore is None or alias == jobstore:
                        jobs.append(job)
            else:
                for alias, store in self._jobstores.items():
                    if jobstore is None or alias == jobstore:
                        jobs.extend(store.get_all_jobs())
            return jobs

    def get_job(self, job_id: str, jobstore: str | None = None) -> Job | None:
        """Return the Job that matches the given ``job_id``, or ``None`` if there is none."""
        with self._jobstores_lock:
            try:
                return self._lookup_job(job_id, jobstore)[0]
            except JobLookupError:
                return None

    def remove_job(self, job_id: str, jobstore: str | None = None) -> None:
        """Remove a job, preventing it from being run any more.

        :raises JobLookupError: if the job was not found
        """
        store_alias = None
        with self._jobstores_lock:
            if self.state == STATE_STOPPED:
                for i, (job, alias, _) in enumerate(self._pending_jobs):
                    if job.id == job_id and jobstore in (None, alias):
                        del self._pending_jobs[i]
                        store_alias = alias
                        break
            else:
                for alias, store in self._jobstores.items():
                    if jobstore in (None, alias):
                        try:
                            store.remove_job(job_id)
                            store_alias = alias
                            break
                        except JobLookupError:
                            continue
        if store_alias is None:
            raise JobLookupError(job_id)
        self._dispatch_event(JobEvent(EVENT_JOB_REMOVED, job_id, store_alias))
        self._logger.info("Removed job %s", job_id)

    def remove_all_jobs(self, jobstore: str | None = None) -> None:
        """Remove all jobs from the specified job store, or all job stores if none is given."""
        with self._jobstores_lock:
            if self.state == STATE_STOPPED:
                if jobstore:
                    self._pending_jobs = [
                        pending for pending in self._pending_jobs if pending[1] != jobstore
                    ]
                else:
                    self._pending_jobs = []
            else:
                for alias, store in self._jobstores.items():
                    if jobstore in (None, alias):
                        store.remove_all_jobs()
        self._dispatch_event(SchedulerEvent(EVENT_ALL_JOBS_REMOVED, jobstore))

    def print_jobs(self, jobstore: str | None = None, out: IO[str] | None = None) -> None:
        """Print out a textual listing of all jobs currently scheduled on either all job stores
        or just a specific one.

        :param out: a file-like object to print to (defaults to **sys.stdout**)
        """
        out = out or sys.stdout
        with self._jobstores_lock:
            if self.state == STATE_STOPPED:
                print("Pending jobs:", file=out)
                pending = [job for job, alias, _ in self._pending_jobs if jobstore in (None, alias)]
                for job in pending:
                    print(f"    {job}", file=out)
                if not pending:
                    print("    No pending jobs", file=out)
            else:
                for alias, store in sorted(self._jobstores.items()):
                    if jobstore in (None, alias):
                        print(f"Jobstore {alias}:", file=out)
                        jobs = store.get_all_jobs()
                        for job in jobs:
                            print(f"    {job}", file=out)
                        if not jobs:
                            print("    No scheduled jobs", file=out)

    def export_jobs(self, outfile: str | IO[str], jobstore: str | None = None) -> None:
        """Write the stored jobs as JSON, in APScheduler 3.10+'s export format.

        Objects whose ``__getstate__`` gives a mapping (triggers) are written as their class
        reference and state; anything else JSON cannot hold (datetimes) as base64 pickles.

        :param outfile: a text file object opened for writing, or a path
        :param jobstore: the alias of the store to export (all stores if omitted)
        :raises RuntimeError: if the scheduler has not been started
        """
        if self.state == STATE_STOPPED:
            raise RuntimeError("the scheduler must have been started for job export to work")
        with self._jobstores_lock:
            jobs = [
                job
                for alias, store in self._jobstores.items()
                if jobstore in (None, alias)
                for job in store.get_all_jobs()
            ]
        with contextlib.ExitStack() as stack:
            out = (
                outfile if not isinstance(outfile, str) else stack.enter_context(open(outfile, "w"))
            )
            write_job_states([job.__getstate__() for job in jobs], out)

    def import_jobs(self, infile: str | IO[str], jobstore: str = "default") -> None:
        """Add the jobs of a file written by :meth:`export_jobs` to ``jobstore``.

        :param infile: a text file object opened for reading, or a path
        :raises ValueError: for a file that is not a version-1 export
        """
        with contextlib.ExitStack() as stack:
            src = infile if not isinstance(infile, str) else stack.enter_context(open(infile))
            states = read_job_states(src)
        store = self._lookup_jobstore(jobstore)
        with self._jobstores_lock:
            for state in states:
                job = Job.__new__(Job)
                job.__setstate__(state)
                job._scheduler = self
                job._jobstore_alias = jobstore
                store.add_job(job)
        if self.state == STATE_RUNNING:
            self.wakeup()

    # -- internals -------------------------------------------------------------------------

    def _now(self) -> datetime:
        # ``datetime`` and ``get_localzone`` are this module's own names, as in APScheduler 3,
        # so code that patches ``triggerkit.schedulers.base.datetime`` moves the clock
        if datetime is not _clock.REAL_DATETIME:
            return datetime.now(self.timezone)
        return _clock.now(self.timezone)

    def _create_lock(self) -> Any:
        """Create a reentrant lock object."""
        return threading.RLock()

    def _create_default_executor(self) -> BaseExecutor:
        """Create a default executor instance (a thread pool)."""
        from ..executors.pool import ThreadPoolExecutor

        return ThreadPoolExecutor()

    def _create_default_jobstore(self) -> BaseJobStore:
        """Create a default job store instance (in memory)."""
        from ..jobstores.memory import MemoryJobStore

        return MemoryJobStore()

    def _lookup_executor(self, alias: str) -> BaseExecutor:
        try:
            return self._executors[alias]
        except KeyError:
            raise KeyError(f"No such executor: {alias}") from None

    def _lookup_jobstore(self, alias: str) -> BaseJobStore:
        try:
            return self._jobstores[alias]
        except KeyError:
            raise KeyError(f"No such job store: {alias}") from None

    def _lookup_job(self, job_id: str, jobstore_alias: str | None) -> tuple[Job, str | None]:
        if self.state == STATE_STOPPED:
            for job, alias, _ in self._pending_jobs:
                if job.id == job_id and jobstore_alias in (None, alias):
                    return job, None
        else:
            for alias, store in self._jobstores.items():
                if jobstore_alias in (None, alias):
                    found = store.lookup_job(job_id)
                    if found is not None:
                        return found, alias
        raise JobLookupError(job_id)

    def dispatch_event(self, event: SchedulerEvent) -> None:
        """Send ``event`` to every listener whose mask matches; log listener errors.

        For job stores and executors that report events of their own
        (``EVENT_JOB_LOAD_FAILED``).
        """
        self._dispatch_event(event)

    def _dispatch_event(self, event: SchedulerEvent) -> None:
        """Send ``event`` to every listener whose mask matches; log listener errors."""
        self._run_ended(event)
        with self._listeners_lock:
            listeners = tuple(self._listeners)
        for callback, mask in listeners:
            if event.code & mask:
                try:
                    callback(event)
                except BaseException:
                    self._logger.exception("Error notifying listener")

    def _real_add_job(self, job: Job, jobstore_alias: str, replace_existing: bool) -> None:
        # The defaults were validated by _configure and the trigger returns an aware datetime,
        # so they are set directly (Job._modify would check them again on every add).
        for key, value in self._job_defaults.items():
            if not hasattr(job, key):
                setattr(job, key, value)
        if not hasattr(job, "next_run_time"):
            job.next_run_time = job.trigger.get_next_fire_time(None, self._now())
        executor = self._executors.get(job.executor)
        if executor is not None:
            executor.check_job(job)

        store = self._lookup_jobstore(jobstore_alias)
        try:
            store.add_job(job)
        except ConflictingIdError:
            if not replace_existing:
                raise
            store.update_job(job)
        job._jobstore_alias = jobstore_alias
        self._dispatch_event(JobEvent(EVENT_JOB_ADDED, job.id, jobstore_alias))
        self._logger.info('Added job "%s" to job store "%s"', job.name, jobstore_alias)
        if self.state == STATE_RUNNING:
            self.wakeup()

    def _plugin_class(self, kind: str, alias: str, base: type[Any]) -> type[Any]:
        """Return the class of ``alias``: APScheduler 3's per-scheduler registries first.

        ``_trigger_classes`` (alias -> class) and ``_trigger_plugins`` (alias -> entry point,
        loaded on use), and the same for executors and job stores, are where APScheduler 3 code
        registers its own plugins; then come triggerkit's built-in names and entry points.
        """
        classes: dict[str, type[Any]] = getattr(self, f"_{kind}_classes")
        cls = classes.get(alias)
        if cls is not None:
            return cls
        plugin = getattr(self, f"_{kind}_plugins").get(alias)
        if plugin is None:
            return load_plugin(kind, alias, base)
        cls = plugin.load()
        if not isinstance(cls, type) or not issubclass(cls, base):
            raise TypeError(f"The {kind} entry point does not point to a {kind} class")
        classes[alias] = cls
        return cls

    def _create_plugin_instance(self, kind: str, alias: str, options: dict[str, Any]) -> Any:
        base: type[Any] = {
            "trigger": BaseTrigger,
            "executor": BaseExecutor,
            "jobstore": BaseJobStore,
        }[kind]
        cls = self._plugin_class(kind, alias, base)
        try:
            return cls(**options)
        except TypeError:
            # Explain a wrong argument name (checked only on failure: signature() is slow).
            if kind == "trigger":
                check_trigger_args(alias, cls, options)
            raise

    def _create_trigger(self, trigger: Any, trigger_args: dict[str, Any]) -> BaseTrigger:
        if isinstance(trigger, BaseTrigger):
            if trigger_args:
                # APScheduler 3 silently ignores them; say so, but keep running the same code.
                self._logger.warning(
                    "Ignoring trigger arguments given with a trigger instance: %s",
                    ", ".join(trigger_args),
                )
            return trigger
        if trigger is None:
            trigger = "date"
        elif not isinstance(trigger, str):
            raise TypeError(
                f"Expected a trigger instance or string, got {trigger.__class__.__name__} instead"
            )
        trigger_args.setdefault("timezone", self.timezone)
        cached = shared_trigger(trigger, trigger_args, self._build_trigger)
        if cached is not None:
            return cached
        return self._build_trigger(trigger, trigger_args)

    def _build_trigger(self, alias: str, trigger_args: dict[str, Any]) -> BaseTrigger:
        instance: BaseTrigger = self._create_plugin_instance("trigger", alias, trigger_args)
        return instance

    # -- the loop ------------------------------------------------------------------------------

    def _process_jobs(self) -> float | None:
        """Run one pass: submit the due jobs and return the seconds to sleep (None: forever)."""
        if self.state == STATE_STOPPED:
            # The loop wakes once more after shutdown(); the stores are closed by then, and a
            # database store would open a connection that nothing closes.
            return None
        if self.state == STATE_PAUSED:
            self._logger.debug("Scheduler is paused -- not processing jobs")
            if self._shared_aliases:
                # Runs still in flight keep their claims while job processing is paused.
                self._renew_all_leases()
                return self.shared_poll_interval
            return None
        self._logger.debug("Looking for jobs to run")
        now = self._now()
        next_wakeup_time: datetime | None = None  # the earliest next run time of the stores
        retry_wakeup_time: datetime | None = None  # the earliest retry of a failed store
        events: list[SchedulerEvent] = []

        with self._jobstores_lock:
            for store_alias, store in self._jobstores.items():
                if store_alias in self._shared_aliases:
                    store_next = self._process_shared_store(store_alias, store, now, events)
                    next_wakeup_time = _earliest(next_wakeup_time, store_next)
                    continue
                # A store error never stops the wake-ups: the store is retried with back-off.
                try:
                    if not self._write_unwritten(store_alias, store):
                        raise _UnwrittenBatch
                    due_jobs = store.acquire_due_jobs(now)
                except Exception as exc:
                    retry_at = self._store_failed(store_alias, now, exc)
                    retry_wakeup_time = _earliest(retry_wakeup_time, retry_at)
                    continue
                batch = _PassBatch()
                for job in due_jobs:
                    if self.state == STATE_STOPPED:
                        break
                    try:
                        self._run_due_job(job, store_alias, store, now, events, batch)
                    except Exception:
                        # A broken trigger must not stop the loop (APScheduler 3's thread
                        # dies here); pause the job so it does not come back at once.
                        self._pause_broken_job(job, store)
                if not self._write_batch(store_alias, store, batch):
                    # Its runs were submitted: write the batch before due jobs are read again,
                    # or they would run twice.
                    self._unwritten[store_alias] = batch
                    retry_at = self._store_failed(store_alias, now, _UnwrittenBatch())
                    retry_wakeup_time = _earliest(retry_wakeup_time, retry_at)
                    continue
                try:
                    store_next = store.get_next_run_time()
                except Exception as exc:
                    retry_at = self._store_failed(store_alias, now, exc)
                    retry_wakeup_time = _earliest(retry_wakeup_time, retry_at)
                    continue
                self._store_failures.pop(store_alias, None)
                # Instants are compared in UTC: aware datetimes sharing a zone compare (and
                # subtract) as wall-clock times, which is wrong across a DST change.
                store_next = store_next.astimezone(_UTC) if store_next else None
                next_wakeup_time = _earliest(next_wakeup_time, store_next)

        for event in events:
            self._dispatch_event(event)

        if self._shared_aliases:
            # Other schedulers add, change and remove jobs: look again within the poll interval.
            poll_at = now.astimezone(_UTC) + timedelta(seconds=self.shared_poll_interval)
            next_wakeup_time = _earliest(next_wakeup_time, poll_at)
        if self.state == STATE_PAUSED:
            self._logger.debug("Scheduler is paused; waiting until resume() is called")
            return None
        if next_wakeup_time is None and retry_wakeup_time is None:
            self._logger.debug("No jobs; waiting until a job is added")
            return None
        current = self._now().astimezone(_UTC)
        waits = []
        if next_wakeup_time is not None:
            # Every kind of scheduler sleeps on a monotonic timer: a wall clock stepped back by
            # two hours would otherwise hold every job for two hours. Sleeping in slices of at
            # most MAX_SLEEP and reading the clock again bounds that delay (APScheduler 3 has
            # none).
            wait = (next_wakeup_time - current).total_seconds()
            waits.append(min(max(wait, 0.0), MAX_SLEEP))
        if retry_wakeup_time is not None:
            # A retry waits out its interval of elapsed time, however long.
            wait = (retry_wakeup_time - current).total_seconds()
            waits.append(min(max(wait, 0.0), TIMEOUT_MAX))
        wait_seconds = min(waits)
        wakeup = _earliest(next_wakeup_time, retry_wakeup_time)
        assert wakeup is not None
        self._logger.debug(
            "Next wakeup is due at %s (in %f seconds)",
            wakeup.astimezone(self.timezone),
            wait_seconds,
        )
        return wait_seconds

    def _write_unwritten(self, store_alias: str, store: BaseJobStore) -> bool:
        """Write the batch a failed pass left for ``store``, if any; False if it fails again."""
        batch = self._unwritten.pop(store_alias, None)
        if batch is None or self._write_batch(store_alias, store, batch):
            return True
        self._unwritten[store_alias] = batch
        return False

    def _store_failed(self, store_alias: str, now: datetime, exc: BaseException) -> datetime:
        """Log a store error and return when to retry: ``jobstore_retry_interval`` doubled on
        each consecutive failure, up to a minute (or the interval, if that is longer)."""
        failures = self._store_failures.get(store_alias, 0) + 1
        self._store_failures[store_alias] = failures
        interval = self.jobstore_retry_interval
        delay = min(interval * 2.0 ** min(failures - 1, 32), max(interval, _RETRY_CAP))
        self._logger.warning(
            "Error getting due jobs from job store %r: %s (failure %d; retrying in %.3g s)",
            store_alias,
            exc,
            failures,
            delay,
        )
        return now.astimezone(_UTC) + timedelta(seconds=delay)

    def _write_batch(
        self,
        store_alias: str,
        store: BaseJobStore,
        batch: _PassBatch,
    ) -> bool:
        """Write the pass's next run times to ``store`` in one batch; False on error."""
        try:
            if batch.updates:
                store.update_jobs(batch.updates)
        except Exception:
            self._logger.exception(
                "Error storing the next run times of %d job(s) in job store %r",
                len(batch.updates),
                store_alias,
            )
            return False
        return True

    def _pause_broken_job(self, job: Job, store: BaseJobStore) -> None:
        self._logger.exception('Error processing job "%s" -- pausing it', job)
        job.next_run_time = None
        try:
            store.update_job(job)
        except Exception:
            self._logger.exception('Could not pause job "%s"', job)

    def _run_due_job(
        self,
        job: Job,
        store_alias: str,
        store: BaseJobStore,
        now: datetime,
        events: list[SchedulerEvent],
        batch: _PassBatch,
    ) -> None:
        try:
            executor = self._lookup_executor(job.executor)
        except KeyError:
            self._logger.error(
                'Executor lookup ("%s") failed for job "%s" -- removing it from the job store',
                job.executor,
                job,
            )
            self.remove_job(job.id, store_alias)
            return

        plan = plan_runs(job, now)
        if plan.skipped is not None:
            self._logger.warning(
                'Run times of job "%s" from %s to %s were missed by more than the grace time; '
                "skipped them without reporting each one",
                job,
                plan.skipped[0],
                plan.skipped[1],
            )
        run_times = plan.run_times
        if run_times:
            try:
                executor.submit_job(job, run_times)
            except MaxInstancesReachedError:
                self._logger.warning(
                    'Execution of job "%s" skipped: maximum number of running instances '
                    "reached (%d)",
                    job,
                    job.max_instances,
                )
                events.append(
                    JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, job.id, store_alias, run_times)
                )
            except BaseException:
                if self.state != STATE_STOPPED:  # else: the executor was shut down under us
                    self._logger.exception(
                        'Error submitting job "%s" to executor "%s"', job, job.executor
                    )
            else:
                events.append(
                    JobSubmissionEvent(EVENT_JOB_SUBMITTED, job.id, store_alias, run_times)
                )

        if plan.resume_at is not None:
            next_run: datetime | None = plan.resume_at
        elif run_times:
            next_run = plan.next_fire  # the trigger's answer after run_times[-1], already known
        else:
            next_run = job.next_run_time
        # Updates are written by _write_batch after the pass. A finished job is removed at once,
        # as APScheduler 3 does, so its EVENT_JOB_REMOVED keeps its place among the pass's
        # events; remove_jobs passes over a job that removed itself while running inline.
        if next_run is not None:
            job._modify(next_run_time=next_run)
            batch.updates.append(job)
        else:
            for job_id in store.remove_jobs([job.id]):
                self._dispatch_event(JobEvent(EVENT_JOB_REMOVED, job_id, store_alias))
                self._logger.info("Removed job %s", job_id)


class _UnwrittenBatch(Exception):
    """The next run times of a pass's due jobs are not stored yet (the store failed)."""

    def __str__(self) -> str:
        return "could not store the next run times of the last pass's due jobs"


def _earliest(current: datetime | None, candidate: datetime | None) -> datetime | None:
    """The earlier of two wake-up times, ``None`` meaning "none yet"."""
    if candidate is None:
        return current
    return candidate if current is None or candidate < current else current


class _PassBatch:
    """The due jobs of one store in one pass whose next run times are written after it."""

    __slots__ = ("updates",)

    def __init__(self) -> None:
        self.updates: list[Job] = []
