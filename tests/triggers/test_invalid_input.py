"""Bad input: every message names the field, the value and what is allowed.

Also: whatever APScheduler 3.11 rejects, triggerkit rejects; specs that can never fire return
``None`` (never a hang, never an exception from inside the search).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfoNotFoundError

import apscheduler.triggers.cron as aps_cron
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triggerkit.errors import (
    CronSpecError,
    InvalidDateError,
    InvalidTimezoneError,
    TriggerArgumentError,
    TriggerkitValueError,
)
from triggerkit.strategies import edge_datetimes, edge_numbers
from triggerkit.triggers.cron import CronTrigger
from triggerkit.triggers.date import DateTrigger
from triggerkit.triggers.interval import IntervalTrigger

UTC = timezone.utc

# (kwargs, field named first in the message, value that must appear, words of what is allowed)
BAD_CRON = [
    ({"day_of_week": "mun"}, "day_of_week", "'mun'", "mon..sun"),
    ({"day_of_week": "7"}, "day_of_week", "7", "0-6"),
    ({"day_of_week": "fri-mon"}, "day_of_week", "fri-mon", "must not come after"),
    ({"day_of_week": "sun/2"}, "day_of_week", "sun/2", "range it steps through (0)"),
    ({"second": "60"}, "second", "60", "0-59"),
    ({"second": "-1"}, "second", "'-1'", "a second 0-59"),
    ({"minute": "60"}, "minute", "60", "0-59"),
    ({"minute": "*/0"}, "minute", "*/0", "at least 1"),
    ({"minute": "*/60"}, "minute", "*/60", "1-59"),
    ({"minute": "5-3"}, "minute", "5-3", "must not exceed"),
    ({"minute": "5-10/7"}, "minute", "5-10/7", "(5)"),
    ({"minute": "50/20"}, "minute", "50/20", "(9)"),
    ({"minute": "1,,2"}, "minute", "''", "a minute 0-59"),
    ({"minute": ""}, "minute", "empty", "a minute 0-59"),
    ({"minute": " "}, "minute", "empty", "a minute 0-59"),
    ({"minute": "1x"}, "minute", "'1x'", "a minute 0-59"),
    ({"minute": "*/5x"}, "minute", "'*/5x'", "a minute 0-59"),
    ({"minute": 1.5}, "minute", "1.5", "an int or a string"),
    ({"minute": True}, "minute", "True", "an int or a string"),
    ({"hour": "24"}, "hour", "24", "0-23"),
    ({"hour": "1-2-3"}, "hour", "'1-2-3'", "an hour 0-23"),
    ({"hour": "mon"}, "hour", "'mon'", "an hour 0-23"),
    ({"day": "32"}, "day", "32", "1-31"),
    ({"day": "0"}, "day", "0", "1-31"),
    ({"day": "6th fri"}, "day", "'6th fri'", "weekday position"),
    ({"day": "3rd fry"}, "day", "'fry'", "mon..sun"),
    ({"day": "last x"}, "day", "'x'", "mon..sun"),
    ({"day": "lastday"}, "day", "'lastday'", "'last'"),
    ({"week": "54"}, "week", "54", "1-53"),
    ({"week": "0"}, "week", "0", "1-53"),
    ({"month": "13"}, "month", "13", "1-12"),
    ({"month": "foo"}, "month", "'foo'", "jan..dec"),
    ({"month": "jan-foo"}, "month", "'foo'", "jan..dec"),
    ({"month": "dec-jan"}, "month", "dec-jan", "must not come after"),
    ({"year": "1969"}, "year", "1969", "1970-9999"),
    ({"year": "10000"}, "year", "10000", "1970-9999"),
    ({"year": "2030-2020"}, "year", "2030-2020", "must not exceed"),
]


@pytest.mark.parametrize(
    ("kwargs", "field", "value", "allowed"),
    BAD_CRON,
    ids=[f"{next(iter(k))}={next(iter(k.values()))!r}" for k, *_ in BAD_CRON],
)
def test_bad_cron_fields_name_field_value_and_allowed(
    kwargs: dict[str, object], field: str, value: str, allowed: str
) -> None:
    with pytest.raises(CronSpecError) as info:
        CronTrigger(timezone=UTC, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert message.startswith(f"{field}: ")
    assert value in message
    assert allowed in message
    assert info.value.field == field
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "field", "value", "allowed"),
    BAD_CRON,
    ids=[f"{next(iter(k))}={next(iter(k.values()))!r}" for k, *_ in BAD_CRON],
)
def test_bad_cron_fields_are_rejected_by_apscheduler_too_or_are_documented_differences(
    kwargs: dict[str, object], field: str, value: str, allowed: str
) -> None:
    # APScheduler 3.11 silently drops what follows a name: 'sun/2' is 'sun', 'lastday' 'last'.
    dropped = {("day_of_week", "sun/2"): "sun", ("day", "lastday"): "last"}
    key = next(iter(kwargs.items()))
    if key in dropped:
        index = ["year", "month", "day", "week", "day_of_week"].index(field)
        assert str(aps_cron.CronTrigger(timezone=UTC, **kwargs).fields[index]) == dropped[key]
        return
    with pytest.raises(ValueError):
        aps_cron.CronTrigger(timezone=UTC, **kwargs)


_chars = st.sampled_from(list("0123456789*/-, abcdefhilmnorstuwyADFJMNOS"))


@settings(derandomize=True, max_examples=400, deadline=None)
@given(
    st.sampled_from(["year", "month", "day", "week", "day_of_week", "hour", "minute", "second"]),
    st.text(_chars, min_size=1, max_size=9),
)
def test_whatever_apscheduler_rejects_is_rejected(field: str, text: str) -> None:
    try:
        aps_cron.CronTrigger(timezone=UTC, **{field: text})
    except ValueError:
        with pytest.raises(CronSpecError) as info:
            CronTrigger(timezone=UTC, **{field: text})  # type: ignore[arg-type]
        assert str(info.value).startswith(f"{field}: ")
        return
    try:
        CronTrigger(timezone=UTC, **{field: text})  # type: ignore[arg-type]
    except CronSpecError as exc:
        # Accepted by APScheduler only because it drops trailing text: we reject it, naming it.
        assert str(exc).startswith(f"{field}: ")


def test_trailing_garbage_is_rejected_where_apscheduler_drops_it() -> None:
    # APScheduler 3.11 reads 'mon-fri/2x' as 'mon-fri' and 'jan/2x' as 'jan'
    for field, text in (("day_of_week", "mon-fri/2x"), ("month", "jan/2x")):
        aps_cron.CronTrigger(timezone=UTC, **{field: text})
        with pytest.raises(CronSpecError, match=re.escape(f"{field}: ")):
            CronTrigger(timezone=UTC, **{field: text})  # type: ignore[arg-type]


def test_crontab_with_a_wrong_number_of_fields() -> None:
    with pytest.raises(CronSpecError) as info:
        CronTrigger.from_crontab("* * * *", timezone=UTC)
    assert str(info.value).startswith("crontab: '* * * *'")
    assert "Wrong number of fields; got 4, expected 5" in str(info.value)  # APScheduler's words
    assert "minute hour day month day_of_week" in str(info.value)


def test_crontab_field_errors_name_the_field() -> None:
    with pytest.raises(
        CronSpecError,
        match=r"^day_of_week: 'mun' is not a weekday name "
        r"\(mon..sun\) or number 0-6$",
    ):
        CronTrigger.from_crontab("* * * * mun", timezone=UTC)


BAD_ARGUMENTS = [
    (
        lambda: CronTrigger(start_date="2025-01-01", end_date="2024-01-01", timezone=UTC),
        TriggerArgumentError,
        "end_date",
        "2024-01-01",
        "start_date",
    ),
    (lambda: CronTrigger(jitter=-1, timezone=UTC), TriggerArgumentError, "jitter", "-1", ">= 0"),
    (
        lambda: CronTrigger(dst_gap="later", timezone=UTC),
        TriggerArgumentError,
        "dst_gap",
        "'later'",
        "'shift', 'skip'",
    ),
    (
        lambda: CronTrigger(dst_overlap="second", timezone=UTC),
        TriggerArgumentError,
        "dst_overlap",
        "'second'",
        "'auto', 'first', 'last', 'both'",
    ),
    (
        lambda: CronTrigger(start_date="2024-13-01", timezone=UTC),
        InvalidDateError,
        "start_date",
        "'2024-13-01'",
        "month must be in 1..12",
    ),
    (
        lambda: CronTrigger(end_date="yesterday", timezone=UTC),
        InvalidDateError,
        "end_date",
        "'yesterday'",
        "YYYY-MM-DD",
    ),
    (
        lambda: CronTrigger(timezone="Mars/Base"),
        InvalidTimezoneError,
        "timezone",
        "'Mars/Base'",
        "IANA zone name",
    ),
    (
        lambda: IntervalTrigger(minutes=-5, timezone=UTC),
        TriggerArgumentError,
        "minutes",
        "-5",
        ">= 0",
    ),
    (
        lambda: IntervalTrigger(seconds="5", timezone=UTC),
        TriggerArgumentError,
        "seconds",
        "'5'",
        ">= 0",
    ),
    (
        lambda: IntervalTrigger(
            hours=1, start_date="2025-01-01", end_date="2024-01-01", timezone=UTC
        ),
        TriggerArgumentError,
        "end_date",
        "2024-01-01",
        "start_date",
    ),
    (
        lambda: IntervalTrigger(hours=1, jitter=-2, timezone=UTC),
        TriggerArgumentError,
        "jitter",
        "-2",
        ">= 0",
    ),
    (
        lambda: DateTrigger("2024-02-30", UTC),
        InvalidDateError,
        "run_date",
        "'2024-02-30'",
        "day is out of range",
    ),
    (lambda: DateTrigger("soon", UTC), InvalidDateError, "run_date", "'soon'", "YYYY-MM-DD"),
    (
        lambda: DateTrigger("2024-01-01", "Nowhere/Land"),
        InvalidTimezoneError,
        "timezone",
        "'Nowhere/Land'",
        "IANA zone name",
    ),
]


@pytest.mark.parametrize(
    ("make", "error", "field", "value", "allowed"),
    BAD_ARGUMENTS,
    ids=[
        "start-after-end",
        "negative-jitter",
        "dst-gap",
        "dst-overlap",
        "bad-date",
        "date-text",
        "unknown-zone",
        "negative-interval",
        "interval-text",
        "interval-start-after-end",
        "interval-negative-jitter",
        "run-date-feb-30",
        "run-date-text",
        "date-unknown-zone",
    ],
)
def test_bad_arguments_name_field_value_and_allowed(
    make: object, error: type[Exception], field: str, value: str, allowed: str
) -> None:
    with pytest.raises(error) as info:
        make()  # type: ignore[operator]
    message = str(info.value)
    assert message.startswith(f"{field}: ")
    assert value in message
    assert allowed in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, TriggerkitValueError)
    assert info.value.field == field  # type: ignore[attr-defined]


def test_an_unknown_zone_is_also_the_error_apscheduler_lets_through() -> None:
    with pytest.raises(ZoneInfoNotFoundError):
        CronTrigger(timezone="Mars/Base")


@pytest.mark.parametrize("zone", [5, 1.5, object()], ids=["int", "float", "object"])
def test_a_zone_of_the_wrong_type_is_a_type_error(zone: object) -> None:
    with pytest.raises(TypeError, match="Expected tzinfo"):
        CronTrigger(timezone=zone)  # type: ignore[arg-type]


def test_errors_pickle() -> None:
    import pickle

    for make, *_ in BAD_ARGUMENTS + [(lambda: CronTrigger(minute="61", timezone=UTC),)]:
        try:
            make()  # type: ignore[operator]
        except ValueError as exc:
            copy = pickle.loads(pickle.dumps(exc))
            assert type(copy) is type(exc) and str(copy) == str(exc)


# --- specs that can never fire ----------------------------------------------------------------

NOW = datetime(2020, 6, 1, tzinfo=UTC)
IMPOSSIBLE = {
    "feb-30": {"month": 2, "day": 30},
    "feb-31": {"month": "feb", "day": 31},
    "apr-31": {"month": 4, "day": 31},
    "past-year": {"year": 1990},
    "past-year-range": {"year": "1970-2019"},
    "3rd-fri-on-a-monday": {"day": "3rd fri", "day_of_week": "mon"},
    "last-sun-on-a-saturday": {"day": "last sun", "day_of_week": "sat"},
    "3rd-fri-on-mon-to-thu": {"day": "3rd fri", "day_of_week": "mon-thu"},
    "week-53-in-june": {"week": 53, "month": 6},
    "week-1-in-july": {"week": 1, "month": 7},
    "week-20-in-december": {"week": 20, "month": 12},
    "5th-mon-in-february-non-leap": {"day": "5th mon", "month": 2, "year": "2021-2023"},
    "feb-29-in-non-leap-years": {"month": 2, "day": 29, "year": "2021-2023"},
    "day-31-in-30-day-months": {"month": "4,6,9,11", "day": "31"},
}


@pytest.mark.parametrize("spec", IMPOSSIBLE.values(), ids=IMPOSSIBLE.keys())
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "Pacific/Apia"])
def test_specs_that_never_fire_return_none(spec: dict[str, object], zone: str) -> None:
    trigger = CronTrigger(timezone=zone, **spec)  # type: ignore[arg-type]
    assert trigger.get_next_fire_time(None, NOW) is None
    assert trigger.get_next_fire_time(NOW, NOW) is None
    assert (
        trigger.get_prev_fire_time(NOW) is None
        or spec.get("year") == 1990
        or (spec.get("year") == "1970-2019")
    )


def test_past_years_still_have_a_previous_fire_time() -> None:
    trigger = CronTrigger(year=1990, timezone=UTC)
    # year=1990 defaults the smaller fields: month=1, day=1, 00:00:00
    assert trigger.get_prev_fire_time(NOW) == datetime(1990, 1, 1, tzinfo=UTC)


def test_a_first_week_day_can_be_a_monday_while_a_3rd_friday_cannot() -> None:
    # day='1-7' AND monday does fire (the first Monday of the month)
    trigger = CronTrigger(day="1-7", day_of_week="mon", timezone=UTC)
    assert trigger.get_next_fire_time(None, NOW) == datetime(2020, 6, 1, tzinfo=UTC)


def test_a_spec_that_fires_only_near_the_end_of_time_is_found() -> None:
    trigger = CronTrigger(year=9999, month=12, day=31, hour=23, minute=59, second=59, timezone=UTC)
    assert trigger.get_next_fire_time(None, NOW) == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    end = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert trigger.get_next_fire_time(end, end) is None


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("America/New_York", None),
        ("Etc/GMT+12", None),
        ("Europe/Berlin", "9999-12-31 23:59:59+01:00"),
        ("Pacific/Kiritimati", "9999-12-31 23:59:59+14:00"),
    ],
)
def test_the_last_second_of_9999_west_of_utc_is_none_not_an_overflow(
    zone: str, expected: str | None
) -> None:
    # Regression: 9999-12-31 23:59:59-05:00 is after the last instant a datetime can hold in
    # UTC; converting it raised OverflowError from inside the search.
    trigger = CronTrigger(year=9999, month=12, day=31, hour=23, minute=59, second=59, timezone=zone)
    found = trigger.get_next_fire_time(None, NOW)
    assert (None if found is None else str(found)) == expected
    back = trigger.get_prev_fire_time(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert (None if back is None else str(back)) == expected


# -- edges: the year range, non-finite numbers, wrong types (issue #13, item 9) -----------------


def _named(exc: BaseException, name: str) -> bool:
    return str(exc).startswith(f"{name}: ")


@pytest.mark.parametrize(
    ("build", "error", "name"),
    [
        (lambda: DateTrigger("0001-01-01", "Asia/Tokyo"), InvalidDateError, "run_date"),
        (lambda: DateTrigger("2030-01-01T00:00:00+25:00"), InvalidDateError, "run_date"),
        (lambda: IntervalTrigger(seconds=float("nan")), TriggerArgumentError, "seconds"),
        (lambda: IntervalTrigger(minutes=float("inf")), TriggerArgumentError, "minutes"),
        (lambda: IntervalTrigger(days=3650000), TriggerArgumentError, "interval"),
        (lambda: IntervalTrigger(weeks=1e300), TriggerArgumentError, "interval"),
        (lambda: CronTrigger(hour=1, jitter=float("nan")), TriggerArgumentError, "jitter"),
        (lambda: IntervalTrigger(seconds=1, jitter=float("inf")), TriggerArgumentError, "jitter"),
        (lambda: CronTrigger(hour=1, jitter="5"), TypeError, "jitter"),
        (lambda: CronTrigger.from_crontab(None), TypeError, "crontab"),  # type: ignore[arg-type]
        (
            lambda: CronTrigger(start_date="9999-12-31 23:00", timezone="Pacific/Pago_Pago"),
            InvalidDateError,
            "start_date",
        ),
    ],
    ids=[
        "date-year-0",
        "offset-25h",
        "interval-nan",
        "interval-inf",
        "interval-past-9999",
        "interval-overflow",
        "cron-jitter-nan",
        "interval-jitter-inf",
        "jitter-type",
        "crontab-none",
        "start-past-9999-utc",
    ],
)
def test_edge_inputs_give_a_documented_error_naming_the_argument(
    build: object, error: type[Exception], name: str
) -> None:
    with pytest.raises(error) as info:
        build()  # type: ignore[operator]
    assert _named(info.value, name), str(info.value)
    assert isinstance(info.value, (TriggerkitValueError, TypeError))


def test_the_combining_triggers_check_their_jitter() -> None:
    from triggerkit.triggers.combining import OrTrigger

    with pytest.raises(TriggerArgumentError, match="^jitter: "):
        OrTrigger([CronTrigger(hour=1, timezone=UTC)], jitter=float("nan"))


def test_results_past_year_9999_are_none() -> None:
    from triggerkit import Cron

    assert Cron("* * * * *").next("9999-12-31 23:59:59.999999") is None
    end = datetime(9999, 12, 31, tzinfo=UTC)
    trigger = IntervalTrigger(days=1, start_date=end, timezone=UTC)
    assert trigger.get_next_fire_time(end, end) is None
    far = IntervalTrigger(days=3650000, start_date=datetime(2030, 1, 1, tzinfo=UTC))
    assert far.get_next_fire_time(far.start_date, far.start_date) is None
    jittered = CronTrigger(second="*", jitter=5, timezone=UTC)
    late = jittered.get_next_fire_time(None, datetime(9999, 12, 31, 23, 59, 58, tzinfo=UTC))
    assert late is not None and late.year == 9999


def test_an_unknown_dialect_is_a_cron_spec_error() -> None:
    from triggerkit import Cron

    with pytest.raises(CronSpecError, match="^dialect: 'POSIX' is not a dialect"):
        Cron("* * * * *", dialect="POSIX")


# The fuzz: constructors and searches fed the year edges and non-finite numbers answer with a
# value, None or a documented error; never OverflowError, AttributeError or a bare ValueError.
DOCUMENTED = (TriggerkitValueError, TypeError)
EDGE = settings(max_examples=200, deadline=None)


@EDGE
@given(edge_datetimes(), st.sampled_from(["UTC", "Asia/Tokyo", "Pacific/Kiritimati"]))
def test_fuzz_date_triggers_at_the_year_edges(when: datetime, zone: str) -> None:
    try:
        trigger = DateTrigger(when, zone)
    except DOCUMENTED as exc:
        assert _named(exc, "run_date")
        return
    assert trigger.get_next_fire_time(None, datetime(2030, 1, 1, tzinfo=UTC)) is not None


@EDGE
@given(edge_datetimes(), st.sampled_from(["* * * * *", "0 0 29 2 *", "59 23 31 12 *"]))
def test_fuzz_cron_searches_from_the_year_edges(when: datetime, expr: str) -> None:
    from triggerkit import Cron

    cron = Cron(expr, tz="Pacific/Kiritimati")
    for step in (cron.next, cron.prev):
        try:
            found = step(when)
        except DOCUMENTED as exc:
            assert _named(exc, "after") or _named(exc, "before") or "is not a valid" in str(exc)
            continue
        assert found is None or isinstance(found, datetime)


@EDGE
@given(
    st.sampled_from(["weeks", "days", "hours", "minutes", "seconds", "jitter"]),
    edge_numbers(),
    edge_datetimes(naive=False),
)
def test_fuzz_interval_numbers_and_edge_times(name: str, number: float, now: datetime) -> None:
    kwargs: dict[str, object] = {name: number, "start_date": datetime(2030, 1, 1, tzinfo=UTC)}
    if name == "jitter":
        kwargs["seconds"] = 1
    try:
        trigger = IntervalTrigger(**kwargs)  # type: ignore[arg-type]
    except DOCUMENTED as exc:
        assert _named(exc, name) or _named(exc, "interval"), str(exc)
        return
    try:
        now.astimezone(UTC)
    except OverflowError:
        return  # not an instant: no API receives it as one (convert_to_datetime rejects it)
    for previous in (None, now):
        found = trigger.get_next_fire_time(previous, now)
        assert found is None or isinstance(found, datetime)


@EDGE
@given(edge_numbers())
def test_fuzz_cron_jitter(number: float) -> None:
    try:
        trigger = CronTrigger(second="*", jitter=number, timezone=UTC)
    except DOCUMENTED as exc:
        assert _named(exc, "jitter"), str(exc)
        return
    end = datetime(9999, 12, 31, 23, 59, 50, tzinfo=UTC)
    found = trigger.get_next_fire_time(None, end)
    assert found is None or found.year == 9999
