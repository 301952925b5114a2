"""Remember the stored rows a store could not restore, so the loop does not spin on them.

A row that cannot be restored is kept (never deleted), and it keeps its next run time in the
store's index. If ``get_next_run_time`` counted it, the store's earliest run time would stay in
the past and the scheduler would wake up at once, over and over, to skip the same row. A store
records each failed row here and looks past those ids for its next run time; the row is still
tried (and reported) on every read, and forgotten once it loads, is rewritten or removed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..job import Job

__all__ = ["UnloadableRows"]


class UnloadableRows:
    """The ids of the rows of one store that failed to restore."""

    __slots__ = ("_rows",)

    def __init__(self) -> None:
        self._rows: set[str] = set()

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
            self._rows.add(job_id)
        else:
            self._rows.discard(job_id)
        return job

    def forget(self, job_id: str) -> None:
        """Forget a row that was rewritten or removed."""
        self._rows.discard(job_id)

    def clear(self) -> None:
        """Forget every row."""
        self._rows.clear()
