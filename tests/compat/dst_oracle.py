"""A first-principles model of cron selection and of the DST rules: the test oracle.

Written to be obviously right rather than fast, and independent of triggerkit's parser and
kernel:

* :func:`selector` expands an APScheduler-style field text into plain Python sets (or, for the
  day field, a function of the month) with its own tiny parser, and applies APScheduler 3's
  defaulting of omitted fields;
* :func:`oracle_fires` walks the **UTC timeline minute by minute** over a bounded window,
  converts every instant to wall time with ``zoneinfo``, and applies ``docs/rules/dst.md``
  literally:

  - rule G: when the offset grows at instant ``T``, the wall times ``[T + old, T + new)`` do
    not exist; if the spec selects any of them, it fires once at ``T`` (``dst_gap="shift"``);
  - rule O: an instant whose wall time is repeated fires if the spec selects the wall time and
    the occurrence is allowed: the first always, the second only when the hour or minute field
    starts with ``*`` (``dst_overlap="auto"``), or as the explicit policy says;
  - every other instant fires when the spec selects its wall time.

All zones used in the tests have offsets in whole minutes, so the wall-clock second equals the
UTC second, and the walk visits each minute once and then the selected seconds of that minute.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo

__all__ = [
    "FIELDS",
    "Selector",
    "find_transitions",
    "oracle_fires",
    "selector",
]

FIELDS = ("year", "month", "day", "week", "day_of_week", "hour", "minute", "second")
LIMITS = {
    "year": (1970, 9999),
    "month": (1, 12),
    "day": (1, 31),
    "week": (1, 53),
    "day_of_week": (0, 6),
    "hour": (0, 23),
    "minute": (0, 59),
    "second": (0, 59),
}
# APScheduler 3: fields below the least significant given one take these values.
DEFAULTS = {
    "year": "*",
    "month": "1",
    "day": "1",
    "week": "*",
    "day_of_week": "*",
    "hour": "0",
    "minute": "0",
    "second": "0",
}
MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
POSITIONS = ["1st", "2nd", "3rd", "4th", "5th"]
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _number(field: str, text: str) -> int:
    text = text.lower()
    if field == "month" and text in MONTH_NAMES:
        return MONTH_NAMES.index(text) + 1
    if field == "day_of_week" and text in WEEKDAY_NAMES:
        return WEEKDAY_NAMES.index(text)
    return int(text)


def expand(field: str, text: str) -> set[int] | Callable[[int, int], set[int]]:
    """Return the values a field text selects (for ``day``: a function of year and month)."""
    lo, hi = LIMITS[field]
    plain: set[int] = set()
    special: list[str] = []
    for item in str(text).split(","):
        item = item.strip().lower()
        if field == "day" and (item == "last" or " " in item):
            special.append(item)
            continue
        body, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if body == "*":
            first, last = lo, hi
        elif "-" in body:
            a, b = body.split("-")
            first, last = _number(field, a), _number(field, b)
        else:
            first = _number(field, body)
            last = hi if step_text else first
        plain.update(range(first, last + 1, step))
    if field != "day":
        return plain

    def days(year: int, month: int) -> set[int]:
        length = calendar.monthrange(year, month)[1]
        out = {d for d in plain if d <= length}
        for item in special:
            if item == "last":
                out.add(length)
                continue
            position, weekday_name = item.split()
            weekday = WEEKDAY_NAMES.index(weekday_name)
            matching = [
                d for d in range(1, length + 1) if calendar.weekday(year, month, d) == weekday
            ]
            if position == "last":
                out.add(matching[-1])
            elif POSITIONS.index(position) < len(matching):
                out.add(matching[POSITIONS.index(position)])
        return out

    return days


@dataclass
class Selector:
    """Which wall-clock times a cron spec selects."""

    texts: dict[str, str]
    years: set[int]
    months: set[int]
    days: Callable[[int, int], set[int]]
    weeks: set[int]
    weekdays: set[int]
    hours: set[int]
    minutes: set[int]
    seconds: list[int]

    @property
    def follows_real_time(self) -> bool:
        """Rule O: the hour or minute field starts with ``*``."""
        return self.texts["hour"].startswith("*") or self.texts["minute"].startswith("*")

    def selects_date(self, d: date) -> bool:
        return (
            d.year in self.years
            and d.month in self.months
            and d.day in self.days(d.year, d.month)
            and d.isocalendar()[1] in self.weeks
            and d.weekday() in self.weekdays
        )

    def selects_minute(self, wall: datetime) -> bool:
        """Whether some second of this wall-clock minute is selected."""
        return (
            wall.minute in self.minutes
            and wall.hour in self.hours
            and self.selects_date(wall.date())
        )


def selector(**given: object) -> Selector:
    """Build a :class:`Selector` from CronTrigger keyword arguments (APScheduler defaulting)."""
    given = {k: v for k, v in given.items() if v is not None}
    last_given = max(FIELDS.index(name) for name in given) if given else -1
    texts = {}
    for index, name in enumerate(FIELDS):
        if name in given:
            texts[name] = str(given[name])
        elif index > last_given:
            texts[name] = DEFAULTS[name]
        else:
            texts[name] = "*"
    day = expand("day", texts["day"])
    assert callable(day)
    values = {name: expand(name, texts[name]) for name in FIELDS if name != "day"}
    return Selector(
        texts=texts,
        years=values["year"],  # type: ignore[arg-type]
        months=values["month"],  # type: ignore[arg-type]
        days=day,
        weeks=values["week"],  # type: ignore[arg-type]
        weekdays=values["day_of_week"],  # type: ignore[arg-type]
        hours=values["hour"],  # type: ignore[arg-type]
        minutes=values["minute"],  # type: ignore[arg-type]
        seconds=sorted(values["second"]),  # type: ignore[arg-type]
    )


def _local(t: int, tz: tzinfo) -> datetime:
    return (EPOCH + timedelta(seconds=t)).astimezone(tz)


def _is_repeated(local: datetime) -> bool:
    """Whether the wall time of an existing instant occurs twice (PEP 495 fold differs)."""
    naive = local.replace(tzinfo=None)
    first = naive.replace(tzinfo=local.tzinfo, fold=0).utcoffset()
    second = naive.replace(tzinfo=local.tzinfo, fold=1).utcoffset()
    return first != second


def oracle_fires(
    sel: Selector, tz: tzinfo, lo: int, hi: int, gap: str = "shift", overlap: str = "auto"
) -> list[int]:
    """Return every fire instant ``t`` (UTC epoch seconds) with ``lo <= t <= hi``.

    Walks minute by minute. Where no transition lies ahead before the next wall midnight (or
    the next wall hour), the wall clock runs in lock-step with UTC until then, so a wall date
    (or hour) the spec does not select is passed in one step.
    """
    first_ok, second_ok = {
        "auto": (True, sel.follows_real_time),
        "first": (True, False),
        "last": (False, True),
        "both": (True, True),
    }[overlap]
    transitions = find_transitions(tz, lo - 120, hi + 1)

    def lock_step(t: int, span: int) -> bool:
        return not any(t < x <= t + span for x in transitions)

    fires: set[int] = set()
    t = lo - lo % 60
    previous_offset = _local(t - 60, tz).utcoffset()
    while t <= hi:
        local = _local(t, tz)
        offset = local.utcoffset()
        assert offset is not None and previous_offset is not None
        assert offset.seconds % 60 == 0, "the oracle needs offsets in whole minutes"
        if offset > previous_offset:
            # A gap: the clock jumped at the instant t (check that it did not jump mid-minute).
            assert _local(t - 1, tz).utcoffset() == previous_offset
            wall = local.replace(tzinfo=None) - (offset - previous_offset)
            skipped_selected = False
            while wall < local.replace(tzinfo=None):
                skipped_selected = skipped_selected or sel.selects_minute(wall)
                wall += timedelta(minutes=1)
            # rule G: selected wall times inside the gap fire once, at the transition instant
            if skipped_selected and gap == "shift" and lo <= t <= hi:
                fires.add(t)
        previous_offset = offset
        wall = local.replace(tzinfo=None)
        to_midnight = 86400 - wall.hour * 3600 - wall.minute * 60
        if not sel.selects_date(wall.date()) and lock_step(t, to_midnight):
            t += to_midnight
            continue
        to_next_hour = 3600 - wall.minute * 60
        if wall.hour not in sel.hours and lock_step(t, to_next_hour):
            t += to_next_hour
            continue
        if sel.selects_minute(wall):
            if _is_repeated(local):
                # rule O: first occurrence (fold=0) and/or second (fold=1)
                allowed = second_ok if local.fold else first_ok
            else:
                allowed = True
            if allowed:
                fires.update(t + s for s in sel.seconds if lo <= t + s <= hi)
        t += 60
    return sorted(fires)


def find_transitions(tz: tzinfo, lo: int, hi: int, step: int = 3 * 3600) -> list[int]:
    """Return the instants in ``(lo, hi]`` where the UTC offset of ``tz`` changes.

    Samples every ``step`` seconds (the zones used have transitions months apart), then
    bisects to the exact second.
    """
    out = []
    a = lo
    offset_a = _local(a, tz).utcoffset()
    while a < hi:
        b = min(a + step, hi)
        offset_b = _local(b, tz).utcoffset()
        if offset_b != offset_a:
            x, y = a, b
            while y - x > 1:
                mid = (x + y) // 2
                if _local(mid, tz).utcoffset() == offset_a:
                    x = mid
                else:
                    y = mid
            out.append(y)
        a, offset_a = b, offset_b
    return out
