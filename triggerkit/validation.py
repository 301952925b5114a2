"""``validate``: what is wrong with a cron expression and where, and what is surprising.

>>> from triggerkit import validate
>>> result = validate("0 0 32 * *")
>>> result.ok, result.errors[0].message
(False, "field 3 (day of month) '32' is out of range 1-31")
>>> validate("0 0 30 2 *").warnings[0].message
'never fires: day 30 does not exist in February'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from . import _dialects
from ._constants import ALL_WEEKDAYS, FLAG_DAY_OR
from ._croncore import CronCore
from ._dialects import Parsed, Problem

__all__ = ["Issue", "ValidationResult", "validate"]

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MAX_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True)
class Issue:
    """One error or warning.

    ``field_index`` is the 1-based position of the field as written (0: the whole expression),
    ``span`` the ``(start, end)`` character offsets of the bad part, ``code`` a stable
    identifier (``out-of-range``-style codes are not promised; ``never-fires``, ``rare``,
    ``day-or``, ``past``, ``wide-step``, ``aps-weekdays`` and ``ends-before-start`` are).
    """

    severity: str
    code: str
    field_index: int
    field: str
    span: tuple[int, int]
    value: str
    message: str

    @property
    def field_label(self) -> str:
        """The field's name in words (``day of month``), or ``expression``."""
        return _dialects.FIELD_LABELS.get(self.field, self.field)


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of :func:`validate`; true when the expression has no errors."""

    expr: str
    dialect: str
    errors: tuple[Issue, ...] = ()
    warnings: tuple[Issue, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Whether the expression is valid (warnings do not count)."""
        return not self.errors

    def __bool__(self) -> bool:
        return self.ok

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready plain data."""
        return {
            "expr": self.expr,
            "dialect": self.dialect,
            "ok": self.ok,
            "errors": [asdict(e) | {"span": list(e.span)} for e in self.errors],
            "warnings": [asdict(w) | {"span": list(w.span)} for w in self.warnings],
        }

    def format(self) -> str:
        """Return the issues as text, each with the expression and a caret under the spot."""
        lines = []
        for issue in self.errors + self.warnings:
            start, end = issue.span
            lines.append(f"{issue.severity}: {issue.message}")
            lines.append(f"  {self.expr}")
            lines.append("  " + " " * start + "^" * max(1, end - start))
        return "\n".join(lines)


def _issue(severity: str, code: str, problem: Problem) -> Issue:
    return Issue(
        severity, code, problem.index, problem.field, problem.span, problem.value, problem.message
    )


def _code(message: str) -> str:
    for needle, code in (
        ("out of range", "out-of-range"),
        ("step", "bad-step"),
        ("inverted", "inverted-range"),
        ("expected", "field-count"),
        ("macro", "bad-macro"),
        ("'?'", "quartz-question-mark"),
        ("job_id", "needs-job-id"),
        ("empty", "empty-item"),
    ):
        if needle in message:
            return code
    return "bad-value"


def validate(
    expr: str,
    dialect: str = "posix",
    *,
    seconds: bool = False,
    job_id: str | None = None,
    now: datetime | None = None,
    start_date: datetime | str | None = None,
    end_date: datetime | str | None = None,
) -> ValidationResult:
    """Check ``expr`` in ``dialect`` and explain every problem.

    Errors make the expression unusable. Warnings flag valid expressions that never fire, fire
    far less often than they look (day 31, 29 February, a 5th weekday), only in the past, or
    rely on a rule people often get wrong (POSIX day-of-month OR day-of-week).

    :param now: the present, for the "fires only in the past" warning (default: now)
    :param start_date: the trigger's start_date, if any (naive: UTC)
    :param end_date: the trigger's end_date: one before ``start_date`` is reported as the
        warning ``ends-before-start`` (the trigger is accepted, as in APScheduler 3, and never
        fires)
    :raises ValueError: for an unknown dialect (that is a programming error, not bad input)
    """
    parsed, problems = _dialects.parse_report(expr, dialect, seconds=seconds, job_id=job_id)
    if parsed is None:
        errors = tuple(_issue("error", _code(p.message), p) for p in problems)
        return ValidationResult(expr, dialect, errors)
    warnings = [_issue("warning", "wide-step", p) for p in parsed.step_warnings]
    warnings += _schedule_warnings(parsed, now or datetime.now(timezone.utc))
    warnings += _date_warnings(parsed, start_date, end_date)
    return ValidationResult(expr, dialect, (), tuple(warnings))


def _date_warnings(
    parsed: Parsed, start_date: datetime | str | None, end_date: datetime | str | None
) -> list[Issue]:
    from .util import convert_to_datetime

    start = convert_to_datetime(start_date, timezone.utc, "start_date")
    end = convert_to_datetime(end_date, timezone.utc, "end_date")
    if start is None or end is None or end >= start:
        return []
    message = f"never fires: end_date {end.isoformat()} is before start_date {start.isoformat()}"
    return [_whole(parsed, "warning", "ends-before-start", message)]


def _whole(
    parsed: Parsed, severity: str, code: str, message: str, name: str | None = None
) -> Issue:
    for index, f in enumerate(parsed.fields, 1):
        if f.name == name:
            return Issue(severity, code, index, name, (f.start, f.end), f.text, message)
    return Issue(severity, code, 0, "expression", (0, len(parsed.expr)), parsed.expr, message)


def _listing(words: list[str], conj: str = "and") -> str:
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + f" {conj} " + words[-1]


def _schedule_warnings(parsed: Parsed, now: datetime) -> list[Issue]:
    masks = parsed.masks
    core = CronCore(masks, timezone.utc, parsed.follows_real_time)
    out: list[Issue] = []
    months = [m for m in range(1, 13) if masks.months >> m & 1]
    days = [d for d in range(1, 32) if masks.days >> d & 1]
    plain = (
        not (
            masks.last_days
            | masks.nth_weekdays
            | masks.last_weekdays
            | masks.near_weekdays
            | masks.near_last_days
        )
        and not masks.flags
    )
    if not core.feasible:
        reason = "no date matches all the fields"
        if plain and days and months and all(days[0] > _MAX_DAYS[m - 1] for m in months):
            names = _listing([_MONTHS[m - 1] for m in months])
            reason = f"day {_listing([str(d) for d in days], 'or')} does not exist in {names}"
        return [_whole(parsed, "warning", "never-fires", f"never fires: {reason}", "day")]
    if core.next(now) is None:
        last = core.prev(now)
        when = f" (the last time was {last.isoformat()})" if last else ""
        out.append(_whole(parsed, "warning", "past", f"fires only in the past{when}", "year"))
    if plain and days and masks.weekdays == ALL_WEEKDAYS:
        missing = [m for m in months if days[0] > _MAX_DAYS[m - 1]]
        leap_only = [m for m in months if m == 2 and days[0] == 29]
        if missing and len(missing) < len(months):
            kept = len(months) - len(missing)
            out.append(
                _whole(
                    parsed,
                    "warning",
                    "rare",
                    f"fires in only {kept} of the {len(months)} selected months: day "
                    f"{_listing([str(d) for d in days if d > 28], 'or')} does not exist in "
                    f"{_listing([_MONTHS[m - 1] for m in missing])}",
                    "day",
                )
            )
        if leap_only:
            only = len(months) == 1
            out.append(
                _whole(
                    parsed,
                    "warning",
                    "rare",
                    "fires on 29 February only, once every 4 years (leap years)"
                    if only
                    else "fires in February only in leap years (29 February)",
                    "day",
                )
            )
    out += _short_month_warnings(parsed, months)
    if masks.nth_weekdays >> 28:
        fifth = [_WEEKDAYS[wd] for wd in range(7) if masks.nth_weekdays >> (28 + wd) & 1]
        out.append(
            _whole(
                parsed,
                "warning",
                "rare",
                f"the 5th {_listing(fifth, 'or')} of a month exists only in some months "
                "(4 or 5 times a year)",
                "day_of_week",
            )
        )
    if masks.flags & FLAG_DAY_OR:
        out.append(
            _whole(
                parsed,
                "warning",
                "day-or",
                "day of month and day of week are both restricted: POSIX cron fires on days that "
                "match EITHER field, not both (start one of them with '*' to require both)",
                "day_of_week",
            )
        )
    if parsed.dialect == "aps":
        dow = next(f for f in parsed.fields if f.name == "day_of_week")
        if any(c.isdigit() for c in dow.text):
            out.append(
                _whole(
                    parsed,
                    "warning",
                    "aps-weekdays",
                    "in the aps dialect day-of-week numbers start at 0 = Monday (in POSIX cron "
                    "0 = Sunday); names such as 'mon' avoid the confusion",
                    "day_of_week",
                )
            )
    return out


def _short_month_warnings(parsed: Parsed, months: list[int]) -> list[Issue]:
    """Warn about ``L-n`` and ``L-nW`` with n of 28 or more: months of n days or fewer skip it."""
    masks = parsed.masks
    out = []
    for k in range(28, 31):
        for mask, text in ((masks.last_days, f"L-{k}"), (masks.near_last_days, f"L-{k}W")):
            if not mask >> k & 1:
                continue
            short = [m for m in months if _MAX_DAYS[m - 1] <= k]
            if 2 in months and k == 28:
                short.append(2)  # 29 days only in leap years
            if short:  # not all of them: a spec that never fires was reported already
                names = _listing([_MONTHS[m - 1] for m in sorted(set(short))])
                leap = " (except in leap years)" if k == 28 and 2 in short else ""
                out.append(
                    _whole(
                        parsed,
                        "warning",
                        "rare",
                        f"'{text}' needs a month of more than {k} days: it does not fire in "
                        f"{names}{leap}",
                        "day",
                    )
                )
    return out
