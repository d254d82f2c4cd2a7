"""The audit trail: one row for every change made through the app, in the change's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub_booking.db import audit


async def record(
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None,
    now: datetime,
    **details: Any,
) -> None:
    await audit.insert(actor_id, action, object_type, object_id, now, details)
