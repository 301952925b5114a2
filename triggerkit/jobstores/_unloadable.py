"""Remember the stored rows a store could not restore, so the loop does not spin on them.

A row that cannot be restored is kept (never deleted), and it keeps its next run time in the
store's index. Without this memo every wake-up would find it due again, log it again, and the
store's earliest next run time would stay in the past, so the scheduler would wake up at once,
over and over. The memo holds the bytes that failed: when the row changes (the user rewrote it)
it is tried again; a restart forgets the memo, so a fixed deployment restores the job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..job import Job

__all__ = ["UnloadableRows"]


class UnloadableRows:
    """The rows of one store that failed to restore, by job id, with the bytes that failed."""

    __slots__ = ("_rows",)

    def __init__(self) -> None:
        self._rows: dict[str, bytes] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def ids(self) -> list[str]:
        """Return the ids of the rows known to fail."""
        return list(self._rows)

    def decode(
        self, decode: Callable[[str, bytes], Job | None], job_id: str, data: bytes
    ) -> Job | None:
        """Restore a row with ``decode``; remember it if it fails, forget it once it loads."""
        job = decode(job_id, data)
        if job is None:
            self._rows[job_id] = bytes(data)
        else:
            self._rows.pop(job_id, None)
        return job

    def decode_new(
        self, decode: Callable[[str, bytes], Job | None], job_id: str, data: bytes
    ) -> Job | None:
        """Like :meth:`decode`, but pass over (``None``, no new report) a row that failed with
        exactly these bytes before; for the scheduler's due-jobs pass."""
        if self._rows.get(job_id) == data:
            return None
        return self.decode(decode, job_id, data)

    def forget(self, job_id: str) -> None:
        """Forget a row that was rewritten or removed."""
        self._rows.pop(job_id, None)

    def clear(self) -> None:
        """Forget every row."""
        self._rows.clear()
