"""No-shows: where check-in is required, a booking nobody checked in to 30 minutes after its
start frees the rest of its slot (audited, told, offered to the waitlist); elsewhere, or
once checked in, nothing happens. A closure that cancels bookings tells their association
why, with the calendar's cancellation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from hub_booking.db.tables import AuditLog, Booking, BookingItem, Hub, Notification, WaitlistEntry
from hub_booking.domain.rules import rules_violations
from hub_booking.mail import SmtpMailer
from hub_booking.services import no_shows, notifications
from hub_booking.services.dispatch import Dispatcher
from tests import factories
from tests.conftest import NOW
from tests.smtp import MailSink, parts

START = datetime(2027, 1, 20, 10, tzinfo=UTC)


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink() as server:
        yield server


async def require_check_in(cast) -> None:
    await Hub.update({Hub.rules: {"requires_check_in": True}}).where(Hub.id == cast.hub)


async def ends_at(booking: int) -> datetime:
    return (await Booking.select(Booking.ends_at).where(Booking.id == booking).first())["ends_at"]


def test_requires_check_in_is_a_switch():
    assert rules_violations({"requires_check_in": True}) == []
    (problem,) = rules_violations({"requires_check_in": 1})
    assert problem.code == "invalid_rule"


async def test_a_no_show_frees_the_rest_of_its_slot(database, cast):
    await require_check_in(cast)
    booking = await factories.make_booking(NOW, cast, status="approved", start=START, minutes=120)
    assert await no_shows.release(START + timedelta(minutes=29)) == []
    now = START + timedelta(minutes=31, seconds=20)
    assert await no_shows.release(now) == [booking]
    assert await ends_at(booking) == START + timedelta(minutes=31)
    (item,) = await BookingItem.select(BookingItem.hold_end).where(BookingItem.booking == booking)
    assert item["hold_end"] == START + timedelta(minutes=31)
    assert await AuditLog.exists().where(AuditLog.action == "booking.released")
    told = await Notification.select(Notification.user).where(Notification.kind == "released")
    assert {row["user"] for row in told} == {cast.users["member_a"], cast.users["rep_a"]}
    assert await no_shows.release(now + timedelta(minutes=5)) == []  # once


async def test_the_waitlist_is_offered_what_a_no_show_frees(database, cast):
    await require_check_in(cast)
    booking = await factories.make_booking(NOW, cast, status="approved", start=START, minutes=180)
    later = START + timedelta(hours=2)
    entry = WaitlistEntry(
        association=cast.association_b,
        user=cast.users["member_b"],
        hub=cast.hub,
        title="Réunion",
        attendees=3,
        items={str(cast.room): 1},
        starts_at=later,
        ends_at=later + timedelta(hours=1),
        status="waiting",
        created_at=NOW,
        updated_at=NOW,
    )
    await WaitlistEntry.insert(entry)
    assert await no_shows.release(START + timedelta(minutes=45)) == [booking]
    row = await WaitlistEntry.select(WaitlistEntry.status).first()
    assert row["status"] == "offered"


async def test_a_checked_in_booking_is_kept(database, cast):
    await require_check_in(cast)
    booking = await factories.make_booking(NOW, cast, status="approved", start=START, minutes=120)
    await Booking.update({Booking.checked_in_at: START + timedelta(minutes=5)}).where(
        Booking.id == booking
    )
    assert await no_shows.release(START + timedelta(minutes=40)) == []
    assert await ends_at(booking) == START + timedelta(minutes=120)


async def test_without_the_rule_nothing_is_released(database, cast):
    booking = await factories.make_booking(NOW, cast, status="approved", start=START, minutes=120)
    assert await no_shows.release(START + timedelta(minutes=40)) == []
    assert await ends_at(booking) == START + timedelta(minutes=120)


async def test_a_resource_can_require_check_in_on_its_own(database, cast):
    from hub_booking.db.tables import Resource

    await Resource.update({Resource.rules: {"requires_check_in": True}}).where(
        Resource.id == cast.room
    )
    booking = await factories.make_booking(NOW, cast, status="approved", start=START, minutes=120)
    assert await no_shows.release(START + timedelta(minutes=40)) == [booking]


async def test_a_closure_cancelling_a_booking_tells_the_association_why(database, cast, sink):
    booking = await factories.make_booking(NOW, cast, status="cancelled", start=START)
    await notifications.booking_changed(
        [booking], "closed", NOW, by=cast.users["manager"], reason="Travaux de toiture"
    )
    mailer = SmtpMailer(sink.url, "hub-booking <no-reply@hub-booking.test>", timeout=5)
    await Dispatcher(mailer, "https://hubs.example.ma", lambda: NOW).run()
    for address in ("member.a@example.org", "rep.a@example.org"):
        (mail,) = sink.to(address)
        assert "Travaux de toiture" in parts(mail)["text/plain"].get_content()
        cal = Calendar.from_ical(parts(mail)["text/calendar"].get_content())
        assert str(cal["METHOD"]) == "CANCEL"


async def test_cancelling_through_a_closure_mails_the_association_the_reason(database, cast, sink):
    from hub_booking.db.closures import NewClosure
    from hub_booking.domain.model import Principal
    from hub_booking.services import closures

    booking = await factories.make_booking(NOW, cast, status="approved", start=START)
    new = NewClosure(
        hub_id=cast.hub,
        resource_id=None,
        starts_at=START - timedelta(hours=1),
        ends_at=START + timedelta(hours=3),
        local_start=(START - timedelta(hours=1)).replace(tzinfo=None),
        local_end=(START + timedelta(hours=3)).replace(tzinfo=None),
        timezone="Africa/Casablanca",
        reason="Coupure d'électricité",
        created_by=cast.users["manager"],
    )
    manager = Principal(cast.users["manager"], "m@x.org", "m", "fr", managed_hubs={cast.hub})
    closed = await closures.close_and_cancel(manager, [new], frozenset({booking}), NOW)
    assert closed.cancelled == [booking]
    mailer = SmtpMailer(sink.url, "hub-booking <no-reply@hub-booking.test>", timeout=5)
    await Dispatcher(mailer, "https://hubs.example.ma", lambda: NOW).run()
    for address in ("member.a@example.org", "rep.a@example.org"):
        (mail,) = sink.to(address)
        assert "Coupure d'électricité" in parts(mail)["text/plain"].get_content()
        cal = Calendar.from_ical(parts(mail)["text/calendar"].get_content())
        assert str(cal["METHOD"]) == "CANCEL"
