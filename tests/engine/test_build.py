"""setup.py: the optional extension's fallbacks (without compiling anything)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Runs setup.py's module code with Cython made unimportable; `--version` needs no build.
WITHOUT_CYTHON = (
    "import sys; sys.modules['Cython'] = None; sys.argv = ['setup.py', '--version'];"
    "exec(compile(open('setup.py').read(), 'setup.py', 'exec'))"
)


def run_setup(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TRIGGERKIT_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_CYTHON],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_a_missing_cython_prints_a_framed_notice_and_installs_pure() -> None:
    done = run_setup()
    assert done.returncode == 0, done.stderr
    assert "* triggerkit: the compiled engine (triggerkit._speedups) was not built:" in done.stderr
    assert "Cython is not installed" in done.stderr


@pytest.mark.slow
def test_a_missing_cython_fails_when_extensions_are_required() -> None:
    done = run_setup(TRIGGERKIT_REQUIRE_EXTENSIONS="1")
    assert done.returncode != 0
    assert "TRIGGERKIT_REQUIRE_EXTENSIONS is set, but Cython is not installed" in done.stderr


@pytest.mark.slow
def test_disabled_extensions_build_nothing_and_say_nothing() -> None:
    done = run_setup(TRIGGERKIT_NO_EXTENSIONS="1")
    assert done.returncode == 0, done.stderr
    assert "compiled engine" not in done.stderr
