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
from .base import BaseScheduler

__all__ = ["SchedulerNotRunningError", "TwistedScheduler", "run_in_reactor"]

_F = TypeVar("_F", bound=Callable[..., Any])


def run_in_reactor(func: _F) -> _F:
    """Decorate a scheduler method so that calls run in the scheduler's reactor thread."""

    @wraps(func)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        self._reactor.callFromThread(func, self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class TwistedScheduler(BaseScheduler):
    """A scheduler that runs on a Twisted reactor.

    Extra options:

    =========== ========================================================
    ``reactor`` Reactor instance to use (defaults to the global reactor)
    =========== ========================================================
    """

    _reactor: Any
    _delayedcall: Any = None

    def _configure(self, config: dict[str, Any]) -> None:
        self._reactor = maybe_ref(config.pop("reactor", default_reactor))
        super()._configure(config)

    def shutdown(self, *args: Any, **kwargs: Any) -> None:
        super().shutdown(*args, **kwargs)
        self._reactor.callFromThread(self._stop_timer)

    def _start_timer(self, wait_seconds: float | None) -> None:
        self._stop_timer()
        if wait_seconds is not None:
            self._delayedcall = self._reactor.callLater(wait_seconds, self._wakeup)

    def _stop_timer(self) -> None:
        if self._delayedcall is not None and self._delayedcall.active():
            self._delayedcall.cancel()
        self._delayedcall = None

    def wakeup(self) -> None:
        self._reactor.callFromThread(self._wakeup)

    def _wakeup(self) -> None:
        if not self.running:
            return
        self._stop_timer()
        self._start_timer(self._process_jobs())

    def _create_default_executor(self) -> BaseExecutor:
        from ..executors.twisted import TwistedExecutor

        return TwistedExecutor()
