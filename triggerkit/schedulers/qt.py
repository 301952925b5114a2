"""The Qt scheduler, at APScheduler 3's ``apscheduler.schedulers.qt`` path.

Works with PySide6, PyQt6, PySide2 or PyQt5 (the first one importable, in that order).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .base import BaseScheduler

__all__ = ["QtScheduler"]


def _import_qtcore() -> Any:
    for name in ("PySide6", "PyQt6", "PySide2", "PyQt5"):
        try:
            return import_module(name + ".QtCore")
        except ImportError:
            continue
    raise ImportError(
        "QtScheduler requires PySide6, PyQt6, PySide2 or PyQt5: pip install 'triggerkit-cron[qt]'"
    )


QtCore = _import_qtcore()
_Signal = getattr(QtCore, "Signal", None) or QtCore.pyqtSignal
_QObject: Any = QtCore.QObject
QTimer = QtCore.QTimer


class _Waker(_QObject):  # type: ignore[misc]
    """Lives in the Qt thread; its queued signal brings wake-ups from other threads there."""

    wake = _Signal()


class QtScheduler(BaseScheduler):
    """A scheduler that runs in a Qt event loop (the thread that created it).

    :meth:`wakeup` may be called from any thread: it posts a queued signal to the Qt thread,
    where one single-shot ``QTimer`` drives the loop.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._waker = _Waker()
        self._timer = QtCore.QTimer(self._waker)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._process_jobs)
        self._waker.wake.connect(self._wake_in_qt_thread, QtCore.Qt.ConnectionType.QueuedConnection)
        super().__init__(*args, **kwargs)

    def shutdown(self, *args: Any, **kwargs: Any) -> None:
        super().shutdown(*args, **kwargs)
        self._waker.wake.emit()  # stops the timer from the Qt thread

    def _start_timer(self, wait_seconds: float | None) -> None:
        self._timer.stop()
        if wait_seconds is not None and self.running:
            self._timer.start(min(int(wait_seconds * 1000), 2147483647))

    def _wake_in_qt_thread(self) -> None:
        self._start_timer(0 if self.running else None)

    def wakeup(self) -> None:
        self._waker.wake.emit()

    def _process_jobs(self) -> float | None:
        wait_seconds = super()._process_jobs()
        self._start_timer(wait_seconds)
        return wait_seconds
