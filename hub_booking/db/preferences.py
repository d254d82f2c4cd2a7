"""Notification preferences: one row per user who chose something (no row: the defaults)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub_booking.db.tables import NotificationPreference


@dataclass(frozen=True)
class Stored:
    """What a user chose: reminder times (minutes before the start), the groups of mail
    turned off, and whether every booking of their associations is reminded to them."""

    user_id: int
    reminder_minutes: tuple[int, ...]
    mail_off: frozenset[str]
    association_reminders: bool


@dataclass(frozen=True)
class Watcher:
    """A member who asked to be reminded of every booking of one of their associations."""

    user_id: int
    association_id: int


async def of_users(user_ids: list[int]) -> dict[int, Stored]:
    """The stored choices of these users (those without a row are absent)."""
    rows = await NotificationPreference.select(
        NotificationPreference.user,
        NotificationPreference.reminder_minutes,
        NotificationPreference.mail_off,
        NotificationPreference.association_reminders,
    ).where(NotificationPreference.user.is_in(sorted(set(user_ids)) or [-1]))
    return {row["user"]: _stored(row) for row in rows}


async def save(choice: Stored, now: datetime) -> None:
    """Store a user's choices (insert or replace)."""
    row = NotificationPreference(
        user=choice.user_id,
        reminder_minutes=sorted(choice.reminder_minutes, reverse=True),
        mail_off=sorted(choice.mail_off),
        association_reminders=choice.association_reminders,
        updated_at=now.astimezone(UTC),
    )
    await NotificationPreference.insert(row).on_conflict(
        target=NotificationPreference.user,
        action="DO UPDATE",
        values=[
            NotificationPreference.reminder_minutes,
            NotificationPreference.mail_off,
            NotificationPreference.association_reminders,
            NotificationPreference.updated_at,
        ],
    )


# Members of the associations who want every booking's reminders, with the choices of the
# requesters: one query, whatever the number of bookings being planned.
_REMINDED = (
    'SELECT p."user" AS user_id, p.reminder_minutes, p.mail_off, p.association_reminders,'
    " m.association AS association_id"
    " FROM notification_preference p"
    ' LEFT JOIN membership m ON m."user" = p."user" AND p.association_reminders'
    " AND m.association IN ({associations})"
    ' WHERE p."user" IN ({users}) OR m.association IS NOT NULL'
)


async def reminded(
    requesters: list[int], association_ids: list[int]
) -> tuple[dict[int, Stored], list[Watcher]]:
    """The stored choices of the requesters and of the members watching these associations,
    and who watches which association."""
    users = ", ".join(str(int(i)) for i in sorted(set(requesters))) or "-1"
    associations = ", ".join(str(int(i)) for i in sorted(set(association_ids))) or "-1"
    rows = await NotificationPreference.raw(
        _REMINDED.format(users=users, associations=associations)
    )
    stored = {row["user_id"]: _stored({**row, "user": row["user_id"]}) for row in rows}
    watchers = [
        Watcher(row["user_id"], row["association_id"])
        for row in rows
        if row["association_id"] is not None
    ]
    return stored, watchers


def _stored(row: dict[str, Any]) -> Stored:
    return Stored(
        user_id=row["user"],
        reminder_minutes=tuple(int(m) for m in _load(row["reminder_minutes"], [])),
        mail_off=frozenset(str(g) for g in _load(row["mail_off"], [])),
        association_reminders=bool(row["association_reminders"]),
    )


def _load(value: Any, default: Any) -> Any:
    if isinstance(value, str | bytes):
        return json.loads(value or "null") or default
    return value if value is not None else default
