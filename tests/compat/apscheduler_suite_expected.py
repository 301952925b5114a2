"""The tests of APScheduler 3.11.3's own suite that fail on triggerkit on purpose.

``{node id pattern (fnmatch): (outcome, reason)}``. ``outcome`` is ``"failed"``, ``"skipped"``
or ``"deselected"`` (not run at all, because it crashes the interpreter; exact node ids only).
``docs/migration.md`` lists the same entries (``tests/compat/test_apscheduler_suite.py``
checks it).
"""

from __future__ import annotations

_QT_CRASH = (
    "PySide6 6.12.0's QCoreApplication.processEvents() drops one reference to None per call "
    "on CPython 3.11 (reproduced without triggerkit); this test's busy loop calls it until "
    "the interpreter aborts"
)

EXPECTED: dict[str, tuple[str, str]] = {
    "tests/triggers/test_calendarinterval.py::test_missing_time[*]": (
        "failed",
        "rule G (docs/rules/dst.md): 02:30 on 2016-03-27 in Berlin does not exist, so it fires "
        "at 03:00+02:00 that day; APScheduler 3.11 skips the day (dst_gap='skip' does that)",
    ),
    **{
        f"tests/test_schedulers.py::TestQtScheduler::test_{name}[{tz}]": ("deselected", _QT_CRASH)
        for name in ("add_pending_job", "add_live_job")
        for tz in ("pytz", "zoneinfo")
    },
}
