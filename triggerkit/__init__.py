"""triggerkit: correct and fast cron, interval and date triggers, and a scheduler."""

from __future__ import annotations

from ._version import __version__

__all__ = ["__version__"]
