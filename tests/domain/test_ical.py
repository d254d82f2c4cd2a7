"""hub_booking.ical without a database: the lean feed writer gives icalendar's bytes exactly,
events carry UID, SEQUENCE and UTC times, and a small calendar matches its expected text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from hub_booking import ical
from hub_booking.domain.bookings import BookingView, Item
from hub_booking.domain.model import BookingStatus

NOW = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)


def view(**fields) -> BookingView:
    start = fields.pop("starts_at", datetime(2027, 2, 9, 14, tzinfo=UTC))
    values = {
        "id": 42,
        "uid": "0b5e1c9e-2f0a-4d59-9f3c-6a3f0c1d2e4f@hub-booking",
        "association_id": 1,
        "hub_id": 1,
        "series_id": None,
        "title": "Formation",
        "purpose": "",
        "attendees": 12,
        "starts_at": start,
        "ends_at": start + timedelta(hours=3),
        "local_start": start.replace(tzinfo=None),
        "local_end": (start + timedelta(hours=3)).replace(tzinfo=None),
        "timezone": "Africa/Casablanca",
        "status": BookingStatus.APPROVED,
        "revision": 2,
        "override": False,
        "created_at": NOW - timedelta(days=3),
        "updated_at": NOW,
        "items": (Item(7, 1),),
        **fields,
    }
    return BookingView(**values)


EXPECTED = (
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//hub-booking//Calendar feeds//EN\r\n"
    "CALSCALE:GREGORIAN\r\n"
    "METHOD:PUBLISH\r\n"
    "NAME:Pôle Fès – Salle Atlas\r\n"
    "X-WR-CALNAME:Pôle Fès – Salle Atlas\r\n"
    "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n"
    "X-PUBLISHED-TTL:PT1H\r\n"
    "BEGIN:VEVENT\r\n"
    "SUMMARY:Formation gestion de projet\r\n"
    "DTSTART:20270209T140000Z\r\n"
    "DTEND:20270209T170000Z\r\n"
    "DTSTAMP:20270111T090000Z\r\n"
    "UID:0b5e1c9e-2f0a-4d59-9f3c-6a3f0c1d2e4f@hub-booking\r\n"
    "SEQUENCE:2\r\n"
    "CREATED:20270108T090000Z\r\n"
    "DESCRIPTION:Association Atlas\\nSalle Atlas\\nVidéoprojecteur × 2\\nhttp://\r\n"
    " 127.0.0.1:8000/bookings/42\r\n"
    "LAST-MODIFIED:20270111T090000Z\r\n"
    "LOCATION:Pôle Fès\\, Salle Atlas\r\n"
    "STATUS:CONFIRMED\r\n"
    "TRANSP:OPAQUE\r\n"
    "URL:http://127.0.0.1:8000/bookings/42\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


def test_a_feed_is_exactly_the_expected_calendar():
    text = ical.EventText(
        "Formation gestion de projet",
        "Pôle Fès, Salle Atlas",
        "Association Atlas\nSalle Atlas\nVidéoprojecteur × 2\nhttp://127.0.0.1:8000/bookings/42",
        "http://127.0.0.1:8000/bookings/42",
    )
    booking = view(title="Formation gestion de projet")
    written = ical.feed(
        "Pôle Fès – Salle Atlas", [ical.EventWriter()(ical.occurrence(booking), text)]
    )
    assert written.decode() == EXPECTED
    assert ical.document("Pôle Fès – Salle Atlas", [(booking, text)], NOW).decode() == EXPECTED


def test_statuses_map_to_rfc_5545():
    assert ical.status_of(BookingStatus.PENDING) == "TENTATIVE"
    assert ical.status_of(BookingStatus.APPROVED) == "CONFIRMED"
    for status in (BookingStatus.CANCELLED, BookingStatus.REJECTED, BookingStatus.EXPIRED):
        assert ical.status_of(status) == "CANCELLED"


def test_an_event_is_in_utc_with_the_bookings_uid_and_revision():
    casablanca_2026 = timezone(timedelta(hours=1))  # any offset in: UTC out
    booking = view(
        starts_at=datetime(2026, 3, 1, 10, tzinfo=casablanca_2026),
        status=BookingStatus.CANCELLED,
        revision=5,
    )
    event = ical.event(booking, ical.EventText("Réservé"), NOW)
    assert event["UID"] == booking.uid
    assert event["SEQUENCE"] == 5
    assert event["STATUS"] == "CANCELLED"
    assert event["TRANSP"] == "TRANSPARENT"
    assert event["DTSTART"].to_ical() == b"20260301T090000Z"
    assert event["DTSTAMP"].dt == NOW
    assert "LOCATION" not in event
    assert "URL" not in event


def test_a_calendar_has_no_invented_uid_and_declares_its_refresh_interval():
    calendar = ical.calendar("Pôle")
    assert "UID" not in calendar
    lines = calendar.to_ical().decode().split("\r\n")
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines
    assert "X-PUBLISHED-TTL:PT1H" in lines


def test_control_characters_and_bidi_overrides_never_reach_the_calendar():
    text = ical.EventText("A\x00B\u202eC\x1b", "L\x07", "D\u2066E")
    body = ical.feed("N\x0c", [ical.EventWriter()(ical.occurrence(view()), text)]).decode()
    for line in ("SUMMARY:ABC", "LOCATION:L", "DESCRIPTION:DE", "NAME:N"):
        assert line in body.split("\r\n")


pieces = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(["\\", ";", ",", "\n", "\r", "\r\n", "^", "\\N", "é", "ق", "😀"]),
)
texts = st.lists(pieces, max_size=200).map("".join)
# Hypothesis bounds are naive by design; the values it draws carry the zone.
instants = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001
    max_value=datetime(2035, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@st.composite
def entries(draw) -> tuple[BookingView, ical.EventText]:
    start = draw(instants)
    booking = view(
        uid=draw(st.from_regex(r"[A-Za-z0-9@._;,-]{1,80}", fullmatch=True)),
        starts_at=start,
        ends_at=start + timedelta(minutes=draw(st.integers(15, 24 * 60))),
        status=draw(st.sampled_from(list(BookingStatus))),
        revision=draw(st.integers(0, 10_000)),
        created_at=draw(instants),
        updated_at=draw(instants),
    )
    url = draw(st.none() | st.just(f"http://127.0.0.1:8000/bookings/{booking.id}"))
    return booking, ical.EventText(draw(texts), draw(texts), draw(texts), url)


@settings(max_examples=300, deadline=None)
@given(name=texts, found=st.lists(entries(), max_size=4))
def test_the_lean_writer_gives_icalendars_bytes_exactly(name, found):
    reference = ical.calendar(name, [ical.event(b, t, b.updated_at) for b, t in found])
    write = ical.EventWriter()
    written = ical.feed(name, [write(ical.occurrence(b), t) for b, t in found])
    assert written == reference.to_ical()
    for line in written.split(b"\r\n"):
        assert len(line) <= 75
        line.decode()  # never folded inside a character
    parsed = icalendar.Calendar.from_ical(written)
    for event, (booking, _) in zip(parsed.walk("VEVENT"), found, strict=True):
        assert event["DTSTART"].dt == booking.starts_at.replace(microsecond=0)
        assert str(event["UID"]) == booking.uid
