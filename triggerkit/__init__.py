"""triggerkit: correct and fast cron, interval and date triggers, and a scheduler.

Importing the package is cheap: the toolkit names below load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__

# APScheduler 3's top-level version names (``from apscheduler import version`` keeps working)
release: str = __version__
version_info: tuple[int | str, ...] = tuple(
    int(part) if part.isdigit() else part for part in release.split(".")
)
version: str = ".".join(str(part) for part in version_info[:3])

__all__ = [
    "ENGINE",
    "Cron",
    "__version__",
    "describe",
    "release",
    "validate",
    "version",
    "version_info",
]

# name -> (module, attribute) for the lazily imported public names
_LAZY = {
    "Cron": ("triggerkit.cron", "Cron"),
    "validate": ("triggerkit.validation", "validate"),
    "describe": ("triggerkit.descriptions", "describe"),
}


def __getattr__(name: str) -> Any:
    if name == "ENGINE":
        from . import _engine

        return _engine.ENGINE
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'triggerkit' has no attribute {name!r}") from None
    return getattr(importlib.import_module(module_name), attribute)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
