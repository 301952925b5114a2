"""Explanations for configuration mistakes: trigger argument names, configuration keys."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Mapping
from typing import Any

__all__ = ["check_trigger_args", "strip_prefix"]

#: configuration key prefixes read whatever prefix ``configure`` is given
_PREFIXES = ("apscheduler.", "triggerkit.")


def strip_prefix(key: str, prefix: str | None) -> str | None:
    """Return ``key`` without its configuration prefix, or ``None`` to skip the key."""
    if not prefix:
        return key
    for candidate in (prefix, *_PREFIXES):
        if key.startswith(candidate):
            return key[len(candidate) :]
    return None


def check_trigger_args(alias: str, cls: type[Any], options: Mapping[str, Any]) -> None:
    """Reject argument names the trigger's constructor does not take, naming the allowed ones.

    :raises TypeError: like the constructor would, but with the allowed names and a suggestion
    """
    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    allowed = [
        name
        for name, p in params.items()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    ]
    unknown = [name for name in options if name not in allowed]
    if not unknown:
        return
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, allowed, n=1)
        hints.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
    raise TypeError(
        f"The {alias!r} trigger does not take the argument(s) {', '.join(hints)}; "
        f"allowed: {', '.join(allowed)}"
    )
