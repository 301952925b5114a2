"""One set of "APScheduler layout" tests for the stores that keep a job per key, node or document.

A store's test file subclasses :class:`ApschedulerLayoutTests` as ``TestApschedulerLayout`` and
gives it three fixtures: ``make_store`` (from :func:`apscheduler_written.started_stores`),
``aps_store`` (a factory of APScheduler 3.11.3's store on the same place) and ``raw`` (a
:class:`RawLayout` that reads and writes that place with the server's own client, past both
libraries). ``failures`` comes from this folder's ``conftest.py``.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

from apscheduler_written import (
    T0,
    LoadFailures,
    check_apscheduler_jobs,
    check_apscheduler_reads_back,
    check_json_store,
    check_only_good_loads,
    make_job,
    moved_job_state,
    write_with_apscheduler,
)

CORRUPT = b"\x80\x05not a pickle at all"


class RawLayout(Protocol):
    """Raw access to where a store keeps its jobs, one entry a job, named by the job's id."""

    def snapshot(self) -> dict[str, Any]:
        """Every entry, by job id, as the server holds it."""

    def put(self, job_id: str, next_run_time: float | None, state: dict[str, Any]) -> None:
        """Write an entry as APScheduler 3.11.3 does (``state`` pickled by APScheduler's rules)."""

    def put_corrupt(self, job_id: str) -> None:
        """Write an entry whose job state is not a pickle."""

    def stored(self, job_id: str) -> bytes:
        """The bytes the store's serializer wrote for ``job_id``."""


class ApschedulerLayoutTests:
    """The layout tests every such store passes (collected through each store's subclass)."""

    def test_it_opens_the_jobs_apscheduler_wrote_without_rewriting_them(
        self, aps_store: Callable[[], Any], make_store: Any, raw: RawLayout
    ) -> None:
        expected = write_with_apscheduler(aps_store())
        before = raw.snapshot()
        assert len(before) == 4
        check_apscheduler_jobs(make_store(), expected)
        assert raw.snapshot() == before  # read only: nothing written back

    def test_apscheduler_reads_what_triggerkit_writes_back(
        self, aps_store: Callable[[], Any], make_store: Any
    ) -> None:
        check_apscheduler_reads_back(aps_store, make_store)

    def test_entries_that_cannot_load_are_skipped_reported_and_kept(
        self, make_store: Any, raw: RawLayout, failures: LoadFailures
    ) -> None:
        store = make_store()
        store.add_job(make_job("good", 10))
        raw.put("moved", (T0 + timedelta(seconds=5)).timestamp(), moved_job_state())
        raw.put_corrupt("corrupt")
        written = raw.snapshot()

        check_only_good_loads(store, failures)
        kept = raw.snapshot()
        assert sorted(kept) == ["corrupt", "good", "moved"]
        assert kept["moved"] == written["moved"] and kept["corrupt"] == written["corrupt"]

    def test_the_json_serializer_writes_plain_data_and_never_unpickles(
        self, make_store: Any, raw: RawLayout, failures: LoadFailures
    ) -> None:
        store = check_json_store(make_store, lambda: raw.stored("a"))
        raw.put("p", T0.timestamp(), make_job("p", 0).__getstate__())
        assert [j.id for j in store.get_all_jobs()] == ["a"]
        assert "p" in failures.job_ids()
        assert "p" in raw.snapshot()

    def test_a_pickle_store_reads_what_a_json_store_wrote(self, make_store: Any) -> None:
        make_store(serializer="json").add_job(make_job("a", 10))
        assert make_store().lookup_job("a").next_run_time == T0 + timedelta(seconds=10)


def pickled_entry(next_run_time: float | None, state: dict[str, Any]) -> bytes:
    """The value APScheduler's etcd and ZooKeeper stores keep for a job."""
    return pickle.dumps({"next_run_time": next_run_time, "job_state": state})
