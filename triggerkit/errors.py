"""Every exception triggerkit raises.

The tree::

    Exception
    ├── ValueError
    │   ├── TriggerkitValueError              (base of our ValueErrors)
    │   │   ├── CronSpecError                 bad cron field (.field .value .allowed .span)
    │   │   ├── InvalidDateError              bad start/end/run date text
    │   │   ├── TriggerArgumentError          bad trigger arguments (out of range, ...)
    │   │   │   └── TriggerArgumentTypeError      of the wrong type: also a ``TypeError``
    │   │   └── InvalidTimezoneError          also a ``zoneinfo.ZoneInfoNotFoundError`` (KeyError)
    │   ├── TransientJobError                 (APScheduler 3: jobstores.base)
    │   └── JobSerializationError             a job the store's serializer cannot carry
    ├── KeyError
    │   ├── JobLookupError                    (APScheduler 3: jobstores.base)
    │   └── ConflictingIdError                (APScheduler 3: jobstores.base)
    ├── SchedulerAlreadyRunningError          (APScheduler 3: schedulers)
    ├── SchedulerNotRunningError              (APScheduler 3: schedulers)
    ├── MaxInstancesReachedError              (APScheduler 3: executors.base)
    ├── RemoteJobError                        a fleet job's exception that cannot be rebuilt here
    └── RunLostError                          a fleet run whose outcome never came back

Each subclasses the built-in exception APScheduler 3 raises in the same situation, so existing
``except`` clauses keep working. The APScheduler 3 module paths re-export these same objects.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfoNotFoundError

__all__ = [
    "ConflictingIdError",
    "CronSpecError",
    "InvalidDateError",
    "InvalidTimezoneError",
    "JobLookupError",
    "JobSerializationError",
    "MaxInstancesReachedError",
    "RemoteJobError",
    "RunLostError",
    "SchedulerAlreadyRunningError",
    "SchedulerNotRunningError",
    "TransientJobError",
    "TriggerArgumentError",
    "TriggerArgumentTypeError",
    "TriggerkitValueError",
]


class TriggerkitValueError(ValueError):
    """Base of triggerkit's ``ValueError`` subclasses."""


class CronSpecError(TriggerkitValueError):
    """A cron field or expression is invalid.

    :param field: the field's name (``day_of_week``)
    :param value: the offending text or value
    :param allowed: what the field accepts, in words
    :param span: ``(start, end)`` character offsets of ``value`` in the parsed text, if known
    """

    def __init__(
        self,
        field: str,
        value: Any,
        allowed: str,
        message: str | None = None,
        span: tuple[int, int] | None = None,
    ) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        self.span = span
        if message is None:
            message = f"{field}: {value!r} is invalid; allowed: {allowed}"
        self.message = message
        super().__init__(message)

    def __reduce__(self) -> Any:
        return (type(self), (self.field, self.value, self.allowed, self.message, self.span))


class InvalidDateError(TriggerkitValueError):
    """A date or datetime argument could not be understood."""

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: {value!r} is not a valid date/time; expected {allowed}")

    def __reduce__(self) -> Any:
        return (type(self), (self.field, self.value, self.allowed))


class TriggerArgumentError(TriggerkitValueError):
    """Trigger arguments that are each valid but do not fit together, or are out of range."""

    def __init__(self, field: str, value: Any, allowed: str, message: str | None = None) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(message or f"{field}: {value!r} is invalid; allowed: {allowed}")

    def __reduce__(self) -> Any:
        return (type(self), (self.field, self.value, self.allowed, str(self)))


class TriggerArgumentTypeError(TriggerArgumentError, TypeError):
    """A trigger argument of the wrong type: a ``TypeError`` too, which APScheduler 3 raises."""


class InvalidTimezoneError(ZoneInfoNotFoundError, TriggerkitValueError):
    """A time zone name or object is not usable.

    Subclasses both ``ValueError`` and ``zoneinfo.ZoneInfoNotFoundError`` (a ``KeyError``), the
    exception APScheduler 3.11 lets through for an unknown zone name.
    """

    def __init__(self, value: Any, reason: str = "") -> None:
        self.field = "timezone"
        self.value = value
        self.allowed = "an IANA zone name such as 'Europe/Berlin', 'UTC', or a tzinfo object"
        self.message = f"timezone: {value!r} is not a known time zone"
        if reason:
            self.message += f" ({reason})"
        self.message += f"; expected {self.allowed}"
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.message

    def __reduce__(self) -> Any:
        return (type(self), (self.value,))


class JobLookupError(KeyError):
    """Raised when the job store does not contain the given job."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"No job by the id of {job_id} was found")


class ConflictingIdError(KeyError):
    """Raised when the uniqueness of job IDs is being violated."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"Job identifier ({job_id}) conflicts with an existing job")


class TransientJobError(ValueError):
    """Raised when a job with a non-picklable target is added to a persistent job store."""

    def __init__(self, job_id: str) -> None:
        super().__init__(
            f"Job ({job_id}) cannot be added to this job store because a reference to the "
            "callable could not be determined."
        )


class JobSerializationError(ValueError):
    """A job cannot be carried by a store's serializer (``serializer="json"``).

    :param job_id: the job's id
    :param field: where in the job the value sits (``args[1]``, ``kwargs['when']``, ``func``)
    :param reason: why it cannot be carried, and what can
    """

    def __init__(self, job_id: str, field: str, reason: str) -> None:
        self.job_id = job_id
        self.field = field
        self.reason = reason
        super().__init__(f"Job {job_id!r} cannot be serialized: {field}: {reason}")

    def __reduce__(self) -> Any:
        return (type(self), (self.job_id, self.field, self.reason))


class SchedulerAlreadyRunningError(Exception):
    """Raised when attempting to start or configure the scheduler when it's already running."""

    def __str__(self) -> str:
        return "Scheduler is already running"


class SchedulerNotRunningError(Exception):
    """Raised when attempting to shutdown the scheduler when it's not running."""

    def __str__(self) -> str:
        return "Scheduler is not running"


class MaxInstancesReachedError(Exception):
    """Raised when a job has reached its maximum number of concurrently running instances."""

    def __init__(self, job: Any) -> None:
        super().__init__(
            f'Job "{job.id}" has already reached its maximum number of instances '
            f"({job.max_instances})"
        )


class RemoteJobError(Exception):
    """A job run on a worker fleet raised an exception whose class is not loaded here.

    :param type_ref: the exception class as ``module:qualname``
    :param message: ``str()`` of the exception on the worker
    """

    def __init__(self, type_ref: str, message: str) -> None:
        super().__init__(f"{type_ref}: {message}")
        self.type_ref = type_ref
        self.message = message


class RunLostError(Exception):
    """A run sent to a worker fleet produced no outcome: its worker died, or none came back in time.

    Whether the job ran (in part, or later on another worker) is unknown.
    """
