"""The asyncio scheduler, at APScheduler 3's ``apscheduler.schedulers.asyncio`` path."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable
from functools import partial, wraps
from typing import Any, TypeVar

from ..errors import SchedulerNotRunningError
from ..executors.base import BaseExecutor
from ..util import maybe_ref
from ._timer import TimerScheduler

__all__ = ["AsyncIOScheduler", "run_in_event_loop"]

_F = TypeVar("_F", bound=Callable[..., Any])


def run_in_event_loop(func: _F) -> _F:
    """Decorate a scheduler method so that calls run on the scheduler's event loop."""

    @wraps(func)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        self._eventloop.call_soon_threadsafe(partial(func, self, *args, **kwargs))

    return wrapper  # type: ignore[return-value]


def _current_loop() -> asyncio.AbstractEventLoop:
    """Return the running loop or else the thread's current loop, creating one if needed.

    APScheduler 3.11 requires a running loop here; earlier 3.x releases (and their examples:
    ``scheduler.start(); asyncio.get_event_loop().run_forever()``) took the current loop, so
    that form keeps working too.
    """
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            loop = asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            loop = None
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
    return loop


class AsyncIOScheduler(TimerScheduler):
    """A scheduler that runs on an asyncio (:pep:`3156`) event loop.

    The default executor can run jobs based on native coroutines (``async def``). Wake-ups,
    shutdown and the loop's timer are thread-safe: they are marshalled onto the loop.

    Extra options:

    ============== =============================================================
    ``event_loop`` AsyncIO event loop to use (defaults to the running loop at start)
    ============== =============================================================
    """

    _eventloop: asyncio.AbstractEventLoop | None = None

    @property
    def event_loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop this scheduler runs on (``None`` before start when none was given)."""
        return self._eventloop

    def start(self, paused: bool = False) -> None:
        if self._eventloop is None or self._eventloop.is_closed():
            self._eventloop = _current_loop()
        super().start(paused)

    def shutdown(self, wait: bool = True) -> None:
        if not self.running:
            raise SchedulerNotRunningError
        self._call_soon_threadsafe(partial(self._shutdown, wait))

    def _shutdown(self, wait: bool) -> None:
        if not self.running:
            return
        super().shutdown(wait)
        self._stop_timer()
        self._eventloop = None

    def _configure(self, config: dict[str, Any]) -> None:
        self._eventloop = maybe_ref(config.pop("event_loop", None))
        super()._configure(config)

    def _call_soon_threadsafe(self, func: Callable[[], Any]) -> None:
        loop = self._eventloop
        if loop is not None:
            loop.call_soon_threadsafe(func)

    def _call_later(self, seconds: float, func: Callable[[], Any]) -> Any:
        loop = self._eventloop
        return loop.call_later(seconds, func) if loop is not None else None

    def _cancel_timer(self, handle: Any) -> None:
        handle.cancel()

    def _create_default_executor(self) -> BaseExecutor:
        from ..executors.asyncio import AsyncIOExecutor

        return AsyncIOExecutor()
