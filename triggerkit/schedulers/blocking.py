"""The blocking scheduler, at APScheduler 3's ``apscheduler.schedulers.blocking`` path."""

from __future__ import annotations

import threading
from typing import Any

from .. import _clock
from .base import STATE_STOPPED, TIMEOUT_MAX, BaseScheduler

__all__ = ["BlockingScheduler"]


class BlockingScheduler(BaseScheduler):
    """A scheduler that runs in the foreground: :meth:`start` blocks until :meth:`shutdown`.

    Use it when the scheduler is the only thing your process does.
    """

    _event: Any = None

    def start(self, *args: Any, **kwargs: Any) -> None:
        if self._event is None or self._event.is_set():
            self._event = self._create_event()
        super().start(*args, **kwargs)
        self._main_loop()

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)
        self._event.set()

    def _create_event(self) -> Any:
        return threading.Event()

    def _main_loop(self) -> None:
        wait_seconds: float | None = TIMEOUT_MAX
        while self.state != STATE_STOPPED:
            _clock.wait(self._event, wait_seconds)
            self._event.clear()
            wait_seconds = self._process_jobs()

    def wakeup(self) -> None:
        self._event.set()
