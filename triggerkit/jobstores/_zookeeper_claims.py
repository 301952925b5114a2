"""The claim nodes behind :class:`~triggerkit.jobstores.zookeeper.ZooKeeperJobStore`'s claims
(``shared=True``; see :mod:`triggerkit.jobstores.claims`).

One persistent znode per claimed run, all under ``<path>.claims`` (a sibling of the jobs node,
so APScheduler 3's layout of ``<path>`` is untouched). Its name is ``"<run time us>:<job id>"``
(the run's identity; a job id cannot hold ``/``, so the first ``:`` splits it), and its data is a
one-line JSON header (owner, lease deadline in microseconds, started, counted), a newline, then
the job node's value as it was claimed (for a takeover after a crash).

The nodes are persistent, not ephemeral: a claim must outlive the session of the scheduler that
made it, so that another scheduler can take the run over once its lease is over, and a run that
had started is reported rather than silently forgotten. Every change of a claim (renew, mark
started, take over, release) is a ``set_data``/``delete`` with the version just read: two
schedulers changing one claim at once cannot both win.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from .claims import RunKey, from_micros

__all__ = ["ClaimData", "claim_name", "parse_claim_name", "run_key"]


def claim_name(job_id: str, micros: int) -> str:
    """The name of the claim node of one run (its time in microseconds since the epoch)."""
    return f"{micros}:{job_id}"


def parse_claim_name(name: str) -> tuple[str, int] | None:
    """``(job id, run time in us)`` of a claim node's name; ``None`` for a foreign node."""
    micros, sep, job_id = name.partition(":")
    try:
        return (job_id, int(micros)) if sep and job_id else None
    except ValueError:
        return None


def run_key(job_id: str, micros: int) -> RunKey:
    """The run identity of a claim node's parsed name."""
    return (job_id, from_micros(micros))


@dataclass(frozen=True)
class ClaimData:
    """The data of one claim node.

    :ivar owner: the id of the scheduler holding the claim
    :ivar lease: the lease deadline, microseconds since the epoch
    :ivar started: the run was handed to an executor
    :ivar counted: the claim counts one instance towards ``max_instances``
    :ivar job: the job node's value when the run was claimed (may be empty)
    """

    owner: str
    lease: int
    started: bool = False
    counted: bool = True
    job: bytes = b""

    def dumps(self) -> bytes:
        header = {
            "owner": self.owner,
            "lease": self.lease,
            "started": self.started,
            "counted": self.counted,
        }
        return json.dumps(header, separators=(",", ":")).encode() + b"\n" + self.job

    @classmethod
    def loads(cls, data: bytes) -> ClaimData | None:
        """The claim in ``data``; ``None`` if it is not a claim node's data."""
        head, _, job = bytes(data).partition(b"\n")
        try:
            header = json.loads(head)
            return cls(
                str(header["owner"]),
                int(header["lease"]),
                bool(header["started"]),
                bool(header["counted"]),
                job,
            )
        except (ValueError, TypeError, KeyError):
            return None

    def but(self, **changes: object) -> ClaimData:
        """A copy with ``changes``."""
        return replace(self, **changes)  # type: ignore[arg-type]
