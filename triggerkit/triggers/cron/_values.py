"""The engine masks of ``CronTrigger`` field values in their common forms, in one pass.

A new trigger needs only its masks to search; the APScheduler 3 field objects
(:mod:`.fields`) are built when someone reads ``trigger.fields``. :func:`masks_of` reads the
eight values (APScheduler 3's defaulting included) when every one is in a common form: an
``int``, or text made of ``*``, ``n``, ``a-b``, ``*/n``, ``a/n``, ``a-b/n``, names, comma
lists (spaces around the commas allowed), and in the day field ``last`` and ``3rd fri``. For
anything else, and for whatever the field parsers would warn about or refuse, it returns
``None`` and the trigger parses its fields as before, with their messages; for what it
accepts it gives the masks the fields give (a differential test holds them equal).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..._constants import ALL_YEARS, APS_LIMITS, MONTH_NAMES, WEEKDAY_NAMES, Masks
from ..._fastfields import Atoms, field_bounds, field_mask

__all__ = ["masks_of"]

_YEAR = Atoms(*APS_LIMITS["year"])
_MONTH = Atoms(*APS_LIMITS["month"], MONTH_NAMES, 1)
_DAY = Atoms(*APS_LIMITS["day"])
_WEEK = Atoms(*APS_LIMITS["week"])
_WEEKDAY = Atoms(*APS_LIMITS["day_of_week"], WEEKDAY_NAMES, 0)
_HOUR = Atoms(*APS_LIMITS["hour"])
_MINUTE = _SECOND = Atoms(*APS_LIMITS["minute"])
_POSITIONS = {"1st": 0, "2nd": 1, "3rd": 2, "4th": 3, "5th": 4, "last": 5}
_WEEKDAYS = {name: i for i, name in enumerate(WEEKDAY_NAMES)}
# APScheduler 3's values of the fields below the smallest one given
_DEFAULTS = ("*", 1, 1, "*", "*", 0, 0, 0)


def _text(value: Any) -> str | None:
    """The text of a value as the field parser reads it (``None``: not text)."""
    if type(value) is not str:
        return None
    text = value.strip()
    if "," in text and " " in text:  # spaces around commas are allowed ('8, 12')
        text = ",".join(item.strip(" ") for item in text.split(","))
    return text


def _plain(value: Any, atoms: Atoms) -> int | None:
    if type(value) is int:
        return 1 << value if atoms.lo <= value <= atoms.hi else None
    text = _text(value)
    return None if text is None else field_mask(text, atoms)


def _years(value: Any) -> tuple[tuple[int, int, int], ...] | None:
    if type(value) is str and value.strip() == "*":
        return ALL_YEARS
    if type(value) is int:
        return ((value, value, 1),) if _YEAR.lo <= value <= _YEAR.hi else None
    text = _text(value)
    return None if text is None else field_bounds(text, _YEAR)


def _day(value: Any) -> tuple[int, int, int, int] | None:
    """Return ``(days, last_days, nth_weekdays, last_weekdays)`` of the day field."""
    days = _plain(value, _DAY)
    if days is not None:
        return days, 0, 0, 0
    text = _text(value)
    if text is None:
        return None
    days = last_days = nth = last_weekdays = 0
    for item in text.split(","):
        low = item.lower()
        if low == "last":
            last_days = 1
            continue
        position, space, name = low.partition(" ")
        if space:  # '3rd fri', 'last sun'
            n = _POSITIONS.get(position)
            weekday = _WEEKDAYS.get(name.lstrip(" "))
            if n is None or weekday is None:
                return None
            if n < 5:
                nth |= 1 << n * 7 + weekday
            else:
                last_weekdays |= 1 << weekday
            continue
        mask = field_mask(item, _DAY)
        if mask is None:
            return None
        days |= mask
    return days, last_days, nth, last_weekdays


def _starts_with_star(value: Any) -> bool:
    """Whether the field's text starts with ``*`` (rule O), as ``str(field)`` would."""
    return type(value) is str and value.lstrip()[:1] == "*"


# Per field, year to second: the table of its commonest values and the reader of the others.
_FIELDS: tuple[tuple[dict[Any, Any], Callable[[Any], Any]], ...] = (
    ({"*": ALL_YEARS}, _years),
    (_MONTH.quick, lambda value: _plain(value, _MONTH)),
    ({k: (m, 0, 0, 0) for k, m in _DAY.quick.items()}, _day),
    (_WEEK.quick, lambda value: _plain(value, _WEEK)),
    (_WEEKDAY.quick, lambda value: _plain(value, _WEEKDAY)),
    (_HOUR.quick, lambda value: _plain(value, _HOUR)),
    (_MINUTE.quick, lambda value: _plain(value, _MINUTE)),
    (_SECOND.quick, lambda value: _plain(value, _SECOND)),
)


def masks_of(values: tuple[Any, ...]) -> tuple[Masks, bool] | None:
    """Return the masks of eight field values (year .. second) and whether they follow real
    time (rule O), or ``None`` when the field parsers must read them."""
    last = 7  # APScheduler 3: '*' above the smallest field given, the minimum below it
    while last >= 0 and values[last] is None:
        last -= 1
    if last < 0:
        last = 8  # nothing given: every field '*'
    found: list[Any] = []
    for i, value in enumerate(values):
        if value is None:
            value = "*" if i < last else _DEFAULTS[i]
        table, read = _FIELDS[i]
        kind = type(value)  # no bool (True == 1) or float (5.0 == 5) from the tables
        mask = table.get(value) if kind is str or kind is int else None
        if mask is None:
            mask = read(value)
            if mask is None:
                return None
        found.append(mask)
    years, months, days, weeks, weekdays, hours, minutes, seconds = found
    plain_days, last_days, nth, last_weekdays = days
    masks = Masks(
        years,
        months,
        plain_days,
        last_days,
        nth,
        last_weekdays,
        0,
        0,
        weekdays,
        weeks,
        hours,
        minutes,
        seconds,
    )
    hour = values[5] if values[5] is not None else "*" if 5 < last else _DEFAULTS[5]
    minute = values[6] if values[6] is not None else "*" if 6 < last else _DEFAULTS[6]
    return masks, _starts_with_star(hour) or _starts_with_star(minute)
