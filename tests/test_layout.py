"""The tests mirror the source (tests/README.md): a test file in a package's folder is named after
a module of that package, ``test_<module>.py`` or ``test_<module>_<aspect>.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

import triggerkit

TESTS = Path(__file__).resolve().parent
SOURCE = Path(triggerkit.__file__).resolve().parent

# Folders of cross-cutting suites, and the few files that span the modules of their package.
CROSS_CUTTING = {"compat", "dst", "engine", "examples", "seeds"}
SUITES = {
    "jobstores/test_contract.py",
    "jobstores/test_faults.py",
    "schedulers/test_clock.py",
    "schedulers/test_frameworks.py",
    "schedulers/test_public_surface.py",
    "schedulers/test_shared.py",
    "triggers/test_invalid_input.py",
}

MIRRORED = sorted(
    path.relative_to(TESTS).as_posix()
    for path in TESTS.rglob("test_*.py")
    if path.parent != TESTS and path.relative_to(TESTS).parts[0] not in CROSS_CUTTING
)


def module_names(package: Path) -> set[str]:
    """The modules and subpackages of ``package``, leading underscores dropped."""
    names = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    names |= {p.name for p in package.iterdir() if (p / "__init__.py").is_file()}
    return {name.lstrip("_") for name in names}


@pytest.mark.parametrize("test_file", MIRRORED)
def test_a_test_file_is_named_after_a_module_of_its_package(test_file: str) -> None:
    folder, _, name = test_file.rpartition("/")
    package = SOURCE / folder
    assert (package / "__init__.py").is_file(), f"tests/{folder}/ mirrors no triggerkit package"
    if test_file in SUITES:
        return
    subject = name.removeprefix("test_").removesuffix(".py")
    modules = module_names(package)
    assert any(subject == m or subject.startswith(m + "_") for m in modules), (
        f"tests/{test_file} names no module of triggerkit/{folder} ({sorted(modules)})"
    )


def test_the_listed_suites_exist() -> None:
    assert SUITES <= set(MIRRORED)
    assert len(MIRRORED) > 30
