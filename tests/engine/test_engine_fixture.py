"""The ``engine`` fixture fails (never skips) the compiled run when the extension is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Installed through sitecustomize: importing triggerkit._speedups fails as if it were not built.
HIDE_EXTENSION = """
import importlib.abc, sys

class _Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "triggerkit._speedups":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _Hide())
"""
TEST = """
def test_uses_the_engine(engine):
    assert engine.MAX_YEAR == 9999
"""


def run_without_extension(tmp_path: Path, **env: str) -> str:
    """Run a one-test file using ``engine`` (the suite's own conftest code) in a subprocess."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(HIDE_EXTENSION)
    run = tmp_path / "run"
    run.mkdir()
    conftest = ROOT / "tests" / "conftest.py"
    (run / "conftest.py").write_text(
        f"exec(compile(open({str(conftest)!r}).read(), {str(conftest)!r}, 'exec'))\n"
    )
    (run / "test_hidden.py").write_text(TEST)
    (run / "pytest.ini").write_text("[pytest]\n")  # not the project's settings
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TRIGGERKIT_")}
    environment.update(env, PYTHONPATH=str(tmp_path / "site"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "--rootdir",
            str(run),
            "-c",
            str(run / "pytest.ini"),
            str(run / "test_hidden.py"),
        ],
        cwd=run,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout + done.stderr


@pytest.mark.slow
def test_a_missing_extension_fails_the_compiled_run(tmp_path: Path) -> None:
    out = run_without_extension(tmp_path)
    # pytest.fail in a fixture: reported as an error, which fails the run like a failure
    summary = out.strip().splitlines()[-1]
    assert "1 passed, 1 error" in summary, out
    assert "skipped" not in summary
    assert "triggerkit._speedups is not built" in out


@pytest.mark.slow
def test_a_disabled_extension_leaves_the_compiled_run_out(tmp_path: Path) -> None:
    out = run_without_extension(tmp_path, TRIGGERKIT_NO_EXTENSIONS="1")
    summary = out.strip().splitlines()[-1]
    assert "1 passed" in summary, out
    assert "skipped" not in summary and "error" not in summary, out
