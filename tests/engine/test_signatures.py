"""Both kernels and the stub expose the same names, signatures and horizon."""

from __future__ import annotations

import ast
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import triggerkit
from triggerkit import _engine
from triggerkit import _pyengine as py

STUB = Path(triggerkit.__file__).with_name("_speedups.pyi")
CONSTANTS = ["MIN_YEAR", "MAX_YEAR", "FLAG_DAY_OR", "FLAG_LAST_BUSINESS_DAY"]
FUNCTIONS = [name for name in py.__all__ if inspect.isfunction(getattr(py, name))]


def shape(function: Any) -> list[tuple[str, Any, Any]]:
    """Parameter names, kinds and defaults (compiled functions carry no annotations)."""
    parameters = inspect.signature(function).parameters.values()
    return [(p.name, p.kind, p.default) for p in parameters]


def stub_functions() -> dict[str, ast.FunctionDef]:
    tree = ast.parse(STUB.read_text())
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def pure_functions() -> dict[str, ast.FunctionDef]:
    tree = ast.parse(Path(py.__file__).read_text())
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_both_kernels_export_the_same_names(speedups: ModuleType) -> None:
    assert sorted(speedups.__all__) == sorted(py.__all__)
    for name in py.__all__:
        assert hasattr(speedups, name), name
    assert isinstance(speedups.Spec, type) and isinstance(py.Spec, type)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_compiled_functions_have_the_pure_signatures(speedups: ModuleType, name: str) -> None:
    assert shape(getattr(speedups, name)) == shape(getattr(py, name))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_the_stub_declares_the_pure_signatures(name: str) -> None:
    stub, pure = stub_functions()[name], pure_functions()[name]
    assert ast.unparse(stub.args) == ast.unparse(pure.args)
    assert stub.returns is not None and pure.returns is not None
    assert ast.unparse(stub.returns) == ast.unparse(pure.returns)


def test_the_stub_declares_every_public_name() -> None:
    tree = ast.parse(STUB.read_text())
    declared = set(stub_functions())
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            declared.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            declared.add(node.target.id)
    assert declared - {"__all__"} == set(py.__all__)


def stub_spec_fields() -> set[str]:
    tree = ast.parse(STUB.read_text())
    spec = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Spec")
    return {n.name for n in spec.body if isinstance(n, ast.FunctionDef)}


def test_the_stub_declares_every_compiled_spec_field(speedups: ModuleType) -> None:
    compiled = {name for name in dir(speedups.Spec) if not name.startswith("_")}
    assert stub_spec_fields() == compiled


def test_every_compiled_spec_field_is_a_pure_spec_field() -> None:
    # The pure Spec may hold more (private memos of its search); never fewer.
    assert stub_spec_fields() <= set(py.Spec.__slots__)


@pytest.mark.parametrize("name", CONSTANTS)
def test_the_horizon_and_flags_are_equal_in_both_kernels(speedups: ModuleType, name: str) -> None:
    assert getattr(speedups, name) == getattr(py, name)


def test_compiled_functions_are_documented_and_introspectable(speedups: ModuleType) -> None:
    for name in FUNCTIONS:
        function = getattr(speedups, name)
        assert function.__doc__ and function.__doc__.strip(), name
        assert function.__module__ == "triggerkit._speedups"


def run_python(code: str, **env: str) -> str:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TRIGGERKIT_NO_EXTENSIONS", "TRIGGERKIT_REQUIRE_EXTENSIONS")
    }
    environment.update(env)
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_no_extensions_in_the_environment_selects_the_pure_engine() -> None:
    code = "import triggerkit, triggerkit._engine as e; print(triggerkit.ENGINE, e.kernel.__name__)"
    assert run_python(code, TRIGGERKIT_NO_EXTENSIONS="1") == "python triggerkit._pyengine"


def test_the_compiled_engine_is_the_default_when_built(speedups: ModuleType) -> None:
    code = "import triggerkit, triggerkit._engine as e; print(triggerkit.ENGINE, e.kernel.__name__)"
    assert run_python(code) == "cython triggerkit._speedups"


def test_use_switches_the_kernel_and_rejects_unknown_names(speedups: ModuleType) -> None:
    before = _engine.ENGINE
    try:
        _engine.use("python")
        assert _engine.kernel is py and triggerkit.ENGINE == "python"
        _engine.use("cython")
        assert _engine.kernel is speedups and triggerkit.ENGINE == "cython"
    finally:
        _engine.use(before)
    with pytest.raises(ValueError, match="not an engine"):
        _engine.use("rust")


PYX = Path(__file__).resolve().parents[2] / "_speedups" / "_speedups.pyx"


def pyx_constants() -> dict[str, int]:
    """The compiled kernel's C constants: ``cdef <type> NAME = literal`` and enum entries."""
    text = PYX.read_text()
    found = {
        m["name"]: int(m["value"], 0)
        for m in re.finditer(
            r"^cdef (?:u?int64_t|int) (?P<name>[A-Z][A-Z0-9_]*) = "
            r"(?P<value>-?(?:0x)?[0-9A-Fa-f]+)$",
            text,
            re.MULTILINE,
        )
    }
    enum = text[text.index("cdef enum:") : text.index("\n\n", text.index("cdef enum:"))]
    for m in re.finditer(r"^ {4}(?:C_)?(?P<name>[A-Z][A-Z0-9_]*) = (?P<value>\d+)$", enum, re.M):
        found[m["name"]] = int(m["value"])
    return found


def test_the_compiled_kernel_has_the_pure_constants_by_name() -> None:
    compiled = pyx_constants()
    names = {
        "MIN_YEAR",
        "MAX_YEAR",
        "FLAG_DAY_OR",
        "FLAG_LAST_BUSINESS_DAY",
        "FLAGS",
        "ALL_MONTHS",
        "ALL_DAYS",
        "ALL_LAST_DAYS",
        "ALL_NTH_WEEKDAYS",
        "ALL_WEEKDAYS",
        "ALL_WEEKS",
        "ALL_HOURS",
        "ALL_MINUTES",
        "ALL_SECONDS",
        "WEEK_PATTERN",
        "SATURDAY",
        "SUNDAY",
        "FIRST_INSTANT",
        "LAST_INSTANT",
        "UNIX_EPOCH_ORDINAL",
    }
    assert names <= set(compiled)
    for name in names:
        assert compiled[name] == getattr(py, name), name


def test_the_compiled_kernel_has_every_pure_helper_by_name() -> None:
    """One algorithm twice: each private helper of the pure kernel is a C function there."""
    text = PYX.read_text()
    helpers = [name for name in pure_functions() if name.startswith("_")]
    assert len(helpers) >= 15
    for name in helpers:
        assert re.search(rf"^cdef [^\n(]*\b{name}\(", text, re.MULTILINE), name
    assert "selected_day" not in Path(py.__file__).read_text()
