"""The hand-written parts of a mail read back exactly as the ``email`` and ``icalendar``
packages would have written them: encoded headers, and the invitation's calendar."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from hub_booking import ical
from hub_booking.db.outbox import Recipient
from hub_booking.domain.bookings import BookingView
from hub_booking.domain.model import BookingStatus
from hub_booking.mail import Letter, Undeliverable, compose, encoded_words
from hub_booking.services import messages

SENDER = "hub-booking <no-reply@hub-booking.test>"
SUBJECTS = [
    "Réservation approuvée : Atelier <code>",
    "تذكير: اجتماع الجمع العام السنوي للجمعية في القاعة الكبرى، الأحد 20 سبتمبر 2026",
    "Plain ASCII subject",
    "Looks =?encoded?= but is not",
    "é" * 120,
]


def letter(subject: str) -> Letter:
    return Letter(subject, "fr", "ltr", "Bonjour", ["Un paragraphe."])


@pytest.mark.parametrize("subject", SUBJECTS)
def test_subjects_and_names_read_back_as_written(subject):
    outgoing = compose(
        letter(subject),
        sender=SENDER,
        to=("Amina Élève بنت", "amina@example.org"),
        message_key="k",
        unsubscribe="https://hubs.example.ma/account/notifications",
        now=datetime(2027, 1, 11, 9, tzinfo=UTC),
    )
    head = outgoing.data.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    mail = message_from_bytes(outgoing.data, policy=policy.default)
    assert str(mail["Subject"]) == subject
    assert mail["To"].addresses[0].display_name == "Amina Élève بنت"
    assert outgoing.sender == "no-reply@hub-booking.test"


def test_ascii_stays_readable_unless_it_looks_encoded():
    assert encoded_words("Plain subject") == "Plain subject"
    assert encoded_words("a =?b?= c").startswith("=?utf-8?b?")


def test_a_malformed_address_is_undeliverable():
    with pytest.raises(Undeliverable):
        compose(
            letter("x"),
            sender=SENDER,
            to=("x", "not an address"),
            message_key="k",
            unsubscribe="u",
            now=datetime(2027, 1, 11, 9, tzinfo=UTC),
        )


@pytest.mark.parametrize(("kind", "method"), [("approved", "REQUEST"), ("cancelled", "CANCEL")])
def test_the_invitation_is_the_feeds_calendar_with_method_organizer_and_attendee(kind, method):
    booking = BookingView(
        id=1,
        uid="u-1@hub-booking",
        association_id=1,
        hub_id=1,
        series_id=None,
        title="Atelier, couture; \\ et plus " * 4,
        purpose="",
        attendees=3,
        starts_at=datetime(2027, 1, 20, 14, tzinfo=UTC),
        ends_at=datetime(2027, 1, 20, 15, tzinfo=UTC),
        local_start=datetime.fromisoformat("2027-01-20T14:00"),
        local_end=datetime.fromisoformat("2027-01-20T15:00"),
        timezone="Africa/Casablanca",
        status=BookingStatus.APPROVED,
        revision=2,
        override=False,
        created_at=datetime(2027, 1, 1, tzinfo=UTC),
        updated_at=datetime(2027, 1, 2, tzinfo=UTC),
    )
    facts = messages._Facts(booking, None, "Pôle Fès", "Salle Atlas", "Association")  # type: ignore[arg-type]
    reader = Recipient(1, "amina@example.org", "Amina", "fr", True)
    made = messages._invitation(kind, booking, facts, reader, SENDER, datetime.now(UTC))
    shown = (
        booking
        if kind == "approved"
        else booking.__class__(**{**booking.__dict__, "status": BookingStatus.CANCELLED})
    )
    event = ical.EventWriter()(
        ical.occurrence(shown),
        ical.EventText(summary=booking.title, location="Pôle Fès — Salle Atlas"),
    )
    expected = ical.feed(booking.title, [event])
    expected = expected.replace(b"METHOD:PUBLISH\r\n", f"METHOD:{method}\r\n".encode(), 1)
    extra = messages._property("ORGANIZER", "hub-booking", "no-reply@hub-booking.test")
    extra += messages._property("ATTENDEE", "Amina", "amina@example.org", "REQ-PARTICIPANT")
    expected = expected.replace(b"END:VEVENT\r\n", extra + b"END:VEVENT\r\n", 1)
    assert made is not None
    assert made.method == method
    assert made.ics == expected
