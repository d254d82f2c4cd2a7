"""Reads that feed the domain: rows in, frozen domain types out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub_booking.db.tables import Association, Blackout, Booking, BookingItem, Hub, Resource
from hub_booking.domain.model import Closure, Hold, ResourceInfo, ResourceKind, display_name
from hub_booking.domain.rules import effective_rules


async def hub(hub_id: int) -> dict[str, Any] | None:
    query = Hub.select(Hub.id, Hub.timezone, Hub.opening_hours, Hub.rules).where(Hub.id == hub_id)
    return await query.first().output(load_json=True)


_RESOURCE_FIELDS = (
    Resource.id,
    Resource.hub,
    Resource.kind,
    Resource.quantity,
    Resource.capacity,
    Resource.requires_approval,
    Resource.active,
    Resource.rules,
    Resource.name_fr,
    Resource.name_ar,
)


async def resources(ids: list[int], language: str = "fr") -> dict[int, ResourceInfo]:
    """Resources by id, each with its effective rules (defaults < hub < resource)."""
    return (await resources_and_hubs(ids, language))[0]


async def resources_and_hubs(
    ids: list[int], language: str = "fr"
) -> tuple[dict[int, ResourceInfo], dict[int, dict[str, Any]]]:
    """Resources by id (with effective rules) and their hubs (zone, opening hours, rules)."""
    query = Resource.select(*_RESOURCE_FIELDS).where(Resource.id.is_in(ids or [-1]))
    rows = await query.output(load_json=True)
    hub_ids = sorted({row["hub"] for row in rows}) or [-1]
    hub_query = Hub.select(Hub.id, Hub.timezone, Hub.opening_hours, Hub.rules)
    hubs = {h["id"]: h for h in await hub_query.where(Hub.id.is_in(hub_ids)).output(load_json=True)}
    found = {row["id"]: _resource(row, hubs[row["hub"]]["rules"] or {}, language) for row in rows}
    return found, hubs


async def hub_resources(hub_id: int, language: str = "fr") -> dict[int, ResourceInfo]:
    rows = await Resource.select(Resource.id).where(
        (Resource.hub == hub_id) & Resource.active.eq(True)
    )
    return await resources([row["id"] for row in rows], language=language)


def _resource(row: dict[str, Any], hub_rules: dict, language: str) -> ResourceInfo:
    return ResourceInfo(
        id=row["id"],
        hub_id=row["hub"],
        kind=ResourceKind(row["kind"]),
        quantity=row["quantity"],
        capacity=row["capacity"],
        requires_approval=row["requires_approval"],
        active=row["active"],
        rules=effective_rules(hub_rules, row["rules"] or {}),
        name=display_name(row["name_fr"], row["name_ar"], language),
    )


async def holds(resource_ids: list[int], start: datetime, end: datetime) -> list[Hold]:
    """Holding items of these resources that overlap ``[start, end)``."""
    rows = await BookingItem.select(
        BookingItem.booking,
        BookingItem.resource,
        BookingItem.quantity,
        BookingItem.hold_start,
        BookingItem.hold_end,
    ).where(
        BookingItem.resource.is_in(resource_ids or [-1])
        & BookingItem.holding.eq(True)
        & (BookingItem.hold_start < _utc(end))
        & (BookingItem.hold_end > _utc(start))
    )
    return [
        Hold(row["resource"], row["quantity"], row["hold_start"], row["hold_end"], row["booking"])
        for row in rows
    ]


async def closures(hub_id: int, start: datetime, end: datetime) -> list[Closure]:
    rows = await Blackout.select(
        Blackout.starts_at, Blackout.ends_at, Blackout.reason, Blackout.resource
    ).where(
        (Blackout.hub == hub_id)
        & (Blackout.starts_at < _utc(end))
        & (Blackout.ends_at > _utc(start))
    )
    return [Closure(r["starts_at"], r["ends_at"], r["reason"], r["resource"]) for r in rows]


async def association_status(association_id: int) -> str | None:
    row = (
        await Association.select(Association.status).where(Association.id == association_id).first()
    )
    return row["status"] if row else None


async def held_by_association(
    association_id: int, hub_id: int, start: datetime, end: datetime
) -> list[tuple[datetime, int]]:
    """(local start, minutes) of the association's holding bookings at the hub in a window."""
    rows = await Booking.select(Booking.local_start, Booking.starts_at, Booking.ends_at).where(
        (Booking.association == association_id)
        & (Booking.hub == hub_id)
        & Booking.status.is_in(["pending", "approved"])
        & (Booking.starts_at < _utc(end))
        & (Booking.ends_at > _utc(start))
    )
    return [
        (r["local_start"], int((r["ends_at"] - r["starts_at"]).total_seconds() // 60)) for r in rows
    ]


async def future_bookings(association_id: int, hub_id: int, now: datetime) -> int:
    return await Booking.count().where(
        (Booking.association == association_id)
        & (Booking.hub == hub_id)
        & Booking.status.is_in(["pending", "approved"])
        & (Booking.starts_at > _utc(now))
    )


def _utc(when: datetime) -> datetime:
    return when.astimezone(UTC)
