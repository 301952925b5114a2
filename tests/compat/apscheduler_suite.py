"""Run APScheduler 3.11.3's own test files against triggerkit.

The tests are not copied into this repository: the sdist is fetched at run time with pip (or
taken from ``--sdist``), its ``tests/`` directory is copied to a temporary directory, every
reference to an ``apscheduler`` module is rewritten to ``triggerkit`` (imports and dotted
strings such as ``"apscheduler.schedulers.base.get_localzone"``; configuration keys such as
``"apscheduler.timezone"`` stay, because triggerkit reads them as APScheduler does), and pytest
runs the chosen files in a subprocess with APScheduler's own pytest settings.

Every test outcome is compared with the list of expected failures
(:mod:`apscheduler_suite_expected`, mirrored in ``docs/migration.md``): the run fails when a
test outside the list fails or is skipped, or when a listed test passes. Usage::

    python tests/compat/apscheduler_suite.py tests/triggers/test_calendarinterval.py ...
    python tests/compat/apscheduler_suite.py --all          # every file but test_jobstores.py
    python tests/compat/apscheduler_suite.py tests/test_jobstores.py   # needs the test servers

``tests/test_jobstores.py`` connects to each server on its default port; the harness rewrites
the connection arguments of its store and client constructors to the ports that ``.ci/servers.sh``
exports (``TK_*``), and adds a SQLAlchemy-on-PostgreSQL store (``TK_PG_URL``) to its store
parameters (:func:`point_at_servers`). A variable that is unset fails the tests that need it.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from apscheduler_suite_expected import EXPECTED  # noqa: E402

VERSION = "3.11.3"
DEFAULT_FILES = (
    "tests/triggers/test_calendarinterval.py",
    "tests/triggers/test_combining.py",
    "tests/triggers/test_cron.py",
    "tests/triggers/test_date.py",
    "tests/triggers/test_interval.py",
    "tests/test_expressions.py",
    "tests/test_job.py",
    "tests/test_schedulers.py",
    "tests/test_executors.py",
    "tests/test_util.py",
)
_DOTTED = re.compile(r"\bapscheduler((?:\.\w+)+)")
_IMPORT = re.compile(r"^(\s*)(from|import)\s+apscheduler\b", re.MULTILINE)


def _is_triggerkit_path(dotted: str) -> bool:
    """Return whether ``triggerkit<dotted>`` names a module, or an attribute chain in one.

    ``.schedulers.base.get_localzone`` does; ``.jobstores.default.arg1`` (a configuration key
    of APScheduler's ``gconfig``, which triggerkit reads under the same name) does not.
    """
    parts = dotted.strip(".").split(".")
    for cut in range(len(parts), 0, -1):
        name = "triggerkit." + ".".join(parts[:cut])
        try:
            if importlib.util.find_spec(name) is None:
                continue
        except ImportError:
            continue
        if cut == len(parts):
            return True
        try:
            obj: object = importlib.import_module(name)
        except ImportError:  # a store whose driver is missing: still a module path
            return True
        for attribute in parts[cut:]:
            if not hasattr(obj, attribute):
                return False
            obj = getattr(obj, attribute)
        return True
    # a top-level name such as ``apscheduler.version``
    import triggerkit

    return hasattr(triggerkit, parts[0])


# The plugin the subprocess loads: one JSON line per test with its outcome.
_PLUGIN = """
import json, os

_outcomes = {}

def pytest_runtest_logreport(report):
    previous = _outcomes.get(report.nodeid)
    if report.failed:
        outcome = "failed"
    elif report.skipped:
        outcome = "skipped" if previous in (None, "skipped") else previous
    elif report.when == "call":
        outcome = "passed" if previous in (None, "passed") else previous
    else:
        outcome = previous or "passed"
    if previous == "failed":
        outcome = "failed"
    _outcomes[report.nodeid] = outcome

def pytest_collectreport(report):
    if report.failed:
        _outcomes[report.nodeid or "<collection>"] = "failed"

def pytest_sessionfinish(session):
    with open(os.environ["APS_SUITE_OUTCOMES"], "w") as fobj:
        json.dump(_outcomes, fobj)
"""


def rewrite(source: str) -> str:
    """Return a test file's text with its ``apscheduler`` module references made ``triggerkit``."""
    source = _IMPORT.sub(r"\1\2 triggerkit", source)

    def replace(match: re.Match[str]) -> str:
        dotted = match.group(1)
        return "triggerkit" + dotted if _is_triggerkit_path(dotted) else match.group(0)

    return _DOTTED.sub(replace, source)


_ENV_PORT = 'int(os.environ["{}"])'
_HOST = 'host="127.0.0.1", port=' + _ENV_PORT
# (text in APScheduler's test_jobstores.py, its replacement, how many times it must occur)
SERVER_EDITS: tuple[tuple[str, str, int], ...] = (
    ("from datetime import datetime\n", "import os\nfrom datetime import datetime\n", 1),
    (
        'RethinkDBJobStore(database="apscheduler_unittest")',
        f'RethinkDBJobStore(database="apscheduler_unittest", {_HOST.format("TK_RETHINK_PORT")})',
        1,
    ),
    (
        'MongoDBJobStore(database="apscheduler_unittest")',
        'MongoDBJobStore(database="apscheduler_unittest", '
        f"{_HOST.format('TK_MONGO_PORT')}, directConnection=True)",
        1,
    ),
    (
        "mongodb.MongoClient()",
        f"mongodb.MongoClient({_HOST.format('TK_MONGO_PORT')}, directConnection=True)",
        1,
    ),
    ("redis.RedisJobStore()", f"redis.RedisJobStore({_HOST.format('TK_REDIS_PORT')})", 1),
    (
        'ZooKeeperJobStore(path="/apscheduler_unittest")',
        'ZooKeeperJobStore(path="/apscheduler_unittest", hosts=_ZK_HOSTS)',
        1,
    ),
    ("zookeeper.KazooClient()", "zookeeper.KazooClient(hosts=_ZK_HOSTS)", 2),
    (
        'EtcdJobStore(path="/apscheduler_unittest")',
        f'EtcdJobStore(path="/apscheduler_unittest", {_HOST.format("TK_ETCD_PORT")})',
        1,
    ),
    ("etcd.Etcd3Client()", f"etcd.Etcd3Client({_HOST.format('TK_ETCD_PORT')})", 1),
    # SQLAlchemy on PostgreSQL, next to APScheduler's SQLAlchemy on SQLite, in both store lists
    (
        '        "sqlalchemyjobstore",\n',
        '        "sqlalchemyjobstore",\n        "sqlalchemypgjobstore",\n',
        2,
    ),
    ('"sqlalchemy", "mongodb"', '"sqlalchemy", "sqlalchemy-postgresql", "mongodb"', 2),
)
SERVER_ADDITIONS = """

_ZK_HOSTS = "127.0.0.1:" + os.environ.get("TK_ZK_PORT", "TK_ZK_PORT-is-unset")


@pytest.fixture
def sqlalchemypgjobstore():
    from triggerkit.jobstores.sqlalchemy import SQLAlchemyJobStore

    store = SQLAlchemyJobStore(url=os.environ["TK_PG_URL"], tablename="apscheduler_unittest")
    store.start(None, "sqlalchemy")
    store.remove_all_jobs()
    yield store
    store.remove_all_jobs()
    store.shutdown()
"""


def point_at_servers(source: str) -> str:
    """Return APScheduler's ``test_jobstores.py`` connected to the ``TK_*`` test servers.

    Raises :class:`ValueError` when the file is not the one the edits were written for.
    """
    for old, new, count in SERVER_EDITS:
        found = source.count(old)
        if found != count:
            raise ValueError(f"test_jobstores.py: {old!r} occurs {found} times, not {count}")
        source = source.replace(old, new)
    return source + SERVER_ADDITIONS


def fetch_sdist(dest: Path) -> Path:
    """Download APScheduler's sdist into ``dest`` with pip; return the archive's path."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"APScheduler=={VERSION}",
            "-d",
            str(dest),
        ],
        check=True,
    )
    (archive,) = [p for p in dest.iterdir() if p.name.lower().startswith("apscheduler-")]
    return archive


def unpack_tests(sdist: Path, dest: Path) -> Path:
    """Copy the ``tests/`` directory of ``sdist`` (an archive or an unpacked tree) to ``dest``."""
    if sdist.is_dir():
        root = sdist
    else:
        with tarfile.open(sdist) as archive:
            archive.extractall(dest / "unpacked", filter="data")
        (root,) = list((dest / "unpacked").iterdir())
    tests = dest / "suite" / "tests"
    shutil.copytree(root / "tests", tests)
    for path in tests.rglob("*.py"):
        path.write_text(rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")
    jobstores = tests / "test_jobstores.py"
    jobstores.write_text(point_at_servers(jobstores.read_text(encoding="utf-8")), encoding="utf-8")
    # APScheduler's own pytest settings (its pyproject.toml), not ours
    (dest / "suite" / "pytest.ini").write_text(
        "[pytest]\naddopts = -rsx --tb=short -p no:cacheprovider\ntestpaths = tests\n"
        "filterwarnings = always\n"
        "markers =\n    external_service: marks tests as requiring some external service\n"
    )
    (dest / "suite" / "aps_suite_outcomes.py").write_text(_PLUGIN)
    return dest / "suite"


def run_pytest(suite: Path, files: Iterable[str], extra: Iterable[str] = ()) -> dict[str, str]:
    """Run pytest on ``files`` inside ``suite``; return ``{nodeid: outcome}``."""
    outcomes = suite / "outcomes.json"
    env = dict(os.environ, APS_SUITE_OUTCOMES=str(outcomes), PYTHONPATH=str(suite))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "aps_suite_outcomes",
            "-q",
            "--continue-on-collection-errors",
            *extra,
            *files,
        ],
        cwd=suite,
        env=env,
        check=False,
    )
    if not outcomes.exists():  # pytest stopped before the session finished
        return {f"<pytest exit code {completed.returncode}>": "failed"}
    result: dict[str, str] = json.loads(outcomes.read_text())
    return result


@dataclass
class Verdict:
    """What a run's outcomes mean against the expected-failure list."""

    passed: list[str]
    expected: list[str]  # failed or skipped, as listed
    unexpected: list[str]  # failed or skipped, not listed
    fixed: list[str]  # listed, but passed

    @property
    def ok(self) -> bool:
        return not self.unexpected and not self.fixed


def matches(pattern: str, nodeid: str) -> bool:
    """Return whether ``nodeid`` matches ``pattern``, where only ``*`` is a wildcard."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, nodeid) is not None


def _expectation(nodeid: str, expected: Mapping[str, tuple[str, str]]) -> tuple[str, str] | None:
    if nodeid in expected:
        return expected[nodeid]
    for pattern, value in expected.items():
        if matches(pattern, nodeid):
            return value
    return None


def judge(outcomes: Mapping[str, str], expected: Mapping[str, tuple[str, str]]) -> Verdict:
    """Compare ``{nodeid: outcome}`` with ``{nodeid pattern: (outcome, reason)}``."""
    verdict = Verdict([], [], [], [])
    for nodeid, outcome in sorted(outcomes.items()):
        listed = _expectation(nodeid, expected)
        if outcome == "passed":
            (verdict.fixed if listed else verdict.passed).append(nodeid)
        elif listed and listed[0] == outcome:
            verdict.expected.append(nodeid)
        else:
            verdict.unexpected.append(f"{nodeid} ({outcome})")
    return verdict


def per_file(verdict: Verdict) -> dict[str, list[int]]:
    """Return ``{file: [passed, not passed]}`` of a verdict."""
    counts: dict[str, list[int]] = {}
    for index, group in enumerate(
        (verdict.passed, verdict.expected + verdict.unexpected + verdict.fixed)
    ):
        for nodeid in group:
            counts.setdefault(nodeid.split("::")[0].split(" ")[0], [0, 0])[index] += 1
    return dict(sorted(counts.items()))


def deselected(files: Iterable[str], expected: Mapping[str, tuple[str, str]]) -> list[str]:
    """Return the listed node ids of ``files`` that must not run at all (they crash pytest)."""
    chosen = set(files)
    return [
        nodeid
        for nodeid, (outcome, _) in expected.items()
        if outcome == "deselected" and nodeid.split("::")[0] in chosen
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="test files of the sdist, e.g. tests/test_job.py")
    parser.add_argument("--all", action="store_true", help="every file but test_jobstores.py")
    parser.add_argument("--sdist", type=Path, help="an APScheduler sdist or unpacked tree")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args, extra = parser.parse_known_args(argv)
    files = list(DEFAULT_FILES) if args.all or not args.files else args.files
    tmp = Path(tempfile.mkdtemp(prefix="aps-suite-"))
    try:
        sdist = args.sdist or fetch_sdist(tmp / "download")
        suite = unpack_tests(sdist.resolve(), tmp)
        deselect = deselected(files, EXPECTED)
        outcomes = run_pytest(suite, files, [*extra, *(f"--deselect={n}" for n in deselect)])
        outcomes.update(dict.fromkeys(deselect, "deselected"))
        verdict = judge(outcomes, EXPECTED)
        if verdict.unexpected:
            # a second chance for timing-sensitive tests (a process pool on a busy machine):
            # the unexpected failures run once more, alone, and the report names them
            again = [entry.rsplit(" (", 1)[0] for entry in verdict.unexpected]
            rerun = run_pytest(suite, again, extra)
            flaky = sorted(n for n in again if rerun.get(n) == "passed")
            outcomes.update({n: "passed" for n in flaky})
            verdict = judge(outcomes, EXPECTED)
            for nodeid in flaky:
                print(f"FLAKY (failed, then passed when run again): {nodeid}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    total = (
        len(verdict.passed) + len(verdict.expected) + len(verdict.unexpected) + len(verdict.fixed)
    )
    print(
        f"APScheduler {VERSION} suite on triggerkit: {len(verdict.passed)} of {total} passed, "
        f"{len(verdict.expected)} expected failures (see docs/migration.md)"
    )
    for path, counts in per_file(verdict).items():
        print(f"  {path}: {counts[0]} of {sum(counts)} passed")
    for nodeid in verdict.unexpected:
        print(f"UNEXPECTED: {nodeid}")
    for nodeid in verdict.fixed:
        print(f"LISTED AS FAILING BUT PASSED (remove it from the list): {nodeid}")
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
