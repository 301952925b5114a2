"""Describe a cron schedule in English or Simplified Chinese (``triggerkit.describe``).

>>> from triggerkit import describe
>>> describe("*/15 9-17 * * mon-fri")
'every 15 minutes, from 09:00 to 17:59, Monday to Friday'
>>> describe("*/15 9-17 * * mon-fri", lang="zh")
'周一至周五 09:00 至 17:59 每 15 分钟'

The words come from the compiled field masks, not from the text, so two expressions that fire at
the same times (``0 9 * * 1-5`` and ``0 9 * * mon-fri``, or the same schedule in two dialects)
get the same description.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import _dialects
from ._constants import (
    ALL_DAYS,
    ALL_WEEKDAYS,
    ALL_YEARS,
    FLAG_DAY_OR,
    FLAG_LAST_BUSINESS_DAY,
    Masks,
)

__all__ = ["LANGUAGES", "describe", "describe_masks"]

LANGUAGES = ("en", "zh")
_MAX_CLOCK_TIMES = 8

_EN_MONTHS = (
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
_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_ORDINALS = ("first", "second", "third", "fourth", "fifth")
_ZH_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_ZH_ORDINALS = ("第一个", "第二个", "第三个", "第四个", "第五个")


def describe(
    expr: str,
    lang: str = "en",
    dialect: str = "posix",
    *,
    seconds: bool = False,
    job_id: str | None = None,
) -> str:
    """Describe ``expr`` (in ``dialect``) in words.

    :param lang: ``"en"`` (English) or ``"zh"`` (Simplified Chinese)
    :raises CronSpecError: for a malformed expression
    """
    parsed = _dialects.parse(expr, dialect, seconds=seconds, job_id=job_id)
    return describe_masks(parsed.masks, lang)


def describe_masks(masks: Masks, lang: str = "en") -> str:
    """Describe compiled field masks (a seconds field of only 0 is not mentioned)."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang: {lang!r} is not supported; allowed: 'en', 'zh'")
    words = _English() if lang == "en" else _Chinese()
    return words.sentence(masks)


# --- the shape of one field's values ------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """What a set of values looks like: every, step, range, single or list."""

    kind: str
    values: tuple[int, ...]
    lo: int
    hi: int
    step: int = 1

    @property
    def first(self) -> int:
        return self.values[0]

    @property
    def last(self) -> int:
        return self.values[-1]

    @property
    def open_ended(self) -> bool:
        """A step that runs to the end of the field (``5/15``, ``*/15``)."""
        return self.last + self.step > self.hi


def shape(mask: int, lo: int, hi: int) -> Shape:
    """Classify the values of ``mask`` between ``lo`` and ``hi``."""
    values = tuple(v for v in range(lo, hi + 1) if mask >> v & 1)
    if len(values) == hi - lo + 1:
        return Shape("every", values, lo, hi)
    if len(values) == 1:
        return Shape("single", values, lo, hi)
    diffs = {b - a for a, b in zip(values, values[1:], strict=False)}
    if diffs == {1}:
        return Shape("range", values, lo, hi)
    if len(diffs) == 1:
        step = diffs.pop()
        reaches_end = values[-1] + step > hi
        # two values are a step only when they split the field evenly ('0,30', '5,35')
        evenly = reaches_end and values[0] - lo < step and (hi - lo + 1) % step == 0
        if len(values) >= 3 or evenly:
            return Shape("step", values, lo, hi, step)
    return Shape("list", values, lo, hi)


def runs(values: tuple[int, ...] | list[int]) -> list[tuple[int, int]]:
    """Group sorted values into ``(first, last)`` runs of three or more consecutive values;
    other values stand alone (``1, 2`` reads better than ``1 to 2``)."""
    out: list[tuple[int, int]] = []
    for v in values:
        if out and out[-1][1] == v - 1:
            out[-1] = (out[-1][0], v)
        else:
            out.append((v, v))
    split: list[tuple[int, int]] = []
    for a, b in out:
        split += [(a, a), (b, b)] if b == a + 1 else [(a, b)]
    return split


def weekday_runs(mask: int) -> list[tuple[int, int]]:
    """Runs of weekdays (0 = Monday), joining a run across Sunday-Monday (``sat-mon``)."""
    days = [d for d in range(7) if mask >> d & 1]
    if 0 < len(days) < 7 and 0 in days and 6 in days:
        start = next(d for d in days if (d - 1) % 7 not in days)
        days = sorted(days, key=lambda d: (d - start) % 7)
    out: list[tuple[int, int]] = []
    for d in days:
        if out and (out[-1][1] + 1) % 7 == d:
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


def _hhmm(hour: int, minute: int, second: int | None = None) -> str:
    text = f"{hour:02d}:{minute:02d}"
    return text if second is None else f"{text}:{second:02d}"


# --- the sentence ----------------------------------------------------------------------------


class _Words:
    """What both languages share: splitting the masks into time, day, month and year parts."""

    def sentence(self, masks: Masks) -> str:
        sec = shape(masks.seconds, 0, 59)
        if sec.values == (0,):
            sec = Shape("none", (0,), 0, 59)
        minute = shape(masks.minutes, 0, 59)
        hour = shape(masks.hours, 0, 23)
        day = self.day_part(masks)
        months = shape(masks.months, 1, 12)
        month = self.month_part(months)
        days = shape(masks.days, 1, 31)
        plain_day = (
            days.kind == "single"
            and masks.weekdays == ALL_WEEKDAYS
            and not masks.flags
            and not (
                masks.last_days
                | masks.nth_weekdays
                | masks.last_weekdays
                | masks.near_weekdays
                | masks.near_last_days
            )
        )
        if plain_day and months.kind == "single":
            day, month = self.date(months.first, days.first), ""
        year = self.year_part(masks.years)
        clock = self.clock_times(sec, minute, hour)
        return self.join(clock, self.time_part(sec, minute, hour), day, month, year)

    @staticmethod
    def clock_times(sec: Shape, minute: Shape, hour: Shape) -> list[str] | None:
        """Explicit clock times when there are only a few (``09:00``, ``17:30``)."""
        parts = [hour, minute] + ([sec] if sec.kind != "none" else [])
        if any(p.kind not in ("single", "list") for p in parts):
            return None
        count = len(hour.values) * len(minute.values) * len(sec.values)
        if count > _MAX_CLOCK_TIMES:
            return None
        secs: tuple[int | None, ...] = sec.values if sec.kind != "none" else (None,)
        return [_hhmm(h, m, s) for h in hour.values for m in minute.values for s in secs]

    def day_part(self, masks: Masks) -> str:
        dom = self.dom_items(masks)
        weekdays = masks.weekdays
        if masks.flags & FLAG_DAY_OR:
            if masks.days == ALL_DAYS or weekdays == ALL_WEEKDAYS:
                return ""
            return self.either(self.listing(dom), self.weekdays(weekdays))
        if masks.days == ALL_DAYS and len(dom) == 1:
            dom = []
        if weekdays == ALL_WEEKDAYS:
            return self.listing(dom)
        if not dom:
            return self.weekdays(weekdays)
        return self.both(self.listing(dom), self.weekdays(weekdays, alone=False))

    def dom_items(self, masks: Masks) -> list[str]:
        items = []
        if masks.days:
            items.append(self.days(shape(masks.days, 1, 31)))
        for k in range(31):
            if masks.last_days >> k & 1:
                items.append(self.last_day(k))
        if masks.flags & FLAG_LAST_BUSINESS_DAY or masks.near_last_days & 1:
            items.append(self.last_business_day())
        for k in range(1, 31):
            if masks.near_last_days >> k & 1:
                items.append(self.near_last_day(k))
        for d in range(1, 32):
            if masks.near_weekdays >> d & 1:
                items.append(self.near_weekday(d))
        for bit in range(35):
            if masks.nth_weekdays >> bit & 1:
                n, wd = divmod(bit, 7)
                items.append(self.nth_weekday(n, wd))
        for wd in range(7):
            if masks.last_weekdays >> wd & 1:
                items.append(self.last_weekday(wd))
        return items

    # Each language fills these in.
    def date(self, month: int, day: int) -> str:
        raise NotImplementedError  # pragma: no cover

    def join(self, clock: list[str] | None, time: str, day: str, month: str, year: str) -> str:
        raise NotImplementedError  # pragma: no cover

    def time_part(self, sec: Shape, minute: Shape, hour: Shape) -> str:
        raise NotImplementedError  # pragma: no cover

    def days(self, s: Shape) -> str:
        raise NotImplementedError  # pragma: no cover

    def last_day(self, k: int) -> str:
        raise NotImplementedError  # pragma: no cover

    def last_business_day(self) -> str:
        raise NotImplementedError  # pragma: no cover

    def near_weekday(self, d: int) -> str:
        raise NotImplementedError  # pragma: no cover

    def near_last_day(self, k: int) -> str:
        raise NotImplementedError  # pragma: no cover

    def nth_weekday(self, n: int, wd: int) -> str:
        raise NotImplementedError  # pragma: no cover

    def last_weekday(self, wd: int) -> str:
        raise NotImplementedError  # pragma: no cover

    def weekdays(self, mask: int, alone: bool = True) -> str:
        raise NotImplementedError  # pragma: no cover

    def either(self, dom: str, dow: str) -> str:
        raise NotImplementedError  # pragma: no cover

    def both(self, dom: str, dow: str) -> str:
        raise NotImplementedError  # pragma: no cover

    def listing(self, items: list[str], conj: str = "") -> str:
        raise NotImplementedError  # pragma: no cover

    def month_part(self, s: Shape) -> str:
        raise NotImplementedError  # pragma: no cover

    def year_part(self, years: tuple[tuple[int, int, int], ...]) -> str:
        raise NotImplementedError  # pragma: no cover


class _English(_Words):
    def listing(self, items: list[str], conj: str = "and") -> str:
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + f" {conj} " + items[-1]

    def join(self, clock: list[str] | None, time: str, day: str, month: str, year: str) -> str:
        if clock is not None:
            time = "at " + self.listing(clock)
            if not (day or month or year):
                return "every day " + time
        return ", ".join(p for p in (time, day, month, year) if p)

    def date(self, month: int, day: int) -> str:
        return f"on {day} {_EN_MONTHS[month - 1]}"

    def numbers(self, values: tuple[int, ...], fmt: str = "{}") -> str:
        return self.listing(
            [
                fmt.format(a) if a == b else f"{fmt.format(a)} to {fmt.format(b)}"
                for a, b in runs(values)
            ]
        )

    def unit(self, s: Shape, unit: str, window: bool = False) -> str:
        """A phrase for seconds or minutes: 'every 15 minutes', 'at minute 30'."""
        plural = unit + "s"
        if s.kind == "every":
            return f"every {unit}"
        if s.kind == "step":
            text = f"every {s.step} {plural}"
            if s.first != s.lo or not s.open_ended:
                text += f" from {unit} {s.first}"
                if not s.open_ended:
                    text += f" through {s.last}"
            return text
        if s.kind == "range":
            return f"every {unit} from {unit} {s.first} through {s.last}"
        if s.kind == "single":
            return f"{'during' if window else 'at'} {unit} {s.first}"
        return f"{'during' if window else 'at'} {plural} {self.numbers(s.values)}"

    def hours(self, hour: Shape, minute: Shape) -> str:
        """The hour window of a minute phrase ('from 09:00 to 17:59')."""
        if hour.kind == "every":
            return ""
        if hour.kind in ("single", "range"):
            return f"from {_hhmm(hour.first, 0)} to {_hhmm(hour.last, 59)}"
        if hour.kind == "step":
            text = f"every {hour.step} hours"
            if hour.first != 0 or not hour.open_ended:
                text += f" from {_hhmm(hour.first, 0)} to {_hhmm(hour.last, 59)}"
            return text
        return "during hours " + self.numbers(hour.values)

    def time_part(self, sec: Shape, minute: Shape, hour: Shape) -> str:
        if sec.kind != "none":
            if minute.kind == "every" and hour.kind == "every":
                if sec.kind in ("single", "list"):
                    return f"every minute {self.unit(sec, 'second')}"
                return self.unit(sec, "second")
            rest = self.time_part(Shape("none", (0,), 0, 59), minute, hour)
            if sec.kind in ("single", "list"):
                return f"{rest}, {self.unit(sec, 'second')}"
            if minute.kind == "single" and hour.kind in ("single", "list"):
                rest = "during " + self.listing([_hhmm(h, minute.first) for h in hour.values])
            elif minute.kind == "single":
                rest = rest.replace("at minute", "during minute", 1)
            elif minute.kind == "every":
                rest = self.hours(hour, minute)
            return ", ".join(p for p in (self.unit(sec, "second"), rest) if p)
        if minute.kind == "single":
            m = minute.first
            if hour.kind == "every":
                return "every hour, on the hour" if m == 0 else f"every hour at minute {m}"
            if hour.kind == "range":
                return f"every hour from {_hhmm(hour.first, m)} to {_hhmm(hour.last, m)}"
            if hour.kind == "step":
                text = f"every {hour.step} hours"
                text += ", on the hour" if m == 0 else f" at minute {m}"
                if hour.first != 0 or not hour.open_ended:
                    text += f", from {_hhmm(hour.first, m)} to {_hhmm(hour.last, m)}"
                return text
            return f"at minute {m} past hours {self.numbers(hour.values)}"
        return ", ".join(p for p in (self.unit(minute, "minute"), self.hours(hour, minute)) if p)

    def days(self, s: Shape) -> str:
        if s.kind == "every":
            return "every day"
        if s.kind == "single":
            return f"on day {s.first} of the month"
        if s.kind == "step":
            text = f"every {s.step} days of the month"
            if s.first != 1 or not s.open_ended:
                text += f" from day {s.first}"
                if not s.open_ended:
                    text += f" to {s.last}"
            return text
        return f"on days {self.numbers(s.values)} of the month"

    def last_day(self, k: int) -> str:
        if k == 0:
            return "on the last day of the month"
        return f"{k} day{'s' if k > 1 else ''} before the last day of the month"

    def last_business_day(self) -> str:
        return "on the last weekday of the month"

    def near_weekday(self, d: int) -> str:
        return f"on the weekday nearest day {d} of the month"

    def near_last_day(self, k: int) -> str:
        before = f"{k} day{'s' if k > 1 else ''} before the last day of the month"
        return f"on the weekday nearest {before}"

    def nth_weekday(self, n: int, wd: int) -> str:
        return f"on the {_EN_ORDINALS[n]} {_EN_WEEKDAYS[wd]} of the month"

    def last_weekday(self, wd: int) -> str:
        return f"on the last {_EN_WEEKDAYS[wd]} of the month"

    def weekdays(self, mask: int, alone: bool = True) -> str:
        parts = weekday_runs(mask)
        words = []
        for a, b in parts:
            if a == b:
                words.append(_EN_WEEKDAYS[a])
            elif (a + 1) % 7 == b:
                words += [_EN_WEEKDAYS[a], _EN_WEEKDAYS[b]]
            else:
                words.append(f"{_EN_WEEKDAYS[a]} to {_EN_WEEKDAYS[b]}")
        text = self.listing(words, "and" if alone else "or")
        if alone and not (len(parts) == 1 and " to " in text):
            text = "on " + text
        return text

    def either(self, dom: str, dow: str) -> str:
        return f"{dom} or {dow}"

    def both(self, dom: str, dow: str) -> str:
        return f"{dom}, if it is {dow}"

    def month_part(self, s: Shape) -> str:
        if s.kind == "every":
            return ""
        if s.kind == "range" and len(s.values) >= 3:
            return f"{_EN_MONTHS[s.first - 1]} to {_EN_MONTHS[s.last - 1]}"
        if s.kind == "step" and s.first == 1 and s.open_ended and len(s.values) >= 3:
            names = self.listing([_EN_MONTHS[v - 1] for v in s.values])
            return f"every {s.step} months ({names})"
        words = [
            _EN_MONTHS[a - 1] if a == b else f"{_EN_MONTHS[a - 1]} to {_EN_MONTHS[b - 1]}"
            for a, b in runs(s.values)
        ]
        return "in " + self.listing(words)

    def year_part(self, years: tuple[tuple[int, int, int], ...]) -> str:
        if years == ALL_YEARS:
            return ""
        words = []
        for a, b, step in years:
            if a == b:
                words.append(str(a))
            elif step == 1:
                words.append(f"years {a} to {b}")
            else:
                words.append(f"every {step} years from {a} to {b}")
        return "in " + self.listing(words)


class _Chinese(_Words):
    def listing(self, items: list[str], conj: str = "和") -> str:
        if len(items) <= 1:
            return "".join(items)
        return "、".join(items[:-1]) + conj + items[-1]

    def join(self, clock: list[str] | None, time: str, day: str, month: str, year: str) -> str:
        if clock is not None:
            time = self.listing(clock, " 和 ")
            if not day:
                day = "每天"
        if month and day:
            day = month + "的" + day.removeprefix("每月").strip()
        elif month:
            day = month
        if year:
            day = day.removeprefix("每年 ")
        text = " ".join(p for p in (year, day, time) if p)
        # a space between Chinese characters and digits, as in '每 15 分钟'
        text = re.sub(r"([\u4e00-\u9fff])(\d)", r"\1 \2", text)
        return re.sub(r"(\d)([\u4e00-\u9fff])", r"\1 \2", text)

    def date(self, month: int, day: int) -> str:
        return f"每年 {month} 月 {day} 日"

    def numbers(self, values: tuple[int, ...], unit: str = "") -> str:
        return (
            self.listing([f"{a}" if a == b else f"{a} 至 {b}" for a, b in runs(values)], " 和 ")
            + unit
        )

    def unit(self, s: Shape, unit: str, window: bool = False) -> str:
        if s.kind == "every":
            return f"每{unit}"
        if s.kind == "step":
            text = f"每 {s.step} {unit}"
            if s.first != s.lo or not s.open_ended:
                if s.open_ended:
                    text = f"从第 {s.first} {unit}起{text}"
                else:
                    text = f"第 {s.first} 至 {s.last} {unit}{text}"
            return text
        if s.kind == "range":
            return f"第 {s.first} 至 {s.last} {unit}每{unit}"
        return f"第 {self.numbers(s.values)} {unit}"

    def hours(self, hour: Shape) -> str:
        if hour.kind == "every":
            return ""
        if hour.kind in ("single", "range"):
            return f"{_hhmm(hour.first, 0)} 至 {_hhmm(hour.last, 59)}"
        if hour.kind == "step":
            if hour.first != 0 or not hour.open_ended:
                return f"{_hhmm(hour.first, 0)} 至 {_hhmm(hour.last, 59)} 每 {hour.step} 小时，"
            return f"每 {hour.step} 小时，"
        return f"{self.numbers(hour.values)} 点内"

    def time_part(self, sec: Shape, minute: Shape, hour: Shape) -> str:
        seconds = "" if sec.kind == "none" else self.unit(sec, "秒")
        if sec.kind != "none" and minute.kind == "every" and hour.kind == "every":
            return seconds if sec.kind not in ("single", "list") else "每分钟" + seconds
        if minute.kind == "single":
            m = minute.first
            at = "整点" if m == 0 else f"第 {m} 分钟"
            if hour.kind == "every":
                text = f"每小时{at}"
            elif hour.kind == "range":
                text = f"{_hhmm(hour.first, m)} 至 {_hhmm(hour.last, m)} 每小时"
            elif hour.kind == "step":
                text = f"每 {hour.step} 小时{at}"
                if hour.first != 0 or not hour.open_ended:
                    text = f"{_hhmm(hour.first, m)} 至 {_hhmm(hour.last, m)} " + text
            elif sec.kind != "none":
                text = self.listing([_hhmm(h, m) for h in hour.values]) + " 这一分钟内"
            else:
                text = f"{self.numbers(hour.values)} 点的第 {m} 分钟"
            return f"{text}{seconds}" if seconds else text
        window = self.hours(hour)
        if minute.kind == "every" and seconds:
            if window.endswith(("，", "内")):
                return window + seconds
            return f"{window} {seconds}".strip()
        text = self.unit(minute, "分钟")
        if window:
            text = (window + text) if window.endswith(("，", "内")) else f"{window} {text}"
        return f"{text}{'的' + seconds if seconds else ''}"

    def days(self, s: Shape) -> str:
        if s.kind == "every":
            return "每天"
        if s.kind == "single":
            return f"每月 {s.first} 日"
        if s.kind == "step":
            if s.first == 1 and s.open_ended:
                return f"每月每 {s.step} 天"
            if s.open_ended:
                return f"每月从 {s.first} 日起每 {s.step} 天"
            return f"每月 {s.first} 日至 {s.last} 日每 {s.step} 天"
        if s.kind == "range":
            return f"每月 {s.first} 日至 {s.last} 日"
        return f"每月 {self.numbers(s.values)} 日"

    def last_day(self, k: int) -> str:
        return "每月最后一天" if k == 0 else f"每月最后一天的前 {k} 天"

    def last_business_day(self) -> str:
        return "每月最后一个工作日"

    def near_weekday(self, d: int) -> str:
        return f"每月最接近 {d} 日的工作日"

    def near_last_day(self, k: int) -> str:
        return f"每月最接近最后一天的前 {k} 天的工作日"

    def nth_weekday(self, n: int, wd: int) -> str:
        return f"每月{_ZH_ORDINALS[n]}{_ZH_WEEKDAYS[wd]}"

    def last_weekday(self, wd: int) -> str:
        return f"每月最后一个{_ZH_WEEKDAYS[wd]}"

    def weekdays(self, mask: int, alone: bool = True) -> str:
        words = []
        parts = weekday_runs(mask)
        for a, b in parts:
            if a == b:
                words.append(_ZH_WEEKDAYS[a])
            elif (a + 1) % 7 == b:
                words += [_ZH_WEEKDAYS[a], _ZH_WEEKDAYS[b]]
            else:
                words.append(f"{_ZH_WEEKDAYS[a]}至{_ZH_WEEKDAYS[b]}")
        text = self.listing(words, "和" if alone else "或")
        if alone and not (len(parts) == 1 and "至" in text):
            text = "每" + text
        return text

    def either(self, dom: str, dow: str) -> str:
        return f"{dom}或{dow}"

    def both(self, dom: str, dow: str) -> str:
        return f"{dom}中的{dow}"

    def month_part(self, s: Shape) -> str:
        if s.kind == "every":
            return ""
        if s.kind == "step" and s.first == 1 and s.open_ended and len(s.values) >= 3:
            return f"每 {s.step} 个月（{self.numbers(s.values)} 月）"
        return self.listing(
            [f"{a} 月" if a == b else f"{a} 月至 {b} 月" for a, b in runs(s.values)]
        )

    def year_part(self, years: tuple[tuple[int, int, int], ...]) -> str:
        if years == ALL_YEARS:
            return ""
        words = []
        for a, b, step in years:
            if a == b:
                words.append(f"{a} 年")
            elif step == 1:
                words.append(f"{a} 年至 {b} 年")
            else:
                words.append(f"{a} 年至 {b} 年每 {step} 年")
        return self.listing(words)
