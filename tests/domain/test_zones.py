"""Zone data comes from the pinned tzdata package (IANA 2026c or later), never the OS copy."""

from datetime import UTC, datetime, timedelta

import pytest

from hub_booking.zones import IANA_VERSION, UnknownZone, get_zone, self_check


def offset(when: datetime) -> timedelta:
    return when.astimezone(get_zone("Africa/Casablanca")).utcoffset()


def test_morocco_is_utc_from_2026_09_20():
    self_check()
    assert offset(datetime(2027, 2, 20, 12, tzinfo=UTC)) == timedelta(0)
    assert offset(datetime(2027, 7, 1, 12, tzinfo=UTC)) == timedelta(0)


def test_morocco_was_utc_plus_one_before_the_change():
    assert offset(datetime(2026, 9, 1, 12, tzinfo=UTC)) == timedelta(hours=1)


def test_the_pinned_release_is_2026c_or_later():
    assert IANA_VERSION >= "2026c"


def test_a_weekly_14h_wall_clock_is_14h_utc_in_2027():
    zone = get_zone("Africa/Casablanca")
    for week in range(10):
        local = datetime(2027, 1, 26, 14, tzinfo=zone) + timedelta(weeks=week)
        assert local.astimezone(UTC).hour == 14


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "/etc/localtime"])
def test_unknown_zones_are_refused(name):
    with pytest.raises(UnknownZone):
        get_zone(name)
