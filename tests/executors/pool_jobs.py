"""Jobs for the process-pool tests (test_pool.py).

A spawned worker imports a job's module by name; this module is found through ``pythonpath``
(tests/executors), however pytest was started, where a test module (imported by path) may not be.
"""

from __future__ import annotations

import os


def square(x: int) -> int:
    return x * x


def pid() -> int:
    return os.getpid()


def die() -> None:
    os._exit(3)
