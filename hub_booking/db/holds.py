"""Holds: the units of a resource a booking takes over a period (buffers included), and the
locks that keep two writers from taking the same units."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub_booking.db import associations
from hub_booking.db.engine import among, is_sqlite
from hub_booking.db.tables import BookingItem, Resource
from hub_booking.domain.model import Closure, Hold

_HOLD_FIELDS = (
    BookingItem.booking,
    BookingItem.resource,
    BookingItem.quantity,
    BookingItem.hold_start.as_alias("starts_at"),
    BookingItem.hold_end.as_alias("ends_at"),
)


def _hold(row: dict[str, Any]) -> Hold:
    return Hold(row["resource"], row["quantity"], row["starts_at"], row["ends_at"], row["booking"])


async def lock_booker(association_id: int, resource_ids: list[int]) -> str | None:
    """Serialise the writers of one association (its quotas count across resources), then of
    these resources, always in that order and by id, so two writers cannot deadlock (row
    locks on PostgreSQL; SQLite's IMMEDIATE transaction already serialises). Gives the
    association's status (None when there is no such association)."""
    if is_sqlite():
        return await associations.lock(association_id)
    listed, ids = among(sorted(set(resource_ids)))
    rows = await Resource.raw(_LOCK_BOOKER.format(among=listed), association_id, *ids)
    return rows[0]["status"] if rows else None


# PostgreSQL, in one round trip: the association first (a materialised WITH is run, and its
# row locked, before the outer query asks for the resources), then its resources by id. No
# association: nothing else is locked (the booking is refused anyway).
_LOCK_BOOKER = (
    "WITH booker AS MATERIALIZED (SELECT status FROM association WHERE id = {{}} FOR UPDATE)"
    " SELECT status, (SELECT count(*) FROM (SELECT id FROM resource WHERE id IN {among}"
    " ORDER BY id FOR UPDATE) AS locked) AS resources FROM booker"
)


def _holding(resource_ids: list[int], start: datetime, end: datetime) -> tuple[str, list[Any]]:
    listed, args = among(resource_ids)
    sql = (
        "SELECT booking, resource, quantity, hold_start AS starts_at, hold_end AS ends_at,"
        f" NULL AS reason FROM booking_item WHERE resource IN {listed} AND holding"
        " AND hold_start < {} AND hold_end > {}"
    )
    return sql, [*args, end.astimezone(UTC), start.astimezone(UTC)]


async def holds(resource_ids: list[int], start: datetime, end: datetime) -> list[Hold]:
    """Holding items of these resources that overlap ``[start, end)`` (a plain query: it is
    on the booking hot path)."""
    sql, args = _holding(resource_ids, start, end)
    return [_hold(row) for row in await BookingItem.raw(sql, *args)]


async def around(
    resource_ids: list[int],
    hub_id: int,
    held_in: tuple[datetime, datetime],
    closed_in: tuple[datetime, datetime],
) -> tuple[list[Hold], list[Closure]]:
    """The holds of these resources that overlap ``held_in`` and the hub's closures (of the
    hub or of one resource) that overlap ``closed_in``: what a booking check reads, in one
    query (``holds`` and ``db.closures.overlapping`` in one round trip)."""
    sql, args = _holding(resource_ids, *held_in)
    rows = await BookingItem.raw(
        f"{sql} UNION ALL SELECT NULL, resource, NULL, starts_at, ends_at, reason FROM blackout"
        " WHERE hub = {} AND starts_at < {} AND ends_at > {}",
        *args,
        hub_id,
        closed_in[1].astimezone(UTC),
        closed_in[0].astimezone(UTC),
    )
    found = [_hold(row) for row in rows if row["quantity"] is not None]
    closed = [
        Closure(row["starts_at"], row["ends_at"], row["reason"], row["resource"])
        for row in rows
        if row["quantity"] is None
    ]
    return found, closed


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
