"""Run jobs on a Celery worker fleet.

Plugin alias: ``celery``. Each due run is sent as the registered task ``triggerkit.run_job``
carrying the job's function by reference (see :mod:`triggerkit.executors.remote`); the worker
imports and calls it and stores the outcome in the result backend, from where the executor
reports ``EVENT_JOB_EXECUTED``, ``EVENT_JOB_ERROR`` or ``EVENT_JOB_MISSED``. The workers must
import this module (``include=["triggerkit.executors.celery"]`` on their app, or an import in
the app's module) so that the task is registered there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from queue import Empty, SimpleQueue
from typing import TYPE_CHECKING, Any

try:
    from celery import Celery, current_app, shared_task  # type: ignore[import-untyped]
    from kombu.serialization import dumps as _kombu_dumps
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "CeleryExecutor requires celery: pip install 'triggerkit-cron[celery]'"
    ) from exc

from ..errors import RunLostError
from ..marshalling import ref_to_obj
from .base import BaseExecutor
from .remote import check_reference, error_events, make_payload, outcome_events, run_payload

if TYPE_CHECKING:
    from ..job import Job
    from ..schedulers.base import BaseScheduler

__all__ = ["TASK_NAME", "CeleryExecutor", "run_job_task"]

#: The name under which the worker-side task is registered.
TASK_NAME = "triggerkit.run_job"

dumps: Callable[..., Any] = _kombu_dumps  # untyped in kombu
_worker_logger = logging.getLogger("triggerkit.executors.celery")


def _portable(outcomes: list[dict[str, Any]], serializer: str) -> list[dict[str, Any]]:
    """Make each outcome encodable by ``serializer``: a return value or exception args that are
    not become their ``repr`` (the run is still reported, with a warning in the worker's log)."""
    for outcome in outcomes:
        try:
            dumps(outcome, serializer=serializer)
        except Exception as exc:
            if "retval" in outcome:
                _worker_logger.warning(
                    "The return value of a run at %s cannot be sent back with the %r "
                    "serializer (%s); its repr() is reported instead",
                    outcome["run_time"],
                    serializer,
                    exc,
                )
                outcome["retval"] = repr(outcome["retval"])
            if "error" in outcome:
                error = outcome["error"]
                error["args"] = [error["message"]]
    return outcomes


@shared_task(name=TASK_NAME)  # type: ignore[untyped-decorator]
def run_job_task(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The worker side: run a payload made by the executor, return its outcomes."""
    return _portable(run_payload(payload, portable=True), current_app.conf.result_serializer)


@dataclass
class _Run:
    job_id: str
    jobstore_alias: str | None
    run_times: Sequence[datetime]
    payload: dict[str, Any]
    result: Any = None
    sent_at: float = 0.0
    deadline: float = field(default=float("inf"))


_STOP = object()
_RECONNECT_ONCE = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


class CeleryExecutor(BaseExecutor):
    """Send job runs to Celery workers.

    Plugin alias: ``celery``. :meth:`submit_job` only queues the run: a background thread sends
    it to the broker and collects outcomes from the result backend (pub/sub where the backend has
    it, such as Redis; polling otherwise), so the scheduler loop never waits on the network.
    ``max_instances`` counts the runs this executor has sent and not yet seen finish, whichever
    worker runs them. A run that cannot be sent (broker down) is reported as ``EVENT_JOB_ERROR``
    with the broker's exception; one without an outcome after ``result_timeout`` seconds (worker
    killed, queue stalled) as ``EVENT_JOB_ERROR`` with :class:`~triggerkit.errors.RunLostError`,
    and its task is revoked.

    :param app: the Celery app (or its ``module:attr`` reference); it needs a result backend
    :param queue: the queue to send runs to (default: the app's routing)
    :param result_timeout: seconds to wait for a run's outcome, ``None`` for no limit
    :param poll_interval: seconds between looks at the outbox and the result backend
    :param task_options: more keyword arguments for ``app.send_task`` (priority, expires, ...)
    """

    def __init__(
        self,
        app: Celery | str,
        queue: str | None = None,
        result_timeout: float | None = 3600.0,
        poll_interval: float = 0.01,
        task_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self._app: Celery = ref_to_obj(app) if isinstance(app, str) else app
        if not isinstance(self._app, Celery):
            raise TypeError(f"app must be a Celery app or a reference to one, got {app!r}")
        self._queue = queue
        self._result_timeout = None if result_timeout is None else float(result_timeout)
        self._poll_interval = float(poll_interval)
        self._task_options = dict(task_options or {})
        self._outbox: SimpleQueue[Any] = SimpleQueue()
        self._pending: dict[str, _Run] = {}
        self._thread: threading.Thread | None = None
        self._stopping = False

    @property
    def app(self) -> Celery:
        """The Celery app runs are sent through."""
        return self._app

    def check_job(self, job: Job) -> None:
        check_reference(job, "a Celery worker")
        serializer = self._app.conf.task_serializer
        try:
            dumps([list(job.args), dict(job.kwargs)], serializer=serializer)
        except Exception as exc:
            raise TypeError(
                f'Job "{job.name}" (id={job.id}) cannot run on a Celery worker: its args or '
                f"kwargs cannot be encoded with the app's {serializer!r} task serializer ({exc})"
            ) from exc

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        super().start(scheduler, alias)
        self._stopping = False
        self._thread = threading.Thread(
            target=self._loop, name=f"triggerkit-celery-{alias}", daemon=True
        )
        self._thread.start()

    def shutdown(self, wait: bool = True) -> None:
        """Stop the background thread; with ``wait``, after the outcomes of runs in flight."""
        if self._thread is None:
            return
        if not wait:
            self._stopping = True
        self._outbox.put(_STOP)
        self._thread.join(None if wait else 5)
        self._thread = None

    def _do_submit_job(self, job: Job, run_times: Sequence[datetime]) -> None:
        if self._thread is None or not self._thread.is_alive():
            raise RuntimeError("The Celery executor is not running")
        self._outbox.put(_Run(job.id, job._jobstore_alias, run_times, make_payload(job, run_times)))

    # -- the background thread ---------------------------------------------------------------

    def _loop(self) -> None:
        # app.backend is per thread: this thread's backend sends, subscribes and collects.
        backend = self._app.backend
        consumer = getattr(backend, "result_consumer", None) if backend.is_async else None
        if consumer is not None and isinstance(getattr(backend, "retry_policy", None), dict):
            # A lost result backend would hold this thread in the consumer's reconnect loop
            # (20 tries a second apart by default), and with it every send: try once here and
            # let the sweep poll and time the runs out. Only this thread's backend is changed.
            backend.retry_policy = dict(backend.retry_policy, **_RECONNECT_ONCE)
        stop_requested = False
        next_sweep = time.monotonic()
        while True:
            try:
                item = self._outbox.get_nowait() if self._pending else self._outbox.get(timeout=1.0)
            except Empty:
                item = None
            while item is not None:
                if item is _STOP:
                    stop_requested = True
                else:
                    self._send(item, consumer is not None)
                try:
                    item = self._outbox.get_nowait()
                except Empty:
                    item = None
            if stop_requested and (self._stopping or not self._pending):
                break
            if self._pending:
                self._wait(consumer)
            now = time.monotonic()
            if now >= next_sweep:
                self._sweep(now, consumer is not None)
                next_sweep = now + (1.0 if consumer is not None else self._poll_interval)
        self._abandon()

    def _send(self, run: _Run, subscribe: bool) -> None:
        try:
            result = self._app.send_task(
                TASK_NAME, args=[run.payload], queue=self._queue, **self._task_options
            )
        except Exception as exc:
            self._logger.error(
                'Could not send a run of job "%s" to the Celery broker: %s', run.job_id, exc
            )
            events = error_events(run.job_id, run.jobstore_alias, run.run_times, exc)
            self._finish_run(run.job_id, lambda: events)
            return
        run.result = result
        run.sent_at = time.monotonic()
        if self._result_timeout is not None:
            run.deadline = run.sent_at + self._result_timeout
        self._pending[result.id] = run
        if subscribe:
            result.then(self._on_ready)

    def _wait(self, consumer: Any) -> None:
        if consumer is None:
            time.sleep(self._poll_interval)
            return
        try:
            consumer.drain_events(timeout=self._poll_interval)
        except Exception as exc:  # a lost result backend: the sweep polls and times runs out
            self._logger.warning("Waiting for Celery results failed: %r", exc)
            time.sleep(min(1.0, self._poll_interval * 10))

    def _sweep(self, now: float, subscribed: bool) -> None:
        """Poll the runs (all without pub/sub, the older ones as a backstop with it); time out
        the overdue ones."""
        for task_id, run in list(self._pending.items()):
            if run.deadline <= now:
                self._lose(task_id, run)
                continue
            if subscribed and now - run.sent_at < 1.0:
                continue  # pub/sub brings it; polled only if it is late
            try:
                ready = run.result.ready()
            except Exception:
                continue
            if ready:
                self._on_ready(run.result)

    def _on_ready(self, result: Any) -> None:
        run = self._pending.pop(result.id, None)
        if run is None:
            return

        def outcome() -> list[Any]:
            if result.successful():
                return outcome_events(run.job_id, run.jobstore_alias, run.run_times, result.result)
            exc = result.result
            if not isinstance(exc, BaseException):
                exc = RunLostError(f"Celery task {result.id} ended in state {result.state}")
            return error_events(run.job_id, run.jobstore_alias, run.run_times, exc)

        self._finish_run(run.job_id, outcome)

    def _lose(self, task_id: str, run: _Run) -> None:
        del self._pending[task_id]
        exc = RunLostError(
            f'No outcome for a run of job "{run.job_id}" (Celery task {task_id}) within '
            f"{self._result_timeout} s: its worker died or the fleet did not get to it; the task "
            "was revoked"
        )
        self._logger.error("%s", exc)
        try:
            self._app.control.revoke(task_id)
        except Exception as revoke_exc:
            self._logger.warning("Could not revoke Celery task %s: %r", task_id, revoke_exc)
        self._forget(run.result)
        self._finish_run(
            run.job_id, lambda: error_events(run.job_id, run.jobstore_alias, run.run_times, exc)
        )

    def _abandon(self) -> None:
        if self._pending:
            self._logger.warning(
                "Shut down with %d run(s) still on the Celery fleet; their outcomes will not be "
                "reported",
                len(self._pending),
            )
        for run in self._pending.values():
            self._forget(run.result)
            with self._lock:
                self._release(run.job_id)
        self._pending.clear()

    @staticmethod
    def _forget(result: Any) -> None:
        """Stop the backend waiting for ``result`` (it keeps its waiters until they finish)."""
        try:
            result.backend.remove_pending_result(result)
        except Exception:
            pass
