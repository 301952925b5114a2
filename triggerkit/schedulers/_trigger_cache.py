"""One shared instance per distinct set of cron trigger arguments.

Cron triggers are immutable and read no clock when built, so jobs with the same cron arguments
can share one instance: parsing them again for each of 100,000 jobs is the largest cost of
``add_job``, and the copies the largest part of the memory.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from ..triggers.base import BaseTrigger
from ._plugins import load_plugin

__all__ = ["shared_trigger"]

_SHAREABLE_TRIGGERS = frozenset({"cron"})
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


def shared_trigger(
    alias: str, args: dict[str, Any], build: Callable[[str, dict[str, Any]], BaseTrigger]
) -> BaseTrigger | None:
    """Return the shared trigger for ``alias`` and ``args``, or ``None`` if it is not shareable.

    ``build(alias, args)`` makes the trigger when the cached constructor raises ``TypeError``
    (nothing is cached then: ``build`` explains a wrong argument name).
    """
    key = _shared_trigger_key(alias, args)
    if key is None:
        return None
    try:
        trigger: BaseTrigger = _build_shared_trigger(alias, key)
    except TypeError:
        return build(alias, _args_of(key))
    return trigger


def _shared_trigger_key(alias: str, args: dict[str, Any]) -> tuple[Any, ...] | None:
    """Return the cache key of a shareable trigger, or ``None`` when it cannot be shared.

    The key holds each argument with its exact type and, for datetimes, the instant, the
    ``fold`` and the zone: ``==`` alone would take ``True`` for ``1`` and the two 01:30s of a
    fall-back night for each other (Python ignores ``fold`` comparing times of one zone).
    """
    if alias not in _SHAREABLE_TRIGGERS:
        return None
    items = []
    for name, value in sorted(args.items()):
        exact = _exact_key(value)
        if exact is None:
            return None
        items.append((name, value, exact))
    key = tuple(items)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _exact_key(value: Any) -> tuple[Any, ...] | None:
    """A hashable stand-in for ``value`` equal only for interchangeable values (else None)."""
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return (kind, repr(value))
    if kind is datetime:
        zone = _exact_key(value.tzinfo) if value.tzinfo is not None else (None,)
        if zone is None:
            return None
        return (kind, value.isoformat(), value.fold, zone)
    if isinstance(value, tzinfo):
        return (kind, id(value), str(value))
    if kind is tuple:
        parts = [_exact_key(item) for item in value]
        if any(part is None for part in parts):
            return None
        return (kind, tuple(parts))
    return None


@functools.lru_cache(maxsize=4096)
def _build_shared_trigger(alias: str, items: tuple[Any, ...]) -> Any:
    return load_plugin("trigger", alias, BaseTrigger)(**_args_of(items))


def _args_of(items: tuple[Any, ...]) -> dict[str, Any]:
    return {name: value for name, value, _ in items}
