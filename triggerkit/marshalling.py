"""The one home of reference and pickle marshalling.

Jobs name their callables, and combined triggers and exports name classes, as text references
(``"package.module:qualified.name"``). Persistent stores pickle job states. Data that APScheduler 3
wrote names ``apscheduler.*`` modules: both :func:`ref_to_obj` and :func:`loads_pickle` read those
names as the same path under ``triggerkit.*``, so an APScheduler database or export loads into
triggerkit's classes without APScheduler installed.

Unpickling runs code named by the data: only load pickles from a database you trust (the stores'
``serializer="json"`` avoids pickle altogether).
"""

from __future__ import annotations

import importlib
import inspect
import io
import pickle
import sys
from functools import partial
from typing import Any
from weakref import WeakKeyDictionary

__all__ = [
    "dumps_pickle",
    "get_callable_name",
    "loads_pickle",
    "map_module",
    "obj_to_ref",
    "ref_to_obj",
]

_APS = "apscheduler"
_OURS = "triggerkit"


def map_module(module: str) -> str:
    """Return ``module`` with a leading ``apscheduler`` package replaced by ``triggerkit``."""
    if module == _APS or module.startswith(_APS + "."):
        return _OURS + module[len(_APS) :]
    return module


def get_callable_name(func: Any) -> str:
    """Return the best available display name for the given function/callable.

    :raises TypeError: if ``func`` is not a callable
    """
    if inspect.ismethod(func):
        owner = func.__self__
        cls = owner if inspect.isclass(owner) else type(owner)
        return f"{cls.__qualname__}.{func.__name__}"
    if inspect.isclass(func) or inspect.isfunction(func) or inspect.isbuiltin(func):
        return str(func.__qualname__)
    if callable(func):
        return type(func).__qualname__
    raise TypeError(f"Unable to determine a name for {func!r} -- maybe it is not a callable?")


# References of plain functions, cached: add_job computes one for every job.
_refs: WeakKeyDictionary[Any, str] = WeakKeyDictionary()


def obj_to_ref(obj: Any) -> str:
    """Return the ``module:qualified.name`` text reference to ``obj``.

    An instance method gives its class's function (the job carries the instance as the first
    argument); a class method or static method gives its class attribute.

    :raises ValueError: if ``obj`` cannot be reached through a reference (a lambda, a nested
        function, a ``partial``, an object not found under its own name, ...)
    """
    if inspect.isfunction(obj):
        cached = _refs.get(obj)
        if cached is not None:
            return cached
        ref = _obj_to_ref(obj)
        _refs[obj] = ref
        return ref
    return _obj_to_ref(obj)


def _obj_to_ref(obj: Any) -> str:
    if isinstance(obj, partial):
        raise ValueError(f"Cannot create a reference to a partial(): {obj!r}")
    name = get_callable_name(obj)
    if "<lambda>" in name:
        raise ValueError(f"Cannot create a reference to a lambda: {obj!r}")
    if "<locals>" in name:
        raise ValueError(f"Cannot create a reference to a nested function: {obj!r}")
    module = obj.__self__.__module__ if inspect.ismethod(obj) else getattr(obj, "__module__", None)
    if not module:
        raise ValueError(f"Cannot determine the module of {obj!r}")
    ref = f"{module}:{name}"
    try:
        resolved = ref_to_obj(ref)
    except LookupError:
        raise ValueError(f"Cannot determine the reference to {obj!r}: {ref} is not found") from None
    # An instance method is stored as its class's function (the job adds the instance to args).
    target = obj.__func__ if inspect.ismethod(obj) and not inspect.isclass(obj.__self__) else obj
    if resolved != target:
        raise ValueError(f"Cannot determine the reference to {obj!r}: {ref} is another object")
    return ref


def ref_to_obj(ref: str) -> Any:
    """Return the object ``ref`` (``'package.module:name.attr'``) points to.

    A reference into ``apscheduler.*`` resolves to the same path under ``triggerkit.*``.

    :raises TypeError: if ``ref`` is not text
    :raises ValueError: if ``ref`` has no ``:``
    :raises LookupError: if the module cannot be imported or the attribute does not exist
    """
    if not isinstance(ref, str):
        raise TypeError(f"References must be strings, got {ref!r}")
    if ":" not in ref:
        raise ValueError(f"Invalid reference {ref!r}: expected 'package.module:name'")
    modulename, rest = ref.split(":", 1)
    modulename = map_module(modulename)
    obj: Any = sys.modules.get(modulename)
    try:
        if obj is None:
            obj = importlib.import_module(modulename)
    except ImportError as exc:
        raise LookupError(f"Error resolving reference {ref}: could not import module") from exc
    try:
        for name in rest.split("."):
            obj = getattr(obj, name)
    except Exception:
        raise LookupError(f"Error resolving reference {ref}: error looking up object") from None
    return obj


class _Unpickler(pickle.Unpickler):
    """An unpickler that reads ``apscheduler.*`` classes as their ``triggerkit.*`` twins."""

    def find_class(self, module: str, name: str) -> Any:
        return super().find_class(map_module(module), name)


def loads_pickle(data: bytes) -> Any:
    """Unpickle ``data``, mapping ``apscheduler.*`` modules to ``triggerkit.*``.

    This runs code named by the data: never use it on bytes from an untrusted source.
    """
    return _Unpickler(io.BytesIO(data)).load()


def dumps_pickle(obj: Any, protocol: int = pickle.HIGHEST_PROTOCOL) -> bytes:
    """Pickle ``obj`` with ``protocol``."""
    return pickle.dumps(obj, protocol)
