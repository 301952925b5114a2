"""The APScheduler-suite harness (tests/compat/apscheduler_suite.py), offline: the rewrite of
module references, the matching of node ids and the verdict; and docs/migration.md lists every
expected failure."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import apscheduler_suite as suite  # noqa: E402
from apscheduler_suite_expected import EXPECTED  # noqa: E402

MIGRATION = HERE.parent.parent / "docs" / "migration.md"


def test_module_references_become_triggerkit_and_config_keys_stay() -> None:
    source = (
        "from apscheduler.job import Job\n"
        "import apscheduler.util\n"
        "    from apscheduler import version\n"
        'patch("apscheduler.schedulers.base.get_localzone")\n'
        'gconfig = {"apscheduler.timezone": "UTC", "apscheduler.jobstores.default.arg": 1}\n'
        'db = "apscheduler_unittest"\n'
    )
    assert suite.rewrite(source) == (
        "from triggerkit.job import Job\n"
        "import triggerkit.util\n"
        "    from triggerkit import version\n"
        'patch("triggerkit.schedulers.base.get_localzone")\n'
        'gconfig = {"apscheduler.timezone": "UTC", "apscheduler.jobstores.default.arg": 1}\n'
        'db = "apscheduler_unittest"\n'
    )


def test_only_the_star_is_a_wildcard_in_a_pattern() -> None:
    assert suite.matches("a.py::t[*]", "a.py::t[pytz]")
    assert not suite.matches("a.py::t[pytz]", "a.py::t[p]")  # brackets are literal
    assert not suite.matches("a.py::t", "a.py::t2")


def test_the_verdict_fails_on_unlisted_failures_and_on_listed_passes() -> None:
    expected = {
        "f.py::known[*]": ("failed", "a rule"),
        "f.py::crash": ("deselected", "a crash"),
        "f.py::fixed": ("failed", "was broken"),
    }
    outcomes = {
        "f.py::ok": "passed",
        "f.py::known[a]": "failed",
        "f.py::crash": "deselected",
        "f.py::fixed": "passed",
        "f.py::new": "failed",
        "f.py::skipped": "skipped",
    }
    verdict = suite.judge(outcomes, expected)
    assert verdict.passed == ["f.py::ok"]
    assert verdict.expected == ["f.py::crash", "f.py::known[a]"]
    assert verdict.fixed == ["f.py::fixed"]
    assert verdict.unexpected == ["f.py::new (failed)", "f.py::skipped (skipped)"]
    assert not verdict.ok
    assert suite.judge({"f.py::known[b]": "failed"}, expected).ok


def test_only_the_chosen_files_deselect_their_entries() -> None:
    expected = {"a.py::x": ("deselected", "crash"), "b.py::y": ("deselected", "crash")}
    assert suite.deselected(["a.py"], expected) == ["a.py::x"]


def test_every_expected_failure_is_in_the_migration_guide_with_its_reason() -> None:
    text = re.sub(r"\s+", " ", MIGRATION.read_text(encoding="utf-8"))
    for pattern, (outcome, reason) in EXPECTED.items():
        assert f"`{pattern}`" in text, pattern
        assert outcome in ("failed", "skipped", "deselected")
        assert reason.split(":")[0] in text, reason


def _jobstores_like(times: int = 1) -> str:
    """A text with every construct the server edits look for, each as often as expected."""
    return "".join(
        old * (count if old != "redis.RedisJobStore()" else times)
        for old, _, count in suite.SERVER_EDITS
    )


def test_test_jobstores_is_pointed_at_the_tk_servers() -> None:
    edited = suite.point_at_servers(_jobstores_like())
    for variable in ("TK_REDIS_PORT", "TK_MONGO_PORT", "TK_ETCD_PORT", "TK_RETHINK_PORT"):
        assert f'port=int(os.environ["{variable}"])' in edited, variable
    assert 'os.environ["TK_PG_URL"]' in edited
    assert "hosts=_ZK_HOSTS" in edited and '"TK_ZK_PORT"' in edited
    assert "redis.RedisJobStore()" not in edited and "KazooClient()" not in edited
    assert edited.count('"sqlalchemypgjobstore"') == 2
    assert "def sqlalchemypgjobstore(" in edited


@pytest.mark.parametrize("times", [0, 2])
def test_a_changed_test_jobstores_stops_the_run_instead_of_using_default_ports(times: int) -> None:
    with pytest.raises(ValueError, match=re.escape("'redis.RedisJobStore()' occurs")):
        suite.point_at_servers(_jobstores_like(times))
