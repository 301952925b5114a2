"""Cron field inputs APScheduler 3 accepts that look odd: '0-0/n' and digits of other scripts.
Each is compared with APScheduler 3.11.3 itself."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger as ApsCronTrigger
from chains import chain

from triggerkit.errors import CronSpecError
from triggerkit.triggers.cron import CronTrigger

UTC = timezone.utc
START = datetime(2024, 1, 30, 22, 58, tzinfo=UTC)


def fires(trigger: Any, count: int = 6) -> list[datetime]:
    out = chain(trigger, START, count)
    assert len(out) == count
    return out


@pytest.mark.parametrize(
    "kwargs",
    [
        {"second": "0-0/5"},
        {"minute": "0-0/15", "second": "30"},
        {"day": "٣"},  # Arabic-Indic three
        {"minute": "٥/١٠"},
        {"hour": "１２", "minute": "０"},  # fullwidth digits
        {"day_of_week": "٣", "hour": "۹"},  # Extended Arabic-Indic nine
        {"year": "٢٠٢٥", "minute": "*/30"},
        {"day": "१-३"},  # Devanagari range
    ],
    ids=lambda v: str(v),
)
def test_it_fires_as_apscheduler_does(kwargs: dict[str, Any]) -> None:
    assert fires(CronTrigger(timezone=UTC, **kwargs)) == fires(
        ApsCronTrigger(timezone=UTC, **kwargs)
    )


# parsed fields are cached per process: each call takes a step not parsed before, so it logs
STEPS = itertools.count(7)


def test_zero_to_zero_with_a_step_fires_at_zero_only_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    step = next(STEPS)
    trigger = CronTrigger(second=f"0-0/{step}", timezone=UTC)
    assert [d.second for d in fires(trigger, 3)] == [0, 0, 0]
    assert str(trigger) == f"cron[second='0-0/{step}']"  # as written, not '0/{step}'
    assert f"second: '0-0/{step}' fires at 0 only" in caplog.text


@pytest.mark.parametrize("text", ["5-5/5", "0-3/5"])
def test_other_steps_longer_than_their_range_are_rejected_quoting_the_input(text: str) -> None:
    with pytest.raises(CronSpecError, match=f"second: step 5 in '{text}' exceeds"):
        CronTrigger(second=text, timezone=UTC)
    with pytest.raises(ValueError):
        ApsCronTrigger(second=text, timezone=UTC)


def test_a_value_in_other_digits_is_still_range_checked() -> None:
    with pytest.raises(CronSpecError, match="day: 32 .* out of range 1-31"):
        CronTrigger(day="٣٢", timezone=UTC)
