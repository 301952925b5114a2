# The compiled engine kernel (``_speedups/_speedups.pyx``): exactly the public signatures of
# ``triggerkit._pyengine``; ``tests/engine/test_signatures.py`` checks that they agree.
from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Literal

__all__ = [
    "FLAG_DAY_OR",
    "FLAG_LAST_BUSINESS_DAY",
    "MAX_YEAR",
    "MIN_YEAR",
    "Spec",
    "ZoneRules",
    "civil_from_days",
    "compile_spec",
    "day_mask",
    "days_from_civil",
    "is_feasible",
    "matches",
    "next_datetime",
    "next_match",
    "prev_datetime",
    "prev_match",
]

MIN_YEAR: int
MAX_YEAR: int
FLAG_DAY_OR: int
FLAG_LAST_BUSINESS_DAY: int

class Spec:
    @property
    def years(self) -> tuple[tuple[int, int, int], ...]: ...
    @property
    def months(self) -> int: ...
    @property
    def days(self) -> int: ...
    @property
    def last_days(self) -> int: ...
    @property
    def nth_weekdays(self) -> int: ...
    @property
    def last_weekdays(self) -> int: ...
    @property
    def near_weekdays(self) -> int: ...
    @property
    def near_last_days(self) -> int: ...
    @property
    def flags(self) -> int: ...
    @property
    def weekdays(self) -> int: ...
    @property
    def weeks(self) -> int: ...
    @property
    def hours(self) -> int: ...
    @property
    def minutes(self) -> int: ...
    @property
    def seconds(self) -> int: ...
    @property
    def plain_days(self) -> bool: ...
    @property
    def min_hour(self) -> int: ...
    @property
    def max_hour(self) -> int: ...
    @property
    def min_minute(self) -> int: ...
    @property
    def max_minute(self) -> int: ...
    @property
    def min_second(self) -> int: ...
    @property
    def max_second(self) -> int: ...

class ZoneRules:
    def __init__(
        self,
        tz: tzinfo,
        fixed: int | None,
        utc: list[int],
        offsets: list[int],
        wall0: list[int],
        wall1: list[int],
    ) -> None: ...
    @property
    def tz(self) -> tzinfo: ...
    @property
    def fixed(self) -> int | None: ...
    @property
    def utc(self) -> list[int]: ...
    @property
    def offsets(self) -> list[int]: ...
    @property
    def wall0(self) -> list[int]: ...
    @property
    def wall1(self) -> list[int]: ...

def compile_spec(
    years: tuple[tuple[int, int, int], ...],
    months: int,
    days: int,
    last_days: int,
    nth_weekdays: int,
    last_weekdays: int,
    near_weekdays: int,
    flags: int,
    weekdays: int,
    weeks: int,
    hours: int,
    minutes: int,
    seconds: int,
    near_last_days: int = 0,
) -> Spec: ...
def days_from_civil(year: int, month: int, day: int) -> int: ...
def civil_from_days(days: int) -> tuple[int, int, int]: ...
def day_mask(spec: Spec, year: int, month: int) -> int: ...
def next_match(spec: Spec, t: int) -> int | None: ...
def prev_match(spec: Spec, t: int) -> int | None: ...
def matches(spec: Spec, t: int) -> bool: ...
def is_feasible(spec: Spec) -> bool: ...
def next_datetime(
    spec: Spec, rules: ZoneRules, after: datetime, inclusive: bool
) -> datetime | None | Literal[False]: ...
def prev_datetime(
    spec: Spec, rules: ZoneRules, before: datetime, inclusive: bool
) -> datetime | None | Literal[False]: ...
