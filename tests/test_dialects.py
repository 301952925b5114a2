"""The dialect parser's one-pass path (``triggerkit._dialects``): every expression it accepts is
one the general parser accepts without a problem or a warning, with the same result; the
common forms do take it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from triggerkit import Cron, _dialects
from triggerkit._dialects import Parsed, Problem
from triggerkit.strategies import cron_expressions, invalid_cron_expressions


@contextmanager
def general_path_only() -> Iterator[None]:
    with mock.patch.object(_dialects, "_parse_common", return_value=None):
        yield


def general(
    expr: str, dialect: str, seconds: bool, job_id: str | None = None
) -> tuple[Parsed | None, list[Problem]]:
    with general_path_only():
        return _dialects.parse_report(expr, dialect, seconds=seconds, job_id=job_id)


def check(expr: str, dialect: str, seconds: bool) -> Parsed | None:
    """Assert the one-pass result (if any) is the general parser's, and return it."""
    fast = _dialects._parse_common(expr, dialect, seconds)
    parsed, problems = general(expr, dialect, seconds)
    if fast is not None:
        assert problems == []
        assert parsed == fast
        assert parsed is not None and parsed.step_warnings == ()
        assert fast.fields == parsed.fields
    return fast


# Pieces that make common, rare and wrong items alike, in both dialects (valid ones weighted up).
NUMBERS = st.one_of(
    st.integers(-1, 62).map(str),
    st.sampled_from(["00", "07", "007", "0012", "99", "100", "2026", "9" * 12]),
)
NAMES = st.sampled_from(
    ["jan", "Feb", "DEC", "march", "mon", "Fri", "SUN", "sat", "thu", "L", "W", "H", "x", ""]
)
VALID = st.one_of(st.integers(1, 12).map(str), st.sampled_from(["jan", "Mar", "mon", "FRI"]))
ATOMS = st.one_of(VALID, VALID, NUMBERS, NAMES)
STEPS = st.one_of(st.integers(1, 8).map(str), NUMBERS)
ITEMS = st.one_of(
    st.just("*"),
    st.just("?"),
    ATOMS,
    ATOMS,
    st.tuples(ATOMS, ATOMS).map("-".join),
    st.tuples(ATOMS, ATOMS).map("-".join),
    st.tuples(st.sampled_from(["*", "5", "mon", "1-5", "10-20", "50-10", "jan-mar"]), STEPS).map(
        "/".join
    ),
    st.tuples(ATOMS, ATOMS, STEPS).map(lambda p: f"{p[0]}-{p[1]}/{p[2]}"),
    st.sampled_from(
        ["L", "l", "LW", "L-3", "L-3W", "15W", "5L", "FRI#3", "fri#6", "6#3", "7#1", "MON#03"]
    ),
    st.sampled_from(["H", "H/5", "H(0-29)/10", "١", "5,", ",5", "*/", "5/2/3", "\u0660"]),
)
FIELDS = st.lists(ITEMS, min_size=1, max_size=3).map(",".join)
SKELETONS = {
    "posix": ["* * * * *", "0 0 1 * *", "0 0 * * 1"],
    "quartz": ["0 * * ? * *", "0 0 0 * * ?", "0 0 0 1 * ? *"],
}


@st.composite
def expressions(draw: st.DrawFn, dialect: str) -> str:
    """A valid skeleton with one or two fields replaced (or a count that is off)."""
    fields = draw(st.sampled_from(SKELETONS[dialect])).split()
    for _ in range(draw(st.sampled_from([1, 1, 1, 2]))):
        fields[draw(st.integers(0, len(fields) - 1))] = draw(FIELDS)
    if draw(st.integers(0, 9)) == 0:
        fields = fields + [draw(FIELDS)] if draw(st.booleans()) else fields[1:]
    return " ".join(fields)


@settings(max_examples=600, deadline=None, database=None)
@given(
    case=st.sampled_from(["posix", "quartz"]).flatmap(
        lambda d: expressions(d).map(lambda e: (d, e))
    ),
    seconds=st.booleans(),
)
@example(case=("posix", "0 0 * * 0-7/7"), seconds=False)
@example(case=("quartz", "0 0 0 ? * 1-7/6"), seconds=False)
@example(case=("posix", "*/60 * * * *"), seconds=False)
@example(case=("posix", "5-5/1 * * * *"), seconds=False)
def test_one_pass_equals_the_general_parser(case: tuple[str, str], seconds: bool) -> None:
    dialect, expr = case
    check(expr, dialect, seconds and dialect == "posix")


def boundary_items(lo: int, hi: int, names: tuple[str, ...]) -> list[str]:
    """Items around a field's limits: every form, every step edge, names and numbers mixed."""
    atoms = sorted({str(v) for v in (lo - 1, lo, lo + 1, hi - 1, hi, hi + 1)} - {"-1"})
    atoms += ["00", "07", "007", "x", ""] + list(names)
    steps = sorted({str(v) for v in (0, 1, 2, hi - lo - 1, hi - lo, hi - lo + 1, hi - lo + 2)})
    items = ["*", "?", "L"] + atoms + [f"*/{s}" for s in steps]
    items += [f"{a}-{b}" for a in atoms for b in atoms]
    items += [f"{a}/{s}" for a in atoms for s in steps]
    items += [f"{a}-{b}/{s}" for a in atoms[:8] + list(names[:2]) for b in atoms for s in steps]
    return items


FIELD_LIMITS = {
    "posix": [
        (0, 59, ()),
        (0, 23, ()),
        (1, 31, ()),
        (1, 12, ("jan", "DEC")),
        (0, 7, ("sun", "Sat")),
    ],
    "quartz": [
        (0, 59, ()),
        (0, 59, ()),
        (0, 23, ()),
        (1, 31, ()),
        (1, 12, ("jan", "DEC")),
        (1, 7, ("sun", "Sat")),
    ],
}


@pytest.mark.parametrize(
    ("dialect", "position"),
    [("posix", i) for i in range(5)] + [("quartz", i) for i in range(6)],
)
def test_one_pass_at_every_field_edge(dialect: str, position: int) -> None:
    lo, hi, names = FIELD_LIMITS[dialect][position]
    skeleton = ("0 0 1 * *" if dialect == "posix" else "0 0 0 ? * MON").split()
    if dialect == "quartz" and position == 3:
        skeleton[5] = "?"  # quartz: '?' in exactly one of the day fields
    accepted = 0
    for item in boundary_items(lo, hi, names):
        for text in (item, f"{item},{lo}"):
            fields = list(skeleton)
            fields[position] = text
            accepted += check(" ".join(fields), dialect, False) is not None
    assert accepted > 100  # the common forms among them did take the one-pass path


@settings(max_examples=300, deadline=None, database=None)
@given(
    case=st.sampled_from(["posix", "quartz", "posix6"]).flatmap(
        lambda d: cron_expressions(d.rstrip("6"), seconds=d == "posix6").map(lambda e: (d, e))
    )
)
def test_one_pass_on_valid_expressions(case: tuple[str, str]) -> None:
    dialect, expr = case
    check(expr, dialect.rstrip("6"), dialect == "posix6")


@settings(max_examples=300, deadline=None, database=None)
@given(
    case=st.sampled_from(["posix", "quartz"]).flatmap(
        lambda d: invalid_cron_expressions(d).map(lambda x: (d, x.expr))
    )
)
def test_one_pass_leaves_every_mistake_to_the_general_parser(case: tuple[str, str]) -> None:
    dialect, expr = case
    assert _dialects._parse_common(expr, dialect, False) is None
    assert general(expr, dialect, False)[1]


@pytest.mark.parametrize(
    ("expr", "dialect", "seconds"),
    [
        ("* * * * *", "posix", False),
        ("*/5 * * * *", "posix", False),
        ("0 9 * * 1-5", "posix", False),
        ("*/15 9-17 * * mon-fri", "posix", False),
        ("0 0 1,15 JAN-jun sun", "posix", False),
        ("0 0 1 1 *", "posix", False),
        ("*/10 * * * * *", "posix", True),
        ("0 0 0 L * ?", "quartz", False),
        ("0 0 0 ? * FRI#3", "quartz", False),
        ("0 15 10 ? * MON-FRI", "quartz", False),
        ("0 0 12 * * ? *", "quartz", False),
    ],
)
def test_common_forms_take_the_one_pass_path(expr: str, dialect: str, seconds: bool) -> None:
    assert check(expr, dialect, seconds) is not None


@pytest.mark.parametrize(
    ("expr", "dialect"),
    [
        ("@daily", "posix"),  # macros, H, W, wrapping ranges and years: the general parser
        ("H * * * *", "posix"),
        ("0 0 0 15W * ?", "quartz"),
        ("0 0 22-2 * * ?", "quartz"),
        ("0 0 0 1 1 ? 2030", "quartz"),
        ("0 0 0 ? * 6L", "quartz"),
        ("0 0 0 LW * ?", "quartz"),
    ],
)
def test_rare_forms_take_the_general_path_and_parse(expr: str, dialect: str) -> None:
    assert _dialects._parse_common(expr, dialect, False) is None
    parsed = _dialects.parse(expr, dialect, job_id="job")
    assert parsed == general(expr, dialect, False, "job")[0]


def test_fields_are_worked_out_when_read() -> None:
    parsed = _dialects.parse("  */5  9-17 * * *")
    assert [(f.name, f.text, f.start, f.end) for f in parsed.fields] == [
        ("minute", "*/5", 2, 5),
        ("hour", "9-17", 7, 11),
        ("day", "*", 12, 13),
        ("month", "*", 14, 15),
        ("day_of_week", "*", 16, 17),
    ]
    macro = _dialects.parse(" @daily", seconds=True)
    assert [(f.name, f.text, f.start, f.end) for f in macro.fields][:2] == [
        ("second", "0", 1, 7),
        ("minute", "0", 1, 7),
    ]
    assert (
        Cron("0 0 * * mon", dialect="aps").to_trigger()
        == Cron("0 0 * * mon", dialect="aps").to_trigger()
    )


def test_messages_are_unchanged_for_what_the_one_pass_path_refuses() -> None:
    for expr, dialect in (("61 * * * *", "posix"), ("0 0 0 * * *", "quartz")):
        with pytest.raises(Exception) as fast:
            _dialects.parse(expr, dialect)
        with general_path_only(), pytest.raises(Exception) as slow:
            _dialects.parse(expr, dialect)
        assert type(fast.value) is type(slow.value)
        assert str(fast.value) == str(slow.value)
