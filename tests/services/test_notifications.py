"""Each booking event mails the right people, in their language, with the invitation where
one is due; reminders fire on the hub's clock and follow their booking. Real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from hub_booking.db import booking_writes
from hub_booking.db.tables import AppUser, Booking, Notification
from hub_booking.mail import SmtpMailer
from hub_booking.scheduler import Worker
from hub_booking.services import booking_changes, notifications
from hub_booking.services.dispatch import Dispatcher
from tests import factories
from tests.conftest import NOW, make_settings
from tests.smtp import MailSink, parts

SENDER = "hub-booking <no-reply@hub-booking.test>"
START = datetime(2027, 1, 20, 14, tzinfo=UTC)  # 14:00 in Casablanca (UTC+0 from 2026-09-20)
EMAILS = {
    "member_a": "member.a@example.org",
    "rep_a": "rep.a@example.org",
    "manager": "manager@example.org",
}


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink() as server:
        yield server


async def deliver(sink: MailSink, now: datetime = NOW) -> None:
    mailer = SmtpMailer(sink.url, SENDER, timeout=5)
    await Dispatcher(mailer, "https://hubs.example.ma", lambda: now).run()


async def speak(cast, role: str, language: str) -> None:
    await AppUser.update({AppUser.language: language}).where(AppUser.id == cast.users[role])


async def request(client, cast, start: datetime = START) -> dict:
    room = await factories.make_resource(NOW, cast.hub, name_fr="Salle Rif", requires_approval=True)
    body = {
        "association_id": cast.association_a,
        "title": "Atelier <code>",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "attendees": 5,
        "items": [{"resource_id": room, "quantity": 1}],
    }
    response = await client.post("/api/v1/bookings", json=body, headers=cast.auth("member_a"))
    assert response.status_code == 201, response.text
    return response.json()


def calendar_of(message) -> Calendar:
    return Calendar.from_ical(parts(message)["text/calendar"].get_content())


async def test_a_request_reaches_the_hub_managers_in_their_language(client, cast, sink):
    await speak(cast, "manager", "ar")
    await request(client, cast)
    await deliver(sink)
    (mail,) = sink.received()
    assert EMAILS["manager"] in str(mail["To"])
    html = parts(mail)["text/html"].get_content()
    assert 'dir="rtl"' in html
    assert 'lang="ar"' in html
    assert "Atelier &lt;code&gt;" in html  # the title is escaped
    assert "14:00" in parts(mail)["text/plain"].get_content()
    assert mail["List-Unsubscribe"] == "<https://hubs.example.ma/account/notifications>"
    assert "text/calendar" not in parts(mail)


async def test_an_approval_reaches_requester_and_representatives_with_an_invitation(
    client, cast, sink
):
    await speak(cast, "rep_a", "ar")
    booking = await request(client, cast)
    await deliver(sink)
    answer = await client.post(
        f"/api/v1/bookings/{booking['id']}/approve", headers=cast.auth("manager")
    )
    assert answer.status_code == 200, answer.text
    await deliver(sink)
    french, arabic = sink.to(EMAILS["member_a"]), sink.to(EMAILS["rep_a"])
    assert len(french) == len(arabic) == 1
    assert french[0]["Subject"] == "Réservation approuvée : Atelier <code>"
    assert french[0]["Subject"] != arabic[0]["Subject"]
    uid = (await Booking.select(Booking.uid).where(Booking.id == booking["id"]).first())["uid"]
    for mail, email in ((french[0], EMAILS["member_a"]), (arabic[0], EMAILS["rep_a"])):
        cal = calendar_of(mail)
        event = cal.walk("VEVENT")[0]
        assert str(cal["METHOD"]) == "REQUEST"
        assert str(event["ORGANIZER"]) == "mailto:no-reply@hub-booking.test"
        assert str(event["ATTENDEE"]) == f"mailto:{email}"
        assert str(event["UID"]) == uid
        assert int(event["SEQUENCE"]) == 1
        assert event.decoded("DTSTART") == START
    assert "14:00" in parts(french[0])["text/plain"].get_content()


async def test_a_rejection_states_the_reason(client, cast, sink):
    booking = await request(client, cast)
    await client.post(
        f"/api/v1/bookings/{booking['id']}/reject",
        json={"reason": "Salle en travaux"},
        headers=cast.auth("manager"),
    )
    await deliver(sink)
    (mail,) = sink.to(EMAILS["member_a"])
    assert "Salle en travaux" in parts(mail)["text/plain"].get_content()
    assert "text/calendar" not in parts(mail)
    assert len(sink.to(EMAILS["rep_a"])) == 1


async def test_a_cancellation_says_who_cancels_the_invitation_and_withdraws_reminders(
    client, cast, sink
):
    booking = await request(client, cast)
    await client.post(f"/api/v1/bookings/{booking['id']}/approve", headers=cast.auth("manager"))
    assert await Notification.count().where(Notification.kind == "reminder") == 2
    await deliver(sink)
    answer = await client.post(
        f"/api/v1/bookings/{booking['id']}/cancel", json={}, headers=cast.auth("manager")
    )
    assert answer.status_code == 200, answer.text
    assert await Notification.count().where(Notification.kind == "reminder") == 0
    await deliver(sink)
    approved, cancelled = sink.to(EMAILS["member_a"])
    cal = calendar_of(cancelled)
    assert str(cal["METHOD"]) == "CANCEL"
    assert int(cal.walk("VEVENT")[0]["SEQUENCE"]) == 2
    assert cal.walk("VEVENT")[0]["UID"] == calendar_of(approved).walk("VEVENT")[0]["UID"]
    assert "manager" in parts(cancelled)["text/plain"].get_content()  # by whom


async def test_an_expired_request_is_told_to_requester_and_representatives(client, cast, sink):
    booking = await request(client, cast)
    await deliver(sink)  # the managers' request
    later = START + timedelta(minutes=1)
    assert await booking_changes.expire_pending(later) == [booking["id"]]
    await deliver(sink, later)
    assert len(sink.to(EMAILS["member_a"])) == len(sink.to(EMAILS["rep_a"])) == 1
    assert "expir" in str(sink.to(EMAILS["member_a"])[0]["Subject"])


async def test_a_move_is_told_and_the_reminders_follow_the_new_time(client, cast, sink):
    booking = await request(client, cast)
    await client.post(f"/api/v1/bookings/{booking['id']}/approve", headers=cast.auth("manager"))
    new_start = START + timedelta(days=1)
    answer = await client.patch(
        f"/api/v1/bookings/{booking['id']}",
        json={
            "starts_at": new_start.isoformat(),
            "ends_at": (new_start + timedelta(hours=2)).isoformat(),
        },
        headers=cast.auth("manager"),
    )
    assert answer.status_code == 200, answer.text
    due = await Notification.select(Notification.send_after).where(Notification.kind == "reminder")
    assert sorted(row["send_after"] for row in due) == [
        new_start - timedelta(hours=24),
        new_start - timedelta(hours=1),
    ]
    await deliver(sink)
    moved = [m for m in sink.to(EMAILS["member_a"]) if "modifi" in str(m["Subject"])]
    assert len(moved) == 1
    assert str(calendar_of(moved[0])["METHOD"]) == "REQUEST"


async def test_the_24h_reminder_fires_24_elapsed_hours_before_on_moroccos_change_day(
    database, cast, sink
):
    # 2026-09-20 14:00 local is 14:00Z (UTC+0 from that night); 24 h earlier it is 15:00
    # local (still UTC+1): the reminder is due at 2026-09-19T14:00Z.
    start = datetime(2026, 9, 20, 14, tzinfo=UTC)
    booking = await factories.make_booking(NOW, cast, status="approved", start=start)
    await notifications.plan_reminders([booking], datetime(2026, 9, 1, tzinfo=UTC))
    await deliver(sink, datetime(2026, 9, 19, 13, 59, tzinfo=UTC))
    assert sink.received() == []
    await deliver(sink, datetime(2026, 9, 19, 14, 0, tzinfo=UTC))
    (mail,) = sink.received()
    text = parts(mail)["text/plain"].get_content()
    assert "dimanche 20 septembre 2026, 14:00" in text
    await deliver(sink, start - timedelta(hours=1))
    assert len(sink.received()) == 2  # and the 1 h reminder, once


async def test_a_retimed_booking_takes_its_reminders_along(database, cast, sink):
    booking = await factories.make_booking(NOW, cast, status="approved", start=START)
    await notifications.plan_reminders([booking], NOW)
    later = START + timedelta(hours=1)  # what a change of zone data does, without a replan
    await booking_writes.retime(booking, later, later + timedelta(hours=1), [], NOW)
    await deliver(sink, START - timedelta(hours=24))
    assert sink.received() == []  # not due any more: put back to its new time
    await deliver(sink, later - timedelta(hours=24))
    assert len(sink.received()) == 1
    # The 1 h reminder is not due yet: the planning job moves it along with its booking.
    assert await notifications.replan_reminders(START - timedelta(hours=20)) == 1
    (row,) = await Notification.select(Notification.send_after).where(
        Notification.sent_at.is_null()
    )
    assert row["send_after"] == later - timedelta(hours=1)


async def test_a_cancelled_bookings_reminder_is_never_sent(database, cast, sink):
    booking = await factories.make_booking(NOW, cast, status="approved", start=START)
    await notifications.plan_reminders([booking], NOW)
    await Booking.update({Booking.status: "cancelled"}).where(Booking.id == booking)
    await deliver(sink, START - timedelta(minutes=30))
    assert sink.received() == []
    assert await Notification.count() == 0


async def test_the_daily_digest_goes_out_once_with_two_schedulers(database, cast, sink):
    await factories.make_booking(NOW, cast, status="pending", start=START + timedelta(days=2))
    await factories.make_booking(NOW, cast, status="approved", start=START, title="Formation")
    morning = datetime(2027, 1, 20, 7, 31, tzinfo=UTC)  # 07:31 in Casablanca
    settings = make_settings("sqlite:///unused.sqlite3", smtp_url=sink.url)
    workers = [Worker(settings, lambda: morning) for _ in range(2)]
    for worker in workers:
        await worker.run_once()
    for worker in workers:
        await worker.run_once()
    (digest,) = [m for m in sink.received() if EMAILS["manager"] in str(m["To"])]
    text = parts(digest)["text/plain"].get_content()
    assert "14:00–15:00 Formation" in text
    assert ": 1." in text  # one request awaiting a decision
    await workers[0].run_once()
    assert await notifications.queue_digests(morning + timedelta(hours=5)) == 0
