"""pytest-benchmark set-up: the rows and contenders live in ``contenders.py``.

Run ``python -m pytest bench`` (add ``--benchmark-json=out.json`` to keep the numbers); the
tables in ``docs/performance.md`` come from ``python bench/compare.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from contenders import engine  # noqa: E402

from triggerkit import _engine  # noqa: E402

ENGINES = ["cython", "python"]


@pytest.fixture(params=ENGINES)
def kernel(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the benchmark on each triggerkit engine (the compiled one must be built)."""
    _engine.load(request.param)
    with engine(request.param):
        yield request.param
