"""Notification preferences on the real database: reminders at the times each person chose
(none, several, the association's bookings too), planned again when they change; mails
turned off are not sent (real SMTP server) yet stay in the in-app list."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from hub_booking.db.tables import AppUser, Notification
from hub_booking.domain.bookings import BookingRequest
from hub_booking.domain.errors import Invalid
from hub_booking.domain.model import MemberRole, Principal
from hub_booking.mail import SmtpMailer
from hub_booking.services import booking_changes, bookings, inbox, preferences
from hub_booking.services.dispatch import Dispatcher
from hub_booking.services.preferences import Preferences
from tests import factories
from tests.conftest import NOW
from tests.smtp import MailSink

START = datetime(2027, 1, 20, 14, tzinfo=UTC)


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink() as server:
        yield server


def person(cast, role: str, role_in: str = "member") -> Principal:
    return Principal(
        cast.users[role],
        f"{role}@example.org",
        role,
        "fr",
        memberships={cast.association_a: MemberRole(role_in)},
    )


def manager(cast) -> Principal:
    return Principal(cast.users["manager"], "m@x.org", "manager", "fr", managed_hubs={cast.hub})


async def book(cast, room: int | None = None, start: datetime = START) -> int:
    request = BookingRequest(
        association_id=cast.association_a,
        title="Atelier",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        attendees=4,
        items={room or cast.room: 1},
    )
    return (await bookings.create_booking(person(cast, "member_a"), request, NOW)).first.id


async def reminders() -> list[tuple[int, int]]:
    """(user, minutes before) of the planned reminders."""
    rows = await Notification.select(Notification.user, Notification.payload).where(
        Notification.kind == "reminder"
    )
    found = []
    for row in rows:
        payload = row["payload"]
        payload = json.loads(payload) if isinstance(payload, str) else payload
        found.append((row["user"], payload["minutes"]))
    return sorted(found)


def chosen(minutes=(1440, 60), off=(), watch=False, language="fr") -> Preferences:
    return Preferences(tuple(minutes), frozenset(off), watch, language)


async def test_reminders_come_at_the_times_chosen(database, cast):
    await preferences.save(person(cast, "member_a"), chosen((2880, 180)), NOW)
    await book(cast)
    assert await reminders() == [(cast.users["member_a"], 180), (cast.users["member_a"], 2880)]


async def test_no_reminder_when_none_is_chosen(database, cast):
    await preferences.save(person(cast, "member_a"), chosen(()), NOW)
    await book(cast)
    assert await reminders() == []


async def test_without_a_choice_the_defaults_are_24_and_1_hours(database, cast):
    await book(cast)
    assert await reminders() == [(cast.users["member_a"], 60), (cast.users["member_a"], 1440)]


async def test_a_member_may_be_reminded_of_every_booking_of_the_association(database, cast):
    await preferences.save(person(cast, "rep_a", "representative"), chosen((180,), watch=True), NOW)
    await book(cast)
    assert await reminders() == [
        (cast.users["member_a"], 60),
        (cast.users["member_a"], 1440),
        (cast.users["rep_a"], 180),
    ]


async def test_changing_the_times_plans_the_coming_reminders_again(database, cast):
    await book(cast)
    await preferences.save(person(cast, "member_a"), chosen((180,)), NOW)
    assert await reminders() == [(cast.users["member_a"], 180)]
    await preferences.save(person(cast, "member_a"), chosen((2880, 60)), NOW)
    assert await reminders() == [(cast.users["member_a"], 60), (cast.users["member_a"], 2880)]


async def test_changing_the_language_changes_the_accounts_language(database, cast):
    await preferences.save(person(cast, "member_a"), chosen(language="ar"), NOW)
    row = await AppUser.select(AppUser.language).where(AppUser.id == cast.users["member_a"]).first()
    assert row["language"] == "ar"


@pytest.mark.parametrize(
    "bad",
    [chosen((7,)), chosen(off=("spam",)), chosen(language="de")],
    ids=["reminder time", "mail group", "language"],
)
async def test_choices_outside_those_offered_are_refused(database, cast, bad):
    with pytest.raises(Invalid):
        await preferences.save(person(cast, "member_a"), bad, NOW)


async def test_a_mail_turned_off_is_not_sent_but_stays_in_the_app(database, cast, sink):
    await preferences.save(person(cast, "member_a"), chosen(off=("decisions",)), NOW)
    room = await factories.make_resource(NOW, cast.hub, name_fr="Salle Rif", requires_approval=True)
    booking = await book(cast, room)
    await booking_changes.approve(manager(cast), booking, NOW)
    mailer = SmtpMailer(sink.url, "hub-booking <no-reply@hub-booking.test>", timeout=5)
    report = await Dispatcher(mailer, "https://hubs.example.ma", lambda: NOW).run()
    assert report.muted == 1
    assert sink.to("member.a@example.org") == []
    assert len(sink.to("rep.a@example.org")) == 1  # the representative still hears of it
    news = await inbox.listing(person(cast, "member_a"), NOW, "fr", 1, "Africa/Casablanca")
    assert [n.link for n in news.items] == [f"/bookings/{booking}"]
    assert news.unread == 1
