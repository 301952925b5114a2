"""Utility functions, at APScheduler 3's ``apscheduler.util`` path.

This part holds the date, time and zone conversions the triggers use. Callable references and
argument checks used by the scheduler are further down.
"""

from __future__ import annotations

import inspect
import re
from calendar import timegm
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import partial
from typing import Any
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidDateError, InvalidTimezoneError
from .marshalling import get_callable_name, obj_to_ref, ref_to_obj

__all__ = [
    "asbool",
    "asdate",
    "asint",
    "astimezone",
    "convert_to_datetime",
    "datetime_ceil",
    "datetime_repr",
    "datetime_to_utc_timestamp",
    "datetime_utc_add",
    "localize",
    "normalize",
    "timedelta_seconds",
    "timezone_repr",
    "utc_timestamp_to_datetime",
]

UTC = timezone.utc


def asint(text: Any) -> int | None:
    """Safely convert a string to an integer, passing ``None`` through."""
    if text is None:
        return None
    return int(text)


def asbool(obj: Any) -> bool:
    """Interpret a string such as ``'true'``/``'off'`` (or any object) as a boolean."""
    if isinstance(obj, str):
        lowered = obj.strip().lower()
        if lowered in ("true", "yes", "on", "y", "t", "1"):
            return True
        if lowered in ("false", "no", "off", "n", "f", "0"):
            return False
        raise ValueError(f'Unable to interpret value "{obj}" as boolean')
    return bool(obj)


def astimezone(obj: Any) -> tzinfo | None:
    """Interpret ``obj`` (a zone name or a ``tzinfo``) as a time zone.

    pytz zones become the ``ZoneInfo`` of the same name, as APScheduler 3.11 does, so that
    ``fold`` (PEP 495) works on the results.

    :raises InvalidTimezoneError: for an unknown name or an unnamed local zone
    :raises TypeError: for anything that is neither text nor ``tzinfo``
    """
    if isinstance(obj, str):
        if obj == "UTC":
            return UTC
        try:
            return ZoneInfo(obj)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise InvalidTimezoneError(obj) from exc
    if isinstance(obj, tzinfo):
        if obj.tzname(None) == "local":
            raise InvalidTimezoneError(
                obj, "the local zone has no name; give an IANA name such as 'Europe/Helsinki'"
            )
        if isinstance(obj, ZoneInfo):
            return obj
        zone = getattr(obj, "zone", None)  # pytz
        if zone is not None or hasattr(obj, "localize"):
            if zone:
                return UTC if zone == "UTC" else ZoneInfo(zone)
            return timezone(obj.utcoffset(None) or timedelta(0))
        return obj
    if obj is not None:
        raise TypeError(f"Expected tzinfo, got {obj.__class__.__name__} instead")
    return None


def asdate(obj: Any) -> Any:
    """Interpret an ISO date string as a ``date``; pass anything else through."""
    if isinstance(obj, str):
        return date.fromisoformat(obj)
    return obj


_DATE_REGEX = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{1,2})(?::(?P<second>\d{1,2})"
    r"(?:[.,](?P<fraction>\d{1,6}))?)?"
    r"(?P<timezone>Z|[+-]\d\d:?\d\d)?)?$"
)
_DATE_FORMS = "'YYYY-MM-DD', 'YYYY-MM-DD HH:MM[:SS[.ffffff]]' with optional 'Z' or '+HH:MM'"


def _parse_datetime_text(text: str, arg_name: str) -> datetime:
    m = _DATE_REGEX.match(text.strip())
    if not m:
        raise InvalidDateError(arg_name, text, _DATE_FORMS)
    values = m.groupdict()
    tzname = values.pop("timezone")
    fraction = values.pop("fraction")
    tz: tzinfo | None = None
    if tzname == "Z":
        tz = UTC
    elif tzname:
        digits = tzname[1:].replace(":", "")
        sign = 1 if tzname[0] == "+" else -1
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if offset >= timedelta(hours=24):
            raise InvalidDateError(arg_name, text, "a UTC offset between -23:59 and +23:59")
        tz = timezone(sign * offset)
    # '.5' means half a second (APScheduler 3.11 reads it as 5 microseconds).
    micro = int(fraction.ljust(6, "0")) if fraction else 0
    try:
        return datetime(
            int(values["year"]),
            int(values["month"]),
            int(values["day"]),
            int(values["hour"] or 0),
            int(values["minute"] or 0),
            int(values["second"] or 0),
            micro,
            tzinfo=tz,
        )
    except ValueError as exc:
        raise InvalidDateError(arg_name, text, f"a real calendar date/time ({exc})") from None


def convert_to_datetime(input: Any, tz: Any, arg_name: str) -> datetime | None:
    """Convert ``input`` to an aware datetime.

    An aware datetime is returned unchanged; a naive one, a ``date`` or text is read in ``tz``
    by rule L of ``docs/rules/dst.md`` (PEP 495 ``fold=0``).

    :raises InvalidDateError: for text that is not a date/time
    :raises TypeError: for other types
    """
    if input is None:
        return None
    if isinstance(input, datetime):
        value = input
    elif isinstance(input, date):
        value = datetime.combine(input, time())
    elif isinstance(input, str):
        value = _parse_datetime_text(input, arg_name)
    else:
        raise TypeError(f"Unsupported type for {arg_name}: {input.__class__.__name__}")
    if value.tzinfo is not None:
        _check_instant(value, input, arg_name)
        return value
    if tz is None:
        raise ValueError(
            f'The "tz" argument must be specified if {arg_name} has no timezone information'
        )
    if isinstance(tz, str):
        tz = astimezone(tz)
    try:
        return localize(value, tz)
    except (OverflowError, ValueError):
        raise _out_of_range(arg_name, input) from None


def _out_of_range(arg_name: str, value: Any) -> InvalidDateError:
    return InvalidDateError(
        arg_name, value, "a time whose instant lies in years 1-9999 in UTC (0001-01-01..9999-12-31)"
    )


def _check_instant(value: datetime, given: Any, arg_name: str) -> None:
    """Reject an aware datetime whose instant a datetime cannot hold in UTC."""
    try:
        value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise _out_of_range(arg_name, given) from None


def datetime_to_utc_timestamp(timeval: datetime | None) -> float | None:
    """Convert an aware datetime to a POSIX timestamp."""
    if timeval is None:
        return None
    return timegm(timeval.utctimetuple()) + timeval.microsecond / 1000000


def utc_timestamp_to_datetime(timestamp: float | None) -> datetime | None:
    """Convert a POSIX timestamp to an aware UTC datetime."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC)


def timedelta_seconds(delta: timedelta) -> float:
    """Return the length of ``delta`` in seconds."""
    return delta.days * 86400 + delta.seconds + delta.microseconds / 1000000.0


def datetime_ceil(dateval: datetime) -> datetime:
    """Round ``dateval`` up to the next whole second (on the UTC timeline)."""
    if dateval.microsecond:
        return datetime_utc_add(dateval, timedelta(seconds=1, microseconds=-dateval.microsecond))
    return dateval


def datetime_utc_add(dateval: datetime, tdelta: timedelta) -> datetime:
    """Add ``tdelta`` as elapsed time (on the UTC timeline), keeping ``dateval``'s zone."""
    tz = dateval.tzinfo
    if tz is None:
        return dateval + tdelta
    return (dateval.astimezone(UTC) + tdelta).astimezone(tz)


def datetime_repr(dateval: datetime | None) -> str:
    """Format a datetime the way APScheduler 3 shows it in reprs."""
    return dateval.strftime("%Y-%m-%d %H:%M:%S %Z") if dateval else "None"


def timezone_repr(timezone: tzinfo) -> str:
    """Return the zone's key for ``ZoneInfo``, its repr otherwise."""
    if isinstance(timezone, ZoneInfo):
        return str(timezone.key)
    return repr(timezone)


def normalize(dt: datetime) -> datetime:
    """Map an aware datetime to the real instant its fields denote (PEP 495 ``fold``).

    Exact to the microsecond in every year (datetime arithmetic; a float timestamp loses
    microseconds after about 2255).

    :raises OverflowError: if the instant lies outside what a datetime holds in UTC
    """
    return dt.astimezone(UTC).astimezone(dt.tzinfo)


def localize(dt: datetime, tzinfo: tzinfo) -> datetime:
    """Attach ``tzinfo`` to a naive datetime by rule L (``fold=0``; a gap time moves forward)."""
    if hasattr(tzinfo, "localize"):
        tzinfo = astimezone(tzinfo) or tzinfo
    return normalize(dt.replace(tzinfo=tzinfo))


# --- Callables: references, names and argument checks (used by the scheduler) ---------------
# References live in triggerkit.marshalling (the one home of marshalling); re-exported here at
# APScheduler 3's apscheduler.util path.

__all__ += [
    "check_callable_args",
    "get_callable_name",
    "iscoroutinefunction_partial",
    "maybe_ref",
    "obj_to_ref",
    "ref_to_obj",
    "undefined",
]


class _Undefined:
    """The type of :data:`undefined`; falsy, so ``value or default`` works."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "<undefined>"

    def __reduce__(self) -> str:
        return "undefined"  # unpickles as the module-level singleton


#: A unique object that only signifies that no value is defined.
undefined = _Undefined()


def maybe_ref(ref: Any) -> Any:
    """Resolve ``ref`` with :func:`ref_to_obj` if it is text; return it unchanged otherwise."""
    if not isinstance(ref, str):
        return ref
    return ref_to_obj(ref)


# Signatures of plain functions, cached: inspect.signature() is the slowest part of add_job.
_signatures: WeakKeyDictionary[Any, inspect.Signature] = WeakKeyDictionary()


def _signature_of(func: Any) -> inspect.Signature | None:
    cacheable = inspect.isfunction(func)
    if cacheable:
        cached = _signatures.get(func)
        if cached is not None:
            return cached
    try:
        sig = inspect.signature(func, follow_wrapped=False)
    except (ValueError, TypeError):
        return None  # some builtins have no introspectable signature
    if cacheable:
        _signatures[func] = sig
    return sig


# Call shapes (number of positional args, keyword names) already bound, per plain function.
_good_shapes: WeakKeyDictionary[Any, set[tuple[int, frozenset[str]]]] = WeakKeyDictionary()


def check_callable_args(func: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    """Ensure that ``func`` can be called with ``args`` and ``kwargs``.

    :raises ValueError: naming the missing, duplicated or unexpected arguments
    """
    shapes = _good_shapes.get(func) if inspect.isfunction(func) else None
    shape = (len(args), frozenset(kwargs))
    if shapes is not None and shape in shapes:
        return  # binding depends only on the shape of the call
    sig = _signature_of(func)
    if sig is None:
        return
    try:
        sig.bind(*args, **kwargs)
        if inspect.isfunction(func):
            _good_shapes.setdefault(func, set()).add(shape)
    except TypeError as exc:
        raise ValueError(
            f"{get_callable_name(func)}() cannot be called with args={tuple(args)!r} and "
            f"kwargs={dict(kwargs)!r}: {exc}"
        ) from None


def iscoroutinefunction_partial(f: Any) -> bool:
    """Tell whether ``f`` (possibly wrapped in ``functools.partial``) is a coroutine function."""
    while isinstance(f, partial):
        f = f.func
    return inspect.iscoroutinefunction(f)
