"""cli.py in pipes and with bad counts: streamed output, a quiet closed pipe, bounded -n,
JSON errors under --json, advice for a 6-field POSIX expression, end_date before start_date."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import pytest

from triggerkit.cli import EXIT_BROKEN_PIPE, MAX_COUNT

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.mark.parametrize("command", ["next", "prev", "explain"])
def test_a_reader_that_goes_away_ends_the_command_quietly(command: str) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "triggerkit", command, "* * * * *", "-n", "200000", "--tz", "UTC"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # what `| head -1` does
        assert proc.wait(timeout=60) == EXIT_BROKEN_PIPE
        assert proc.stderr.read() == b""  # no traceback
    assert first.strip()


def test_output_streams_before_the_count_is_reached() -> None:
    # one million minutes would take seconds to collect; the first line comes at once
    with subprocess.Popen(
        [sys.executable, "-m", "triggerkit", "next", "* * * * *", "-n", str(MAX_COUNT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as proc:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        proc.kill()
    assert all(line.endswith(b"\n") for line in lines)


@pytest.mark.parametrize("count", ["99999999999999999999", str(MAX_COUNT + 1), "-1"])
def test_an_absurd_count_is_one_line_of_error(run_cli: Run, count: str) -> None:
    done = run_cli("next", "* * * * *", "-n", count)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"triggerkit: error: -n: {int(count)} is out of range; allowed: 0-{MAX_COUNT}"
    ]


@pytest.mark.parametrize("command", ["next", "prev", "explain"])
def test_errors_are_json_under_json(run_cli: Run, command: str) -> None:
    done = run_cli(command, "0 0 32 * *", "--json", "--tz", "UTC")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["ok"] is False and document["expr"] == "0 0 32 * *"
    assert document["errors"][0]["span"] == [4, 6]
    assert "'32' is out of range 1-31" in document["errors"][0]["message"]


def test_a_six_field_posix_expression_suggests_seconds_or_quartz(run_cli: Run) -> None:
    done = run_cli("next", "0 */5 * * * *")
    assert done.returncode == 1
    assert "--seconds" in done.stderr and "--dialect quartz" in done.stderr
    assert run_cli("next", "0 */5 * * * *", "--seconds", "--tz", "UTC").returncode == 0


def test_validate_reports_an_end_date_before_the_start_date(run_cli: Run) -> None:
    done = run_cli(
        "validate",
        "0 * * * *",
        "--start-date",
        "2025-01-01 17:00",
        "--end-date",
        "2025-01-01 16:30",
    )
    assert done.returncode == 0  # accepted, as APScheduler 3 accepts the trigger
    assert "never fires: end_date 2025-01-01T16:30:00+00:00 is before start_date" in done.stderr
    strict = run_cli(
        "validate",
        "0 * * * *",
        "--strict",
        "--start-date",
        "2025-01-02",
        "--end-date",
        "2025-01-01",
        "--json",
    )
    assert strict.returncode == 1
    (warning,) = json.loads(strict.stdout)["warnings"]
    assert warning["code"] == "ends-before-start"
