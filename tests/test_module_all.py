"""Every triggerkit module's ``__all__``: declared, true, and naming what other modules import.

This pins triggerkit's own export lists; the drop-in contract with APScheduler 3.11 (its names at
its module paths) is pinned separately, by ``tests/schedulers/test_public_surface.py``.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

import triggerkit

PACKAGE = Path(triggerkit.__file__).parent

# ``python -m triggerkit``: a script, nothing imports from it.
SCRIPTS = {"triggerkit.__main__"}

MODULE_NAMES = sorted(
    info.name
    for info in pkgutil.walk_packages(triggerkit.__path__, "triggerkit.")
    if info.name not in SCRIPTS
) + ["triggerkit"]


def source_of(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None, name
    return Path(spec.origin)


def is_package(name: str) -> bool:
    return source_of(name).name == "__init__.py"


def resolve(importer: str, node: ast.ImportFrom) -> str:
    """The absolute name of the module an ``from ... import`` statement in ``importer`` reads."""
    if node.level == 0:
        return node.module or ""
    package = importer if is_package(importer) else importer.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def is_submodule(module: str, name: str) -> bool:
    return is_package(module) and importlib.util.find_spec(f"{module}.{name}") is not None


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(tree: ast.AST) -> list[tuple[ast.ImportFrom, bool]]:
    """Every ``from ... import`` in ``tree``, with whether it is for the type checker only."""
    found: list[tuple[ast.ImportFrom, bool]] = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.ImportFrom):
            found.append((node, typing_only))
        for child in ast.iter_child_nodes(node):
            inner = typing_only or (
                isinstance(node, ast.If) and is_type_checking(node.test) and child in node.body
            )
            visit(child, inner)

    visit(tree, False)
    return found


def imported_names() -> dict[str, dict[str, set[str]]]:
    """``{module: {name: {importers}}}`` for every public name one triggerkit module imports
    from another (submodules and ``_private`` names left out: the latter are not to be imported
    at all, which the import-graph check decides). A name imported for the type checker only
    counts when the module holds it at run time (``_engine`` declares the kernels' ``Spec`` and
    ``ZoneRules`` for the checker alone)."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for importer in [*MODULE_NAMES, *SCRIPTS]:
        source = source_of(importer)
        if source.suffix != ".py":
            continue  # the compiled kernel: its source, _pyengine.py, is read instead
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node, typing_only in imports_of(tree):
            module = resolve(importer, node)
            if module != "triggerkit" and not module.startswith("triggerkit."):
                continue
            for alias in node.names:
                name = alias.name
                if name == "*" or name.startswith("_") or is_submodule(module, name):
                    continue
                if typing_only and not hasattr(importlib.import_module(module), name):
                    continue
                found[module][name].add(importer)
    return found


IMPORTED = imported_names()


def public_names(module: ModuleType) -> list[str]:
    """The names a module holds that are neither private nor its submodules."""
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    ]


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_a_module_with_public_names_declares_all(name: str) -> None:
    module = importlib.import_module(name)
    if public_names(module):
        assert isinstance(getattr(module, "__all__", None), (list, tuple)), (
            f"{name} holds public names but declares no __all__"
        )
    else:  # a bare package or a version file: nothing to export
        assert getattr(module, "__all__", []) == []


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_every_name_in_all_exists_once(name: str) -> None:
    module = importlib.import_module(name)
    listed = list(getattr(module, "__all__", []))
    assert all(isinstance(entry, str) for entry in listed), listed
    assert len(listed) == len(set(listed)), f"{name}.__all__ repeats a name"
    missing = [entry for entry in listed if not hasattr(module, entry)]
    assert missing == [], f"{name}.__all__ lists names it does not hold"
    if hasattr(module, "__all__"):
        namespace: dict[str, object] = {}
        exec(f"from {name} import *", namespace)
        assert sorted(set(namespace) - {"__builtins__"}) == sorted(listed)


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_the_names_other_modules_import_are_in_all(name: str) -> None:
    module = importlib.import_module(name)
    listed = set(getattr(module, "__all__", []))
    unlisted = {
        entry: sorted(importers)
        for entry, importers in IMPORTED.get(name, {}).items()
        if entry not in listed
    }
    assert unlisted == {}, f"{name}.__all__ omits names other modules import (name: importers)"


def test_the_import_scan_sees_the_imports() -> None:
    """The scan finds relative, absolute, nested and typing-only imports (else the test above
    could pass by finding nothing)."""
    assert "triggerkit.schedulers.base" in IMPORTED["triggerkit.util"]["maybe_ref"]  # ..util
    assert "triggerkit.__main__" in IMPORTED["triggerkit.cli"]["main"]  # .cli, from a script
    # a package's __init__ from a module beside it
    assert "triggerkit.schedulers" in IMPORTED["triggerkit.errors"]["SchedulerNotRunningError"]
    assert "triggerkit.job" in IMPORTED["triggerkit.schedulers.base"]["BaseScheduler"]  # typing
    assert "Spec" not in IMPORTED["triggerkit._engine"]  # typing only, absent at run time
    assert len(IMPORTED) > 30
