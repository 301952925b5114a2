"""The distribution: its name, license, extras and the compiled extension's build flags."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

import triggerkit

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = (ROOT / "pyproject.toml").read_text()  # no tomllib on Python 3.10
STORE_EXTRAS = {"sqlalchemy", "redis", "mongodb", "zookeeper", "etcd", "rethinkdb"}


def test_the_distribution_name_is_free_and_the_import_name_stays() -> None:
    # "triggerkit" on PyPI is an unrelated project
    assert re.search(r'^name = "triggerkit-cron"$', PYPROJECT, re.MULTILINE)
    assert (ROOT / "triggerkit" / "__init__.py").exists()


def test_the_license_file_is_the_mit_license_the_metadata_declares() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert "triggerkit developers" in text
    setup = (ROOT / "setup.py").read_text()
    assert '{"license_expression": "MIT"}' in setup and '{"license": "MIT"}' in setup
    assert 'dynamic = ["version", "license"]' in PYPROJECT
    assert 'authors = [{ name = "triggerkit developers" }]' in PYPROJECT


def test_store_extras_exist_only_with_their_stores() -> None:
    section = PYPROJECT.split("[project.optional-dependencies]")[1].split("\n[")[0]
    extras = set(re.findall(r"^([a-z]+) = ", section, re.MULTILINE))
    assert {"hypothesis", "test", "gevent"} <= extras
    for store in extras & STORE_EXTRAS:
        assert (ROOT / "triggerkit" / "jobstores" / f"{store}.py").exists(), store


def test_the_extension_is_built_without_debug_info() -> None:
    tree = ast.parse((ROOT / "setup.py").read_text())
    values = {
        node.targets[0].id: ast.unparse(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    assert "'-g0'" in values["COMPILE_ARGS"]
    assert "'-s'" in values["LINK_ARGS"]


@pytest.mark.skipif(sys.platform != "linux", reason="reads an ELF file")
def test_the_built_extension_carries_no_debug_sections() -> None:
    built = sorted(Path(triggerkit.__file__).parent.glob("_speedups*.so"))
    if not built:
        pytest.fail("triggerkit._speedups is not built (pip install -e . builds it)")
    data = built[-1].read_bytes()
    assert b".debug_info" not in data
    assert b".debug_line" not in data
