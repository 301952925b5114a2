"""The README's example: a job kept in SQLite survives a restart (the script run twice)."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "jobs_in_sqlite.py"


def run(cwd: Path) -> str:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--seconds", "2.5"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def test_the_job_survives_a_restart(tmp_path: Path) -> None:
    first = run(tmp_path)
    added = re.search(r"tick at \S+ \(job added (\S+)\)", first)
    assert first.startswith("added job 'tick' to jobs.sqlite")
    assert added, first
    added_at = added.group(1)

    second = run(tmp_path)
    assert second.startswith(f"found job 'tick' in jobs.sqlite, added {added_at}\n"), second
    ticks = re.findall(r"tick at \S+ \(job added (\S+)\)", second)
    assert ticks and set(ticks) == {added_at}
    assert second.rstrip().endswith("stopped; job 'tick' stays in jobs.sqlite")

    with sqlite3.connect(tmp_path / "jobs.sqlite") as db:
        rows = db.execute("SELECT id, next_run_time FROM apscheduler_jobs").fetchall()
    assert [row[0] for row in rows] == ["tick"] and isinstance(rows[0][1], float)
