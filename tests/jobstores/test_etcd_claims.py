"""EtcdJobStore's claims (``shared=True``) on a real etcd: what the shared contract in
test_claims.py does not cover -- the claim keys' layout and values (no etcd lease), claims
raced by several processes, one taker of an expired claim across processes, the limits of one
transaction (many runs, a large job), and claim keys that cannot be read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from servers import ensure_server
from store_factories import store_job

from triggerkit.job import Job
from triggerkit.jobstores._etcd_claims import ClaimValue
from triggerkit.jobstores.claims import PlannedRuns, to_micros
from triggerkit.jobstores.etcd import EtcdJobStore
from triggerkit.schedulers.blocking import BlockingScheduler

UTC = timezone.utc
T0 = datetime(2031, 3, 4, 5, 6, 7, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _port() -> int:
    return int(ensure_server("etcd")["TK_ETCD_PORT"])


def _store(path: str) -> EtcdJobStore:
    store = EtcdJobStore(path=path, host="127.0.0.1", port=_port())
    store.start(BlockingScheduler(timezone="UTC"), "default")
    store.enable_shared()
    return store


@pytest.fixture
def store() -> Iterator[EtcdJobStore]:
    made = _store(f"/claims_{os.getpid()}_{uuid.uuid4().hex[:10]}")
    yield made
    made.remove_all_jobs()
    made.client.delete_prefix(made.claims_prefix)
    made.shutdown()


def _job(store: EtcdJobStore, job_id: str, run_at: datetime, **changes: Any) -> Job:
    scheduler = store._scheduler
    assert scheduler is not None
    options: dict[str, Any] = {"misfire_grace_time": None, "max_instances": 1000, **changes}
    return store_job(scheduler, job_id, run_at, T0, **options)


def every_second_until(now: datetime) -> Any:
    """A planner that claims every second from the job's next run time up to ``now``."""

    def plan(job: Job) -> PlannedRuns:
        run_time = job.next_run_time
        assert run_time is not None
        runs = []
        while run_time <= now:
            runs.append(run_time)
            run_time += timedelta(seconds=1)
        job._modify(next_run_time=run_time)
        return PlannedRuns(runs, run_time)

    return plan


def test_claim_keys_sit_beside_the_jobs_and_carry_no_etcd_lease(store: EtcdJobStore) -> None:
    store.add_job(_job(store, "j1", T0))
    job_value, _ = store.client.get(store._key("j1"))
    lease_until = T0 + timedelta(seconds=30)
    claims = store.claim_due_runs(T0, "owner-a", lease_until, every_second_until(T0))
    assert [(c.job.id, c.run_times) for c in claims] == [("j1", [T0])]
    kvs = list(store.client.get_prefix(store.claims_prefix))
    assert [meta.key.decode() for _, meta in kvs] == [f"{store.claims_prefix}j1/{to_micros(T0)}"]
    data, meta = kvs[0]
    # no etcd lease: an expiring lease would delete the claim, and with it "started"
    assert meta.lease_id == 0
    value = ClaimValue.decode(data)
    assert (value.owner, value.lease, value.started, value.counted) == (
        "owner-a",
        to_micros(lease_until),
        False,
        True,
    )
    assert value.job_data == job_value  # the job as claimed, for a takeover
    head = json.loads(data.partition(b"\n")[0])
    assert sorted(head) == ["counted", "lease", "owner", "started"]
    # the jobs prefix holds the job alone, as APScheduler 3.11 lays it out
    assert [meta.key.decode() for _, meta in store.client.get_prefix(store._prefix)] == [
        store._key("j1")
    ]
    store.mark_runs_started("owner-a", [("j1", T0)])
    assert ClaimValue.decode(store.client.get(kvs[0][1].key)[0]).started is True


def test_a_job_changed_after_the_read_is_not_claimed(store: EtcdJobStore) -> None:
    store.add_job(_job(store, "j1", T0))

    def planner(job: Job) -> PlannedRuns:
        # another scheduler (or an update) writes the job between the read and the commit
        other = _job(store, "j1", T0 + timedelta(hours=1))
        store.update_job(other)
        return every_second_until(T0)(job)

    assert store.claim_due_runs(T0, "a", T0 + timedelta(seconds=30), planner) == []
    assert store.live_claim_owners(T0) == {}
    stored = store.lookup_job("j1")
    assert stored is not None and stored.next_run_time == T0 + timedelta(hours=1)


def test_more_runs_than_one_transaction_holds_are_claimed_over_several_passes(
    store: EtcdJobStore,
) -> None:
    store.add_job(_job(store, "many", T0))
    now = T0 + timedelta(seconds=249)  # 250 runs due, coalesce off
    plan = every_second_until(now)
    lease = now + timedelta(seconds=30)
    got: list[datetime] = []
    for _ in range(4):
        for claim in store.claim_due_runs(now, "a", lease, plan):
            got.extend(claim.run_times)
    assert got == [T0 + timedelta(seconds=n) for n in range(250)]
    assert len(store.live_claim_owners(now)) == 250
    stored = store.lookup_job("many")
    assert stored is not None and stored.next_run_time == now + timedelta(seconds=1)


def test_a_large_job_records_fewer_runs_per_pass(store: EtcdJobStore) -> None:
    store.add_job(_job(store, "big", T0, args=("x" * 400_000,)))
    now = T0 + timedelta(seconds=2)  # 3 runs due; each claim key carries the 400 kB job
    plan = every_second_until(now)
    passes = []
    for _ in range(3):
        passes.append(
            [
                t
                for claim in store.claim_due_runs(now, "a", now + timedelta(seconds=30), plan)
                for t in claim.run_times
            ]
        )
    assert passes == [[T0], [T0 + timedelta(seconds=1)], [T0 + timedelta(seconds=2)]]


def test_an_unreadable_claim_key_is_logged_and_kept(
    store: EtcdJobStore, caplog: pytest.LogCaptureFixture
) -> None:
    bad = f"{store.claims_prefix}j1/not-a-number"
    store.client.put(bad, b"garbage")
    assert store.live_claim_owners(T0) == {}
    assert store.take_expired_claims(T0, "a", T0 + timedelta(seconds=9)) == []
    assert "Unreadable claim key" in caplog.text
    assert store.client.get(bad)[0] == b"garbage"


def test_claim_value_round_trip_and_rejects_other_bytes() -> None:
    value = ClaimValue("h:1:x", 123, True, False, b"\x80\x05job\nstate")
    assert ClaimValue.decode(value.encode()) == value
    for data in (b"", b"no newline", b"[1]\n", b'{"owner": "x"}\n'):
        with pytest.raises((ValueError, KeyError)):
            ClaimValue.decode(data)


def test_enable_shared_refuses_an_etcd_older_than_3_3() -> None:
    class Old:
        version = "3.2.9"

    made = EtcdJobStore(path="/old", host="127.0.0.1", port=_port())
    try:
        made.client.status = lambda: Old()  # type: ignore[method-assign]
        with pytest.raises(TypeError, match="etcd 3.3 or later.*3.2.9"):
            made.enable_shared()
    finally:
        made.shutdown()


# --- processes racing on one etcd -----------------------------------------------------------

_RACER = textwrap.dedent(
    """
    import json, sys
    from datetime import datetime, timedelta, timezone
    from triggerkit.jobstores.claims import PlannedRuns
    from triggerkit.jobstores.etcd import EtcdJobStore
    from triggerkit.schedulers.blocking import BlockingScheduler

    path, port, name, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    t0 = datetime.fromisoformat(sys.argv[5])
    store = EtcdJobStore(path=path, host="127.0.0.1", port=port)
    store.start(BlockingScheduler(timezone="UTC"), "default")
    store.enable_shared()
    sys.stdin.readline()  # every racer waits here, then all go at once

    def plan(job):
        run_time = job.next_run_time
        following = run_time + timedelta(seconds=1)
        job._modify(next_run_time=following)
        return PlannedRuns([run_time], following)

    got = []
    if mode == "claim":
        for step in range(8):
            now = t0 + timedelta(seconds=step)
            for claim in store.claim_due_runs(now, name, now + timedelta(seconds=60), plan, 9):
                got.extend([claim.job.id, t.isoformat()] for t in claim.run_times)
    else:
        later = t0 + timedelta(hours=1)
        for taken in store.take_expired_claims(later, name, later + timedelta(seconds=60), 1000):
            got.append([taken.job_id, taken.run_time.isoformat()])
    print(json.dumps(got))
    store.shutdown()
    """
)


def _race(path: str, mode: str, count: int = 4) -> list[list[tuple[str, str]]]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, path, str(_port()), f"p{n}", mode, T0.isoformat()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(count)
    ]
    for proc in procs:  # all have connected (enable_shared) once they read the go line
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append([tuple(item) for item in json.loads(out)])
    return results


def test_processes_racing_claims_never_share_a_run(store: EtcdJobStore) -> None:
    for number in range(30):
        store.add_job(_job(store, f"j{number:02d}", T0))
    results = _race(store.path, "claim")
    everything = [run for result in results for run in result]
    assert len(everything) == len(set(everything))
    owners = store.live_claim_owners(T0)
    assert {(job_id, when.isoformat()) for job_id, when in owners} == set(everything)
    for n, result in enumerate(results):
        assert all(owners[(j, datetime.fromisoformat(t))] == f"p{n}" for j, t in result)
    # every job was advanced once per run claimed, whoever claimed it
    per_job: dict[str, int] = {}
    for job_id, _ in everything:
        per_job[job_id] = per_job.get(job_id, 0) + 1
    for job in store.get_all_jobs():
        assert job.next_run_time == T0 + timedelta(seconds=per_job.get(job.id, 0))


def test_processes_racing_for_expired_claims_take_each_once(store: EtcdJobStore) -> None:
    for number in range(40):
        store.add_job(_job(store, f"j{number:02d}", T0))
    now = T0 + timedelta(seconds=4)
    claimed = store.claim_due_runs(now, "dead", now + timedelta(seconds=1), every_second_until(now))
    assert sum(len(c.run_times) for c in claimed) == 200
    results = _race(store.path, "take")
    everything = [run for result in results for run in result]
    assert len(everything) == len(set(everything)) == 200
    assert set(store.live_claim_owners(now).values()) <= {"p0", "p1", "p2", "p3"}


def test_a_release_racing_a_renewal_still_deletes_the_claim(
    store: EtcdJobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop thread renews leases while an executor thread releases a run that ended: the
    release must not lose to the renewal (the claim would expire and be reported as outcome
    unknown although the run ended). Both paths: a claim this object wrote last (written
    without a read, compared by value) and one it must read first."""
    other = EtcdJobStore(path=store.path, host="127.0.0.1", port=_port())
    try:
        store.add_job(_job(store, "j1", T0))
        store.add_job(_job(store, "j2", T0))
        store.claim_due_runs(T0, "a", T0 + timedelta(seconds=3), every_second_until(T0))
        # j1: the renewal (another object, same owner) lands before the release's write
        other.renew_claims("a", [("j1", T0)], T0 + timedelta(seconds=60))
        store.release_runs("a", [("j1", T0)])
        assert set(store.live_claim_owners(T0)) == {("j2", T0)}
        # j2, through the object that has to read it: the renewal lands between its read
        # and its write
        original = other._owned
        calls: list[int] = []

        def owned_then_renewed(owner: str, keys: list[str]) -> Any:
            found = original(owner, keys)
            if not calls:
                store.renew_claims("a", [("j2", T0)], T0 + timedelta(seconds=60))
            calls.append(1)
            return found

        monkeypatch.setattr(other, "_owned", owned_then_renewed)
        other.release_runs("a", [("j2", T0)])
        assert len(calls) == 2  # read again after the conflict
        assert list(store.client.get_prefix(store.claims_prefix)) == []
    finally:
        other.shutdown()


def test_a_claim_taken_over_meanwhile_is_not_released_by_its_old_owner(
    store: EtcdJobStore,
) -> None:
    store.add_job(_job(store, "j1", T0))
    store.claim_due_runs(T0, "a", T0 + timedelta(seconds=3), every_second_until(T0))
    later = T0 + timedelta(seconds=10)
    other = EtcdJobStore(path=store.path, host="127.0.0.1", port=_port())
    try:  # taken over through another object: this one's last written value is stale
        assert len(other.take_expired_claims(later, "b", later + timedelta(seconds=30))) == 1
    finally:
        other.shutdown()
    store.release_runs("a", [("j1", T0)])
    store.mark_runs_started("a", [("j1", T0)])
    assert store.live_claim_owners(later) == {("j1", T0): "b"}
    value = ClaimValue.decode(next(iter(store.client.get_prefix(store.claims_prefix)))[0])
    assert value.started is False


def test_a_store_started_in_a_forked_process_makes_its_client_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import triggerkit.jobstores.etcd as etcd_module

    made = EtcdJobStore(path="/forked", host="127.0.0.1", port=_port())
    given = EtcdJobStore(path="/forked", client=made.client)
    first = made.client
    try:
        made.start(BlockingScheduler(timezone="UTC"), "default")
        assert made.client is first  # same process: kept
        real_pid = os.getpid()
        monkeypatch.setattr(etcd_module.os, "getpid", lambda: real_pid + 1)  # "after a fork"
        made.start(BlockingScheduler(timezone="UTC"), "default")
        given.start(BlockingScheduler(timezone="UTC"), "default")
        assert made.client is not first
        assert given.client is first  # a client passed in is the caller's to manage
        assert made.lookup_job("nothing") is None  # the new client works
    finally:
        monkeypatch.undo()
        made.shutdown()
        first.close()


def test_a_claim_this_object_took_over_is_not_released_for_its_old_owner(
    store: EtcdJobStore,
) -> None:
    store.add_job(_job(store, "j1", T0))
    store.claim_due_runs(T0, "a", T0 + timedelta(seconds=3), every_second_until(T0))
    later = T0 + timedelta(seconds=10)
    assert len(store.take_expired_claims(later, "b", later + timedelta(seconds=30))) == 1
    store.release_runs("a", [("j1", T0)])  # what this object wrote last names "b" now
    assert store.live_claim_owners(later) == {("j1", T0): "b"}
    store.release_runs("b", [("j1", T0)])
    assert store.live_claim_owners(T0) == {}
