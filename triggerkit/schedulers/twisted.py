"""The Twisted scheduler, at APScheduler 3's ``apscheduler.schedulers.twisted`` path."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

try:
    from twisted.internet import reactor as default_reactor
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "TwistedScheduler requires Twisted: pip install 'triggerkit-cron[twisted]'"
    ) from exc

from ..errors import SchedulerNotRunningError
from ..executors.base import BaseExecutor
from ..util import maybe_ref
from ._timer import TimerScheduler

__all__ = ["SchedulerNotRunningError", "TwistedScheduler", "run_in_reactor"]

_F = TypeVar("_F", bound=Callable[..., Any])


def run_in_reactor(func: _F) -> _F:
    """Decorate a scheduler method so that calls run in the scheduler's reactor thread."""

    @wraps(func)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        self._reactor.callFromThread(func, self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class TwistedScheduler(TimerScheduler):
    """A scheduler that runs on a Twisted reactor.

    Extra options:

    =========== ========================================================
    ``reactor`` Reactor instance to use (defaults to the global reactor)
    =========== ========================================================
    """

    _reactor: Any

    @property
    def reactor(self) -> Any:
        """The Twisted reactor this scheduler runs in (its executors use its thread pool)."""
        return self._reactor

    def _configure(self, config: dict[str, Any]) -> None:
        self._reactor = maybe_ref(config.pop("reactor", default_reactor))
        super()._configure(config)

    def _call_soon_threadsafe(self, func: Callable[[], Any]) -> None:
        self._reactor.callFromThread(func)

    def _call_later(self, seconds: float, func: Callable[[], Any]) -> Any:
        return self._reactor.callLater(seconds, func)

    def _cancel_timer(self, handle: Any) -> None:
        if handle.active():
            handle.cancel()

    def _create_default_executor(self) -> BaseExecutor:
        from ..executors.twisted import TwistedExecutor

        return TwistedExecutor()
