"""Zone data: always the pinned ``tzdata`` package, never the operating system's copy.

The OS copy on our machines predates IANA 2026c and is one hour wrong for Morocco after
2026-09-20 (see PITFALLS.md). ``zoneinfo`` searches the OS first, so the search path is
emptied before any zone is loaded; this module is imported by ``hub_booking/__init__``.
"""

import zoneinfo
from datetime import UTC, datetime, timedelta

import tzdata

zoneinfo.reset_tzpath(to=[])

IANA_VERSION: str = tzdata.IANA_VERSION


class UnknownZone(ValueError):
    """The name is not an IANA time zone."""


def get_zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone of that IANA name, from the pinned zone data."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, IsADirectoryError) as exc:
        raise UnknownZone(name) from exc


def is_valid_zone(name: str) -> bool:
    try:
        get_zone(name)
    except UnknownZone:
        return False
    return True


def self_check() -> None:
    """Refuse to run on zone data that predates Morocco's 2026 change."""
    offset = datetime(2027, 2, 20, 12, tzinfo=UTC).astimezone(get_zone("Africa/Casablanca"))
    if offset.utcoffset() != timedelta(0):
        raise RuntimeError(
            f"zone data {IANA_VERSION} says Africa/Casablanca is {offset.utcoffset()} on "
            "2027-02-20; it must be +00:00 (IANA 2026c or later). Upgrade the tzdata package."
        )
