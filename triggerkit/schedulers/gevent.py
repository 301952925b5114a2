"""The gevent scheduler, at APScheduler 3's ``apscheduler.schedulers.gevent`` path."""

from __future__ import annotations

from typing import Any

try:
    import gevent  # type: ignore[import-untyped]
    from gevent.event import Event  # type: ignore[import-untyped]
    from gevent.lock import RLock  # type: ignore[import-untyped]
    from gevent.monkey import get_original  # type: ignore[import-untyped]
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "GeventScheduler requires gevent: pip install 'triggerkit-cron[gevent]'"
    ) from exc

from ..executors.base import BaseExecutor
from .base import BaseScheduler
from .blocking import BlockingScheduler

__all__ = ["GeventScheduler"]

#: the native thread id, whether or not ``threading`` is monkey-patched
_native_thread_id = get_original("_thread", "get_ident")


class GeventScheduler(BlockingScheduler):
    """A scheduler that runs as a Gevent greenlet; :meth:`start` returns the greenlet.

    :meth:`wakeup` may be called from any native thread (a shared store's watcher, a thread of
    the application): from a thread other than the hub's, it is handed to the hub's loop with
    ``run_callback_threadsafe`` (a gevent ``Event`` is meant for one thread's greenlets).
    """

    _greenlet: Any = None
    _hub: Any = None

    def start(self, *args: Any, **kwargs: Any) -> Any:
        self._event = Event()
        self._hub = gevent.get_hub()
        BaseScheduler.start(self, *args, **kwargs)
        self._greenlet = gevent.spawn(self._main_loop)
        return self._greenlet

    def shutdown(self, *args: Any, **kwargs: Any) -> None:
        super().shutdown(*args, **kwargs)
        greenlet = self._greenlet
        if greenlet is not None and greenlet is not gevent.getcurrent():
            greenlet.join()
        self._greenlet = None

    def wakeup(self) -> None:
        hub = self._hub
        if hub is None or hub.thread_ident == _native_thread_id():
            self._event.set()
        else:
            hub.loop.run_callback_threadsafe(self._event.set)

    def _create_lock(self) -> Any:
        return RLock()

    def _create_event(self) -> Any:
        return Event()

    def _create_default_executor(self) -> BaseExecutor:
        from ..executors.gevent import GeventExecutor

        return GeventExecutor()
