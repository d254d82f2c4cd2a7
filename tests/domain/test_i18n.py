from datetime import UTC, datetime

import pytest

from hub_booking.i18n import direction, format_datetime, pick_language
from hub_booking.zones import get_zone


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ar-MA,ar;q=0.9,fr;q=0.8", "ar"),
        ("de-DE,fr;q=0.5,en;q=0.7", "en"),
        ("de", "fr"),
        ("", "fr"),
        ("en;q=0, ar;q=0.1", "ar"),
        ("garbage;;q=x, fr", "fr"),
    ],
)
def test_accept_language_negotiation(header, expected):
    assert pick_language(accept_language=header, default="fr") == expected


def test_explicit_choice_beats_the_header():
    assert pick_language("ar", None, accept_language="fr", default="en") == "ar"
    assert pick_language(None, "xx", accept_language="", default="en") == "en"


def test_arabic_is_right_to_left():
    assert direction("ar") == "rtl"
    assert direction("fr") == direction("en") == "ltr"


def test_times_show_on_the_hubs_wall_clock():
    shown = format_datetime(
        datetime(2027, 2, 9, 14, tzinfo=UTC), get_zone("Africa/Casablanca"), "fr", "short"
    )
    assert "14:00" in shown
