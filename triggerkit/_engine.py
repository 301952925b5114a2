"""Select the engine kernel: the Cython extension when it is built, else the pure one.

``TRIGGERKIT_NO_EXTENSIONS`` (any non-empty value) forces the pure kernel, and so does an
interpreter other than CPython. Only a missing ``triggerkit._speedups`` module falls back
silently; a broken build raises. Callers use ``_engine.kernel.next_match(...)`` (an attribute
lookup at call time) so tests can swap the kernel with :func:`use`.
"""

from __future__ import annotations

import importlib
import os
import platform
from types import ModuleType

from . import _pyengine

__all__ = ["ENGINE", "IMPLEMENTATION", "kernel", "load", "use"]


def load(name: str) -> ModuleType:
    """Return the kernel module called ``name`` (``"cython"`` or ``"python"``)."""
    if name == "python":
        return _pyengine
    if name == "cython":
        return importlib.import_module(f"{__package__}._speedups")
    raise ValueError(f"engine: {name!r} is not an engine; allowed: 'cython', 'python'")


def _default() -> tuple[str, ModuleType]:
    if os.environ.get("TRIGGERKIT_NO_EXTENSIONS") or platform.python_implementation() != "CPython":
        return "python", _pyengine
    try:
        return "cython", load("cython")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}._speedups":
            raise
        if os.environ.get("TRIGGERKIT_REQUIRE_EXTENSIONS"):
            raise ImportError(
                "TRIGGERKIT_REQUIRE_EXTENSIONS is set but triggerkit._speedups is not built"
            ) from exc
        return "python", _pyengine


ENGINE, kernel = _default()
IMPLEMENTATION = ENGINE


def use(name: str) -> None:
    """Switch the active kernel for the whole process (meant for tests and benchmarks)."""
    global ENGINE, IMPLEMENTATION, kernel
    kernel = load(name)
    ENGINE = IMPLEMENTATION = name
