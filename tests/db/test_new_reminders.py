"""The reminders and the audit row a new booking writes, row by row, on both engines.

PostgreSQL writes the audit row in the bookings' own statement, SQLite in one of its own;
the reminders are chosen in Python for both: the rows must be the same.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hub_booking.db.tables import AuditLog, Booking, Notification
from hub_booking.domain.bookings import BookingRequest
from hub_booking.domain.model import MemberRole, Principal
from hub_booking.services import bookings, preferences
from hub_booking.services.preferences import Preferences
from tests.conftest import NOW

START = datetime(2027, 1, 20, 14, tzinfo=UTC)


def person(cast, role: str, role_in: str = "member") -> Principal:
    return Principal(
        cast.users[role],
        f"{role}@example.org",
        role,
        "fr",
        memberships={cast.association_a: MemberRole(role_in)},
    )


def chosen(minutes=(1440, 60), watch=False) -> Preferences:
    return Preferences(tuple(minutes), frozenset(), watch, "fr")


async def book(cast, start: datetime = START, **more: Any) -> list[int]:
    request = BookingRequest(
        association_id=cast.association_a,
        title="Atelier",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        attendees=4,
        items={cast.room: 1},
        **more,
    )
    created = await bookings.create_booking(person(cast, "member_a"), request, NOW)
    return [b.id for b in created.bookings]


async def reminders() -> list[tuple[Any, ...]]:
    """Every stored reminder as (user, key, payload text, due, booking, attempts, error)."""
    rows = await Notification.raw(
        'SELECT "user", kind, payload, idempotency_key, created_at, send_after, booking,'
        " attempts, last_error, read_at, sent_at FROM notification WHERE kind = 'reminder'"
    )
    found = []
    for row in rows:
        assert (row["created_at"], row["read_at"], row["sent_at"]) == (NOW, None, None)
        payload = row["payload"]
        found.append(
            (
                row["user"],
                row["idempotency_key"],
                payload if isinstance(payload, str) else json.dumps(payload),
                row["send_after"],
                row["booking"],
                row["attempts"],
                row["last_error"],
            )
        )
    return sorted(found)


def reminder(user: int, booking: int, minutes: int, start: datetime = START) -> tuple[Any, ...]:
    payload = json.dumps({"booking_id": booking, "revision": 0, "minutes": minutes})
    due = start - timedelta(minutes=minutes)
    return (user, f"reminder:{booking}:{minutes}:{user}:0", payload, due, booking, 0, "")


async def test_the_requester_is_reminded_at_the_default_times(database, cast):
    (booking,) = await book(cast)
    member = cast.users["member_a"]
    assert await reminders() == sorted(
        [reminder(member, booking, 1440), reminder(member, booking, 60)]
    )


async def test_a_reminder_due_now_or_before_is_not_planned(database, cast):
    start = NOW + timedelta(hours=24)  # the 24-hour reminder would be due right now
    (booking,) = await book(cast, start)
    assert await reminders() == [reminder(cast.users["member_a"], booking, 60, start)]


async def test_each_is_reminded_at_the_times_chosen_and_watchers_once(database, cast):
    member, rep = cast.users["member_a"], cast.users["rep_a"]
    await preferences.save(person(cast, "member_a"), chosen((2880, 180), watch=True), NOW)
    await preferences.save(person(cast, "rep_a", "representative"), chosen((60,), True), NOW)
    (booking,) = await book(cast)
    assert await reminders() == sorted(
        [
            reminder(member, booking, 2880),
            reminder(member, booking, 180),
            reminder(rep, booking, 60),
        ]
    )


async def test_no_reminder_for_who_chose_none(database, cast):
    await preferences.save(person(cast, "member_a"), chosen(()), NOW)
    await book(cast)
    assert await reminders() == []


async def test_every_occurrence_of_a_series_has_its_reminders(database, cast):
    ids = await book(cast, rrule="FREQ=WEEKLY;COUNT=3")
    member = cast.users["member_a"]
    expected = [
        reminder(member, booking, minutes, START + timedelta(weeks=n))
        for n, booking in enumerate(sorted(ids))
        for minutes in (1440, 60)
    ]
    assert len(ids) == 3
    assert await reminders() == sorted(expected)


async def test_the_audit_row_names_the_first_booking_and_what_was_made(database, cast):
    ids = await book(cast, rrule="FREQ=WEEKLY;COUNT=2")
    rows = await AuditLog.select().where(AuditLog.action == "booking.created")
    series = (await Booking.select(Booking.series).where(Booking.id == min(ids)).first())["series"]
    assert len(rows) == 1
    row = rows[0]
    details = row["details"]
    assert (row["actor"], row["object_type"], row["object_id"], row["at"]) == (
        cast.users["member_a"],
        "booking",
        min(ids),
        NOW,
    )
    assert details == json.dumps(
        {"series_id": series, "occurrences": 2, "skipped": 0, "status": "approved"}
    )
