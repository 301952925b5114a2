"""DateTrigger (rule L: naive input), against APScheduler 3.11."""

from __future__ import annotations

import pickle
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import apscheduler.triggers.date as aps_date
import pytest

from triggerkit.triggers.date import DateTrigger

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")


def test_date_fires_once() -> None:
    when = datetime(2024, 5, 1, 12, tzinfo=UTC)
    trigger = DateTrigger(when)
    assert trigger.get_next_fire_time(None, datetime(2030, 1, 1, tzinfo=UTC)) == when
    assert trigger.get_next_fire_time(when, when) is None


def test_a_fraction_of_a_second_in_text_is_a_fraction_of_a_second() -> None:
    # Deliberate difference: APScheduler 3.11 reads '.5' as 5 microseconds.
    ours = DateTrigger("2009-08-01 05:16:12.5", BERLIN)
    assert ours.run_date == datetime(2009, 8, 1, 5, 16, 12, 500000, tzinfo=BERLIN)
    assert DateTrigger("2009-08-01 05:16:12,25", BERLIN).run_date.microsecond == 250000
    assert DateTrigger("2009-08-01 05:16:12.000005", BERLIN).run_date.microsecond == 5
    theirs = aps_date.DateTrigger("2009-08-01 05:16:12.5", BERLIN)
    assert theirs.run_date.microsecond == 5


@pytest.mark.parametrize(
    "text",
    [
        "2009-08-01",
        "2009-08-01 05:16:12",
        "2009-08-01T05:16:12",
        "2009-08-01 05:16:12Z",
        "2009-08-01 05:16:12+05:30",
        "2009-08-01 05:16:12-03:00",
    ],
)
def test_date_text_reads_like_apscheduler(text: str) -> None:
    assert DateTrigger(text, BERLIN).run_date == aps_date.DateTrigger(text, BERLIN).run_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2009-08-01 05:16", datetime(2009, 8, 1, 5, 16, tzinfo=BERLIN)),
        (
            "2009-08-01 05:16:12-0300",
            datetime(2009, 8, 1, 5, 16, 12, tzinfo=timezone(timedelta(hours=-3))),
        ),
    ],
)
def test_date_text_also_reads_forms_apscheduler_refuses(text: str, expected: datetime) -> None:
    assert DateTrigger(text, BERLIN).run_date == expected
    with pytest.raises(ValueError):
        aps_date.DateTrigger(text, BERLIN)


@pytest.mark.parametrize(
    ("run_date", "zone", "expected"),
    [
        # rule L: a naive time in a gap takes the offset before it (fold=0)
        ("2016-03-27 02:30:00", "Europe/Berlin", "2016-03-27 01:30:00+00:00"),
        # rule L: a repeated naive time is its first occurrence
        ("2013-11-03 01:30:00", "America/New_York", "2013-11-03 05:30:00+00:00"),
        (datetime(2013, 11, 3, 1, 30), "America/New_York", "2013-11-03 05:30:00+00:00"),
        (date(2022, 9, 11), "America/Santiago", "2022-09-11 04:00:00+00:00"),
    ],
    ids=["berlin-gap", "new-york-overlap-text", "new-york-overlap-naive", "santiago-midnight"],
)
def test_naive_run_dates_follow_rule_l_like_apscheduler(
    run_date: object, zone: str, expected: str
) -> None:
    ours = DateTrigger(run_date, zone)  # type: ignore[arg-type]
    theirs = aps_date.DateTrigger(run_date, zone)
    assert str(ours.run_date.astimezone(UTC)) == expected
    assert ours.run_date.astimezone(UTC) == theirs.run_date.astimezone(UTC)


def test_date_str_repr_and_state_equal_apscheduler() -> None:
    ours = DateTrigger(datetime(2024, 5, 1, 12, tzinfo=BERLIN))
    theirs = aps_date.DateTrigger(datetime(2024, 5, 1, 12, tzinfo=BERLIN))
    assert str(ours) == str(theirs) == "date[2024-05-01 12:00:00 CEST]"
    assert repr(ours) == repr(theirs)
    assert ours.__getstate__() == theirs.__getstate__()
    loaded = DateTrigger.__new__(DateTrigger)
    loaded.__setstate__(theirs.__getstate__())
    assert loaded == ours
    assert pickle.loads(pickle.dumps(ours)) == ours


def test_date_defaults_to_now() -> None:
    before = datetime.now(UTC)
    trigger = DateTrigger(timezone=UTC)
    assert before <= trigger.run_date <= datetime.now(UTC)
