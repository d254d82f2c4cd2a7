"""The audit trail's rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.querystring import QueryString

from hub_booking.db.tables import AuditLog


@dataclass(frozen=True)
class Entry:
    """An audit row still to write; its object's id is given when it is written."""

    actor_id: int | None
    action: str
    object_type: str
    at: datetime
    details: dict[str, Any]


def statement(entry: Entry, object_id: int | QueryString | None) -> QueryString:
    """The INSERT of an audit row; ``object_id`` may be SQL (the id a statement it is part
    of gives a new row)."""
    return QueryString(
        "INSERT INTO audit_log (actor, at, action, object_type, object_id, details) "
        "VALUES ({}, {}, {}, {}, {}, {})",
        entry.actor_id,
        entry.at.astimezone(UTC),
        entry.action,
        entry.object_type,
        object_id,
        json.dumps(entry.details, default=str),
    )


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
        "{}", statement(Entry(actor_id, action, object_type, now, details), object_id)
    )


# The history of one hub (the manager's "History" page) --------------------------------------
# (appended; imports kept with the code they serve)
from hub_booking.db.engine import is_sqlite  # noqa: E402
from hub_booking.domain.model import Page  # noqa: E402


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None
    actor: str | None = None  # a part of the actor's email
    start: datetime | None = None  # UTC
    end: datetime | None = None
    booking_id: int | None = None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor_id: int | None
    actor_email: str
    actor_name: str
    action: str
    object_type: str
    object_id: int | None
    details: dict[str, Any]
    title: str  # the booking's title, or the resource's (name_fr, name_ar) joined by " / "


def _in_ids(number: str) -> str:
    """SQL: the row's ``details.ids`` list holds a booking id matching ``number`` (SQL)."""
    if is_sqlite():
        return f"EXISTS (SELECT 1 FROM json_each(l.details, '$.ids') j WHERE {number})"
    return (
        "CASE WHEN json_typeof(l.details->'ids') = 'array' THEN EXISTS (SELECT 1 FROM "
        f"json_array_elements_text(l.details->'ids') AS j(value) WHERE {number}) ELSE false END"
    )


def _hub_scope(hub_id: int) -> str:
    """SQL: the rows about the hub itself, its resources, closures and bookings (also the
    rows of a batch, such as expiries, listing booking ``ids``)."""
    hub = str(int(hub_id))
    value = "j.value" if is_sqlite() else "CAST(j.value AS integer)"
    detail = (
        f"json_extract(l.details, '$.hub_id') = {hub}"
        if is_sqlite()
        else f"(l.details->>'hub_id') = '{hub}'"
    )
    batch = _in_ids(f"{value} IN (SELECT id FROM booking WHERE hub = {hub})")
    return (
        f"((l.object_type = 'booking' AND l.object_id IN (SELECT id FROM booking WHERE hub = {hub}))"  # noqa: E501
        f" OR (l.object_type = 'booking' AND l.object_id IS NULL AND {batch})"
        f" OR (l.object_type = 'hub' AND l.object_id = {hub})"
        f" OR (l.object_type = 'resource' AND l.object_id IN (SELECT id FROM resource WHERE hub = {hub}))"  # noqa: E501
        f" OR (l.object_type = 'closure' AND l.object_id IN (SELECT id FROM blackout WHERE hub = {hub}))"  # noqa: E501
        f" OR {detail})"
    )


def _filtered(hub_id: int, f: AuditFilters) -> tuple[str, list[Any]]:
    where: list[str] = [_hub_scope(hub_id)]
    args: list[Any] = []
    if f.action:
        where.append("l.action = {}")
        args.append(f.action)
    if f.actor:
        escaped = f.actor.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("lower(u.email) LIKE {} ESCAPE '\\'")
        args.append(f"%{escaped}%")
    if f.start is not None:
        where.append("l.at >= {}")
        args.append(f.start.astimezone(UTC))
    if f.end is not None:
        where.append("l.at < {}")
        args.append(f.end.astimezone(UTC))
    if f.booking_id is not None:
        number = str(int(f.booking_id))
        listed = _in_ids(f"j.value = {number}" if is_sqlite() else f"j.value = '{number}'")
        where.append(f"(l.object_type = 'booking' AND (l.object_id = {number} OR {listed}))")
    return " AND ".join(where), args


_AUDIT_FROM = " FROM audit_log l LEFT JOIN app_user u ON u.id = l.actor"
_AUDIT_COLUMNS = (
    "SELECT l.id AS id, l.at AS at, l.actor AS actor, u.email AS email, u.name AS name,"
    " l.action AS action, l.object_type AS object_type, l.object_id AS object_id,"
    " l.details AS details, b.title AS title, r.name_fr AS name_fr, r.name_ar AS name_ar"
    + _AUDIT_FROM
    + " LEFT JOIN booking b ON l.object_type = 'booking' AND b.id = l.object_id"
    " LEFT JOIN resource r ON l.object_type = 'resource' AND r.id = l.object_id"
)


async def hub_page(hub_id: int, filters: AuditFilters, limit: int, offset: int) -> Page[AuditEntry]:
    """A page of the changes in one hub, latest first, and how many match (two queries)."""
    where, args = _filtered(hub_id, filters)
    counted = await AuditLog.raw(f"SELECT COUNT(*) AS n{_AUDIT_FROM} WHERE {where}", *args)
    total = int(counted[0]["n"]) if counted else 0
    sql = (
        f"{_AUDIT_COLUMNS} WHERE {where} ORDER BY l.at DESC, l.id DESC "
        f"LIMIT {int(limit)} OFFSET {int(offset)}"
    )
    return Page([_entry(row) for row in await AuditLog.raw(sql, *args)], total)


def _entry(row: dict[str, Any]) -> AuditEntry:
    details = row["details"]
    if isinstance(details, str | bytes):
        details = json.loads(details or "{}")
    at = row["at"]
    if not isinstance(at, datetime):
        at = datetime.fromisoformat(str(at))
    names = [n for n in (row["name_fr"], row["name_ar"]) if n]
    return AuditEntry(
        id=int(row["id"]),
        at=at if at.tzinfo else at.replace(tzinfo=UTC),
        actor_id=row["actor"],
        actor_email=row["email"] or "",
        actor_name=row["name"] or "",
        action=row["action"],
        object_type=row["object_type"],
        object_id=row["object_id"],
        details=details if isinstance(details, dict) else {"value": details},
        title=row["title"] or " / ".join(names),
    )
