"""Run jobs on a Dask distributed cluster.

Plugin alias: ``dask``. Each due run is submitted with ``Client.submit`` as a call of the plain
function :func:`triggerkit.executors.remote.run_payload` with the job's payload (its function by
``module:qualname`` reference, args, job id, run times); a background thread reports each
finished future as ``EVENT_JOB_EXECUTED``, ``EVENT_JOB_ERROR`` or ``EVENT_JOB_MISSED``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

try:
    import distributed as _distributed
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "DaskExecutor requires distributed: pip install 'triggerkit-cron[dask]'"
    ) from exc

from ..errors import RunLostError
from .base import BaseExecutor
from .remote import check_reference, error_events, make_payload, outcome_events, run_payload

if TYPE_CHECKING:
    from ..job import Job
    from ..schedulers.base import BaseScheduler

__all__ = ["DaskExecutor"]

distributed: Any = _distributed  # untyped calls throughout


class DaskExecutor(BaseExecutor):
    """Submit job runs to a Dask cluster.

    Plugin alias: ``dask``. Submitting does not wait for the cluster (``Client.submit`` hands the
    task to the client's own event loop); outcomes are gathered on that loop by one
    :class:`distributed.as_completed` and reported from a background thread, so the scheduler
    loop never waits on the network. ``max_instances`` counts the runs this executor submitted
    and has not yet seen finish, on whichever worker. A run submitted while the client is not
    connected is reported at once as ``EVENT_JOB_ERROR`` (a :class:`ConnectionError`); a run
    whose future is cancelled (the cluster lost it) as ``EVENT_JOB_ERROR`` with
    :class:`~triggerkit.errors.RunLostError`; a run whose worker died with Dask's
    ``KilledWorker`` (after the scheduler's ``allowed-failures`` retries on other workers).

    :param client: a connected :class:`distributed.Client`
    :param address: the scheduler's address, for a client of the executor's own (closed at
        shutdown); with neither, the current default client is used when the executor starts
    :param submit_options: more keyword arguments for ``Client.submit`` (resources, priority,
        retries, workers, ...)
    """

    def __init__(
        self,
        client: Any = None,
        address: str | None = None,
        submit_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if client is not None and address is not None:
            raise ValueError("Pass either client or address to DaskExecutor, not both")
        self._client = client
        self._address = address
        self._own_client = False
        self._submit_options = dict(submit_options or {})
        self._runs: dict[Any, tuple[str, str | None, Sequence[datetime]]] = {}
        self._runs_lock = threading.Lock()
        self._done: Any = None
        self._wakeup = threading.Event()
        self._closing = False
        self._thread: threading.Thread | None = None

    @property
    def client(self) -> Any:
        """The client runs are submitted through (``None`` until the executor starts)."""
        return self._client

    def check_job(self, job: Job) -> None:
        check_reference(job, "a Dask worker")

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        super().start(scheduler, alias)
        if self._client is None:
            if self._address is not None:
                self._client = distributed.Client(self._address, set_as_default=False)
                self._own_client = True
            else:
                try:
                    self._client = distributed.default_client()
                except ValueError:
                    raise ValueError(
                        "DaskExecutor has no client: pass client= or address=, or create a "
                        "distributed.Client before starting the scheduler"
                    ) from None
        self._done = distributed.as_completed(loop=self._client.loop)
        self._closing = False
        self._thread = threading.Thread(
            target=self._collect, name=f"triggerkit-dask-{alias}", daemon=True
        )
        self._thread.start()

    def shutdown(self, wait: bool = True) -> None:
        """With ``wait``, wait for the runs in flight; close the client if it is the executor's."""
        self._closing = True
        if self._thread is not None:
            if not wait:
                with self._runs_lock:
                    pending = len(self._runs)
                    self._runs.clear()
                if pending:
                    self._logger.warning(
                        "Shut down with %d run(s) still on the Dask cluster; their outcomes will "
                        "not be reported",
                        pending,
                    )
                self._done.clear()
            self._wakeup.set()
            self._thread.join()
            self._thread = None
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None
            self._own_client = False

    def _do_submit_job(self, job: Job, run_times: Sequence[datetime]) -> None:
        client = self._client
        if client is None or self._thread is None:
            raise RuntimeError("The Dask executor has not been started")
        job_id, alias = job.id, job._jobstore_alias
        if client.status != "running":
            exc: BaseException = ConnectionError(
                f"The Dask client is not connected to the cluster (status {client.status!r})"
            )
            self._logger.error('Could not submit a run of job "%s": %s', job_id, exc)
            events = error_events(job_id, alias, run_times, exc)
            self._finish_run(job_id, lambda: events)
            return
        future = client.submit(
            run_payload,
            make_payload(job, run_times),
            False,
            key=f"triggerkit-run-{uuid.uuid4().hex}",  # one task prefix for every run
            pure=False,
            **self._submit_options,
        )
        with self._runs_lock:
            self._runs[future] = (job_id, alias, run_times)
        self._done.add(future)
        self._wakeup.set()

    def _collect(self) -> None:
        """The background thread: report the outcomes of the futures as they complete, fetching
        the results of each batch of finished ones in one ``gather``."""
        while True:
            try:
                batch = self._done.next_batch(block=True)
            except StopIteration:  # nothing in flight
                if self._closing:
                    return
                self._wakeup.wait(1.0)
                self._wakeup.clear()
                continue
            finished = [future for future in batch if future.status == "finished"]
            results: dict[Any, Any] = {}
            failure: BaseException | None = None
            if finished:
                try:
                    results = dict(zip(finished, self._client.gather(finished), strict=True))
                except Exception as exc:  # the cluster went away between finish and fetch
                    failure = RunLostError(f"The result could not be fetched from Dask: {exc!r}")
                    failure.__cause__ = exc
            for future in batch:
                with self._runs_lock:
                    run = self._runs.pop(future, None)
                if run is None:  # abandoned by shutdown(wait=False)
                    continue
                job_id, alias, run_times = run
                outcome = partial(self._events, job_id, alias, run_times, future, results, failure)
                self._finish_run(job_id, outcome)

    @staticmethod
    def _events(
        job_id: str,
        alias: str | None,
        run_times: Sequence[datetime],
        future: Any,
        results: dict[Any, Any],
        failure: BaseException | None,
    ) -> list[Any]:
        if future in results:
            return outcome_events(job_id, alias, run_times, results[future])
        if future.status == "error":
            return error_events(job_id, alias, run_times, future.exception())
        lost = failure or RunLostError(
            f'The Dask cluster lost a run of job "{job_id}" (future {future.key} is '
            f"{future.status})"
        )
        return error_events(job_id, alias, run_times, lost)
