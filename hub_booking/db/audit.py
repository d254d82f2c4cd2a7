"""The audit trail's rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hub_booking.db.tables import AuditLog


async def insert(
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None,
    now: datetime,
    details: dict[str, Any],
) -> None:
    # Plain SQL: written by every change, so kept cheap.
    await AuditLog.raw(
        "INSERT INTO audit_log (actor, at, action, object_type, object_id, details) "
        "VALUES ({}, {}, {}, {}, {}, {})",
        actor_id,
        now.astimezone(UTC),
        action,
        object_type,
        object_id,
        json.dumps(details, default=str),
    )
