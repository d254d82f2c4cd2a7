"""Reading bookings: one, or a filtered page, scoped to what the caller may see."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from piccolo.custom_types import Combinable

from hub_booking.db.tables import Booking, BookingItem
from hub_booking.domain.errors import N_, NotFound
from hub_booking.domain.model import Principal

FIELDS = (
    Booking.id,
    Booking.uid,
    Booking.association,
    Booking.hub,
    Booking.series,
    Booking.title,
    Booking.purpose,
    Booking.attendees,
    Booking.starts_at,
    Booking.ends_at,
    Booking.local_start,
    Booking.local_end,
    Booking.timezone,
    Booking.status,
    Booking.revision,
    Booking.override,
    Booking.decided_by,
    Booking.decided_at,
    Booking.decision_reason,
    Booking.created_at,
    Booking.updated_at,
)


def visible_to(principal: Principal) -> Combinable | None:
    """The bookings a caller may see: their associations' and their hubs' (all for an admin)."""
    if principal.is_platform_admin:
        return None
    return Booking.association.is_in(list(principal.memberships) or [-1]) | Booking.hub.is_in(
        list(principal.managed_hubs) or [-1]
    )


async def get_booking(principal: Principal, booking_id: int) -> dict[str, Any]:
    where: Combinable = Booking.id == booking_id
    scope = visible_to(principal)
    if scope is not None:
        where &= scope
    rows = await Booking.select(*FIELDS).where(where)
    if not rows:
        raise NotFound(N_("This booking does not exist."))
    return (await _with_items(rows))[0]


async def list_bookings(
    principal: Principal,
    *,
    hub_id: int | None = None,
    resource_id: int | None = None,
    association_id: int | None = None,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of bookings (by start time) and the total matching the filters."""
    where: Combinable = Booking.id > 0
    scope = visible_to(principal)
    if scope is not None:
        where &= scope
    if hub_id is not None:
        where &= Booking.hub == hub_id
    if association_id is not None:
        where &= Booking.association == association_id
    if status is not None:
        where &= Booking.status == status
    if start is not None:
        where &= Booking.ends_at > start.astimezone(UTC)
    if end is not None:
        where &= Booking.starts_at < end.astimezone(UTC)
    if resource_id is not None:
        where &= Booking.id.is_in(
            BookingItem.select(BookingItem.booking).where(BookingItem.resource == resource_id)
        )
    total = await Booking.count().where(where)
    rows = (
        await Booking.select(*FIELDS)
        .where(where)
        .order_by(Booking.starts_at)
        .order_by(Booking.id)
        .limit(limit)
        .offset(offset)
    )
    return await _with_items(rows), total


async def _with_items(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [row["id"] for row in rows]
    items: dict[int, list[dict[str, int]]] = {i: [] for i in ids}
    for item in await BookingItem.select(
        BookingItem.booking, BookingItem.resource, BookingItem.quantity
    ).where(BookingItem.booking.is_in(ids or [-1])):
        items[item["booking"]].append(
            {"resource_id": item["resource"], "quantity": item["quantity"]}
        )
    return [{**row, "items": items[row["id"]]} for row in rows]
