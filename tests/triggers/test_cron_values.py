"""``CronTrigger``'s one-pass masks (``triggers/cron/_values.py``) against its field parsers,
and the fields parsed on first read: same masks, same rule-O flag, same fields, same errors and
warnings as when every trigger parsed its fields at once."""

from __future__ import annotations

import logging
import pickle
from datetime import datetime, timezone
from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import triggerkit.triggers.cron as cron_module
from triggerkit.triggers.cron import CronTrigger, _defaulted, _masks_for
from triggerkit.triggers.cron._values import masks_of

UTC = timezone.utc
NAMES = CronTrigger.FIELD_NAMES


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def parse_fields(values: tuple[Any, ...]) -> tuple[Any, list[str]]:
    """The field parsers' masks and rule-O flag (or the error), with the warnings they log."""
    records = Records()
    logger = logging.getLogger("triggerkit")
    logger.addHandler(records)
    try:
        fields = tuple(
            CronTrigger.FIELDS_MAP[name](name, exprs, is_default)  # never the cached fields
            for name, exprs, is_default in _defaulted(dict(zip(NAMES, values, strict=True)))
        )
        return _masks_for.__wrapped__(fields), records.messages
    except Exception as exc:  # noqa: BLE001 - whatever the parsers raise, compared below
        return exc, records.messages
    finally:
        logger.removeHandler(records)


def check(values: tuple[Any, ...]) -> Any:
    fast = masks_of(values)
    slow, warnings = parse_fields(values)
    if fast is not None:
        assert not isinstance(slow, Exception), slow
        assert warnings == []
        assert fast == slow
    return fast


NUMBERS = st.one_of(
    st.integers(-1, 60),
    st.integers(1968, 2100),
    st.sampled_from(["00", "07", "007", "0012", "2026", "9" * 12]),
).map(str)
NAMES_TEXT = st.sampled_from(
    ["jan", "Feb", "DEC", "march", "mon", "Fri", "SUN", "sat", "x", "last", "LAST", ""]
)
VALID = st.one_of(st.integers(1, 12).map(str), st.sampled_from(["jan", "Mar", "mon", "FRI"]))
ATOMS = st.one_of(VALID, VALID, NUMBERS, NAMES_TEXT)
ITEMS = st.one_of(
    st.just("*"),
    ATOMS,
    ATOMS,
    st.tuples(ATOMS, ATOMS).map("-".join),
    st.tuples(ATOMS, ATOMS).map("-".join),
    st.tuples(st.sampled_from(["*", "5", "mon", "1-5", "10-20", "jan-mar", "0-0"]), NUMBERS).map(
        "/".join
    ),
    st.tuples(ATOMS, ATOMS, NUMBERS).map(lambda p: f"{p[0]}-{p[1]}/{p[2]}"),
    st.sampled_from(
        ["1st fri", "3rd  MON", "last sun", "5th sat", "6th fri", "3rd xyz", "last\n", "1st"]
    ),
    st.sampled_from(["١", "１２", " 5", "5 ", "5\n", "\t5", "*/", "5/2/3", "?", "L"]),
)
TEXTS = st.lists(ITEMS, min_size=1, max_size=3).flatmap(
    lambda items: st.sampled_from([",", ", ", " ,", " , "]).map(lambda sep: sep.join(items))
)
VALUES = st.one_of(
    st.none(),
    st.none(),
    TEXTS,
    st.integers(-2, 70),
    st.integers(1968, 2100),
    st.sampled_from([True, False, 5.0, 1.5, b"5", ("5",)]),
)


SKELETONS = [
    (None, None, None, None, None, None, None, None),
    (None, None, None, None, None, None, "*", None),
    (None, None, None, None, "mon-fri", 9, 0, None),
    (None, 1, 1, None, None, 0, 0, None),
]


@st.composite
def field_values(draw: st.DrawFn) -> tuple[Any, ...]:
    """Common values with one to three of them replaced."""
    values = list(draw(st.sampled_from(SKELETONS)))
    for _ in range(draw(st.sampled_from([1, 1, 2, 3]))):
        values[draw(st.integers(0, 7))] = draw(VALUES)
    return tuple(values)


@settings(max_examples=500, deadline=None, database=None)
@given(values=field_values())
@example(values=(None,) * 8)
@example(values=(None, None, None, None, None, None, "0-0/5", None))
@example(values=(None, None, None, None, None, True, None, None))
@example(values=(None, None, "last, 3rd fri", None, "mon-fri/2", 9, "*/15", None))
@example(values=(2030, "jan", 1, "*", "*", 0, 0, 0))
def test_one_pass_equals_the_field_parsers(values: tuple[Any, ...]) -> None:
    check(values)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"minute": "*"},
        {"minute": "*/5"},
        {"minute": 0, "hour": 9, "day_of_week": "mon-fri"},
        {"minute": "*/15", "hour": "9-17", "day_of_week": "MON-fri"},
        {"month": 1, "day": 1, "hour": 0, "minute": 0},
        {"day": "last", "hour": 0, "minute": 0},
        {"day": "3rd fri", "hour": 0, "minute": 0},
        {"second": "*/10"},
        {"year": "2025-2030/2", "month": "jan,jul", "day": "1, 15"},
        {"week": "1-52/2", "day_of_week": 6},
    ],
)
def test_common_values_take_the_one_pass_path(kwargs: dict[str, Any]) -> None:
    values = tuple(kwargs.get(name) for name in NAMES)
    assert check(values) is not None


def eager(**kwargs: Any) -> CronTrigger:
    """The trigger as built when every trigger parsed its fields at once."""
    cron_module._spec_for.cache_clear()
    cron_module._trigger_spec.cache_clear()
    with mock.patch.object(cron_module, "masks_of", return_value=None):
        trigger = CronTrigger(**kwargs)
    cron_module._spec_for.cache_clear()
    cron_module._trigger_spec.cache_clear()
    return trigger


@pytest.mark.parametrize(
    "kwargs",
    [
        {"minute": "*/15", "hour": "9-17", "day_of_week": "mon-fri"},
        {"day": "last, 3rd fri", "hour": 7, "minute": "05"},
        {"year": "2026", "month": "FEB-mar", "day": "1-7", "second": "*/20"},
        {"second": 0},
        {},
    ],
)
def test_fields_read_later_are_the_fields_parsed_at_once(kwargs: dict[str, Any]) -> None:
    cron_module._spec_for.cache_clear()
    cron_module._trigger_spec.cache_clear()
    lazy = CronTrigger(timezone=UTC, **kwargs)
    now = eager(timezone=UTC, **kwargs)
    assert lazy.field_masks == now.field_masks
    assert str(lazy) == str(now)
    assert repr(lazy) == repr(now)
    assert lazy == now and hash(lazy) == hash(now)
    assert [(f.name, str(f), f.is_default, repr(f)) for f in lazy.fields] == [
        (f.name, str(f), f.is_default, repr(f)) for f in now.fields
    ]
    assert lazy.__getstate__() == now.__getstate__()
    copy = pickle.loads(pickle.dumps(lazy))
    assert copy == now and copy.field_masks == now.field_masks
    start = datetime(2026, 3, 1, tzinfo=UTC)
    assert lazy.get_next_fire_time(None, start) == now.get_next_fire_time(None, start)


def test_fields_are_parsed_once_and_can_be_set() -> None:
    trigger = CronTrigger(minute="*/7", hour="1-3", timezone=UTC)
    fields = trigger.fields
    assert trigger.fields is fields  # parsed on the first read only
    replacement = list(CronTrigger(minute=5, timezone=UTC).fields)
    trigger.fields = replacement
    assert trigger.fields is replacement
    trigger.fields = tuple(replacement)  # type: ignore[assignment]
    assert trigger.fields == replacement and isinstance(trigger.fields, list)


def test_warnings_and_errors_are_those_of_the_field_parsers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cron_module._spec_for.cache_clear()
    cron_module._trigger_spec.cache_clear()
    cron_module._cached_field.cache_clear()
    with caplog.at_level(logging.WARNING, logger="triggerkit"):
        CronTrigger(second="0-0/5", timezone=UTC)
    assert "fires at 0 only" in caplog.text
    for kwargs in ({"hour": 24}, {"minute": "5-1"}, {"day": "6th fri"}, {"hour": True}):
        with pytest.raises(Exception) as fast:
            CronTrigger(timezone=UTC, **kwargs)
        with pytest.raises(Exception) as slow:
            eager(timezone=UTC, **kwargs)
        assert type(fast.value) is type(slow.value) and str(fast.value) == str(slow.value)


def boundary_values(name: str) -> list[Any]:
    """Values around a field's limits: every form, every step edge, names and numbers mixed."""
    lo, hi = {"year": (1970, 2100), "week": (1, 53)}.get(name, (0, 0))
    lo, hi = (
        (lo, hi)
        if hi
        else {"month": (1, 12), "day": (1, 31), "day_of_week": (0, 6)}.get(
            name, (0, 59 if name in ("minute", "second") else 23)
        )
    )
    names = {"month": ["jan", "DEC"], "day_of_week": ["mon", "Sun"], "day": ["last"]}.get(name, [])
    atoms = sorted({str(v) for v in (lo - 1, lo, lo + 1, hi - 1, hi, hi + 1)} - {"-1"})
    atoms += ["00", "07", "x", ""] + names
    steps = sorted({str(v) for v in (0, 1, 2, hi - lo - 1, hi - lo, hi - lo + 1)})
    texts = ["*", " * ", "?"] + atoms + [f"*/{s}" for s in steps]
    texts += [f"{a}-{b}" for a in atoms for b in atoms]
    texts += [f"{a}/{s}" for a in atoms for s in steps]
    texts += [f"{a}-{b}/{s}" for a in atoms[:8] + names[:1] for b in atoms for s in steps]
    texts += [f"{t}, {lo}" for t in texts[:40]]
    return texts + [lo - 1, lo, hi, hi + 1]


@pytest.mark.parametrize("position", range(8))
def test_one_pass_at_every_field_edge(position: int) -> None:
    accepted = 0
    for value in boundary_values(NAMES[position]):
        values: list[Any] = [None] * 8
        values[position] = value
        accepted += check(tuple(values)) is not None
    assert accepted > 20  # the common forms among them did take the one-pass path
