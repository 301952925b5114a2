"""The in-memory job store, at APScheduler 3's ``apscheduler.jobstores.memory`` path."""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta, timezone
from itertools import count

from ..errors import ConflictingIdError, JobLookupError
from ..job import Job
from .base import BaseJobStore

__all__ = ["MemoryJobStore"]

# A heap entry: (next run time in integer microseconds since the epoch, job id, version). An
# entry is live only while the job's current version equals the entry's; updates and removals
# leave stale entries behind, which are dropped when they surface at the top or when the heap
# is compacted.
_Entry = tuple[int, str, int]
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def _instant(value: datetime) -> int:
    """An exact sort key (a float timestamp loses microseconds after about 2255)."""
    return (value - _EPOCH) // _MICROSECOND


class MemoryJobStore(BaseJobStore):
    """Keep jobs in memory, ordered by next run time in a binary heap.

    A wake-up costs O(k log n) for k due jobs among n stored ones; no operation scans the whole
    store except :meth:`get_all_jobs` (which sorts a listing) and :meth:`remove_all_jobs`.
    """

    def __init__(self) -> None:
        super().__init__()
        self._jobs: dict[str, tuple[Job, int | None, int]] = {}
        self._heap: list[_Entry] = []
        self._versions = count()

    def lookup_job(self, job_id: str) -> Job | None:
        item = self._jobs.get(job_id)
        return item[0] if item else None

    def _is_live(self, entry: _Entry) -> bool:
        item = self._jobs.get(entry[1])
        return item is not None and item[2] == entry[2]

    def _drop_stale_top(self) -> None:
        heap = self._heap
        while heap and not self._is_live(heap[0]):
            heapq.heappop(heap)

    def get_due_jobs(self, now: datetime) -> list[Job]:
        return self.acquire_due_jobs(now)

    def acquire_due_jobs(self, now: datetime, limit: int | None = None) -> list[Job]:
        now_ts = _instant(now)
        heap = self._heap
        due: list[_Entry] = []
        while heap and heap[0][0] <= now_ts and (limit is None or len(due) < limit):
            entry = heapq.heappop(heap)
            if self._is_live(entry):
                due.append(entry)
        # The jobs stay stored until the scheduler updates or removes them.
        for entry in due:
            heapq.heappush(heap, entry)
        return [self._jobs[entry[1]][0] for entry in due]

    def get_next_run_time(self) -> datetime | None:
        self._drop_stale_top()
        if not self._heap:
            return None
        return self._jobs[self._heap[0][1]][0].next_run_time

    def get_all_jobs(self) -> list[Job]:
        items = sorted(
            self._jobs.values(),
            key=lambda item: (item[1] is None, item[1] or 0, item[0].id),
        )
        return [item[0] for item in items]

    def _store(self, job: Job) -> None:
        run_time = job.next_run_time
        timestamp = _instant(run_time) if run_time is not None else None
        version = next(self._versions)
        self._jobs[job.id] = (job, timestamp, version)
        if timestamp is not None:
            heapq.heappush(self._heap, (timestamp, job.id, version))
        if len(self._heap) > 2 * len(self._jobs) + 64:
            self._compact()

    def _compact(self) -> None:
        self._heap = [entry for entry in self._heap if self._is_live(entry)]
        heapq.heapify(self._heap)

    def add_job(self, job: Job) -> None:
        if job.id in self._jobs:
            raise ConflictingIdError(job.id)
        self._store(job)

    def update_job(self, job: Job) -> None:
        if job.id not in self._jobs:
            raise JobLookupError(job.id)
        self._store(job)

    def remove_job(self, job_id: str) -> None:
        if self._jobs.pop(job_id, None) is None:
            raise JobLookupError(job_id)
        if len(self._heap) > 2 * len(self._jobs) + 64:
            self._compact()

    def remove_all_jobs(self) -> None:
        self._jobs.clear()
        self._heap.clear()

    def shutdown(self) -> None:
        """Keep the jobs: a scheduler started again after :meth:`shutdown` still has them.

        (APScheduler 3 empties the store here, so its restarted scheduler has lost its jobs.)
        """
