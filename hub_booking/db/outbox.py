"""The notification outbox: messages stored in the caller's transaction, sent by the worker.

The idempotency key is unique: an insert-on-conflict stores a message once however many
callers (a retried job, two workers) enqueue it at the same moment. The worker claims and
settles rows through ``db.claims``; letters read their people and places through
``db.letters``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub_booking.db.tables import (
    AppUser,
    Booking,
    HubManager,
    Membership,
    Notification,
)
from hub_booking.domain.model import BookingStatus, MemberRole

KEY_MAX = 200  # the column's length
REMINDER = "reminder"
MAIL_ONLY = ("digest", "invitation", "password_reset")  # mail only: no in-app news


@dataclass(frozen=True)
class Claimed:
    """A notification this worker holds until ``claimed_at`` + the lease."""

    id: int
    user_id: int
    kind: str
    payload: dict[str, Any]
    key: str
    attempts: int
    booking_id: int | None
    claimed_at: datetime
    token: str


@dataclass(frozen=True)
class Recipient:
    id: int
    email: str
    name: str
    language: str
    active: bool


@dataclass(frozen=True)
class Audience:
    """Who hears about a booking: its requester and its association's representatives."""

    booking_id: int
    revision: int
    status: BookingStatus
    starts_at: datetime
    user_ids: tuple[int, ...]
    requester: int | None
    association_id: int = 0


@dataclass(frozen=True)
class PlannedReminder:
    id: int
    payload: dict[str, Any]
    send_after: datetime | None
    starts_at: datetime
    status: str


async def enqueue(
    user_id: int,
    kind: str,
    payload: dict[str, Any],
    key: str,
    now: datetime,
    *,
    send_after: datetime | None = None,
    booking_id: int | None = None,
) -> bool:
    """Store the message unless one with this key exists; True when stored. It is due at
    ``send_after`` (default: now)."""
    row = Notification(
        user=user_id,
        kind=kind,
        payload=payload,
        idempotency_key=_bounded(key),
        created_at=now,
        send_after=(send_after or now).astimezone(UTC),
        booking=booking_id,
        read_at=now if kind in MAIL_ONLY else None,  # no in-app news (``db.inbox``)
    )
    query = Notification.insert(row).on_conflict(Notification.idempotency_key, "DO NOTHING")
    return bool(await query.returning(Notification.id))


@dataclass(frozen=True)
class Message:
    """A message to store: to whom, what, its idempotency key and when it falls due."""

    user_id: int
    kind: str
    payload: dict[str, Any]
    key: str
    send_after: datetime
    booking_id: int | None = None


async def enqueue_all(messages: list[Message], now: datetime) -> int:
    """Store these messages in one statement, each unless its key exists; how many stored.
    A plain multi-row insert: it runs inside every booking's transaction."""
    if not messages:
        return 0
    values, args = [], []
    for m in messages:
        values.append("({}, {}, {}, {}, {}, {}, {}, 0, '')")
        args += [m.user_id, m.kind, json.dumps(m.payload), _bounded(m.key), now]
        args += [m.send_after.astimezone(UTC), m.booking_id]
    sql = (
        'INSERT INTO notification ("user", kind, payload, idempotency_key, created_at,'
        " send_after, booking, attempts, last_error) VALUES "
        + ", ".join(values)
        + " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
    )
    return len(await Notification.raw(sql, *args))


async def withdraw_reminders(booking_ids: list[int], keep_revision: int | None = None) -> int:
    """Delete the unsent reminders of these bookings (all, or those not of ``keep_revision``)."""
    where = (
        Notification.booking.is_in(booking_ids or [-1])
        & (Notification.kind == REMINDER)
        & Notification.sent_at.is_null()
        & Notification.claimed_at.is_null()
    )
    rows = await Notification.select(Notification.id, Notification.payload).where(where)
    doomed = [
        row["id"]
        for row in rows
        if keep_revision is None or load_payload(row["payload"]).get("revision") != keep_revision
    ]
    if doomed:
        await Notification.delete().where(Notification.id.is_in(doomed))
    return len(doomed)


async def planned_reminders(start: datetime, end: datetime) -> list[PlannedReminder]:
    """Unsent, unclaimed reminders of bookings starting in ``[start, end)``."""
    rows = await Notification.select(
        Notification.id,
        Notification.payload,
        Notification.send_after,
        Notification.booking.starts_at.as_alias("starts_at"),
        Notification.booking.status.as_alias("status"),
    ).where(
        (Notification.kind == REMINDER)
        & Notification.sent_at.is_null()
        & Notification.failed_at.is_null()
        & Notification.claimed_at.is_null()
        & (Notification.booking.starts_at >= start.astimezone(UTC))
        & (Notification.booking.starts_at < end.astimezone(UTC))
    )
    return [
        PlannedReminder(
            r["id"], load_payload(r["payload"]), r["send_after"], r["starts_at"], r["status"]
        )
        for r in rows
    ]


async def reschedule(notification_id: int, send_after: datetime) -> None:
    await Notification.update({Notification.send_after: send_after.astimezone(UTC)}).where(
        (Notification.id == notification_id) & Notification.claimed_at.is_null()
    )


async def delete_unsent(notification_ids: list[int]) -> None:
    await Notification.delete().where(
        Notification.id.is_in(notification_ids or [-1])
        & Notification.sent_at.is_null()
        & Notification.claimed_at.is_null()
    )


async def existing_keys(keys: list[str]) -> set[str]:
    rows = await Notification.select(Notification.idempotency_key).where(
        Notification.idempotency_key.is_in([_bounded(k) for k in keys] or [""])
    )
    return {row["idempotency_key"] for row in rows}


async def audiences(booking_ids: list[int]) -> list[Audience]:
    """For each booking, its requester and its association's active representatives."""
    bookings = await Booking.select(
        Booking.id,
        Booking.revision,
        Booking.status,
        Booking.starts_at,
        Booking.requested_by,
        Booking.association,
    ).where(Booking.id.is_in(booking_ids or [-1]))
    associations = sorted({b["association"] for b in bookings}) or [-1]
    reps = await Membership.select(Membership.user, Membership.association).where(
        Membership.association.is_in(associations)
        & (Membership.role == MemberRole.REPRESENTATIVE)
        & Membership.user._.is_active.eq(True)
    )
    found = []
    for b in sorted(bookings, key=lambda row: row["id"]):
        users = [b["requested_by"]] if b["requested_by"] else []
        users += sorted(r["user"] for r in reps if r["association"] == b["association"])
        found.append(
            Audience(
                b["id"],
                b["revision"],
                BookingStatus(b["status"]),
                b["starts_at"],
                tuple(dict.fromkeys(users)),
                b["requested_by"],
                b["association"],
            )
        )
    return found


async def hub_manager_ids(hub_id: int) -> list[int]:
    """The managers of the hub, who are asked to decide its pending bookings."""
    rows = await HubManager.select(HubManager.user).where(HubManager.hub == hub_id)
    return [row["user"] for row in rows]


async def managed_hubs() -> list[tuple[int, str, int]]:
    """(hub, its zone, manager) for every active manager of every hub."""
    rows = await HubManager.select(
        HubManager.hub, HubManager.hub.timezone.as_alias("timezone"), HubManager.user
    ).where(HubManager.user._.is_active.eq(True))
    return sorted((r["hub"], r["timezone"], r["user"]) for r in rows)


async def platform_admin_ids() -> list[int]:
    """The active platform administrators, who receive requests only they can grant."""
    rows = await AppUser.select(AppUser.id).where(
        AppUser.is_platform_admin.eq(True) & AppUser.is_active.eq(True)
    )
    return [row["id"] for row in rows]


def load_payload(payload: Any) -> dict[str, Any]:
    """A row's payload as a dict (SQLite returns the JSON text)."""
    if isinstance(payload, str | bytes):
        return json.loads(payload) or {}
    return payload or {}


def _bounded(key: str) -> str:
    """The key itself when it fits the column, otherwise a prefix and a digest of all of it
    (cutting it would make two long keys one)."""
    if len(key) <= KEY_MAX:
        return key
    return f"{key[: KEY_MAX - 65]}#{hashlib.sha256(key.encode()).hexdigest()}"
