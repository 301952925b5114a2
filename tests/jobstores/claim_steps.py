"""The steps of a shared claim, checked the same way on the stores that claim in steps (lock the
job, record the claim, commit the advanced job: MongoDB, RethinkDB).

Each ``check_*`` takes two store objects ``a`` and ``b`` on the same jobs (shared enabled). The
crash checks take them as the pair ``shared`` with job ``j1``, add it through ``a`` and patch the
step that crashes (the method names are the store's own); the others expect ``j1`` (or ``once``)
due at ``at`` already added through ``a``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NoReturn

import pytest

from triggerkit.job import Job
from triggerkit.jobstores.claims import PlannedRuns


def plan_next_second(job: Job) -> PlannedRuns:
    """Run the due time; the next is a second later."""
    run_time = job.next_run_time
    assert run_time is not None
    job._modify(next_run_time=run_time + timedelta(seconds=1))
    return PlannedRuns([run_time], job.next_run_time)


class Crash(Exception):
    """Stands for the claiming process dying at this point."""


def crash(*args: Any, **kwargs: Any) -> NoReturn:
    raise Crash


def check_a_crash_after_the_lock(
    shared: tuple[Any, Any], j1: Job, at: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``a`` (``shared[0]``, holding ``j1`` due ``at``) dies after locking ``j1`` and before
    recording the claim (its ``_record`` crashes): the job stays locked until the lease ends
    (nobody claims it, nothing was recorded), then ``b`` claims the run."""
    a, b = shared
    a.add_job(j1)
    monkeypatch.setattr(a, "_record", crash)
    lease = at + timedelta(seconds=3)
    with pytest.raises(Crash):
        a.claim_due_runs(at, "dead", lease, plan_next_second)
    assert b.claim_due_runs(at + timedelta(seconds=2), "b", lease, plan_next_second) == []
    assert b.live_claim_owners(at) == {}
    later = at + timedelta(seconds=4)
    claims = b.claim_due_runs(later, "b", later + timedelta(seconds=30), plan_next_second)
    assert [(c.job.id, c.run_times) for c in claims] == [("j1", [at])]
    assert b.live_claim_owners(later) == {("j1", at): "b"}


def check_a_crash_before_the_commit(
    shared: tuple[Any, Any],
    j1: Job,
    at: datetime,
    monkeypatch: pytest.MonkeyPatch,
    commit: Callable[[Any], tuple[Any, str]],
) -> None:
    """``a`` (``shared[0]``, holding ``j1`` due ``at``, max_instances=1) dies after recording the
    claim and before committing the advanced job (``commit(a)`` names the ``(object, method)``
    that crashes): ``b`` takes the claim over and advances the job without claiming the run
    again."""
    a, b = shared
    a.add_job(j1)
    monkeypatch.setattr(*commit(a), crash)
    lease = at + timedelta(seconds=3)
    with pytest.raises(Crash):
        a.claim_due_runs(at, "dead", lease, plan_next_second)
    # the run is recorded (claimed by the dead scheduler), the job not advanced and still locked
    assert b.live_claim_owners(at) == {("j1", at): "dead"}
    stored = b.lookup_job("j1")
    assert stored is not None and stored.next_run_time == at
    later = at + timedelta(seconds=4)
    new_lease = later + timedelta(seconds=30)
    taken = b.take_expired_claims(later, "b", new_lease)
    assert [(e.job_id, e.run_time, e.started) for e in taken] == [("j1", at, False)]
    assert taken[0].job is not None and taken[0].job.id == "j1"
    # the next claimer advances the job past the recorded run without claiming it again
    claims = b.claim_due_runs(later, "b", new_lease, plan_next_second)
    # (nor reports it as busy: the one instance running is that run, taken over)
    assert [(c.job.id, c.run_times, c.busy) for c in claims] == [("j1", [], [])]
    stored = b.lookup_job("j1")
    assert stored is not None and stored.next_run_time == at + timedelta(seconds=1)
    assert b.live_claim_owners(later) == {("j1", at): "b"}


def check_a_change_during_a_claim_stands(a: Any, b: Any, at: datetime, paused: Job) -> None:
    """``b`` writes ``paused`` (job ``j1`` paused) while ``a`` plans its claim: the run was
    claimed before the pause, and the pause stands."""

    def planner_that_meets_a_pause(job: Job) -> PlannedRuns:
        b.update_job(paused)  # another scheduler pauses the job while this claim plans
        return plan_next_second(job)

    claims = a.claim_due_runs(at, "a", at + timedelta(seconds=30), planner_that_meets_a_pause)
    assert [(c.job.id, c.run_times) for c in claims] == [("j1", [at])]
    stored = b.lookup_job("j1")
    assert stored is not None and stored.next_run_time is None


def check_a_finished_job_rescheduled_meanwhile_is_kept(
    a: Any, b: Any, at: datetime, replacement: Job
) -> None:
    """``a``'s claim finishes job ``once`` while ``b`` reschedules it (``replacement``, due an
    hour after ``at``): the claim does not delete it, nor report it removed."""

    def finish_while_replaced(job: Job) -> PlannedRuns:
        b.update_job(replacement)  # rescheduled meanwhile: the claim must not delete it
        job._modify(next_run_time=None)
        return PlannedRuns([at], None)

    claims = a.claim_due_runs(at, "a", at + timedelta(seconds=30), finish_while_replaced)
    assert claims[0].run_times == [at] and not claims[0].removed
    stored = b.lookup_job("once")
    assert stored is not None and stored.next_run_time == at + timedelta(hours=1)
