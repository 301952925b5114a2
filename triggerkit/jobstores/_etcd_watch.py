"""An etcd watch on a key prefix, kept alive in a daemon thread, for
:meth:`EtcdJobStore.watch_changes <triggerkit.jobstores.etcd.EtcdJobStore.watch_changes>`.

etcd3 0.12's own watcher (``add_watch_prefix_callback``) drops its callbacks when the stream
fails and then re-opens streams in a tight loop while the server is down. This thread opens
the gRPC ``Watch`` stream itself, on the client's channel:

- every response with events calls ``on_change()``;
- when the stream fails (server stopped, restarted, connection lost), it waits (0.1 s,
  doubling up to 5 s) and opens a new stream; once etcd confirms the new watch, it calls
  ``on_change()`` once, since changes may have been missed meanwhile;
- :meth:`PrefixWatcher.stop` cancels the stream and joins the thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from etcd3 import etcdrpc, utils

__all__ = ["PrefixWatcher"]

#: seconds before the first reconnection, and the most between two
_RETRY_FIRST = 0.1
_RETRY_MOST = 5.0

_logger = logging.getLogger("triggerkit.jobstores.etcd")


class PrefixWatcher:
    """Call ``on_change()`` on every change under ``prefix`` (see the module docstring).

    :param client: an ``etcd3.Etcd3Client`` (its ``channel`` carries the stream)
    :param prefix: the key prefix to watch
    :param on_change: called from the watcher thread; exceptions are logged and swallowed
    """

    def __init__(self, client: Any, prefix: str, on_change: Callable[[], None]) -> None:
        self.client = client
        self.prefix = prefix
        self.on_change = on_change
        #: streams opened and confirmed by etcd so far (1 + the reconnections)
        self.streams = 0
        self._stub = etcdrpc.WatchStub(client.channel)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._call: Any = None
        self._thread = threading.Thread(
            target=self._run, name=f"triggerkit-etcd-watch {prefix}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel the stream and wait for the thread to end."""
        self._stopping.set()
        with self._lock:
            call = self._call
        if call is not None:
            call.cancel()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _requests(self, done: threading.Event) -> Iterator[Any]:
        """The stream's requests: the watch's creation, then nothing until the stream ends
        (returning would half-close the stream)."""
        create = etcdrpc.WatchCreateRequest(
            key=utils.to_bytes(self.prefix),
            range_end=utils.increment_last_byte(utils.to_bytes(self.prefix)),
        )
        yield etcdrpc.WatchRequest(create_request=create)
        while not done.wait(1.0):
            if self._stopping.is_set():
                return

    def _run(self) -> None:
        delay = _RETRY_FIRST
        while not self._stopping.is_set():
            done = threading.Event()
            try:
                call = self._stub.Watch(
                    self._requests(done),
                    credentials=self.client.call_credentials,
                    metadata=self.client.metadata,
                )
                with self._lock:
                    self._call = call
                if self._stopping.is_set():
                    call.cancel()
                for response in call:
                    if response.created:
                        self.streams += 1
                        delay = _RETRY_FIRST
                        if self.streams > 1:
                            self._notify()  # changes made while the stream was down
                    if response.canceled or response.compact_revision:
                        break  # etcd ended this watch: open a new one
                    if response.events:
                        self._notify()
            except Exception as exc:  # grpc.RpcError, or a channel closed under us
                if self._stopping.is_set():
                    break
                _logger.debug("etcd watch on %r failed (%s); reconnecting", self.prefix, exc)
            finally:
                done.set()
                with self._lock:
                    self._call = None
            if self._stopping.wait(delay):
                break
            delay = min(delay * 2, _RETRY_MOST)

    def _notify(self) -> None:
        try:
            self.on_change()
        except Exception:
            _logger.exception("etcd watch callback failed")
