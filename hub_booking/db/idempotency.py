"""Idempotency keys of booking requests: claimed with an insert-on-conflict, then settled.

The claim is made inside the booking's own write transaction: a second request with the same
key waits for the first (PostgreSQL's unique index, SQLite's IMMEDIATE lock), then finds the
key taken and reads what the first one made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub_booking.db.tables import IdempotencyKey


@dataclass(frozen=True)
class Used:
    """What a key was first used for: the request's fingerprint, the booking and the answer."""

    fingerprint: str
    booking_id: int | None
    answer: dict[str, Any]


async def claim(user_id: int, key: str, fingerprint: str, now: datetime) -> bool:
    """Take the key for this request; False when it was already taken."""
    row = IdempotencyKey(key=key, user=user_id, fingerprint=fingerprint, created_at=now)
    query = IdempotencyKey.insert(row).on_conflict(IdempotencyKey.key, "DO NOTHING")
    return bool(await query.returning(IdempotencyKey.id))


async def used(key: str) -> Used | None:
    row = await (
        IdempotencyKey.select(
            IdempotencyKey.fingerprint, IdempotencyKey.booking, IdempotencyKey.answer
        )
        .where(IdempotencyKey.key == key)
        .first()
        .output(load_json=True)
    )
    if row is None:
        return None
    return Used(row["fingerprint"], row["booking"], row["answer"] or {})


async def settle(key: str, booking_id: int, answer: dict[str, Any]) -> None:
    """Record what the key's request made."""
    await IdempotencyKey.update(
        {IdempotencyKey.booking: booking_id, IdempotencyKey.answer: answer}
    ).where(IdempotencyKey.key == key)
