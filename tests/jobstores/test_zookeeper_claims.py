"""The claim nodes of the shared ZooKeeper store: their names and data (no server needed)."""

from __future__ import annotations

import pytest

from triggerkit.jobstores._zookeeper_claims import (
    ClaimData,
    claim_name,
    parse_claim_name,
    run_key,
)
from triggerkit.jobstores.claims import from_micros


@pytest.mark.parametrize(
    "job_id",
    ["plain", "with:colons:inside", "ünïcode", "-1:x"],
    ids=["plain", "colons", "uni", "odd"],
)
@pytest.mark.parametrize("micros", [0, 1_900_000_000_123_456, -86_400_000_000])
def test_a_claim_name_gives_back_the_run_it_names(job_id: str, micros: int) -> None:
    assert parse_claim_name(claim_name(job_id, micros)) == (job_id, micros)
    assert run_key(job_id, micros) == (job_id, from_micros(micros))


@pytest.mark.parametrize("name", ["nocolon", "12:", "abc:job", ":job", ""])
def test_a_foreign_node_name_is_not_a_claim(name: str) -> None:
    assert parse_claim_name(name) is None


def test_claim_data_round_trips_with_binary_job_bytes() -> None:
    job = b"\x80\x05\n\x00binary\nwith newlines"
    claim = ClaimData("host:1:abc", 123, started=True, counted=False, job=job)
    assert ClaimData.loads(claim.dumps()) == claim
    assert claim.but(owner="other").owner == "other"
    assert claim.but(owner="other").job == job


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json\n",
        b'{"owner": "x"}\n',
        b'{"owner":"x","lease":"soon","started":1,"counted":1}',
    ],
    ids=["empty", "text", "missing", "bad-lease"],
)
def test_data_that_is_not_a_claim_reads_as_none(data: bytes) -> None:
    assert ClaimData.loads(data) is None
