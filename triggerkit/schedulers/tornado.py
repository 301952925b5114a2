"""The Tornado scheduler, at APScheduler 3's ``apscheduler.schedulers.tornado`` path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

try:
    from tornado.ioloop import IOLoop
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "TornadoScheduler requires tornado: pip install 'triggerkit-cron[tornado]'"
    ) from exc

from ..errors import SchedulerNotRunningError
from ..executors.base import BaseExecutor
from ..util import maybe_ref
from ._timer import TimerScheduler

__all__ = ["SchedulerNotRunningError", "TornadoScheduler", "run_in_ioloop"]

_F = TypeVar("_F", bound=Callable[..., Any])


def run_in_ioloop(func: _F) -> _F:
    """Decorate a scheduler method so that calls run on the scheduler's I/O loop."""

    @wraps(func)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        self._ioloop.add_callback(func, self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class TornadoScheduler(TimerScheduler):
    """A scheduler that runs on a Tornado IOLoop.

    The default executor can run jobs based on native coroutines (``async def``).

    =========== ===============================================================
    ``io_loop`` Tornado IOLoop instance to use (defaults to the current IOLoop)
    =========== ===============================================================
    """

    _ioloop: IOLoop

    @property
    def io_loop(self) -> IOLoop:
        """The Tornado IOLoop this scheduler runs on (its executors run jobs on it too)."""
        return self._ioloop

    def _configure(self, config: dict[str, Any]) -> None:
        self._ioloop = maybe_ref(config.pop("io_loop", None)) or IOLoop.current()
        super()._configure(config)

    def _call_soon_threadsafe(self, func: Callable[[], Any]) -> None:
        self._ioloop.add_callback(func)

    def _call_later(self, seconds: float, func: Callable[[], Any]) -> Any:
        return self._ioloop.add_timeout(timedelta(seconds=seconds), func)

    def _cancel_timer(self, handle: Any) -> None:
        self._ioloop.remove_timeout(handle)

    def _create_default_executor(self) -> BaseExecutor:
        from ..executors.tornado import TornadoExecutor

        return TornadoExecutor()
