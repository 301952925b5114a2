"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from triggerkit import _engine


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


@pytest.fixture(scope="session")
def speedups() -> ModuleType:
    """The compiled kernel itself (fails when it is missing and not disabled on purpose)."""
    return load_engine("cython")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the test servers that this session started itself (see ``tests/servers.py``)."""
    servers = sys.modules.get("servers")  # imported only by a test that asked for a server
    if servers is not None:
        servers.stop_started_servers()
