"""``Cron``: "when does this expression fire?" without a scheduler.

>>> from triggerkit import Cron
>>> cron = Cron("*/15 9-17 * * mon-fri", tz="Europe/Berlin")
>>> cron.next("2026-03-27 17:50")
datetime.datetime(2026, 3, 30, 9, 0, tzinfo=zoneinfo.ZoneInfo(key='Europe/Berlin'))

Results are aware datetimes in the schedule's zone, found by the same DST-correct search as
:class:`~triggerkit.triggers.cron.CronTrigger` (``docs/rules/dst.md``). Naive input is read in
the schedule's zone by rule L.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ._constants import (
    ALL_DAYS,
    ALL_WEEKDAYS,
    ALL_YEARS,
    FLAG_DAY_OR,
    FLAG_LAST_BUSINESS_DAY,
    WEEKDAY_NAMES,
    Masks,
)
from ._croncore import CronCore, shared_core
from ._dialects import Parsed, parse
from .errors import TriggerArgumentError
from .util import astimezone, convert_to_datetime

if TYPE_CHECKING:
    from .triggers.cron import CronTrigger

__all__ = ["Cron"]

_UTC = timezone.utc
_STATE_VERSION = 1


@lru_cache(maxsize=4096)
def _compiled(
    expr: str,
    tz: tzinfo,
    dialect: str,
    seconds: bool,
    job_id: str | None,
    dst_gap: str,
    dst_overlap: str,
) -> tuple[Parsed, CronCore]:
    """Parse and compile once per distinct set of arguments (both results are immutable or
    shared by design, so every ``Cron`` of these arguments holds the same two objects)."""
    parsed = parse(expr, dialect, seconds=seconds, job_id=job_id)
    core = shared_core(parsed.masks, tz, parsed.follows_real_time, dst_gap, dst_overlap)
    return parsed, core


_WEEKDAY_POSITIONS = ("1st", "2nd", "3rd", "4th", "5th")


def _zone(tz: tzinfo | str | None) -> tzinfo:
    if tz is None:
        return _UTC
    zone = astimezone(tz)
    assert zone is not None
    return zone


def _zone_name(tz: tzinfo) -> str:
    if tz is _UTC:
        return "UTC"
    if isinstance(tz, ZoneInfo):
        return str(tz.key)
    return str(tz)


class Cron:
    """A cron expression in a dialect and a time zone.

    :param expr: the expression (``"0 9 * * mon-fri"``, ``"@daily"``, ``"0 0 12 ? * FRI#3"``)
    :param tz: zone name or ``tzinfo`` the wall-clock fields are read in (default UTC)
    :param dialect: ``"posix"`` (default), ``"quartz"`` or ``"aps"``; never guessed
    :param job_id: the seed of posix ``H`` fields (stable per job id, as in Jenkins)
    :param seconds: posix only: the expression has a leading seconds field (6 fields)
    :param dst_gap: ``"shift"`` (rule G, default) or ``"skip"``
    :param dst_overlap: ``"auto"`` (rule O, default), ``"first"``, ``"last"`` or ``"both"``
    :raises CronSpecError: for a malformed expression, with the field and character span
    :raises InvalidTimezoneError: for an unknown zone
    """

    __slots__ = (
        "expr",
        "dialect",
        "tz",
        "job_id",
        "seconds",
        "dst_gap",
        "dst_overlap",
        "_parsed",
        "_core",
    )

    def __init__(
        self,
        expr: str,
        tz: tzinfo | str | None = None,
        dialect: str = "posix",
        *,
        job_id: str | None = None,
        seconds: bool = False,
        dst_gap: str = "shift",
        dst_overlap: str = "auto",
    ) -> None:
        zone = tz if tz is _UTC or type(tz) is ZoneInfo else _zone(tz)
        self._setup(expr, zone, dialect, job_id, seconds, dst_gap, dst_overlap)

    def _setup(
        self,
        expr: str,
        tz: tzinfo,
        dialect: str,
        job_id: str | None,
        seconds: bool,
        dst_gap: str,
        dst_overlap: str,
    ) -> None:
        self.expr = expr
        self.tz = tz
        self.dialect = dialect
        self.job_id = job_id
        self.seconds = seconds
        self.dst_gap = dst_gap
        self.dst_overlap = dst_overlap
        if type(expr) is str and (job_id is None or type(job_id) is str):
            try:
                self._parsed, self._core = _compiled(
                    expr, tz, dialect, seconds, job_id, dst_gap, dst_overlap
                )
                return
            except TypeError:  # an unhashable argument: the same steps, uncached
                pass
        # parse() names what is wrong with the type of an argument
        self._parsed = parse(expr, dialect, seconds=seconds, job_id=job_id)
        self._core = shared_core(
            self._parsed.masks, tz, self._parsed.follows_real_time, dst_gap, dst_overlap
        )

    # --- facts -------------------------------------------------------------------------------

    @property
    def masks(self) -> Masks:
        """The field masks the engine searches with."""
        return self._parsed.masks

    @property
    def follows_real_time(self) -> bool:
        """Whether a repeated wall time fires at both occurrences (rule O)."""
        return self._parsed.follows_real_time

    @property
    def feasible(self) -> bool:
        """Whether the expression fires at all (``0 0 30 2 *`` does not)."""
        return self._core.feasible

    # --- searching ---------------------------------------------------------------------------

    def _aware(self, value: datetime | str | None, name: str) -> datetime:
        if type(value) is datetime and value.tzinfo is not None:
            return value  # the common case, first
        if value is None:
            return datetime.now(_UTC)
        found = convert_to_datetime(value, self.tz, name)
        assert found is not None
        return found

    def next(self, after: datetime | str | None = None) -> datetime | None:
        """Return the first fire time strictly after ``after`` (default: now), or ``None``."""
        if type(after) is datetime and after.tzinfo is not None:  # the common case: no checks
            return self._core.search.next(after)
        return self._core.search.next(self._aware(after, "after"))

    def next_times(self, n: int, after: datetime | str | None = None) -> list[datetime]:
        """Return the next ``n`` fire times strictly after ``after`` (default: now).

        Fewer when the schedule ends (a Quartz year field), none when it never fires.
        """
        out: list[datetime] = []
        at: datetime | None = self._aware(after, "after")
        core = self._core  # its search is read each time: the first call may build a new one
        while len(out) < n and at is not None:
            at = core.search.next(at)
            if at is not None:
                out.append(at)
        return out

    def prev(self, before: datetime | str | None = None) -> datetime | None:
        """Return the last fire time strictly before ``before`` (default: now), or ``None``."""
        if type(before) is datetime and before.tzinfo is not None:  # the common case
            return self._core.search.prev(before)
        return self._core.search.prev(self._aware(before, "before"))

    def iter(
        self,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        reverse: bool = False,
    ) -> Iterator[datetime]:
        """Yield fire times lazily from ``start`` (default: now), both bounds inclusive.

        Forward, times ``start <= t <= end``; with ``reverse=True`` the iteration walks back in
        time, ``start >= t >= end``. Without ``end`` it runs until the schedule ends (year 9999),
        so use ``itertools.islice`` or ``end``.
        """
        at = self._aware(start, "start")
        stop = None if end is None else self._aware(end, "end").astimezone(_UTC)
        core = self._core  # its search is read each time: the first call may build a new one
        found = core.search.prev(at, True) if reverse else core.search.next(at, True)
        while found is not None:
            if stop is not None:
                instant = found.astimezone(_UTC)  # compare instants, never wall clocks
                if (instant < stop) if reverse else (instant > stop):
                    return
            yield found
            found = core.search.prev(found) if reverse else core.search.next(found)

    def __iter__(self) -> Iterator[datetime]:
        return self.iter()

    def match(self, dt: datetime | str) -> bool:
        """Return whether the instant ``dt`` is a fire time (naive input: rule L)."""
        at = self._aware(dt, "dt")
        if at.microsecond:
            return False
        found = self._core.search.next(at, True)
        return found is not None and found.astimezone(_UTC) == at.astimezone(_UTC)

    def describe(self, lang: str = "en") -> str:
        """Describe the schedule in words: ``lang`` is ``"en"`` or ``"zh"`` (Simplified Chinese)."""
        from .descriptions import describe_masks

        return describe_masks(self.masks, lang)

    # --- conversion --------------------------------------------------------------------------

    def to_trigger(self) -> CronTrigger:
        """Return the equivalent APScheduler-style :class:`CronTrigger`.

        :raises TriggerArgumentError: for what ``CronTrigger`` cannot express: POSIX day of month
            OR day of week, Quartz ``W``, ``LW``, ``L-nW`` and ``L-n`` with n > 0
        """
        from .triggers.cron import CronTrigger

        if self.dialect == "aps":
            texts: dict[str, Any] = {f.name: f.text for f in self._parsed.fields}
            return CronTrigger(
                timezone=self.tz, dst_gap=self.dst_gap, dst_overlap=self.dst_overlap, **texts
            )
        texts = dict[str, Any](_trigger_texts(self.masks, self.expr))
        overlap = self.dst_overlap
        auto = texts["hour"].startswith("*") or texts["minute"].startswith("*")
        if overlap == "auto" and auto != self.follows_real_time:
            overlap = "both" if self.follows_real_time else "first"
        return CronTrigger(timezone=self.tz, dst_gap=self.dst_gap, dst_overlap=overlap, **texts)

    @classmethod
    def from_trigger(cls, trigger: CronTrigger) -> Cron:
        """Return the ``aps`` dialect ``Cron`` of a :class:`CronTrigger`.

        :raises TriggerArgumentError: when the trigger does not fit a 5-field crontab (a
            second other than 0, a year or week, text with spaces such as ``3rd fri``) or has
            a start date, end date or jitter, which a ``Cron`` does not hold
        """
        fields = {f.name: str(f) for f in trigger.fields}
        for name, fitting in (("second", "0"), ("year", "*"), ("week", "*")):
            if fields[name] != fitting:
                raise TriggerArgumentError(
                    name,
                    fields[name],
                    f"{fitting!r} (a crontab has no {name} field)",
                    f"{name}: {fields[name]!r} cannot be written in a 5-field crontab; "
                    f"only {fitting!r} can",
                )
        for name in ("start_date", "end_date", "jitter"):
            if getattr(trigger, name):
                raise TriggerArgumentError(
                    name,
                    getattr(trigger, name),
                    "None",
                    f"{name}: a Cron has no {name}; remove it from the trigger first",
                )
        order = ("minute", "hour", "day", "month", "day_of_week")
        for name in order:
            if " " in fields[name]:
                raise TriggerArgumentError(
                    name,
                    fields[name],
                    "text without spaces",
                    f"{name}: {fields[name]!r} contains a space and cannot be a crontab field",
                )
        assert trigger.timezone is not None
        return cls(
            " ".join(fields[n] for n in order),
            trigger.timezone,
            "aps",
            dst_gap=trigger.dst_gap,
            dst_overlap=trigger.dst_overlap,
        )

    # --- identity ----------------------------------------------------------------------------

    def _key(self) -> tuple[Any, ...]:
        return (self.masks, self._core.fold0, self._core.fold1, self.dst_gap, _zone_name(self.tz))

    def __eq__(self, other: object) -> bool:
        """Two ``Cron`` are equal when they fire at the same instants (whatever the dialect)."""
        if not isinstance(other, Cron):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        extra = "".join(
            f", {name}={value!r}"
            for name, value, default in (
                ("job_id", self.job_id, None),
                ("seconds", self.seconds, False),
                ("dst_gap", self.dst_gap, "shift"),
                ("dst_overlap", self.dst_overlap, "auto"),
            )
            if value != default
        )
        return f"Cron({self.expr!r}, tz={_zone_name(self.tz)!r}, dialect={self.dialect!r}{extra})"

    def __str__(self) -> str:
        return self.expr

    def __getstate__(self) -> dict[str, Any]:
        tz: Any = self.tz
        if tz is _UTC or isinstance(tz, ZoneInfo):
            tz = _zone_name(tz)
        return {
            "version": _STATE_VERSION,
            "expr": self.expr,
            "tz": tz,
            "dialect": self.dialect,
            "job_id": self.job_id,
            "seconds": self.seconds,
            "dst_gap": self.dst_gap,
            "dst_overlap": self.dst_overlap,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        version = state.get("version")
        if version != _STATE_VERSION:
            raise ValueError(
                f"Got serialized data for version {version} of Cron, but only version "
                f"{_STATE_VERSION} can be handled"
            )
        self._setup(
            state["expr"],
            _zone(state["tz"]),
            state["dialect"],
            state["job_id"],
            state["seconds"],
            state["dst_gap"],
            state["dst_overlap"],
        )


# --- masks as CronTrigger field texts ----------------------------------------------------------


def _values_text(mask: int, lo: int, hi: int) -> str:
    values = [v for v in range(lo, hi + 1) if mask >> v & 1]
    if not values:
        raise TriggerArgumentError(
            "expr",
            mask,
            "a field that selects something",
            "a field selects nothing; CronTrigger cannot express it",
        )
    if len(values) == hi - lo + 1:
        return "*"
    if len(values) > 1 and values[0] == lo:
        step = values[1] - values[0]
        if values == list(range(lo, hi + 1, step)):
            return f"*/{step}"
    runs: list[str] = []
    start = prev = values[0]
    for v in values[1:] + [-2]:
        if v != prev + 1:
            runs.append(str(start) if start == prev else f"{start}-{prev}")
            start = v
        prev = v
    return ",".join(runs)


def _trigger_texts(masks: Masks, expr: str) -> dict[str, str]:
    def unfit(what: str) -> TriggerArgumentError:
        return TriggerArgumentError(
            "expr",
            expr,
            "what CronTrigger can express",
            f"{expr!r} uses {what}, which CronTrigger cannot express",
        )

    if masks.flags & FLAG_LAST_BUSINESS_DAY:
        raise unfit("LW (last weekday of the month)")
    if masks.near_weekdays:
        raise unfit("W (nearest weekday)")
    if masks.near_last_days:
        raise unfit("L-nW (the weekday nearest n days before the last day)")
    if masks.last_days & ~1:
        raise unfit("L-n (n days before the last day)")
    all_days, all_weekdays = ALL_DAYS, ALL_WEEKDAYS
    days, weekdays = masks.days, masks.weekdays
    if masks.flags & FLAG_DAY_OR:
        if days == all_days or weekdays == all_weekdays:
            days, weekdays = all_days, all_weekdays
        else:
            raise unfit("day of month OR day of week (POSIX)")
    day_items = [] if days == 0 else [_values_text(days, 1, 31)]
    if masks.last_days & 1:
        day_items.append("last")
    for bit in range(35):
        if masks.nth_weekdays >> bit & 1:
            n, wd = divmod(bit, 7)
            day_items.append(f"{_WEEKDAY_POSITIONS[n]} {_pyengine_weekday(wd)}")
    for wd in range(7):
        if masks.last_weekdays >> wd & 1:
            day_items.append(f"last {_pyengine_weekday(wd)}")
    if "*" in day_items and len(day_items) > 1:
        day_items.remove("*")  # the specials are already inside '*'
        day_items = ["*"]
    years = ",".join(
        "*"
        if r == ALL_YEARS[0]
        else (str(a) if a == b else f"{a}-{b}" + (f"/{s}" if s > 1 else ""))
        for r in masks.years
        for a, b, s in [r]
    )
    return {
        "year": years,
        "month": _values_text(masks.months, 1, 12),
        "day": ",".join(day_items),
        "day_of_week": _values_text(weekdays, 0, 6),
        "hour": _values_text(masks.hours, 0, 23),
        "minute": _values_text(masks.minutes, 0, 59),
        "second": _values_text(masks.seconds, 0, 59),
    }


def _pyengine_weekday(wd: int) -> str:
    return WEEKDAY_NAMES[wd]
