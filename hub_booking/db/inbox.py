"""Notification rows as people see them: a reader's in-app list and unread count, the
failed deliveries an administrator retries, and the reminders planned for one user.

In-app news is the outbox row itself (``read_at``): what is due (``send_after`` passed) is
shown, whatever became of its mail. Digests are mail only: they are stored read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.custom_types import Combinable

from hub_booking.db.outbox import MAIL_ONLY
from hub_booking.db.tables import Booking, Notification
from hub_booking.domain.model import BookingStatus, Page

MAX_REPLAN = 2000  # upcoming bookings whose reminders a change of preferences plans again


@dataclass(frozen=True)
class News:
    """One notification in its reader's list."""

    id: int
    kind: str
    payload: dict[str, Any]
    booking_id: int | None
    at: datetime
    read: bool


@dataclass(frozen=True)
class Failed:
    """A notification whose mail failed for good."""

    id: int
    kind: str
    email: str
    attempts: int
    last_error: str
    created_at: datetime
    failed_at: datetime


def _shown(user_id: int, now: datetime) -> Combinable:
    return (Notification.user == user_id) & (Notification.send_after <= now.astimezone(UTC))


async def page(user_id: int, now: datetime, limit: int, offset: int) -> Page[News]:
    """The reader's notifications, newest first, and how many there are."""
    where = _shown(user_id, now) & Notification.kind.not_in(list(MAIL_ONLY))
    total = await Notification.count().where(where)
    rows = await (
        Notification.select(
            Notification.id,
            Notification.kind,
            Notification.payload,
            Notification.booking,
            Notification.send_after,
            Notification.read_at,
        )
        .where(where)
        .order_by(Notification.send_after, Notification.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return Page(
        [
            News(
                r["id"],
                r["kind"],
                _load(r["payload"]),
                r["booking"],
                r["send_after"],
                r["read_at"] is not None,
            )
            for r in rows
        ],
        total,
    )


async def unread(user_id: int, now: datetime) -> int:
    """How many due notifications the reader has not read: one range of a partial index."""
    return await Notification.count().where(_shown(user_id, now) & Notification.read_at.is_null())


async def mark_read(user_id: int, notification_id: int, now: datetime) -> bool | None:
    """Mark one of the reader's notifications read: True when it was unread, False when it
    already was, None when the reader has no such notification."""
    mine = (Notification.id == notification_id) & (Notification.user == user_id)
    changed = (
        await Notification.update({Notification.read_at: now.astimezone(UTC)})
        .where(mine & Notification.read_at.is_null())
        .returning(Notification.id)
    )
    if changed:
        return True
    return False if await Notification.exists().where(mine) else None


async def mark_all_read(user_id: int, now: datetime) -> int:
    """Mark every due notification of the reader read; how many were unread."""
    rows = (
        await Notification.update({Notification.read_at: now.astimezone(UTC)})
        .where(_shown(user_id, now) & Notification.read_at.is_null())
        .returning(Notification.id)
    )
    return len(rows)


async def failed(limit: int, offset: int) -> Page[Failed]:
    """Notifications whose mail failed for good, latest failure first."""
    where = Notification.failed_at.is_not_null()
    total = await Notification.count().where(where)
    rows = await (
        Notification.select(
            Notification.id,
            Notification.kind,
            Notification.user.email.as_alias("email"),
            Notification.attempts,
            Notification.last_error,
            Notification.created_at,
            Notification.failed_at,
        )
        .where(where)
        .order_by(Notification.failed_at, Notification.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return Page(
        [
            Failed(
                r["id"],
                r["kind"],
                r["email"] or "",
                r["attempts"],
                r["last_error"],
                r["created_at"],
                r["failed_at"],
            )
            for r in rows
        ],
        total,
    )


async def retry(notification_id: int | None, now: datetime) -> list[int]:
    """Make failed rows (one, or all) due again with a fresh count of attempts; the ids."""
    where: Combinable = Notification.failed_at.is_not_null()
    if notification_id is not None:
        where = where & (Notification.id == notification_id)
    rows = (
        await Notification.update(
            {
                Notification.failed_at: None,
                Notification.attempts: 0,
                Notification.send_after: now.astimezone(UTC),
                Notification.claimed_at: None,
                Notification.claimed_by: None,
            }
        )
        .where(where)
        .returning(Notification.id)
    )
    return sorted(r["id"] for r in rows)


async def withdraw_planned_reminders(user_id: int) -> int:
    """Delete the user's reminders not yet sent nor being sent (to plan them again)."""
    rows = (
        await Notification.delete()
        .where(
            (Notification.user == user_id)
            & (Notification.kind == "reminder")
            & Notification.sent_at.is_null()
            & Notification.claimed_at.is_null()
            & Notification.failed_at.is_null()
        )
        .returning(Notification.id)
    )
    return len(rows)


async def upcoming_approved(association_ids: list[int], now: datetime) -> list[int]:
    """Approved bookings of these associations still to start (the soonest first)."""
    rows = await (
        Booking.select(Booking.id)
        .where(
            Booking.association.is_in(association_ids or [-1])
            & (Booking.status == BookingStatus.APPROVED)
            & (Booking.starts_at > now.astimezone(UTC))
        )
        .order_by(Booking.starts_at)
        .limit(MAX_REPLAN)
    )
    return [r["id"] for r in rows]


def _load(payload: Any) -> dict[str, Any]:
    if isinstance(payload, str | bytes):
        return json.loads(payload) or {}
    return payload or {}
