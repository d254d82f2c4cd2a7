"""Reads of bookings, their items (holds) and series; domain types out (the writes are in
``booking_writes``).

Visibility is a query condition (``visible_to``): a booking the caller may not see is never
loaded, so "not yours" and "does not exist" answer alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.custom_types import Combinable

from hub_booking.db.engine import is_sqlite
from hub_booking.db.tables import Booking, BookingItem
from hub_booking.domain.bookings import BookingView, Decision, Item
from hub_booking.domain.model import (
    HOLDING,
    BookingStatus,
    Page,
    Principal,
)

HOLDING_STATUSES = [str(s) for s in HOLDING]
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
    Booking.checked_in_at,
    Booking.checked_in_by,
)


@dataclass(frozen=True)
class Filters:
    hub_id: int | None = None
    resource_id: int | None = None
    association_id: int | None = None
    status: BookingStatus | None = None
    start: datetime | None = None
    end: datetime | None = None


def visible_to(principal: Principal) -> Combinable:
    """The bookings a caller may see: their associations' and their hubs' (all for an admin)."""
    if principal.is_platform_admin:
        return Booking.id > 0
    return Booking.association.is_in(list(principal.memberships) or [-1]) | Booking.hub.is_in(
        list(principal.managed_hubs) or [-1]
    )


def for_update(query: Any) -> Any:
    """``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transaction already excludes
    every other writer."""
    return query if is_sqlite() else query.lock_rows()


async def view(principal: Principal, booking_id: int, *, lock: bool = False) -> BookingView | None:
    """One booking the caller may see (locked until the transaction ends with ``lock``)."""
    query = Booking.select(*FIELDS).where((Booking.id == booking_id) & visible_to(principal))
    rows = await (for_update(query) if lock else query)
    found = await views(rows)
    return found[0] if found else None


async def page(
    principal: Principal, filters: Filters, limit: int, offset: int
) -> Page[BookingView]:
    """A page of the bookings the caller may see (by start), and how many match."""
    where = visible_to(principal) & _filtered(filters)
    total = await Booking.count().where(where)
    rows = await (
        Booking.select(*FIELDS)
        .where(where)
        .order_by(Booking.starts_at)
        .order_by(Booking.id)
        .limit(limit)
        .offset(offset)
    )
    return Page(await views(rows), total)


def _filtered(f: Filters) -> Combinable:
    where: Combinable = Booking.id > 0
    if f.hub_id is not None:
        where &= Booking.hub == f.hub_id
    if f.association_id is not None:
        where &= Booking.association == f.association_id
    if f.status is not None:
        where &= Booking.status == f.status
    if f.start is not None:
        where &= Booking.ends_at > f.start.astimezone(UTC)
    if f.end is not None:
        where &= Booking.starts_at < f.end.astimezone(UTC)
    if f.resource_id is not None:
        where &= Booking.id.is_in(
            BookingItem.select(BookingItem.booking).where(BookingItem.resource == f.resource_id)
        )
    return where


async def views(rows: list[dict[str, Any]]) -> list[BookingView]:
    ids = [row["id"] for row in rows]
    items: dict[int, list[Item]] = {i: [] for i in ids}
    for item in await BookingItem.select(
        BookingItem.booking, BookingItem.resource, BookingItem.quantity
    ).where(BookingItem.booking.is_in(ids or [-1])):
        items[item["booking"]].append(Item(item["resource"], item["quantity"]))
    return [as_view(row, items[row["id"]]) for row in rows]


def as_view(row: dict[str, Any], items: list[Item]) -> BookingView:
    """A booking row (``FIELDS``) and its items as the domain's ``BookingView``."""
    decided = row["decided_at"]
    return BookingView(
        id=row["id"],
        uid=row["uid"],
        association_id=row["association"],
        hub_id=row["hub"],
        series_id=row["series"],
        title=row["title"],
        purpose=row["purpose"],
        attendees=row["attendees"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        local_start=row["local_start"],
        local_end=row["local_end"],
        timezone=row["timezone"],
        status=BookingStatus(row["status"]),
        revision=row["revision"],
        override=row["override"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        decision=Decision(row["decided_by"], decided, row["decision_reason"]) if decided else None,
        items=tuple(sorted(items, key=lambda i: i.resource_id)),
        checked_in_at=row.get("checked_in_at"),
        checked_in_by=row.get("checked_in_by"),
    )


async def by_ids(booking_ids: list[int]) -> dict[int, BookingView]:
    """Bookings by id for the system's own work (letters, jobs): bound by nobody's
    visibility, so never for answering a caller."""
    rows = await Booking.select(*FIELDS).where(Booking.id.is_in(booking_ids or [-1]))
    return {view.id: view for view in await views(rows)}


def _held(association_id: int, hub_id: int, exclude: int | None) -> Combinable:
    where = (
        (Booking.association == association_id)
        & (Booking.hub == hub_id)
        & Booking.status.is_in(HOLDING_STATUSES)
    )
    return where & (Booking.id != exclude) if exclude is not None else where


async def held_by_association(
    association_id: int, hub_id: int, start: datetime, end: datetime, exclude: int | None = None
) -> list[tuple[datetime, int]]:
    """(local start, minutes) of the association's holding bookings at the hub in a window,
    leaving out the booking ``exclude`` (the one being moved)."""
    rows = await Booking.select(Booking.local_start, Booking.starts_at, Booking.ends_at).where(
        _held(association_id, hub_id, exclude)
        & (Booking.starts_at < end.astimezone(UTC))
        & (Booking.ends_at > start.astimezone(UTC))
    )
    return [
        (r["local_start"], int((r["ends_at"] - r["starts_at"]).total_seconds() // 60)) for r in rows
    ]


async def future_bookings(
    association_id: int, hub_id: int, now: datetime, exclude: int | None = None
) -> int:
    return await Booking.count().where(
        _held(association_id, hub_id, exclude) & (Booking.starts_at > now.astimezone(UTC))
    )


async def series_members(
    series_id: int, *, from_start: datetime | None = None, after: datetime | None = None
) -> list[tuple[int, datetime]]:
    """(id, start) of the holding occurrences of a series, locked, from a start or after."""
    where = (Booking.series == series_id) & Booking.status.is_in(HOLDING_STATUSES)
    if from_start is not None:
        where &= Booking.starts_at >= from_start.astimezone(UTC)
    if after is not None:
        where &= Booking.starts_at > after.astimezone(UTC)
    rows = await for_update(Booking.select(Booking.id, Booking.starts_at).where(where))
    return [(r["id"], r["starts_at"]) for r in rows]


async def due_to_expire(now: datetime) -> list[int]:
    """Pending requests whose start has passed."""
    rows = await Booking.select(Booking.id).where(
        (Booking.status == BookingStatus.PENDING) & (Booking.starts_at <= now.astimezone(UTC))
    )
    return [r["id"] for r in rows]


async def future_holding(now: datetime) -> list[BookingView]:
    """Every holding booking that starts after ``now`` (what a change of zone data moves)."""
    rows = await Booking.select(*FIELDS).where(
        Booking.status.is_in(HOLDING_STATUSES) & (Booking.starts_at > now.astimezone(UTC))
    )
    return await views(rows)


# The hub calendar and "my bookings" (pages) -------------------------------------------------
# (imports kept with the code they serve: this part of the module is appended)
def naive(value: datetime | str) -> datetime:
    """A wall-clock time as stored (SQLite may answer a joined column as its text)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


async def association_page(
    principal: Principal,
    association_ids: list[int],
    now: datetime,
    *,
    upcoming: bool,
    limit: int,
    offset: int,
) -> Page[BookingView]:
    """A page of these associations' bookings that the caller may see: those not yet ended
    (by start), or those ended (latest first), and how many there are."""
    ended = Booking.ends_at <= now.astimezone(UTC)
    when = Booking.ends_at > now.astimezone(UTC) if upcoming else ended
    where = visible_to(principal) & Booking.association.is_in(association_ids or [-1]) & when
    total = await Booking.count().where(where)
    query = Booking.select(*FIELDS).where(where)
    query = query.order_by(Booking.starts_at, Booking.id, ascending=upcoming)
    return Page(await views(await query.limit(limit).offset(offset)), total)
