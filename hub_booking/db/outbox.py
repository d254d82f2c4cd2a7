"""The notification outbox: messages stored in the caller's transaction, sent by the worker.

The idempotency key is unique: an insert-on-conflict stores a message once however many
callers (a retried job, two workers) enqueue it at the same moment.

Claiming is atomic: PostgreSQL picks due rows ``FOR UPDATE SKIP LOCKED`` and marks them in
one statement; SQLite runs the same conditional ``UPDATE`` inside its single writer's
``BEGIN IMMEDIATE``. A claim is a lease: a row claimed longer ago than the lease is due
again (its worker died). Every later change of a claimed row names the claim's token, so a
worker whose lease was taken over changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.custom_types import Combinable

from hub_booking.db import bookings as booking_rows
from hub_booking.db.engine import is_sqlite, transaction
from hub_booking.db.tables import (
    AppUser,
    Association,
    Booking,
    Hub,
    HubManager,
    Membership,
    Notification,
    Resource,
)
from hub_booking.domain.bookings import BookingView
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
class Names:
    """(French, Arabic) names of the resources, hubs and associations of some bookings."""

    resources: dict[int, tuple[str, str]]
    hubs: dict[int, tuple[str, str]]
    associations: dict[int, tuple[str, str]]


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


def _due(now: datetime, lease: timedelta) -> Combinable:
    return (
        Notification.sent_at.is_null()
        & Notification.failed_at.is_null()
        & (Notification.send_after.is_null() | (Notification.send_after <= now))
        & (Notification.claimed_at.is_null() | (Notification.claimed_at < now - lease))
    )


_CLAIMED = (
    Notification.id,
    Notification.user,
    Notification.kind,
    Notification.payload,
    Notification.idempotency_key,
    Notification.attempts,
    Notification.booking,
)


async def claim(now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
    """Claim up to ``limit`` due rows, oldest due first, for this worker alone."""
    now = now.astimezone(UTC)
    token = secrets.token_hex(8)
    pick = (
        Notification.select(Notification.id)
        .where(_due(now, lease))
        .order_by(Notification.send_after)
        .order_by(Notification.id)
        .limit(limit)
    )
    if not is_sqlite():
        pick = pick.lock_rows(skip_locked=True)
    async with transaction():
        # The outer condition is checked again on each row: a row another worker claimed
        # between the pick and the update is left alone.
        rows = (
            await Notification.update(
                {Notification.claimed_at: now, Notification.claimed_by: token}
            )
            .where(Notification.id.is_in(pick) & _due(now, lease))
            .returning(*_CLAIMED)
        )
    return sorted((_claimed(row, now, token) for row in rows), key=lambda c: c.id)


def _claimed(row: dict[str, Any], now: datetime, token: str) -> Claimed:
    return Claimed(
        id=row["id"],
        user_id=row["user"],
        kind=row["kind"],
        payload=_load(row["payload"]),
        key=row["idempotency_key"],
        attempts=row["attempts"],
        booking_id=row["booking"],
        claimed_at=now,
        token=token,
    )


def _mine(claimed: Claimed) -> Combinable:
    return (Notification.id == claimed.id) & (Notification.claimed_by == claimed.token)


async def mark_sent(claimed: Claimed, now: datetime) -> bool:
    """Record the delivery; False if the claim was lost (another worker took it over).
    A one-time link's token (invitations) is not kept once its mail is sent. A plain
    statement: it runs once per mail sent (the dispatcher's hot path)."""
    args: list[Any] = [now.astimezone(UTC)]
    payload = ""
    if "token" in claimed.payload:
        payload = ", payload = {}"
        args.append(json.dumps({k: v for k, v in claimed.payload.items() if k != "token"}))
    where = " WHERE id = {} AND claimed_by = {} AND sent_at IS NULL RETURNING notification.id"
    if is_sqlite():
        sql = f"UPDATE notification SET sent_at = {{}}{payload}" + where
    else:
        # PostgreSQL commits this one asynchronously (no wait for the disk, a few
        # milliseconds per mail): only a crash of the database server itself in the next
        # fraction of a second could lose the mark and send that mail again; a crash of the
        # worker loses nothing.
        sql = (
            "WITH quick AS (SELECT set_config('synchronous_commit', 'off', true))"
            f" UPDATE notification SET sent_at = {{}}{payload} FROM quick" + where
        )
    return bool(await Notification.raw(sql, *args, claimed.id, claimed.token))


async def mark_failed(
    claimed: Claimed, error: str, now: datetime, retry_at: datetime | None
) -> None:
    """Count an attempt and keep its error; retry at ``retry_at``, or give up when None."""
    values: dict[Any, Any] = {
        Notification.attempts: claimed.attempts + 1,
        Notification.last_error: error[:1000],
        Notification.claimed_at: None,
        Notification.claimed_by: None,
    }
    if retry_at is None:
        values[Notification.failed_at] = now.astimezone(UTC)
    else:
        values[Notification.send_after] = retry_at.astimezone(UTC)
    await Notification.update(values).where(_mine(claimed))


async def release(claims: list[Claimed], send_after: datetime | None = None) -> None:
    """Give rows back unsent, without counting an attempt (optionally due later)."""
    for claimed in claims:
        values: dict[Any, Any] = {Notification.claimed_at: None, Notification.claimed_by: None}
        if send_after is not None:
            values[Notification.send_after] = send_after.astimezone(UTC)
        await Notification.update(values).where(_mine(claimed))


async def drop(claimed: Claimed) -> None:
    """Forget a claimed row that must not be sent (a withdrawn reminder)."""
    await Notification.delete().where(_mine(claimed))


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
        if keep_revision is None or _load(row["payload"]).get("revision") != keep_revision
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
        PlannedReminder(r["id"], _load(r["payload"]), r["send_after"], r["starts_at"], r["status"])
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


async def booking_views(booking_ids: list[int]) -> dict[int, BookingView]:
    """The bookings of a batch of letters, by id, in two queries (letters are not bound by
    anyone's visibility: they go to the people the booking concerns)."""
    return await booking_rows.by_ids(booking_ids)


async def names(views: list[BookingView]) -> Names:
    """The names a letter shows for these bookings, in three queries."""

    async def of(table: Any, ids: set[int]) -> dict[int, tuple[str, str]]:
        rows = await table.select(table.id, table.name_fr, table.name_ar).where(
            table.id.is_in(sorted(ids) or [-1])
        )
        return {r["id"]: (r["name_fr"], r["name_ar"]) for r in rows}

    return Names(
        resources=await of(Resource, {i.resource_id for v in views for i in v.items}),
        hubs=await of(Hub, {v.hub_id for v in views}),
        associations=await of(Association, {v.association_id for v in views}),
    )


async def recipients(user_ids: list[int]) -> dict[int, Recipient]:
    rows = await AppUser.select(
        AppUser.id, AppUser.email, AppUser.name, AppUser.language, AppUser.is_active
    ).where(AppUser.id.is_in(user_ids or [-1]))
    return {
        r["id"]: Recipient(r["id"], r["email"], r["name"], r["language"], r["is_active"])
        for r in rows
    }


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


def _load(payload: Any) -> dict[str, Any]:
    if isinstance(payload, str | bytes):
        return json.loads(payload) or {}
    return payload or {}


def _bounded(key: str) -> str:
    """The key itself when it fits the column, otherwise a prefix and a digest of all of it
    (cutting it would make two long keys one)."""
    if len(key) <= KEY_MAX:
        return key
    return f"{key[: KEY_MAX - 65]}#{hashlib.sha256(key.encode()).hexdigest()}"
