"""The import graph of triggerkit, checked: layers point one way, no module reads another's
private names, private modules stay in their package, and no two modules import each other.

Every module is parsed with :mod:`ast` (nothing is imported). The layers are data
(:data:`LAYERS`): a module may import its own layer and the layers below it. Imports under
``if TYPE_CHECKING:`` are type annotations only (no import-time or run-time dependency: an
executor names ``BaseScheduler`` in its signatures, as APScheduler 3's do); they are exempt from
the layer and cycle checks but not from the private-name check.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "triggerkit"

#: lowest first; a module belongs to the first entry that names it or a package above it
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    # leaves every layer may use: the error tree, APScheduler's event classes, the wall clock,
    # class references and pickles, argument coercion
    (
        "foundation",
        (
            "triggerkit._version",
            "triggerkit.errors",
            "triggerkit.events",
            "triggerkit._clock",
            "triggerkit.marshalling",
            "triggerkit.util",
        ),
    ),
    # the masks and names, the one-pass field tokenizer (field text -> mask), the twin kernels
    (
        "kernel",
        (
            "triggerkit._constants",
            "triggerkit._fastfields",
            "triggerkit._pyengine",
            "triggerkit._engine",
        ),
    ),
    ("zone rules", ("triggerkit._tz",)),
    ("schedule core", ("triggerkit._croncore",)),
    ("triggers", ("triggerkit.triggers",)),
    (
        "jobs, stores, executors",
        ("triggerkit.job", "triggerkit.runs", "triggerkit.jobstores", "triggerkit.executors"),
    ),
    ("schedulers", ("triggerkit.schedulers",)),
    (
        "toolkit",
        (
            "triggerkit._dialects",
            "triggerkit.cron",
            "triggerkit.descriptions",
            "triggerkit.validation",
            "triggerkit.strategies",
        ),
    ),
    ("cli", ("triggerkit.cli", "triggerkit.__main__", "triggerkit")),
]

#: APScheduler 3's private protocol between its scheduler, jobs, executors and job stores. Code
#: written for APScheduler 3 uses these names across modules (a third-party executor calls
#: ``scheduler._dispatch_event`` and ``scheduler._create_lock()``, reads ``job._jobstore_alias``;
#: a store's ``_reconstitute_job`` sets ``job._scheduler`` and ``job._jobstore_alias``), and
#: APScheduler 3.11.3's own suite (tests/compat) pins them: it mocks ``Job._modify`` and
#: ``scheduler._dispatch_event`` and asserts the calls. They are the only private names read
#: across modules; every other one has a public accessor.
APSCHEDULER_PROTOCOL = frozenset(
    {"_jobstore_alias", "_scheduler", "_modify", "_dispatch_event", "_create_lock"}
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def layer_of(module: str) -> int:
    best: tuple[int, int] | None = None  # (length of the matching prefix, layer)
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or (prefix != "triggerkit" and module.startswith(prefix + ".")):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), index)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best[1]


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module
    name: str | None  # the name taken from it (``from target import name``), if any
    line: int
    type_only: bool
    top_level: bool


def _package_of(module: str) -> str:
    path = MODULES[module]
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(module: str, source: str | None = None) -> Iterator[Import]:
    """The triggerkit imports of ``module`` (its file, or ``source`` given in its place)."""
    if source is None:
        source = MODULES[module].read_text(encoding="utf-8")
    tree = ast.parse(source)

    def walk(node: ast.AST, type_only: bool, top_level: bool) -> Iterator[Import]:
        yield from each(ast.iter_child_nodes(node), type_only, top_level)

    def each(nodes: Iterable[ast.AST], type_only: bool, top_level: bool) -> Iterator[Import]:
        for child in nodes:
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "triggerkit":
                        yield Import(module, alias.name, None, child.lineno, type_only, top_level)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = _package_of(module).split(".")
                    base = base[: len(base) - child.level + 1]
                    target = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    target = child.module or ""
                if target.split(".")[0] != "triggerkit":
                    continue
                for alias in child.names:
                    submodule = f"{target}.{alias.name}"
                    if submodule in MODULES:  # ``from package import module``
                        yield Import(module, submodule, None, child.lineno, type_only, top_level)
                    else:
                        yield Import(module, target, alias.name, child.lineno, type_only, top_level)
            elif isinstance(child, ast.If) and _type_checking(child):
                yield from each(child.body, True, top_level)
                yield from each(child.orelse, type_only, top_level)
            else:
                inner = top_level and not isinstance(
                    child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
                )
                yield from walk(child, type_only, inner)

    yield from walk(tree, False, True)


ALL_IMPORTS = [imp for module in MODULES for imp in imports_of(module)]


def where(imp: Import) -> str:
    return f"{MODULES[imp.source].relative_to(ROOT.parent)}:{imp.line}"


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


def private_name_imports(imports: list[Import]) -> list[str]:
    return [
        f"{where(imp)}: {imp.source} imports {imp.name} from {imp.target}"
        for imp in imports
        if imp.name is not None and is_private(imp.name) and imp.target != imp.source
    ]


def private_module_imports(imports: list[Import]) -> list[str]:
    bad = []
    for imp in imports:
        parts = imp.target.split(".")
        for depth, part in enumerate(parts):
            if is_private(part):
                package = ".".join(parts[:depth])
                if not (imp.source == package or imp.source.startswith(package + ".")):
                    bad.append(f"{where(imp)}: {imp.source} imports {imp.target}")
                break
    return bad


def upward_imports(imports: list[Import]) -> list[str]:
    return [
        f"{where(imp)}: {imp.source} ({LAYERS[layer_of(imp.source)][0]}) imports "
        f"{imp.target} ({LAYERS[layer_of(imp.target)][0]})"
        for imp in imports
        if not imp.type_only
        and imp.target in MODULES
        and layer_of(imp.target) > layer_of(imp.source)
    ]


def test_no_module_imports_a_private_name_of_another_module() -> None:
    assert private_name_imports(ALL_IMPORTS) == []


def test_private_modules_are_imported_only_inside_their_package() -> None:
    assert private_module_imports(ALL_IMPORTS) == []


def test_layers_point_one_way() -> None:
    assert upward_imports(ALL_IMPORTS) == []


def test_no_two_modules_import_each_other() -> None:
    """Not even inside one layer, and not even in a function (type-only imports aside)."""
    edges = {
        (imp.source, imp.target)
        for imp in ALL_IMPORTS
        if not imp.type_only and imp.target != imp.source
    }
    # a package's __init__ re-exporting its modules, and those modules taking a sibling
    # through the package, is one package: only pairs of distinct non-ancestor modules count
    bad = sorted(
        f"{a} <-> {b}"
        for a, b in edges
        if a < b and (b, a) in edges and not b.startswith(a + ".") and not a.startswith(b + ".")
    )
    assert bad == []


def _defined_private_attributes(tree: ast.AST) -> set[str]:
    """Private names a module defines: methods, class attributes, ``self._x =``, ``__slots__``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("self", "cls")
        ):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)  # __slots__ entries, getattr/setattr names
    return {name for name in names if is_private(name)}


def private_reads(module: str, source: str | None = None) -> Iterator[str]:
    """``module._x`` on an imported module, and ``obj._x`` of an attribute this module does not
    define (so it is another module's private attribute). ``self._x`` and ``super()._x`` are a
    class's own or inherited (protected) attributes, and pass."""
    if source is None:
        source = MODULES[module].read_text(encoding="utf-8")
    tree = ast.parse(source)
    own = _defined_private_attributes(tree)
    imported_modules = {
        imp.target.rpartition(".")[2] for imp in imports_of(module, source) if imp.name is None
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not is_private(node.attr):
            continue
        if node.attr in APSCHEDULER_PROTOCOL:
            continue
        value = node.value
        if isinstance(value, ast.Name) and value.id in ("self", "cls"):
            continue  # a class's own (or inherited, protected) attribute
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id == "super"
        ):
            continue
        if isinstance(value, ast.Name) and value.id in imported_modules:
            yield f"{MODULES[module].name}:{node.lineno}: {ast.unparse(node)} (another module's)"
        elif node.attr not in own:
            yield f"{MODULES[module].name}:{node.lineno}: {ast.unparse(node)} (not defined here)"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_reads_private_attributes_of_another(module: str) -> None:
    assert list(private_reads(module)) == []


def test_the_checks_catch_what_they_are_meant_to() -> None:
    """The checker itself, on made-up sources in place of real modules."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "from .. import _clock\n"
        "from ..schedulers import _planner\n"
        "from ..job import _is_unbound_method_of\n"
        "from .. import cli\n"
        "if TYPE_CHECKING:\n"
        "    from ..schedulers.base import BaseScheduler\n"
        "def f(job, trigger):\n"
        "    from ..schedulers import base\n"
        "    return _planner._bounded, trigger._core, job._jobstore_alias, base.BaseScheduler\n"
    )
    imports = list(imports_of("triggerkit.executors.base", source))
    assert [imp.target for imp in imports if imp.type_only] == ["triggerkit.schedulers.base"]
    assert len(private_name_imports(imports)) == 1  # _is_unbound_method_of
    assert [line.rpartition(" ")[2] for line in private_module_imports(imports)] == [
        "triggerkit.schedulers._planner"  # triggerkit._clock is the package's own
    ]
    assert sorted(line.rpartition(" imports ")[2] for line in upward_imports(imports)) == [
        "triggerkit.cli (cli)",
        "triggerkit.schedulers._planner (schedulers)",
        "triggerkit.schedulers.base (schedulers)",
    ]
    reads = list(private_reads("triggerkit.executors.base", source))
    assert [read.split(": ")[1] for read in reads] == [
        "_planner._bounded (another module's)",
        "trigger._core (not defined here)",
    ]
    tree = ast.parse("class A:\n    def f(self, job):\n        self._x = job._z = 1\n")
    assert _defined_private_attributes(tree) == {"_x"}
    assert layer_of("triggerkit.triggers.cron.fields") == layer_of("triggerkit.triggers.base")
    assert is_private("_clock") and not is_private("__version__")


def test_every_builtin_plugin_alias_names_a_class_of_an_existing_module() -> None:
    """The aliases of ``schedulers/_plugins.py`` (read as text: importing a store needs its
    driver) point at classes that the modules define."""
    from triggerkit.schedulers._plugins import BUILTIN

    for kind, aliases in BUILTIN.items():
        for alias, ref in aliases.items():
            module, _, qualname = ref.partition(":")
            assert module in MODULES, f"{kind} {alias!r}: no module {module}"
            tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
            classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
            assert qualname in classes, f"{kind} {alias!r}: {module} defines no {qualname}"
