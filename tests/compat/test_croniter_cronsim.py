"""Forward search compared with croniter 7.0.0 and cronsim 2.8 where their semantics match.

Only in UTC (no DST), and only for specs that mean the same under POSIX rules: day and
day_of_week are never both restricted (POSIX ORs them), weekdays are renumbered (ours
0 = Monday, theirs 0 = Sunday), our ``3rd fri`` is their ``5#3`` and our ``last`` their ``L``.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone

import croniter
import cronsim
import pytest
from diff_cases import PosixCase, posix_chains, random_posix_case
from hypothesis import given, settings
from hypothesis import strategies as st

from triggerkit.triggers.cron import CronTrigger

UTC = timezone.utc
SEEDS = st.integers(0, 2**32).map(random.Random)


@settings(derandomize=True, deadline=None, max_examples=80)
@given(SEEDS, st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1), timezones=st.just(UTC)))
def test_chains_equal_croniter_and_cronsim(rnd: random.Random, start: datetime) -> None:
    case = random_posix_case(rnd)
    chains = posix_chains(case, start)
    assert len(chains["triggerkit"]) == 20
    assert [d.astimezone(UTC) for d in chains["croniter"]] == chains["triggerkit"], case
    assert [d.astimezone(UTC) for d in chains["cronsim"]] == chains["triggerkit"], case


TABLE = [
    PosixCase(
        {"minute": "*/5", "hour": "9-17", "day": "*", "month": "*", "day_of_week": "mon-fri"},
        "*/5 9-17 * * 1-5",
    ),
    PosixCase(
        {"minute": "0", "hour": "0", "day": "last", "month": "*", "day_of_week": "*"}, "0 0 L * *"
    ),
    PosixCase(
        {"minute": "30", "hour": "12", "day": "3rd fri", "month": "*", "day_of_week": "*"},
        "30 12 * * 5#3",
    ),
    PosixCase(
        {"minute": "0", "hour": "12", "day": "*", "month": "*", "day_of_week": "sun"}, "0 12 * * 0"
    ),
    PosixCase(
        {"minute": "59", "hour": "23", "day": "31", "month": "dec", "day_of_week": "*"},
        "59 23 31 12 *",
    ),
    PosixCase(
        {"minute": "0", "hour": "0", "day": "29", "month": "2", "day_of_week": "*"}, "0 0 29 2 *"
    ),
    PosixCase(
        {"minute": "10/20", "hour": "1-5/2", "day": "*/10", "month": "*", "day_of_week": "*"},
        "10/20 1-5/2 */10 * *",
    ),
]


@pytest.mark.parametrize("case", TABLE, ids=[c.line for c in TABLE])
def test_fixed_specs_equal_croniter_and_cronsim(case: PosixCase) -> None:
    chains = posix_chains(case, datetime(2023, 12, 30, 12, 0, 30, tzinfo=UTC))
    assert [d.astimezone(UTC) for d in chains["croniter"]] == chains["triggerkit"]
    assert [d.astimezone(UTC) for d in chains["cronsim"]] == chains["triggerkit"]


def test_posix_ors_day_and_weekday_where_apscheduler_ands_them() -> None:
    # The reason the differential cases never restrict both: a documented semantic difference.
    start = datetime(2024, 5, 1, tzinfo=UTC)
    ours = CronTrigger(day=13, day_of_week="fri", timezone=UTC)
    first = ours.get_next_fire_time(None, start)
    assert first == datetime(2024, 9, 13, tzinfo=UTC)  # Friday the 13th
    assert croniter.croniter("0 0 13 * 5", start).get_next(datetime) == datetime(
        2024, 5, 3, tzinfo=UTC
    )  # the first Friday *or* 13th
    assert next(cronsim.CronSim("0 0 13 * 5", start)) == datetime(2024, 5, 3, tzinfo=UTC)


def test_croniter_reads_a_one_value_range_as_every_value() -> None:
    # A croniter 7.0.0 quirk the differential cases avoid: '8-8' fires every hour there.
    start = datetime(2024, 5, 1, 0, 0, 30, tzinfo=UTC)
    assert croniter.croniter("0 8-8 * * *", start).get_next(datetime) == datetime(
        2024, 5, 1, 1, tzinfo=UTC
    )
    ours = CronTrigger(minute=0, hour="8-8", timezone=UTC)
    assert ours.get_next_fire_time(None, start) == datetime(2024, 5, 1, 8, tzinfo=UTC)
    assert next(cronsim.CronSim("0 8-8 * * *", start)) == start.replace(hour=8, second=0)
