"""Parse cron expressions of the three dialects into the kernel's field masks.

=========  ==========================================================================
posix      Vixie cron / cronie: ``minute hour day-of-month month day-of-week``; 0 and 7 =
           Sunday; day of month OR day of week when neither field starts with ``*``;
           names; ``@yearly``..``@hourly``; ``H`` (hashed per job id, as Jenkins does);
           with ``seconds=True`` a leading seconds field (6 fields).
quartz     ``second minute hour day-of-month month day-of-week [year]``; 1 = Sunday;
           ``?``, ``L``, ``L-3``, ``LW``, ``L-3W``, ``15W``, ``5L``, ``FRI#3``; one of the
           day fields must be ``?``.
aps        APScheduler 3's ``CronTrigger.from_crontab``: 0 = Monday, day AND day of week;
           parsed by :mod:`triggerkit.triggers.cron.fields` itself.
=========  ==========================================================================

:func:`parse_report` checks every field and returns all the problems it finds (for
``validate``); :func:`parse` raises the first one as a :class:`~triggerkit.errors.CronSpecError`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timezone
from typing import Any, NamedTuple

from ._constants import (
    ALL_DAYS,
    ALL_WEEKDAYS,
    ALL_WEEKS,
    ALL_YEARS,
    FLAG_DAY_OR,
    FLAG_LAST_BUSINESS_DAY,
    MONTH_NAMES,
    WEEKDAY_NAMES_SUNDAY_FIRST,
    Masks,
)
from ._fastfields import Atoms, field_mask
from .errors import CronSpecError

__all__ = [
    "DIALECTS",
    "FIELD_LABELS",
    "MACROS",
    "FieldText",
    "Parsed",
    "Problem",
    "parse",
    "parse_report",
    "split_fields",
]

DIALECTS = ("posix", "quartz", "aps")
FIELD_LABELS = {
    "second": "second",
    "minute": "minute",
    "hour": "hour",
    "day": "day of month",
    "month": "month",
    "day_of_week": "day of week",
    "year": "year",
}
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
SUNDAY_FIRST = WEEKDAY_NAMES_SUNDAY_FIRST

POSIX_FIELDS = ("minute", "hour", "day", "month", "day_of_week")
QUARTZ_FIELDS = ("second", "minute", "hour", "day", "month", "day_of_week", "year")
_LIMITS = {
    "posix": {
        "second": (0, 59),
        "minute": (0, 59),
        "hour": (0, 23),
        "day": (1, 31),
        "month": (1, 12),
        "day_of_week": (0, 7),
    },
    "quartz": {
        "second": (0, 59),
        "minute": (0, 59),
        "hour": (0, 23),
        "day": (1, 31),
        "month": (1, 12),
        "day_of_week": (1, 7),
        "year": (1970, 2099),
    },
}
# Jenkins keeps a hashed day of month within 1-28 so that it fires every month.
_HASH_LIMITS = {"day": (1, 28), "day_of_week": (0, 6)}

_STEP = r"(?:/(?P<step>\d+))?"
_VALUE = r"[0-9a-z]+"
_RANGE_RE = re.compile(
    rf"(?P<first>{_VALUE})(?:-(?P<last>{_VALUE}))?{_STEP}$", re.IGNORECASE | re.ASCII
)
_STAR_RE = re.compile(rf"\*{_STEP}$", re.ASCII)
_HASH_RE = re.compile(rf"H(?:\((?P<first>\d+)-(?P<last>\d+)\))?{_STEP}$", re.ASCII)
# L, L-n, and with a W the weekday nearest them: LW, L-nW
_LAST_DAY_RE = re.compile(r"L(?:-(?P<offset>\d+))?(?P<near>W)?$", re.IGNORECASE | re.ASCII)
_NEAR_RE = re.compile(r"(?P<day>\d+)W$", re.IGNORECASE | re.ASCII)
_NTH_RE = re.compile(r"(?P<weekday>[0-9a-z]+)#(?P<n>\d+)$", re.IGNORECASE | re.ASCII)
_LAST_WD_RE = re.compile(r"(?P<weekday>[0-9a-z]+)L$", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True)
class FieldText:
    """One field as written: its name, text and character span in the expression."""

    name: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Problem:
    """What is wrong with an expression, and where.

    ``index`` is the 1-based position of the field as written (0 for the whole expression).
    """

    index: int
    field: str
    value: str
    allowed: str
    message: str
    span: tuple[int, int]

    def to_error(self) -> CronSpecError:
        """Return the problem as the exception :func:`parse` raises."""
        return CronSpecError(self.field, self.value, self.allowed, self.message, self.span)


class Parsed(NamedTuple):
    """A parsed expression: what the engine needs, and the fields for messages.

    Immutable and shared between the ``Cron`` objects of one expression. :attr:`fields` is
    worked out when read (messages, validation, conversions): a schedule never needs it.
    """

    expr: str
    dialect: str
    masks: Masks
    follows_real_time: bool
    macro: str | None = None
    step_warnings: tuple[Problem, ...] = ()
    seconds: bool = False

    @property
    def fields(self) -> tuple[FieldText, ...]:
        """The fields as written, with their names and character spans."""
        return _field_texts(self.expr, self.dialect, self.seconds, self.macro)


class _Fail(Exception):
    """Internal: one field's problem (caught inside this module only)."""

    def __init__(self, value: str, allowed: str, detail: str, span: tuple[int, int]) -> None:
        super().__init__(detail)
        self.value = value
        self.allowed = allowed
        self.detail = detail
        self.span = span


def split_fields(expr: str) -> list[tuple[str, int, int]]:
    """Return the whitespace-separated fields of ``expr`` with their spans."""
    return [(m.group(), m.start(), m.end()) for m in re.finditer(r"\S+", expr)]


def _field_names(dialect: str, count: int, seconds: bool) -> tuple[str, ...] | str:
    """Return the field names for ``count`` fields, or the text of what was expected."""
    if dialect == "posix":
        names = (("second",) if seconds else ()) + POSIX_FIELDS
        if count == len(names):
            return names
        return f"{len(names)} fields ({' '.join(n.replace('_', '-') for n in names)})"
    if dialect == "quartz":
        if count in (6, 7):
            return QUARTZ_FIELDS[:count]
        return "6 or 7 fields (second minute hour day month day-of-week [year])"
    if count == 5:
        return POSIX_FIELDS
    return "5 fields (minute hour day month day_of_week)"


def parse(
    expr: str, dialect: str = "posix", *, seconds: bool = False, job_id: str | None = None
) -> Parsed:
    """Parse ``expr`` in ``dialect``.

    :param seconds: posix only: expect a leading seconds field (6 fields)
    :param job_id: the seed of posix ``H`` fields
    :raises CronSpecError: for the first problem, with ``.field``, ``.value``, ``.allowed`` and
        ``.span``
    """
    if type(expr) is str and (dialect == "posix" or dialect == "quartz" and not seconds):
        common = _parse_common(expr, dialect, seconds)
        if common is not None:
            return common
    parsed, problems = parse_report(expr, dialect, seconds=seconds, job_id=job_id)
    if problems:
        raise problems[0].to_error()
    assert parsed is not None
    return parsed


def parse_report(
    expr: str, dialect: str = "posix", *, seconds: bool = False, job_id: str | None = None
) -> tuple[Parsed | None, list[Problem]]:
    """Parse ``expr``, returning the result (or ``None``) and every problem found."""
    if dialect not in DIALECTS:
        allowed = ", ".join(repr(d) for d in DIALECTS)
        raise CronSpecError(
            "dialect",
            dialect,
            allowed,
            f"dialect: {dialect!r} is not a dialect; allowed: {allowed}",
        )
    if not isinstance(expr, str):
        raise TypeError(f"expr: expected a string, got {type(expr).__name__}")
    if seconds and dialect != "posix":
        raise CronSpecError(
            "seconds",
            seconds,
            "False outside the posix dialect",
            "seconds: only the posix dialect has an optional seconds field",
        )
    if dialect != "aps":
        parsed = _parse_common(expr, dialect, seconds)
        if parsed is not None:  # the common forms, in one pass
            return parsed, []
    whole = (0, len(expr))
    macro = None
    text = expr
    stripped = expr.strip()
    if stripped.startswith("@"):
        if dialect != "posix":
            return None, [
                Problem(
                    0,
                    "expression",
                    stripped,
                    "fields",
                    f"macros such as {stripped!r} exist only in the posix dialect",
                    whole,
                )
            ]
        key = stripped.lower()
        if key not in MACROS:
            allowed = ", ".join(MACROS)
            return None, [
                Problem(
                    0,
                    "expression",
                    stripped,
                    allowed,
                    f"{stripped!r} is not a known macro; allowed: {allowed}"
                    + (" (@reboot is not a time schedule)" if key == "@reboot" else ""),
                    whole,
                )
            ]
        macro = key
        text = ("0 " if seconds else "") + MACROS[key]
    tokens = split_fields(text)
    names = _field_names(dialect, len(tokens), seconds)
    if isinstance(names, str):
        return None, [
            Problem(0, "expression", expr, names, f"expected {names}, got {len(tokens)}", whole)
        ]
    fields = _field_texts(expr, dialect, seconds, macro)
    if dialect == "aps":
        return _parse_aps(expr, fields)
    return _parse_cron(expr, dialect, fields, macro, seconds, job_id)


def _field_texts(
    expr: str, dialect: str, seconds: bool, macro: str | None
) -> tuple[FieldText, ...]:
    """Return the fields of an expression whose field count is right, named and with spans."""
    text = expr if macro is None else ("0 " if seconds else "") + MACROS[macro]
    tokens = split_fields(text)
    names = _field_names(dialect, len(tokens), seconds)
    assert not isinstance(names, str), "only for an expression with the right field count"
    if macro is not None:  # spans of a macro point at the macro itself
        stripped = expr.strip()
        start = expr.index(stripped)
        tokens = [(t, start, start + len(stripped)) for t, _, _ in tokens]
    return tuple(FieldText(n, t, s, e) for n, (t, s, e) in zip(names, tokens, strict=True))


# --- the common forms, in one pass -------------------------------------------------------------

_SECOND = _MINUTE = Atoms(0, 59)
_HOUR = Atoms(0, 23)
_DAY = Atoms(1, 31)
_MONTH = Atoms(1, 12, MONTH_NAMES, 1)
_POSIX_WEEKDAY = Atoms(0, 7, WEEKDAY_NAMES_SUNDAY_FIRST, 0)
_QUARTZ_WEEKDAY = Atoms(1, 7, WEEKDAY_NAMES_SUNDAY_FIRST, 1)


def _parse_common(expr: str, dialect: str, seconds: bool) -> Parsed | None:
    """Parse a posix or quartz expression written in the common forms, or return ``None``.

    Plain fields (:mod:`triggerkit._fastfields`), and in quartz ``?``, a day of month ``L`` and a
    day of week ``X#n``; ``None`` sends everything else (macros, ``H``, ``W``, wrapping
    ranges, years, anything to warn about or refuse) to the general parser, which also gives
    the same masks for what this accepts.
    """
    parts = expr.split()
    if dialect == "posix":
        if len(parts) != (6 if seconds else 5):
            return None
        second = _field(parts.pop(0), _SECOND) if seconds else 1
        minute_text, hour_text, day_text, month_text, weekday_text = parts
        minutes = _field(minute_text, _MINUTE)
        hours = _field(hour_text, _HOUR)
        days = _field(day_text, _DAY)
        months = _field(month_text, _MONTH)
        sunday_based = _field(weekday_text, _POSIX_WEEKDAY)
        if (
            second is None
            or minutes is None
            or hours is None
            or days is None
            or months is None
            or sunday_based is None
        ):
            return None
        # 0 and 7 are Sunday (bit 6 from Monday); 1-6 are Monday-Saturday
        weekdays = (sunday_based >> 1 & 0x3F) | ((sunday_based | sunday_based >> 7) & 1) << 6
        # Vixie cron: both day fields restricted (not starting with '*') means either matches
        flags = 0 if day_text[0] == "*" or weekday_text[0] == "*" else FLAG_DAY_OR
        last_days = nth = 0
    else:
        if len(parts) == 7 and parts[6] == "*":
            del parts[6]  # every year; any other year field goes to the general parser
        if len(parts) != 6:
            return None
        second_text, minute_text, hour_text, day_text, month_text, weekday_text = parts
        second = _field(second_text, _SECOND)
        minutes = _field(minute_text, _MINUTE)
        hours = _field(hour_text, _HOUR)
        months = _field(month_text, _MONTH)
        if second is None or minutes is None or hours is None or months is None:
            return None
        found = _quartz_days(day_text, weekday_text)
        if found is None:
            return None
        days, last_days, nth, weekdays = found
        flags = 0
    masks = Masks(
        ALL_YEARS,
        months,
        days,
        last_days,
        nth,
        0,
        0,
        flags,
        weekdays,
        ALL_WEEKS,
        hours,
        minutes,
        second,
    )
    follows = minute_text[0] == "*" or hour_text[0] == "*"  # rule O
    return Parsed(expr, dialect, masks, follows, None, (), seconds)


def _field(text: str, atoms: Atoms) -> int | None:
    """The mask of a field: ``*`` or one number from the table, else in one pass."""
    quick = atoms.quick.get(text)
    return quick if quick is not None else field_mask(text, atoms)


def _quartz_days(day: str, weekday: str) -> tuple[int, int, int, int] | None:
    """Return ``(days, last_days, nth_weekdays, weekdays)`` of quartz's two day fields."""
    if (day == "?") == (weekday == "?"):
        return None  # both or neither: the general parser explains
    if weekday == "?":  # the day of month decides: a plain field, or 'L' (the last day)
        if day in ("L", "l"):
            return 0, 1, 0, ALL_WEEKDAYS
        days = field_mask(day, _DAY)
        return None if days is None else (days, 0, 0, ALL_WEEKDAYS)
    name, hash_sign, n = weekday.partition("#")
    if hash_sign:  # 'FRI#3': the nth such weekday of the month
        found = _QUARTZ_WEEKDAY.value(name)
        if found is None or n not in ("1", "2", "3", "4", "5"):
            return None
        return 0, 0, 1 << (int(n) - 1) * 7 + (found[0] + 5) % 7, ALL_WEEKDAYS
    sunday_based = field_mask(weekday, _QUARTZ_WEEKDAY)  # 1 is Sunday
    if sunday_based is None:
        return None
    return ALL_DAYS, 0, 0, (sunday_based >> 2 & 0x3F) | (sunday_based >> 1 & 1) << 6


# --- posix and quartz --------------------------------------------------------------------------


def _problem(index: int, field: FieldText, fail: _Fail) -> Problem:
    label = FIELD_LABELS[field.name]
    return Problem(
        index,
        field.name,
        fail.value,
        fail.allowed,
        f"field {index} ({label}) {fail.detail}",
        fail.span,
    )


def _allowed(dialect: str, name: str) -> str:
    lo, hi = _LIMITS[dialect][name]
    if name == "month":
        return f"a month {lo}-{hi} or jan-dec"
    if name == "day_of_week":
        return f"a weekday {lo}-{hi} or sun-sat ({'0 and 7 are' if lo == 0 else '1 is'} Sunday)"
    return f"a number {lo}-{hi}"


def _int(digits: str) -> int:
    """``int(digits)``, saturated: a huge number is just out of range (and int() of thousands of
    digits would raise ValueError)."""
    return int(digits) if len(digits) <= 9 else 10**9


def _number(dialect: str, name: str, token: str, span: tuple[int, int]) -> int:
    """Return the value of a number or name in field ``name``."""
    lo, hi = _LIMITS[dialect][name]
    low = token.lower()
    if token.isascii() and token.isdigit():
        value = _int(token)
        if not lo <= value <= hi:
            raise _Fail(token, f"{lo}-{hi}", f"'{token}' is out of range {lo}-{hi}", span)
        return value
    if name == "month" and low in MONTH_NAMES:
        return MONTH_NAMES.index(low) + 1
    if name == "day_of_week" and low in SUNDAY_FIRST:
        return SUNDAY_FIRST.index(low) + lo
    kind = {
        "month": "a month name (jan-dec) or number",
        "day_of_week": "a weekday name (sun-sat) or number",
    }.get(name, "a number")
    raise _Fail(token, _allowed(dialect, name), f"'{token}' is not {kind} {lo}-{hi}", span)


def _step(token: str | None, size: int, span: tuple[int, int], item: str) -> int:
    if token is None:
        return 1
    step = _int(token)
    if step == 0:
        raise _Fail(
            item, "a step of at least 1", f"'{item}' has step 0; a step must be at least 1", span
        )
    if step > size:
        raise _Fail(
            item,
            f"a step of 1-{size}",
            f"'{item}' has step {step}, more than the field's {size} values",
            span,
        )
    return step


def _values(first: int, last: int, step: int, lo: int, hi: int) -> list[int]:
    """Values from ``first`` to ``last`` by ``step``; a wrapping range goes through ``hi``."""
    if first <= last:
        return list(range(first, last + 1, step))
    size = hi - lo + 1
    return [lo + (first - lo + k) % size for k in range(0, last + size - first + 1, step)]


def _hashed(
    job_id: str | None, name: str, position: int, size: int, item: str, span: tuple[int, int]
) -> int:
    if job_id is None:
        raise _Fail(
            item, "a job id", f"'{item}' needs a job_id to hash (Cron(..., job_id=...))", span
        )
    digest = hashlib.sha256(f"{job_id}\0{name}\0{position}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % size


class _Field:
    """The result of one posix/quartz field: plain values and the day specials."""

    def __init__(self) -> None:
        self.mask = 0
        self.last_days = 0
        self.nth = 0
        self.last_weekdays = 0
        self.near = 0
        self.near_last = 0
        self.lw = False
        self.any = False  # quartz '?'
        self.bare_last = False  # quartz 'L' alone in day of week
        self.hashed_step = False
        self.wide_steps: list[tuple[str, tuple[int, int]]] = []


def _parse_item(
    dialect: str,
    name: str,
    item: str,
    span: tuple[int, int],
    out: _Field,
    position: int,
    job_id: str | None,
) -> None:
    lo, hi = _LIMITS[dialect][name]
    size = hi - lo + 1
    quartz = dialect == "quartz"
    if name == "day_of_week" and dialect == "posix":
        size = 7  # 0-7 has 8 values but 7 weekdays
    if item == "?":
        if not quartz or name not in ("day", "day_of_week"):
            where = "in quartz day of month or day of week" if quartz else "in the quartz dialect"
            raise _Fail(item, _allowed(dialect, name), f"'?' is only allowed {where}", span)
        out.any = True
        out.mask = -1
        return
    m = _STAR_RE.match(item)
    if m:
        step = _step(m["step"], size, span, item)
        # posix day of week: '*' is 0-7, and a step from 0 meets 7 (Sunday again) only with
        # step 7 or 1, so '*/2' is Sun, Tue, Thu, Sat as in cronie
        for v in range(lo, hi + 1, step):
            out.mask |= 1 << v
        return
    if dialect == "posix":
        m = _HASH_RE.match(item)
        if m:
            first, last = lo, hi
            if name in _HASH_LIMITS:
                first, last = _HASH_LIMITS[name]
            if m["first"] is not None:
                first = _number(dialect, name, m["first"], span)
                last = _number(dialect, name, m["last"], span)
                if first > last:
                    raise _Fail(
                        item,
                        "an ascending range",
                        f"range in '{item}' is inverted; write the smaller value first",
                        span,
                    )
            step = _step(m["step"], size, span, item)
            if m["step"] is None:
                out.mask |= 1 << (
                    first + _hashed(job_id, name, position, last - first + 1, item, span)
                )
            else:
                offset = _hashed(job_id, name, position, min(step, last - first + 1), item, span)
                for v in range(first + offset, last + 1, step):
                    out.mask |= 1 << v
                out.hashed_step = m["first"] is None
            return
    if quartz and name == "day":
        m = _LAST_DAY_RE.match(item)
        if m:
            offset = _int(m["offset"] or "0")
            if offset > 30:
                allowed = "L-0W to L-30W" if m["near"] else "L-0 to L-30"
                raise _Fail(item, allowed, f"'{item}' offset {offset} is out of range 0-30", span)
            if m["near"] and offset == 0:
                out.lw = True  # LW (and L-0W): the last weekday of the month
            elif m["near"]:
                out.near_last |= 1 << offset  # L-nW: the weekday nearest L-n, in the month
            else:
                out.last_days |= 1 << offset
            return
        if item[:1] in "lL":
            allowed = "L, L-n, LW or L-nW (n from 0 to 30)"
            raise _Fail(item, allowed, f"'{item}' is not {allowed}", span)
        m = _NEAR_RE.match(item)
        if m:
            out.near |= 1 << _number(dialect, name, m["day"], span)
            return
    if quartz and name == "day_of_week":
        if item.upper() == "L":  # 'L' alone in day of week is 7, Saturday
            out.mask |= 1 << 7
            out.bare_last = True
            return
        m = _NTH_RE.match(item)
        if m:
            weekday = _number(dialect, name, m["weekday"], span)
            n = _int(m["n"])
            if not 1 <= n <= 5:
                raise _Fail(item, "#1 to #5", f"'{item}': the week number must be 1-5", span)
            out.nth |= 1 << ((n - 1) * 7 + (weekday + 5) % 7)
            return
        m = _LAST_WD_RE.match(item)
        if m:
            weekday = _number(dialect, name, m["weekday"], span)
            out.last_weekdays |= 1 << (weekday + 5) % 7
            return
    try:
        m = _RANGE_RE.match(item)
        if not m:
            raise _Fail(
                item, _allowed(dialect, name), f"'{item}' is not {_allowed(dialect, name)}", span
            )
        first = _number(dialect, name, m["first"], span)
        last = first if m["last"] is None else _number(dialect, name, m["last"], span)
    except _Fail as fail:
        if dialect == "posix" and re.search(r"[#?]|\dW|\dL|^L", item):
            fail.detail += " (L, W, # and ? exist only in the quartz dialect)"
        raise
    if m["last"] is None and m["step"] is not None:
        last = hi  # 'a/n': from a to the field's maximum
    if first > last and not quartz:
        hint = " (7 is also Sunday: '5-7')" if name == "day_of_week" and last == 0 else ""
        raise _Fail(
            item,
            "an ascending range",
            f"range '{item}' is inverted; write the smaller value first{hint}",
            span,
        )
    step = _step(m["step"], size, span, item)
    values = _values(first, last, step, lo, hi)
    if m["step"] is not None and len(values) == 1 and last != first:
        out.wide_steps.append((item, span))
    for v in values:
        out.mask |= 1 << v


def _parse_field(dialect: str, field: FieldText, job_id: str | None) -> _Field:
    out = _Field()
    offset = field.start
    for position, piece in enumerate(field.text.split(",")):
        span = (offset, offset + len(piece))
        offset += len(piece) + 1
        if not piece:
            raise _Fail(
                field.text,
                "a comma-separated list of values",
                f"'{field.text}' has an empty list item",
                (field.start, field.end),
            )
        _parse_item(dialect, field.name, piece, span, out, position, job_id)
        if out.any and len(field.text) > 1:
            raise _Fail(
                field.text, "'?' alone", f"'{field.text}': '?' must be the whole field", span
            )
    return out


def _weekdays_monday_first(mask: int, dialect: str) -> int:
    """Turn a Sunday-based weekday mask (posix 0/7 = Sun, quartz 1 = Sun) into 0 = Monday."""
    out = 0
    for v in range(8):
        if mask >> v & 1:
            sunday_based = v if dialect == "posix" else v - 1
            out |= 1 << (sunday_based + 6) % 7
    return out


def _parse_cron(
    expr: str,
    dialect: str,
    fields: tuple[FieldText, ...],
    macro: str | None,
    has_seconds: bool,
    job_id: str | None,
) -> tuple[Parsed | None, list[Problem]]:
    problems: list[Problem] = []
    results: dict[str, _Field] = {}
    first_index = 1
    for index, field in enumerate(fields, first_index):
        try:
            results[field.name] = _parse_field(dialect, field, job_id)
        except _Fail as fail:
            problems.append(_problem(index, field, fail))
    index_of = {f.name: i for i, f in enumerate(fields, 1)}
    if dialect == "quartz" and "day" in results and "day_of_week" in results:
        dom, dow = results["day"], results["day_of_week"]
        f_dom = fields[index_of["day"] - 1]
        f_dow = fields[index_of["day_of_week"] - 1]
        if dom.any == dow.any:
            which = "both are '?'" if dom.any else "neither is '?'"
            problems.append(
                Problem(
                    index_of["day_of_week"],
                    "day_of_week",
                    f_dow.text,
                    "'?' in exactly one of day of month and day of week",
                    f"field {index_of['day_of_week']} (day of week) '{f_dow.text}' conflicts with "
                    f"field {index_of['day']} (day of month) '{f_dom.text}': quartz needs '?' in "
                    f"exactly one of them; {which}",
                    (f_dom.start, f_dow.end),
                )
            )
        special = dow.nth | dow.last_weekdays
        if dow.bare_last and "," in f_dow.text:
            # Quartz: "Support for specifying 'L' with other days of the week is not implemented"
            problems.append(
                Problem(
                    index_of["day_of_week"],
                    "day_of_week",
                    f_dow.text,
                    "'L' alone, or weekdays without 'L'",
                    f"field {index_of['day_of_week']} (day of week) '{f_dow.text}' lists a bare "
                    "'L' (7, Saturday) with other weekdays, which quartz does not allow: write "
                    "'L' alone, or SAT (7) in the list",
                    (f_dow.start, f_dow.end),
                )
            )
        elif special and dow.mask:
            problems.append(
                Problem(
                    index_of["day_of_week"],
                    "day_of_week",
                    f_dow.text,
                    "plain weekdays, or one '#'/'L' item",
                    f"field {index_of['day_of_week']} (day of week) '{f_dow.text}' "
                    "mixes '#' or 'L' with plain weekdays",
                    (f_dow.start, f_dow.end),
                )
            )
    if problems:
        return None, problems
    seconds = results["second"].mask if "second" in results else 1
    dom = results["day"]
    dow = results["day_of_week"]
    weekdays = _weekdays_monday_first(dow.mask, dialect)
    flags = 0
    if dialect == "quartz":
        if dom.any:
            days = 0 if (dow.nth or dow.last_weekdays) else ALL_DAYS
            weekdays = ALL_WEEKDAYS if (dow.nth or dow.last_weekdays) else weekdays
        else:
            days, weekdays = dom.mask, ALL_WEEKDAYS
        if dom.lw:
            flags |= FLAG_LAST_BUSINESS_DAY
    else:
        days = dom.mask
        dom_text = fields[index_of["day"] - 1].text
        dow_text = fields[index_of["day_of_week"] - 1].text
        # Vixie cron: a day field starting with '*' ('*', '*/2') is "unrestricted"; when both
        # are restricted, a day matches if EITHER matches.
        if not dom_text.startswith("*") and not dow_text.startswith("*"):
            flags |= FLAG_DAY_OR
    years: tuple[tuple[int, int, int], ...] = ALL_YEARS
    if "year" in results:
        years = _year_ranges(fields[index_of["year"] - 1], results["year"])
    masks = Masks(
        years=years,
        months=results["month"].mask,
        days=days,
        last_days=dom.last_days,
        nth_weekdays=dow.nth,
        last_weekdays=dow.last_weekdays,
        near_weekdays=dom.near,
        flags=flags,
        weekdays=weekdays,
        weeks=ALL_WEEKS,
        hours=results["hour"].mask,
        minutes=results["minute"].mask,
        seconds=seconds,
        near_last_days=dom.near_last,
    )
    follows = any(
        fields[index_of[n] - 1].text.startswith("*") or results[n].hashed_step
        for n in ("hour", "minute")
    )
    warnings = tuple(
        Problem(
            index_of[name],
            name,
            item,
            "",
            f"field {index_of[name]} "
            f"({FIELD_LABELS[name]}) '{item}' selects a single value: its step is larger "
            "than its range",
            span,
        )
        for name, out in results.items()
        for item, span in out.wide_steps
    )
    return Parsed(expr, dialect, masks, follows, macro, warnings, has_seconds), []


def _year_ranges(field: FieldText, out: _Field) -> tuple[tuple[int, int, int], ...]:
    if field.text == "*":
        return ALL_YEARS
    ranges: list[tuple[int, int, int]] = []
    value = out.mask
    while value:
        y = (value & -value).bit_length() - 1
        value &= value - 1
        if ranges and ranges[-1][1] == y - 1:
            ranges[-1] = (ranges[-1][0], y, 1)
        else:
            ranges.append((y, y, 1))
    return tuple(ranges)


# --- aps: APScheduler 3's own field parsers ----------------------------------------------------


def _parse_aps(expr: str, fields: tuple[FieldText, ...]) -> tuple[Parsed | None, list[Problem]]:
    from .triggers.cron import CronTrigger

    problems = []
    for index, field in enumerate(fields, 1):
        label = FIELD_LABELS[field.name]
        if re.search(r"\d{10}", field.text):
            # the field classes would call int() on it; thousands of digits raise a plain
            # ValueError there, and any 10-digit number is out of range anyway
            problems.append(
                Problem(
                    index,
                    field.name,
                    field.text,
                    "a number in range",
                    f"field {index} ({label}) '{field.text}' holds a number far out of range",
                    (field.start, field.end),
                )
            )
            continue
        try:
            CronTrigger.FIELDS_MAP[field.name](field.name, field.text)
        except CronSpecError as exc:
            detail = re.sub(rf"^{field.name}: ", "", exc.message)
            value = str(exc.value)
            span = (field.start, field.end)
            at = field.text.lower().find(value.lower()) if value else -1
            if at >= 0:
                span = (field.start + at, field.start + at + len(value))
            problems.append(
                Problem(
                    index, field.name, value, exc.allowed, f"field {index} ({label}) {detail}", span
                )
            )
    if problems:
        return None, problems
    texts: dict[str, Any] = {f.name: f.text for f in fields}
    trigger = CronTrigger(timezone=timezone.utc, **texts)
    follows = texts["hour"].startswith("*") or texts["minute"].startswith("*")
    return Parsed(expr, "aps", trigger.field_masks, follows), []
