"""The claim keys of :class:`~triggerkit.jobstores.etcd.EtcdJobStore` (``shared=True``; see
:mod:`triggerkit.jobstores.claims`) and the conditional batches that write them.

One key per claimed run, ``<path>.claims/<job id>/<run time in µs>``, beside APScheduler 3's
``<path>/<job id>`` keys (a sibling prefix: reading or removing the jobs never touches it).
Its value is one JSON line, ``{"owner", "lease", "started", "counted"}`` (``lease``: the
deadline in µs since the epoch), then the job's value as it was when the run was claimed (for a
takeover).

**No etcd lease on claim keys.** An etcd lease that expires DELETES its keys: a scheduler that
died would take its claims with it, and with them the fact that a run had started (which must be
reported, never run again). The deadline is a value instead; an expired claim stays until
another scheduler takes it over (a transaction on the claim key's ``mod_revision``: one taker)
and releases it.

Every change is conditional on a key's ``mod_revision`` as read: etcd transactions nested in
one outer transaction, one per job or claim, so one round trip writes a whole batch and each
item succeeds or fails alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["ClaimValue", "Conditional", "run_conditionals", "TXN_OPS", "TXN_BYTES"]

#: etcd's default ``--max-txn-ops``: the most operations (or comparisons) one transaction holds
TXN_OPS = 128
#: bytes of keys and values per outer transaction (etcd's default request cap is 1.5 MiB)
TXN_BYTES = 1_000_000


@dataclass
class ClaimValue:
    """The value of one claim key."""

    owner: str
    lease: int
    started: bool
    counted: bool
    job_data: bytes

    def encode(self) -> bytes:
        head = json.dumps(
            {
                "owner": self.owner,
                "lease": self.lease,
                "started": self.started,
                "counted": self.counted,
            },
            separators=(",", ":"),
        )
        return head.encode("utf-8") + b"\n" + self.job_data

    @classmethod
    def decode(cls, data: bytes) -> ClaimValue:
        """:raises ValueError: if ``data`` is not a claim value"""
        head, sep, job_data = bytes(data).partition(b"\n")
        fields = json.loads(head) if sep else None
        if not isinstance(fields, dict):
            raise ValueError("not a claim value")
        return cls(
            str(fields["owner"]),
            int(fields["lease"]),
            bool(fields["started"]),
            bool(fields["counted"]),
            job_data,
        )


@dataclass
class Conditional:
    """One nested transaction: ``ops`` if every comparison in ``compare`` holds.

    :var size: bytes of keys and values (for batching under etcd's request cap)
    """

    compare: list[Any]
    ops: list[Any]
    size: int


def _batches(items: Sequence[Conditional]) -> Iterable[list[Conditional]]:
    """Group ``items`` into outer transactions etcd accepts: it checks a nested transaction
    against what the outer one leaves of ``--max-txn-ops`` (outer operations + the widest
    nested one <= 128), and the request's size."""
    batch: list[Conditional] = []
    size = widest = 0
    for item in items:
        width = max(len(item.compare), len(item.ops))
        if batch and (
            len(batch) + 1 + max(widest, width) > TXN_OPS or size + item.size > TXN_BYTES
        ):
            yield batch
            batch, size, widest = [], 0, 0
        batch.append(item)
        size += item.size
        widest = max(widest, width)
    if batch:
        yield batch


def run_conditionals(client: Any, items: Sequence[Conditional]) -> list[bool]:
    """Run each item as a nested transaction, many per round trip; return whether each one's
    comparisons held (and its operations were applied)."""
    ops = client.transactions
    done: list[bool] = []
    for batch in _batches(items):
        _ok, responses = client.transaction(
            compare=[],
            success=[ops.txn(item.compare, item.ops, []) for item in batch],
            failure=[],
        )
        done.extend(bool(response.response_txn.succeeded) for response in responses)
    return done
