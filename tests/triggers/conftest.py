"""Every test in this directory runs on both engine kernels (the ``engine`` fixture)."""

from __future__ import annotations

from types import ModuleType

import pytest


@pytest.fixture(autouse=True)
def _on_each_engine(engine: ModuleType) -> ModuleType:
    return engine
