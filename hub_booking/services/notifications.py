"""The outbox: messages to users, written in the caller's transaction and sent by the worker.

The idempotency key is unique, so enqueueing the same message twice (a retried job, two
workers) stores it once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub_booking.db.tables import HubManager, Notification


async def enqueue(
    user_id: int, kind: str, payload: dict[str, Any], key: str, now: datetime
) -> bool:
    """Store a message unless one with this key exists; True when stored."""
    if await Notification.exists().where(Notification.idempotency_key == key):
        return False
    await Notification.insert(
        Notification(
            user=user_id, kind=kind, payload=payload, idempotency_key=key[:200], created_at=now
        )
    )
    return True


async def to_hub_managers(
    hub_id: int, kind: str, payload: dict[str, Any], key: str, now: datetime
) -> int:
    """The same message to every manager of the hub; returns how many were stored."""
    managers = await HubManager.select(HubManager.user).where(HubManager.hub == hub_id)
    stored = 0
    for row in managers:
        stored += await enqueue(row["user"], kind, payload, f"{key}:{row['user']}", now)
    return stored
