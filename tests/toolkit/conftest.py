"""Fixtures of the toolkit tests (``Cron``, dialects, validation, descriptions, CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis settings for the differential and property tests: no deadline (the first call
# compiles and caches), a fixed example budget; the engine fixture only selects a kernel, so
# it is safe to share between examples.
settings.register_profile(
    "toolkit",
    deadline=None,
    database=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

CONSOLE_SCRIPT = Path(sys.executable).with_name("triggerkit")


@pytest.fixture(params=["console-script", "python-m"])
def run_cli(request: pytest.FixtureRequest) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real command line in a subprocess: the console script, then ``python -m``."""
    prefix = (
        [str(CONSOLE_SCRIPT)]
        if request.param == "console-script"
        else [sys.executable, "-m", "triggerkit"]
    )
    if request.param == "console-script" and not CONSOLE_SCRIPT.exists():
        pytest.fail(f"{CONSOLE_SCRIPT} is missing: run `pip install -e .`")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            prefix + list(args),
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        )

    return run
