"""_tz.resolve_wall: one selected wall time to its fire instant (rules G and O)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from triggerkit import _tz


def wall(y: int, mo: int, d: int, h: int, mi: int) -> int:
    return int(datetime(y, mo, d, h, mi, tzinfo=timezone.utc).timestamp())


def instant(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


@pytest.mark.parametrize(
    ("zone", "local", "gap_shift", "expected"),
    [
        # Europe/Berlin, 2016-03-27: 02:00 CET -> 03:00 CEST
        ("Europe/Berlin", (2016, 3, 27, 2, 30), True, "2016-03-27T03:00:00+02:00"),
        ("Europe/Berlin", (2016, 3, 27, 2, 30), False, None),
        ("Europe/Berlin", (2016, 3, 27, 3, 0), True, "2016-03-27T03:00:00+02:00"),
        # America/New_York, 2013-11-03: 02:00 EDT -> 01:00 EST; the first 01:30 fires
        ("America/New_York", (2013, 11, 3, 1, 30), True, "2013-11-03T01:30:00-04:00"),
        # Australia/Lord_Howe, 2023-10-01: 02:00 +10:30 -> 02:30 +11:00
        ("Australia/Lord_Howe", (2023, 10, 1, 2, 15), True, "2023-10-01T02:30:00+11:00"),
        ("UTC", (2020, 1, 1, 12, 0), True, "2020-01-01T12:00:00+00:00"),
    ],
    ids=[
        "berlin-gap",
        "berlin-gap-skip",
        "berlin-after-gap",
        "new-york-overlap",
        "lord-howe",
        "utc",
    ],
)
def test_a_wall_time_resolves_by_rules_g_and_o(
    zone: str, local: tuple[int, int, int, int, int], gap_shift: bool, expected: str | None
) -> None:
    found = _tz.resolve_wall(_tz.zone_for(ZoneInfo(zone)), wall(*local), gap_shift)
    assert found == (None if expected is None else instant(expected))
