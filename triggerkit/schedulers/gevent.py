"""The gevent scheduler, at APScheduler 3's ``apscheduler.schedulers.gevent`` path."""

from __future__ import annotations

from typing import Any

try:
    import gevent  # type: ignore[import-untyped]
    from gevent.event import Event  # type: ignore[import-untyped]
    from gevent.lock import RLock  # type: ignore[import-untyped]
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "GeventScheduler requires gevent: pip install 'triggerkit-cron[gevent]'"
    ) from exc

from ..executors.base import BaseExecutor
from .base import BaseScheduler
from .blocking import BlockingScheduler

__all__ = ["GeventScheduler"]


class GeventScheduler(BlockingScheduler):
    """A scheduler that runs as a Gevent greenlet; :meth:`start` returns the greenlet."""

    _greenlet: Any = None

    def start(self, *args: Any, **kwargs: Any) -> Any:
        self._event = Event()
        BaseScheduler.start(self, *args, **kwargs)
        self._greenlet = gevent.spawn(self._main_loop)
        return self._greenlet

    def shutdown(self, *args: Any, **kwargs: Any) -> None:
        super().shutdown(*args, **kwargs)
        greenlet = self._greenlet
        if greenlet is not None and greenlet is not gevent.getcurrent():
            greenlet.join()
        self._greenlet = None

    def _create_lock(self) -> Any:
        return RLock()

    def _create_event(self) -> Any:
        return Event()

    def _create_default_executor(self) -> BaseExecutor:
        from ..executors.gevent import GeventExecutor

        return GeventExecutor()
