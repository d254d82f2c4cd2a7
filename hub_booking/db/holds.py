"""Holds: the units of a resource a booking takes over a period (buffers included), and the
locks that keep two writers from taking the same units."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub_booking.db import associations
from hub_booking.db.engine import is_sqlite
from hub_booking.db.tables import BookingItem, Resource
from hub_booking.domain.model import Hold

_HOLD_FIELDS = (
    BookingItem.booking,
    BookingItem.resource,
    BookingItem.quantity,
    BookingItem.hold_start,
    BookingItem.hold_end,
)


def _hold(row: dict[str, Any]) -> Hold:
    return Hold(
        row["resource"], row["quantity"], row["hold_start"], row["hold_end"], row["booking"]
    )


async def lock_booker(association_id: int, resource_ids: list[int]) -> str | None:
    """Serialise the writers of one association (its quotas count across resources), then of
    these resources, always in that order and by id, so two writers cannot deadlock (row
    locks on PostgreSQL; SQLite's IMMEDIATE transaction already serialises). Gives the
    association's status (None when there is no such association)."""
    status = await associations.lock(association_id)
    if not is_sqlite() and resource_ids:
        ids = ", ".join(str(int(i)) for i in sorted(resource_ids))
        await Resource.raw(f"SELECT id FROM resource WHERE id IN ({ids}) ORDER BY id FOR UPDATE")
    return status


async def holds(resource_ids: list[int], start: datetime, end: datetime) -> list[Hold]:
    """Holding items of these resources that overlap ``[start, end)`` (a plain query: it is
    on the booking hot path)."""
    ids = ", ".join(str(int(i)) for i in resource_ids) or "-1"
    rows = await BookingItem.raw(
        "SELECT booking, resource, quantity, hold_start, hold_end FROM booking_item"
        f" WHERE resource IN ({ids}) AND holding = {{}} AND hold_start < {{}} AND hold_end > {{}}",
        True,
        end.astimezone(UTC),
        start.astimezone(UTC),
    )
    return [_hold(row) for row in rows]


async def holds_of(booking_ids: list[int]) -> dict[int, list[Hold]]:
    """The holds of these bookings, by booking."""
    found: dict[int, list[Hold]] = {i: [] for i in booking_ids}
    rows = await BookingItem.select(*_HOLD_FIELDS).where(
        BookingItem.booking.is_in(booking_ids or [-1])
    )
    for row in rows:
        found[row["booking"]].append(_hold(row))
    return found


async def holds_except(resource_ids: list[int], booking_ids: list[int]) -> list[Hold]:
    """Holding items of these resources that belong to other bookings than these."""
    rows = await BookingItem.select(*_HOLD_FIELDS).where(
        BookingItem.resource.is_in(resource_ids or [-1])
        & BookingItem.holding.eq(True)
        & BookingItem.booking.not_in(booking_ids or [-1])
    )
    return [_hold(row) for row in rows]


async def set_holding(booking_ids: list[int], holding: bool) -> None:
    """Release (or take back) the holds of these bookings, status unchanged."""
    await BookingItem.update({BookingItem.holding: holding}).where(
        BookingItem.booking.is_in(booking_ids or [-1])
    )
