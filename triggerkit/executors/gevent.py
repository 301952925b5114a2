"""The gevent executor, at APScheduler 3's ``apscheduler.executors.gevent`` path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

try:
    import gevent  # type: ignore[import-untyped]
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "GeventExecutor requires gevent: pip install 'triggerkit-cron[gevent]'"
    ) from exc

from .base import BaseExecutor, run_job

if TYPE_CHECKING:
    from ..job import Job

__all__ = ["GeventExecutor"]


class GeventExecutor(BaseExecutor):
    """Run jobs as greenlets.

    Plugin alias: ``gevent``
    """

    def _do_submit_job(self, job: Job, run_times: Sequence[datetime]) -> None:
        def callback(greenlet: Any) -> None:
            self._finish_run(job.id, greenlet.get)

        gevent.spawn(run_job, job, job._jobstore_alias, run_times, self._logger.name).link(callback)
