"""The audit trail: one row for every change made through the app, in the change's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub_booking.db.tables import AuditLog


async def record(
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None,
    now: datetime,
    **details: Any,
) -> None:
    await AuditLog.insert(
        AuditLog(
            actor=actor_id,
            at=now,
            action=action,
            object_type=object_type,
            object_id=object_id,
            details=details,
        )
    )
