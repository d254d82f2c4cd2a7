"""Writes of bookings: locking, inserting a whole booking (or series) and its holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub_booking.db.engine import is_sqlite
from hub_booking.db.tables import Association, Booking, BookingItem, Resource, Series
from hub_booking.domain.intervals import with_buffers
from hub_booking.domain.model import ResourceInfo


@dataclass(frozen=True)
class NewBooking:
    association_id: int
    requested_by: int
    hub_id: int
    title: str
    purpose: str
    attendees: int
    timezone: str
    status: str
    override: bool
    items: dict[int, int]


def for_update(query: Any) -> Any:
    """``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transaction already excludes
    every other writer."""
    return query if is_sqlite() else query.lock_rows()


async def lock_association(association_id: int) -> str | None:
    """Serialise the bookings of one association (its quotas count across resources) and
    return its status, or None when it does not exist. Taken before the resource locks, in
    the same order by every writer, so two writers cannot deadlock."""
    query = Association.select(Association.status).where(Association.id == association_id)
    row = await for_update(query).first()
    return row["status"] if row else None


async def lock_resources(resource_ids: list[int]) -> None:
    """Serialise writers of these resources until the transaction ends (PostgreSQL row locks,
    in id order so two writers cannot deadlock). SQLite is already serialised by IMMEDIATE."""
    if is_sqlite() or not resource_ids:
        return
    ids = ", ".join(str(int(i)) for i in sorted(resource_ids))
    await Resource.raw(f"SELECT id FROM resource WHERE id IN ({ids}) ORDER BY id FOR UPDATE")


async def insert_series(
    hub_id: int,
    association_id: int,
    rrule: str,
    timezone: str,
    first_local_start: datetime,
    minutes: int,
    on_conflict: str,
    now: datetime,
) -> int:
    row = Series(
        hub=hub_id,
        association=association_id,
        rrule=rrule,
        timezone=timezone,
        first_local_start=first_local_start,
        duration_minutes=minutes,
        on_conflict=on_conflict,
        created_at=now,
    )
    return (await Series.insert(row).returning(Series.id))[0]["id"]


async def insert_bookings(
    new: NewBooking,
    slots: list[Any],
    resources: dict[int, ResourceInfo],
    now: datetime,
    series_id: int | None = None,
) -> list[dict[str, Any]]:
    """One booking per slot with its items (holds with buffers); returns the rows in order."""
    rows = [
        Booking(
            uid=f"{uuid.uuid4()}@hub-booking",
            association=new.association_id,
            requested_by=new.requested_by,
            hub=new.hub_id,
            series=series_id,
            title=new.title,
            purpose=new.purpose,
            attendees=new.attendees,
            local_start=slot.local_start,
            local_end=slot.local_end,
            timezone=new.timezone,
            starts_at=slot.start.astimezone(UTC),
            ends_at=slot.end.astimezone(UTC),
            status=new.status,
            override=new.override,
            created_at=now,
            updated_at=now,
        )
        for slot in slots
    ]
    written = await Booking.insert(*rows).returning(*Booking.all_columns())
    ids = [row["id"] for row in written]
    holding = new.status in ("pending", "approved")
    items = []
    for booking_id, slot in zip(ids, slots, strict=True):
        for resource_id, quantity in new.items.items():
            resource = resources[resource_id]
            start, end = with_buffers(slot.start, slot.end, resource.rules)
            items.append(
                BookingItem(
                    booking=booking_id,
                    resource=resource_id,
                    quantity=quantity,
                    hold_start=start.astimezone(UTC),
                    hold_end=end.astimezone(UTC),
                    holding=holding,
                    exclusive=resource.is_space,
                )
            )
    await BookingItem.insert(*items)
    return written


async def set_status(booking_ids: list[int], status: str, now: datetime, **decision: Any) -> None:
    """Change status (and holding) of bookings, bumping their revision."""
    values: dict[Any, Any] = {
        Booking.status: status,
        Booking.updated_at: now,
        Booking.revision: Booking.revision + 1,
    }
    for key, value in decision.items():
        values[getattr(Booking, key)] = value
    await Booking.update(values).where(Booking.id.is_in(booking_ids))
    holding = status in ("pending", "approved")
    await BookingItem.update({BookingItem.holding: holding}).where(
        BookingItem.booking.is_in(booking_ids)
    )
