"""The background scheduler, at APScheduler 3's ``apscheduler.schedulers.background`` path."""

from __future__ import annotations

import threading
from typing import Any

from ..util import asbool
from .base import BaseScheduler
from .blocking import BlockingScheduler

__all__ = ["BackgroundScheduler"]


class BackgroundScheduler(BlockingScheduler):
    """A scheduler that runs in a background thread; :meth:`start` returns at once.

    Extra options:

    ========== =============================================================================
    ``daemon`` Set the ``daemon`` option in the background thread (defaults to ``True``, see
               `the documentation <https://docs.python.org/3/library/threading.html#thread-objects>`_
               for further details)
    ========== =============================================================================
    """

    _thread: threading.Thread | None = None

    def _configure(self, config: dict[str, Any]) -> None:
        self._daemon = asbool(config.pop("daemon", True))
        super()._configure(config)

    def start(self, *args: Any, **kwargs: Any) -> None:
        if self._event is None or self._event.is_set():
            self._event = self._create_event()
        BaseScheduler.start(self, *args, **kwargs)
        self._thread = threading.Thread(
            target=self._main_loop, name="triggerkit", daemon=self._daemon
        )
        self._thread.start()

    def shutdown(self, *args: Any, **kwargs: Any) -> None:
        super().shutdown(*args, **kwargs)
        thread = self._thread
        # A job or listener may shut the scheduler down from the scheduler thread itself.
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self._thread = None
