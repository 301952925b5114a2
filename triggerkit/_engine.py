"""Select the engine kernel: the Cython extension when it is built, else the pure one.

``TRIGGERKIT_NO_EXTENSIONS`` (any non-empty value) forces the pure kernel, and so does an
interpreter other than CPython. Only a missing ``triggerkit._speedups`` module falls back
silently; a broken build raises. Callers use ``_engine.kernel.next_match(...)`` (an attribute
lookup at call time) so tests can swap the kernel with :func:`use`; the chosen kernel is marked
active (``set_active``), which is what a schedule's ``Search`` checks on every call.

The seam is typed: :class:`Kernel` is what both kernels provide, with the pure kernel's
``Spec`` and ``ZoneRules`` standing for both (``_speedups.pyi`` declares the same signatures,
and a test compares the three), so ``mypy --strict`` checks every kernel call.
"""

from __future__ import annotations

import importlib
import os
import platform
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol, cast

from . import _pyengine

if TYPE_CHECKING:
    # the checker's view of both kernels' types (the stub declares the same)
    from ._pyengine import Search as Search
    from ._pyengine import Spec as Spec
    from ._pyengine import ZoneRules as ZoneRules

__all__ = ["ENGINE", "Kernel", "kernel", "load", "use"]


class Kernel(Protocol):
    """The functions and types of an engine kernel (see ``triggerkit._pyengine``)."""

    MIN_YEAR: int
    MAX_YEAR: int
    FLAG_DAY_OR: int
    FLAG_LAST_BUSINESS_DAY: int

    def __hash__(self) -> int: ...  # kernels key the compiled-spec cache
    @property
    def Spec(self) -> type[_pyengine.Spec]: ...  # noqa: N802 - the kernel's class
    @property
    def ZoneRules(self) -> type[_pyengine.ZoneRules]: ...  # noqa: N802 - the kernel's class
    @property
    def Search(self) -> type[_pyengine.Search]: ...  # noqa: N802 - the kernel's class
    def compile_spec(
        self,
        years: tuple[tuple[int, int, int], ...],
        months: int,
        days: int,
        last_days: int,
        nth_weekdays: int,
        last_weekdays: int,
        near_weekdays: int,
        flags: int,
        weekdays: int,
        weeks: int,
        hours: int,
        minutes: int,
        seconds: int,
        near_last_days: int = 0,
    ) -> _pyengine.Spec: ...
    def days_from_civil(self, year: int, month: int, day: int) -> int: ...
    def civil_from_days(self, days: int) -> tuple[int, int, int]: ...
    def day_mask(self, spec: _pyengine.Spec, year: int, month: int) -> int: ...
    def next_match(self, spec: _pyengine.Spec, t: int) -> int | None: ...
    def prev_match(self, spec: _pyengine.Spec, t: int) -> int | None: ...
    def matches(self, spec: _pyengine.Spec, t: int) -> bool: ...
    def is_feasible(self, spec: _pyengine.Spec) -> bool: ...
    def next_datetime(
        self, spec: _pyengine.Spec, rules: _pyengine.ZoneRules, after: datetime, inclusive: bool
    ) -> datetime | None | Literal[False]: ...
    def prev_datetime(
        self, spec: _pyengine.Spec, rules: _pyengine.ZoneRules, before: datetime, inclusive: bool
    ) -> datetime | None | Literal[False]: ...
    def set_active(self, active: bool) -> None: ...


def load(name: str) -> Kernel:
    """Return the kernel module called ``name`` (``"cython"`` or ``"python"``)."""
    if name == "python":
        return _pyengine
    if name == "cython":
        return cast(Kernel, importlib.import_module(f"{__package__}._speedups"))
    raise ValueError(f"engine: {name!r} is not an engine; allowed: 'cython', 'python'")


def _default() -> tuple[str, Kernel]:
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
kernel.set_active(True)


def use(name: str) -> None:
    """Switch the active kernel for the whole process (meant for tests and benchmarks).

    The kernel left behind is marked inactive, so every schedule's ``Search`` of it defers to
    its owner, which then builds one of the new kernel.
    """
    global ENGINE, kernel
    new = load(name)
    if new is not kernel:
        kernel.set_active(False)
    new.set_active(True)
    kernel = new
    ENGINE = name
