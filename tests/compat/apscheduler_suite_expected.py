"""The tests of APScheduler 3.11.3's own suite that fail on triggerkit on purpose.

``{node id pattern (fnmatch): (outcome, reason)}``; ``outcome`` is ``"failed"`` or
``"skipped"``. ``docs/migration.md`` lists the same entries (a test checks it).
"""

from __future__ import annotations

EXPECTED: dict[str, tuple[str, str]] = {}
