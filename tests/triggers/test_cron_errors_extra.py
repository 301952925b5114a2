"""Regression tests for parser inputs that used to escape as plain ValueErrors."""

from __future__ import annotations

import pytest

from triggerkit.errors import CronSpecError
from triggerkit.triggers.cron import CronTrigger


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("9" * 5000, "value 999999999999... is far out of range"),
        ("1-" + "9" * 50, "is far out of range"),
        ("*/" + "9" * 20, "step 999999999999... is far out of range"),
    ],
    ids=["huge-number", "huge-range-end", "huge-step"],
)
def test_it_rejects_absurdly_long_numbers_with_a_cron_spec_error(value: str, fragment: str) -> None:
    with pytest.raises(CronSpecError) as info:
        CronTrigger(minute=value, timezone="UTC")
    assert info.value.field == "minute"
    assert fragment in str(info.value)
    assert len(str(info.value)) < 200


def test_it_reads_decimal_digits_of_any_script_as_apscheduler_does() -> None:
    # issue 12: APScheduler 3's \d patterns accept them (drop-in wins over strictness)
    assert str(CronTrigger(minute="\u0663", timezone="UTC")) == "cron[minute='3']"


def test_it_rejects_digit_like_characters_that_are_not_decimal_digits() -> None:
    with pytest.raises(CronSpecError) as info:
        CronTrigger(minute="\u00b3", timezone="UTC")  # superscript three, not a decimal digit
    assert "is not a minute 0-59" in str(info.value)
