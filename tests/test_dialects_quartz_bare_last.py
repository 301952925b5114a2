"""Quartz dialect: a bare 'L' in day of week (7, Saturday) stands alone, as in Quartz."""

from __future__ import annotations

import pytest

from triggerkit import Cron, validate
from triggerkit.errors import CronSpecError


@pytest.mark.parametrize("dow", ["SAT,SUN,L", "L,MON", "1-3,L", "L,5L", "6#3,L"])
def test_a_bare_l_with_other_weekdays_is_rejected_with_the_field_and_the_fix(dow: str) -> None:
    expr = f"0 0 12 ? * {dow}"
    result = validate(expr, "quartz")
    (error,) = result.errors
    assert error.field == "day_of_week"
    assert error.span == (expr.index(dow), len(expr))
    assert f"'{dow}' lists a bare 'L' (7, Saturday) with other weekdays" in error.message
    assert "write 'L' alone" in error.message
    with pytest.raises(CronSpecError, match="bare 'L'"):
        Cron(expr, "UTC", "quartz")


@pytest.mark.parametrize(
    ("dow", "weekday"),
    [("L", 5), ("l", 5), ("SAT", 5), ("7", 5)],
)
def test_a_bare_l_alone_is_saturday(dow: str, weekday: int) -> None:
    cron = Cron(f"0 0 12 ? * {dow}", "UTC", "quartz")
    times = cron.next_times(3, "2026-01-01T00:00:00+00:00")
    assert {t.weekday() for t in times} == {weekday}
