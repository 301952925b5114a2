"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

from triggerkit import _engine

TESTS = Path(__file__).resolve().parent

# The folders whose every test runs on each engine kernel, as if it asked for ``engine``: the
# triggers, the DST table and the comparisons with APScheduler, croniter, cronsim and the oracle.
ON_EACH_ENGINE = ("compat", "dst", "triggers")

# Hypothesis settings for the differential and property tests of the toolkit (``Cron``,
# dialects, strategies): no deadline (the first call compiles and caches), a fixed example
# budget; the engine fixture only selects a kernel, so it is safe to share between examples.
settings.register_profile(
    "toolkit",
    deadline=None,
    database=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

CONSOLE_SCRIPT = Path(sys.executable).with_name("triggerkit")


def load_engine(name: str) -> ModuleType:
    """Return the kernel ``name``; a missing extension fails unless it was disabled on purpose.

    With ``TRIGGERKIT_NO_EXTENSIONS`` set, the compiled engine is not a parameter at all (see
    :data:`ENGINES`): that run tests the pure engine alone, and nothing is skipped.
    """
    try:
        return _engine.load(name)
    except ModuleNotFoundError:
        pytest.fail(
            "triggerkit._speedups is not built (run `python setup.py build_ext --inplace`, or "
            "set TRIGGERKIT_NO_EXTENSIONS=1 to test the pure engine only)"
        )


# The engines each engine-dependent test runs on. The pure run (TRIGGERKIT_NO_EXTENSIONS set)
# leaves the compiled one out instead of skipping it, so a skip never hides a missing build.
ENGINES = ["python"] if os.environ.get("TRIGGERKIT_NO_EXTENSIONS") else ["python", "cython"]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Iterator[ModuleType]:
    """Run the test on each engine kernel in turn; yields the kernel module."""
    kernel = load_engine(request.param)
    before = _engine.ENGINE
    _engine.use(request.param)
    try:
        yield kernel
    finally:
        _engine.use(before)


def pytest_collectstart(collector: pytest.Collector) -> None:
    """Give every test module under :data:`ON_EACH_ENGINE` the ``engine`` fixture."""
    if isinstance(collector, pytest.Module) and collector.path.is_relative_to(TESTS):
        if collector.path.relative_to(TESTS).parts[0] in ON_EACH_ENGINE:
            collector.add_marker(pytest.mark.usefixtures("engine"))


@pytest.fixture(scope="session")
def speedups() -> ModuleType:
    """The compiled kernel itself (fails when it is missing and not disabled on purpose)."""
    return load_engine("cython")


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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the test servers that this session started itself (see ``tests/servers.py``)."""
    servers = sys.modules.get("servers")  # imported only by a test that asked for a server
    if servers is not None:
        servers.stop_started_servers()
