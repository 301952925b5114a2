"""The ``triggerkit`` command line, run for real in a subprocess (console script and -m)."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from collections.abc import Callable

import pytest

from triggerkit import __version__, _engine, cli
from triggerkit.cli import main

Run = Callable[..., subprocess.CompletedProcess[str]]


def test_version_names_the_active_engine(run_cli: Run) -> None:
    done = run_cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"triggerkit {__version__} (engine: {_engine.ENGINE})"


def test_next_prints_iso_times_one_per_line(run_cli: Run) -> None:
    done = run_cli(
        "next",
        "*/15 9-17 * * mon-fri",
        "-n",
        "3",
        "--tz",
        "Europe/Berlin",
        "--after",
        "2026-03-27T17:40",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "2026-03-27T17:45:00+01:00",
        "2026-03-30T09:00:00+02:00",
        "2026-03-30T09:15:00+02:00",
    ]
    assert done.stderr == ""


def test_next_json(run_cli: Run) -> None:
    done = run_cli(
        "next",
        "0 0 12 ? * FRI#3",
        "--dialect",
        "quartz",
        "-n",
        "2",
        "--tz",
        "UTC",
        "--after",
        "2026-01-01",
        "--json",
    )
    assert json.loads(done.stdout) == {
        "expr": "0 0 12 ? * FRI#3",
        "dialect": "quartz",
        "tz": "UTC",
        "times": ["2026-01-16T12:00:00+00:00", "2026-02-20T12:00:00+00:00"],
    }


def test_prev_walks_back(run_cli: Run) -> None:
    done = run_cli("prev", "0 9 * * *", "-n", "2", "--tz", "UTC", "--before", "2026-01-01")
    assert done.stdout.splitlines() == ["2025-12-31T09:00:00+00:00", "2025-12-30T09:00:00+00:00"]


def test_explain_describes_lists_and_warns(run_cli: Run) -> None:
    done = run_cli("explain", "0 0 31 * *", "--tz", "UTC", "--after", "2026-01-01", "-n", "2")
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        "at 00:00, on day 31 of the month",
        "dialect posix, time zone UTC",
        "next fire times:",
        "  2026-01-31T00:00:00+00:00",
        "  2026-03-31T00:00:00+00:00",
        "warning: fires in only 7 of the 12 selected months: day 31 does not exist in "
        "February, April, June, September and November",
    ]


def test_explain_in_chinese(run_cli: Run) -> None:
    done = run_cli(
        "explain",
        "*/15 9-17 * * mon-fri",
        "--lang",
        "zh",
        "--tz",
        "Asia/Shanghai",
        "--after",
        "2026-01-01",
        "-n",
        "1",
        "--json",
    )
    data = json.loads(done.stdout)
    assert data["description"] == "周一至周五 09:00 至 17:59 每 15 分钟"
    assert data["times"] == ["2026-01-01T09:00:00+08:00"]


def test_validate_exits_1_with_a_caret_on_stderr(run_cli: Run) -> None:
    done = run_cli("validate", "0 0 32 * *")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "error: field 3 (day of month) '32' is out of range 1-31",
        "  0 0 32 * *",
        "      ^^",
    ]


def test_validate_exits_0_for_a_valid_expression(run_cli: Run) -> None:
    done = run_cli("validate", "0 9 * * mon-fri")
    assert (done.returncode, done.stdout, done.stderr) == (0, "valid\n", "")


def test_validate_strict_fails_on_warnings(run_cli: Run) -> None:
    assert run_cli("validate", "0 0 30 2 *").returncode == 0
    done = run_cli("validate", "--strict", "0 0 30 2 *")
    assert done.returncode == 1 and "never fires" in done.stderr


def test_validate_json(run_cli: Run) -> None:
    done = run_cli("validate", "--json", "--dialect", "quartz", "0 0 12 * * *")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert data["ok"] is False and data["errors"][0]["field_index"] == 6


def test_diff_prints_the_first_differences(run_cli: Run) -> None:
    done = run_cli(
        "diff", "0 9 * * 1-5", "0 9 * * mon-sat", "--tz", "UTC", "--after", "2026-01-01", "-n", "2"
    )
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "--- 0 9 * * 1-5",
        "+++ 0 9 * * mon-sat",
        "+ 2026-01-03T09:00:00+00:00",
        "+ 2026-01-10T09:00:00+00:00",
    ]


def test_diff_across_dialects(run_cli: Run) -> None:
    done = run_cli(
        "diff",
        "0 9 * * 0",
        "0 9 * * 0",
        "--dialect2",
        "aps",
        "--tz",
        "UTC",
        "--after",
        "2026-01-01",
        "-n",
        "2",
        "--json",
    )
    data = json.loads(done.stdout)
    assert data["identical"] is False
    assert data["differences"] == [
        {"time": "2026-01-04T09:00:00+00:00", "only_in": 1},
        {"time": "2026-01-05T09:00:00+00:00", "only_in": 2},
    ]


def test_diff_of_equal_schedules_exits_0(run_cli: Run) -> None:
    done = run_cli("diff", "0 9 * * 1", "0 9 * * mon", "--tz", "UTC")
    assert (done.returncode, done.stdout) == (0, "the schedules are identical\n")


def test_a_bad_expression_is_an_error_on_stderr(run_cli: Run) -> None:
    done = run_cli("next", "0 0 L * *", "--tz", "UTC")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines()[0].startswith("triggerkit: error: field 3 (day of month)")
    assert done.stderr.splitlines()[2] == "      ^"


def test_a_bad_zone_or_time_is_an_error(run_cli: Run) -> None:
    done = run_cli("next", "* * * * *", "--tz", "Mars/Olympus")
    assert done.returncode == 1 and "Mars/Olympus" in done.stderr
    done = run_cli("next", "* * * * *", "--tz", "UTC", "--after", "yesterday")
    assert done.returncode == 1 and "yesterday" in done.stderr


def test_a_schedule_that_ends_says_so(run_cli: Run) -> None:
    done = run_cli(
        "next",
        "0 0 0 1 1 ? 2030",
        "--dialect",
        "quartz",
        "-n",
        "3",
        "--tz",
        "UTC",
        "--after",
        "2026-01-01",
    )
    assert done.returncode == 0
    assert done.stdout == "2030-01-01T00:00:00+00:00\n"
    assert "only 1 more fire time" in done.stderr


def test_usage_errors_exit_2(run_cli: Run) -> None:
    assert run_cli().returncode == 2
    assert run_cli("next").returncode == 2
    assert run_cli("next", "* * * * *", "--dialect", "unix").returncode == 2


# The same commands in-process (``main(argv)``), so that coverage sees the command line too.

IN_PROCESS = [
    (
        ["next", "0 9 * * *", "--tz", "UTC", "--after", "2026-01-01", "-n", "2"],
        0,
        "2026-01-01T09:00:00+00:00\n2026-01-02T09:00:00+00:00\n",
    ),
    (
        ["prev", "0 9 * * *", "--tz", "UTC", "--before", "2026-01-01", "--json"],
        0,
        '{"expr": "0 9 * * *", "dialect": "posix", "tz": "UTC", '
        '"times": ["2025-12-31T09:00:00+00:00"]}\n',
    ),
    (
        ["explain", "0 0 30 2 *", "--tz", "UTC", "--after", "2026-01-01"],
        0,
        "at 00:00, on 30 February\ndialect posix, time zone UTC\nno fire times\n"
        "warning: never fires: day 30 does not exist in February\n",
    ),
    (
        ["explain", "@daily", "--tz", "UTC", "--after", "2026-01-01", "-n", "1", "--json"],
        0,
        '{"expr": "@daily", "dialect": "posix", "tz": "UTC", "description": "every day at 00:00", '
        '"times": ["2026-01-02T00:00:00+00:00"], "warnings": []}\n',
    ),
    (["validate", "0 0 31 * *"], 0, "valid (with warnings)\n"),
    (["validate", "*/10 * * * * *", "--seconds"], 0, "valid\n"),
    (["validate", "0 0 31 * *", "--strict"], 1, ""),
    (["validate", "0 0 32 * *"], 1, ""),
    (
        ["diff", "0 9 * * *", "0 9 * * *", "--tz", "UTC", "--json"],
        0,
        '{"expr1": "0 9 * * *", "expr2": "0 9 * * *", "tz": "UTC", "identical": true, '
        '"differences": []}\n',
    ),
    (["diff", "0 0 1 1 * ", "0 0 1 1 *", "--tz", "UTC"], 0, "the schedules are identical\n"),
    (["next", "H H * * *", "--job-id", "a", "--tz", "UTC", "-n", "0"], 0, ""),
    (["next", "* * * * *", "-n", "-1"], 2, ""),
    (["next", "0 0 32 * *", "--tz", "UTC"], 1, ""),
    (["next", "* * * * *", "--tz", "Nowhere/City"], 1, ""),
]


@pytest.mark.parametrize(
    ("argv", "status", "stdout"), IN_PROCESS, ids=[" ".join(a[:2]) for a, _, _ in IN_PROCESS]
)
def test_main_in_process(
    capsys: pytest.CaptureFixture[str], argv: list[str], status: int, stdout: str
) -> None:
    assert main(argv) == status
    assert capsys.readouterr().out == stdout


def test_the_default_zone_is_the_local_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["next", "0 9 * * *"]) == 0
    assert capsys.readouterr().out.count("T09:00:00") == 1


def test_diff_gives_up_after_the_scan_limit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # equal until 2099, where the quartz year field ends
    monkeypatch.setattr(cli, "DIFF_SCAN_LIMIT", 10)
    assert (
        main(
            [
                "diff",
                "* * * * *",
                "0 * * * * ? 1970-2099",
                "--dialect2",
                "quartz",
                "--tz",
                "UTC",
                "--after",
                "2026-01-01",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == "no difference in the first 10 fire times\n"


def test_python_dash_m_in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["triggerkit", "validate", "* * * * *"])
    with pytest.raises(SystemExit) as info:
        runpy.run_module("triggerkit", run_name="__main__")
    assert info.value.code == 0
    assert capsys.readouterr().out == "valid\n"


# -- the year edges (issue #13, item 9): one line, never a traceback ---------------------------


@pytest.mark.parametrize(
    ("argv", "status", "words"),
    [
        (
            [
                "next",
                "* * * * *",
                "--tz",
                "Pacific/Kiritimati",
                "--after",
                "9999-12-31T23:59:59.999999",
            ],
            0,
            "has only 0 more fire time(s)",
        ),
        (
            ["next", "* * * * *", "--tz", "America/New_York", "--after", "9999-12-31T23:59:00"],
            1,
            "time: '9999-12-31T23:59:00' is not a valid date/time",
        ),
        (
            ["next", "* * * * *", "--tz", "UTC", "--after", "2030-01-01T00:00+25:00"],
            1,
            "UTC offset between -23:59 and +23:59",
        ),
        (["next", "* * * * *", "--dialect", "POSIX"], 2, "invalid choice"),
    ],
    ids=["past-9999", "instant-past-9999", "offset-25h", "dialect-case"],
)
def test_edge_inputs_print_one_line(run_cli: Run, argv: list[str], status: int, words: str) -> None:
    done = run_cli(*argv)
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr
    assert words in done.stderr
    if status != 2:  # argparse prints its usage line first
        assert len(done.stderr.strip().splitlines()) == 1
