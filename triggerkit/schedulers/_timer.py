"""The base of the schedulers driven by one timer of an event loop (asyncio, Tornado, Twisted).

Each pass runs in the loop's thread: :meth:`TimerScheduler.wakeup` (thread-safe) hands
``_wakeup`` to the loop, which cancels the pending timer, runs a pass and arms the timer for the
pass's answer. A subclass says only how to call into its loop, arm a timer and cancel one.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import Any

from .base import BaseScheduler

__all__ = ["TimerScheduler"]


class TimerScheduler(BaseScheduler):
    """A scheduler whose loop is an event loop's timer (see the module docstring)."""

    #: the armed timer (whatever :meth:`_call_later` returned), or ``None``
    _timer_handle: Any = None

    @abstractmethod
    def _call_soon_threadsafe(self, func: Callable[[], Any]) -> None:
        """Run ``func`` soon in the loop's thread; callable from any thread."""

    @abstractmethod
    def _call_later(self, seconds: float, func: Callable[[], Any]) -> Any:
        """Arm a timer calling ``func`` in ``seconds`` (loop thread); return its handle."""

    @abstractmethod
    def _cancel_timer(self, handle: Any) -> None:
        """Cancel the timer ``handle`` if it has not fired (loop thread)."""

    def shutdown(self, *args: Any, **kwargs: Any) -> None:
        super().shutdown(*args, **kwargs)
        self._call_soon_threadsafe(self._stop_timer)

    def _start_timer(self, wait_seconds: float | None) -> None:
        self._stop_timer()
        if wait_seconds is not None:
            self._timer_handle = self._call_later(wait_seconds, self._wakeup)

    def _stop_timer(self) -> None:
        handle, self._timer_handle = self._timer_handle, None
        if handle is not None:
            self._cancel_timer(handle)

    def wakeup(self) -> None:
        self._call_soon_threadsafe(self._wakeup)

    def _wakeup(self) -> None:
        if not self.running:
            return
        self._stop_timer()
        self._start_timer(self._process_jobs())
