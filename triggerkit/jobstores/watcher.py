"""Change watchers for shared stores (see :meth:`BaseJobStore.watch_changes
<triggerkit.jobstores.base.BaseJobStore.watch_changes>`).

A store that can be told of changes (PostgreSQL ``LISTEN``/``NOTIFY``, Redis pub/sub) gives a
:class:`ChangeWatcher` a ``connect`` function that opens a :class:`Listener` on a connection of
its own. The watcher runs it in a daemon thread and calls the scheduler's ``on_change``:

- whenever the listener reports a notice from another store object;
- once after every reconnection, since notices sent while it was away are lost.

A lost connection (server restart, network error) is closed and opened again, after 0.05 s, then
doubling up to :data:`RECONNECT_MAX`; the thread never dies of a store error, and the scheduler
still polls every ``shared_poll_interval`` meanwhile. :meth:`ChangeWatcher.stop` ends the thread
(the listener waits at most :data:`NOTICE_WAIT` at a time, so a stop is seen that soon).
:meth:`ChangeWatcher.start` returns once the first connection listens (or after
:data:`FIRST_CONNECT_WAIT`), so a change made after it is not missed.

Each store object writes its own random ``token`` as the notice's payload and its listener
passes over notices that carry it: a scheduler is not woken by its own changes (it wakes itself).
:class:`WatchingStore` is the bookkeeping such a store mixes in (its ``watcher`` property, start and
stop).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from typing import Protocol

__all__ = [
    "NOTICE_WAIT",
    "RECONNECT_MAX",
    "ChangeWatcher",
    "Listener",
    "WatchingStore",
    "new_token",
]

#: the longest a listener blocks at a time (seconds): how soon the thread sees stop()
NOTICE_WAIT = 0.25
#: first and longest pause between two connection attempts (seconds)
RECONNECT_MIN = 0.05
RECONNECT_MAX = 1.0
#: how long :meth:`ChangeWatcher.start` waits for the first connection (seconds)
FIRST_CONNECT_WAIT = 2.0


def new_token() -> str:
    """A random payload that marks one store object's own notices."""
    return uuid.uuid4().hex


class Listener(Protocol):
    """One connection that receives a store's change notices."""

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds; return ``True`` if a notice from another store object
        arrived. Raise if the connection is lost."""

    def close(self) -> None:
        """Close the connection (errors are the caller's to ignore)."""


class ChangeWatcher:
    """A daemon thread that listens for change notices and calls ``on_change``.

    :param name: the thread's name
    :param connect: opens a :class:`Listener` (raises if the server cannot be reached)
    :param on_change: called (in the watcher thread) for each notice and after a reconnection
    :param logger: where lost connections and failed callbacks are logged
    """

    def __init__(
        self,
        name: str,
        connect: Callable[[], Listener],
        on_change: Callable[[], None],
        logger: logging.Logger,
    ) -> None:
        self._connect = connect
        self._on_change = on_change
        self._logger = logger
        self._stopping = threading.Event()
        self._first_attempt = threading.Event()
        self._lock = threading.Lock()
        self._late = False  # start() stopped waiting before the first attempt ended
        #: set while a listener is connected (tests wait on it)
        self.connected = threading.Event()
        #: how many times the connection was opened
        self.connections = 0
        #: how many times ``on_change`` was called
        self.changes = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self, wait: float = FIRST_CONNECT_WAIT) -> None:
        """Start the thread and wait up to ``wait`` seconds for its first connection attempt:
        a change made after this returns is noticed (if the attempt failed or took longer,
        ``on_change`` is called once the connection is made)."""
        self._thread.start()
        if not self._first_attempt.wait(wait):
            with self._lock:
                self._late = not self._first_attempt.is_set()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to end and wait up to ``timeout`` seconds for it."""
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """``True`` while the thread runs."""
        return self._thread.is_alive()

    def _changed(self) -> None:
        self.changes += 1
        try:
            self._on_change()
        except Exception:
            self._logger.exception("Error in a job store change callback")

    def _run(self) -> None:
        delay = RECONNECT_MIN
        missed = False  # True once a connection failed or was lost: changes may have been missed
        while not self._stopping.is_set():
            try:
                listener = self._connect()
            except Exception as exc:
                self._first_attempt.set()
                self._logger.log(
                    logging.DEBUG if missed else logging.WARNING,
                    "Cannot listen for job changes (%s); trying again",
                    exc,
                )
                missed = True
                self._stopping.wait(delay)
                delay = min(delay * 2, RECONNECT_MAX)
                continue
            delay = RECONNECT_MIN
            self.connections += 1
            self.connected.set()
            with self._lock:
                self._first_attempt.set()
                missed = missed or self._late
            try:
                if missed:
                    self._logger.info("Listening for job changes again")
                    self._changed()
                while not self._stopping.is_set():
                    if listener.wait(NOTICE_WAIT):
                        self._changed()
            except Exception as exc:
                if not self._stopping.is_set():
                    self._logger.warning("Lost the job changes connection (%s); reconnecting", exc)
                missed = True
            finally:
                self.connected.clear()
                try:
                    listener.close()
                except Exception:
                    self._logger.debug("Error closing the job changes connection", exc_info=True)


class WatchingStore:
    """The change-watcher bookkeeping of a store whose :meth:`watch_changes` runs a
    :class:`ChangeWatcher` (the Redis and PostgreSQL stores)."""

    _watcher: ChangeWatcher | None = None

    @property
    def watcher(self) -> ChangeWatcher | None:
        """The running change watcher, if :meth:`watch_changes` started one."""
        return self._watcher

    def _start_watching(
        self,
        name: str,
        connect: Callable[[], Listener],
        on_change: Callable[[], None],
        logger: logging.Logger,
    ) -> bool:
        """Start a :class:`ChangeWatcher` (arguments as there) and keep it; returns True."""
        self._watcher = ChangeWatcher(name, connect, on_change, logger)
        self._watcher.start()
        return True

    def _stop_watching(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()
