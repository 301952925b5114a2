"""The memory job store, checked against a plain sorted-list model."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triggerkit.jobstores.base import BaseJobStore, ConflictingIdError, JobLookupError
from triggerkit.jobstores.memory import MemoryJobStore
from triggerkit.schedulers.background import BackgroundScheduler

UTC = timezone.utc
T0 = datetime(2030, 1, 1, tzinfo=UTC)
SCHED = BackgroundScheduler(timezone="UTC")


def job(job_id: str, offset: int | None) -> Any:
    run = None if offset is None else T0 + timedelta(seconds=offset)
    return SCHED.add_job(print, "interval", seconds=1, id=job_id, next_run_time=run)


def test_it_stores_looks_up_and_removes_jobs() -> None:
    store = MemoryJobStore()
    a, b, c = job("a", 10), job("b", 5), job("c", None)
    for j in (a, b, c):
        store.add_job(j)
    assert store.lookup_job("a") is a and store.lookup_job("zz") is None
    with pytest.raises(ConflictingIdError):
        store.add_job(job("a", 1))
    assert store.get_all_jobs() == [b, a, c]  # paused last
    assert store.get_next_run_time() == T0 + timedelta(seconds=5)
    assert store.get_due_jobs(T0 + timedelta(seconds=10)) == [b, a]
    assert store.acquire_due_jobs(T0 + timedelta(seconds=10), limit=1) == [b]
    b.next_run_time = T0 + timedelta(seconds=20)
    store.update_job(b)
    assert store.get_due_jobs(T0 + timedelta(seconds=10)) == [a]
    store.remove_job("a")
    with pytest.raises(JobLookupError):
        store.remove_job("a")
    with pytest.raises(JobLookupError):
        store.update_job(job("zz", 1))
    assert store.get_next_run_time() == T0 + timedelta(seconds=20)
    store.remove_all_jobs()
    assert store.get_all_jobs() == [] and store.get_next_run_time() is None
    assert repr(store) == "<MemoryJobStore>"


def test_the_base_class_offers_acquire_due_jobs_through_get_due_jobs() -> None:
    class ListStore(BaseJobStore):
        def __init__(self, jobs: list[Any]) -> None:
            self.jobs = jobs

        def lookup_job(self, job_id: str) -> Any:
            return None

        def get_due_jobs(self, now: datetime) -> list[Any]:
            return [j for j in self.jobs if j.next_run_time <= now]

        def get_next_run_time(self) -> Any:
            return None

        def get_all_jobs(self) -> list[Any]:
            return self.jobs

        def add_job(self, job: Any) -> None: ...
        def update_job(self, job: Any) -> None: ...
        def remove_job(self, job_id: str) -> None: ...
        def remove_all_jobs(self) -> None: ...

    jobs = [job("x", 1), job("y", 2), job("z", 50)]
    store = ListStore(jobs)
    assert store.acquire_due_jobs(T0 + timedelta(seconds=9)) == jobs[:2]
    assert store.acquire_due_jobs(T0 + timedelta(seconds=9), limit=1) == jobs[:1]
    paused = [job("p", None), *jobs]
    store._fix_paused_jobs_sorting(paused)
    assert paused[-1].id == "p"


operations = st.lists(
    st.tuples(
        st.sampled_from(["add", "update", "remove", "due", "next"]),
        st.integers(0, 15),
        st.one_of(st.none(), st.integers(0, 100)),
    ),
    max_size=120,
)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_it_agrees_with_a_sorted_list_model(ops: list[tuple[str, int, int | None]]) -> None:
    store = MemoryJobStore()
    model: dict[str, int | None] = {}
    for op, key, offset in ops:
        job_id = f"j{key}"
        if op == "add":
            if job_id in model:
                with pytest.raises(ConflictingIdError):
                    store.add_job(job(job_id, offset))
            else:
                store.add_job(job(job_id, offset))
                model[job_id] = offset
        elif op == "update":
            if job_id in model:
                store.update_job(job(job_id, offset))
                model[job_id] = offset
            else:
                with pytest.raises(JobLookupError):
                    store.update_job(job(job_id, offset))
        elif op == "remove":
            if job_id in model:
                store.remove_job(job_id)
                del model[job_id]
            else:
                with pytest.raises(JobLookupError):
                    store.remove_job(job_id)
        elif op == "due":
            limit = offset if offset is not None else 0
            expected = sorted(((o, i) for i, o in model.items() if o is not None and o <= limit))
            due = store.get_due_jobs(T0 + timedelta(seconds=limit))
            assert [j.id for j in due] == [i for _, i in expected]
        else:
            scheduled = [o for o in model.values() if o is not None]
            expected_next = T0 + timedelta(seconds=min(scheduled)) if scheduled else None
            assert store.get_next_run_time() == expected_next
        assert len(store._heap) <= 2 * len(model) + 65  # stale entries are compacted
    all_ids = [j.id for j in store.get_all_jobs()]
    assert sorted(all_ids) == sorted(model)


def test_a_store_rebuilds_a_job_from_its_state_bound_to_its_scheduler() -> None:
    sched = BackgroundScheduler(timezone="UTC")
    store = MemoryJobStore()
    store.start(sched, "saved")
    original = job("r", 30)
    original._modify(misfire_grace_time=1, coalesce=True, max_instances=1)  # as when stored
    rebuilt = store._reconstitute_job(original.__getstate__())
    assert rebuilt == original and rebuilt.next_run_time == original.next_run_time
    assert rebuilt._scheduler is sched and rebuilt._jobstore_alias == "saved"
    assert store._logger.name == "triggerkit.jobstores.saved"


def test_far_future_run_times_one_microsecond_apart_keep_their_order() -> None:
    # float timestamps cannot tell these apart after about 2255 (issue #13, item 3)
    store = MemoryJobStore()
    late = datetime(5000, 6, 1, 12, 0, 0, 999999, tzinfo=UTC)
    a = SCHED.add_job(print, "interval", seconds=1, id="a", next_run_time=late)
    b = SCHED.add_job(
        print, "interval", seconds=1, id="b", next_run_time=late - timedelta(microseconds=1)
    )
    store.add_job(a)
    store.add_job(b)
    assert store.get_next_run_time() == b.next_run_time
    assert store.acquire_due_jobs(late - timedelta(microseconds=1)) == [b]
