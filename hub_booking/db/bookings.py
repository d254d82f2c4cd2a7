"""Reads and writes of bookings, their items (holds) and series; domain types out.

Visibility is a query condition (``visible_to``): a booking the caller may not see is never
loaded, so "not yours" and "does not exist" answer alike.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.custom_types import Combinable
from piccolo.querystring import QueryString

from hub_booking.db import audit
from hub_booking.db.engine import is_sqlite
from hub_booking.db.tables import Booking, BookingItem, Series
from hub_booking.domain.bookings import BookingView, Decision, Item
from hub_booking.domain.model import (
    HOLDING,
    BookingStatus,
    Hold,
    Page,
    Principal,
    ResourceInfo,
)
from hub_booking.domain.verdict import wanted_holds
from hub_booking.domain.wallclock import Slot

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
class NewBooking:
    association_id: int
    requested_by: int
    hub_id: int
    title: str
    purpose: str
    attendees: int
    timezone: str
    status: BookingStatus
    override: bool
    items: dict[int, int]


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


async def insert_series(
    new: NewBooking, rrule: str, first: Slot, on_conflict: str, now: datetime
) -> int:
    minutes = int((first.local_end - first.local_start).total_seconds() // 60)
    row = Series(
        hub=new.hub_id,
        association=new.association_id,
        rrule=rrule,
        timezone=new.timezone,
        first_local_start=first.local_start,
        duration_minutes=minutes,
        on_conflict=on_conflict,
        created_at=now,
    )
    return (await Series.insert(row).returning(Series.id))[0]["id"]


async def insert_bookings(
    new: NewBooking,
    slots: list[Slot],
    resources: dict[int, ResourceInfo],
    now: datetime,
    series_id: int | None = None,
    *,
    record: audit.Entry | None = None,
) -> list[BookingView]:
    """One booking per slot with its items (holds with buffers); returns them in order. With
    ``record``, the audit row about the first of them.

    Plain multi-row inserts (building them through the ORM cost more than running them):
    on PostgreSQL all in one statement, on SQLite one each."""
    rows = [_new_row(new, slot, series_id, now) for slot in slots]
    items = [
        _item(row["uid"], hold, resources, new.status in HOLDING)
        for row, slot in zip(rows, slots, strict=True)
        for hold in wanted_holds(slot, new.items, resources, None)
    ]
    if is_sqlite():
        ids = await _insert_each(rows, items, record)
    else:
        ids = await _insert_together(rows, items, record)
    for row in rows:
        row["id"] = ids[row["uid"]]
    ordered = [Item(r, q) for r, q in sorted(new.items.items())]
    return [as_view(row, ordered) for row in rows]


async def _insert_each(
    rows: list[dict[str, Any]], items: list[dict[str, Any]], record: audit.Entry | None
) -> dict[str, int]:
    """SQLite (no data-modifying WITH): the bookings, then their items and the audit row."""
    found = await BookingItem.raw("{}", _values("booking", rows, " RETURNING id, uid"))
    ids = {row["uid"]: row["id"] for row in found}  # SQLite returns rows in no set order
    by_id = [{**item, "booking": ids[item["booking"]]} for item in items]
    await BookingItem.raw("{}", _values("booking_item", by_id))
    if record is not None:
        await BookingItem.raw("{}", audit.statement(record, ids[rows[0]["uid"]]))
    return ids


async def _insert_together(
    rows: list[dict[str, Any]],
    items: list[dict[str, Any]],
    record: audit.Entry | None,
) -> dict[str, int]:
    """PostgreSQL: the bookings, their items and the audit row in one round trip (a
    data-modifying WITH); the others find the new bookings by uid in ``b``."""

    def booking_of(uid: str) -> QueryString:
        return QueryString("(SELECT id FROM b WHERE uid = {})", uid)

    parts = [
        _values("booking", rows, " RETURNING id, uid"),
        _values(
            "booking_item", [{**item, "booking": booking_of(item["booking"])} for item in items]
        ),
    ]
    if record is not None:
        parts.append(audit.statement(record, booking_of(rows[0]["uid"])))
    template = "WITH b AS ({})" + "".join(f", w{n} AS ({{}})" for n in range(1, len(parts)))
    found = await BookingItem.raw(template + " SELECT id, uid FROM b", *parts)
    return {row["uid"]: row["id"] for row in found}


def _new_row(new: NewBooking, slot: Slot, series_id: int | None, now: datetime) -> dict[str, Any]:
    return {
        "uid": f"{uuid.uuid4()}@hub-booking",
        "association": new.association_id,
        "requested_by": new.requested_by,
        "hub": new.hub_id,
        "series": series_id,
        "title": new.title,
        "purpose": new.purpose,
        "attendees": new.attendees,
        "local_start": slot.local_start,
        "local_end": slot.local_end,
        "timezone": new.timezone,
        "starts_at": slot.start.astimezone(UTC),
        "ends_at": slot.end.astimezone(UTC),
        "status": str(new.status),
        "override": new.override,
        "revision": 0,
        "decided_by": None,
        "decided_at": None,
        "decision_reason": "",
        "created_at": now,
        "updated_at": now,
    }


def _values(table: str, rows: list[dict[str, Any]], suffix: str = "") -> QueryString:
    """One INSERT of rows (dicts with the same keys; a value may be SQL)."""
    columns = list(rows[0])
    one = "(" + ", ".join("{}" for _ in columns) + ")"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join(one for _ in rows)
    return QueryString(sql + suffix, *(row[column] for row in rows for column in columns))


def _item(
    booking: int | str, hold: Hold, resources: dict[int, ResourceInfo], holding: bool
) -> dict[str, Any]:
    """An item row; ``booking`` is the booking's id, or its uid until the id is known."""
    return {
        "booking": booking,
        "resource": hold.resource_id,
        "quantity": hold.quantity,
        "hold_start": hold.start.astimezone(UTC),
        "hold_end": hold.end.astimezone(UTC),
        "holding": holding,
        "exclusive": resources[hold.resource_id].is_space,
    }


async def update_booking(
    booking: BookingView,
    changes: dict[str, Any],
    holds: list[Hold] | None,
    resources: dict[int, ResourceInfo],
    now: datetime,
) -> None:
    """Write an edit (field -> value), and when given, the booking's new holds."""
    values: dict[Any, Any] = {getattr(Booking, name): value for name, value in changes.items()}
    values.update({Booking.updated_at: now, Booking.revision: Booking.revision + 1})
    await Booking.update(values).where(Booking.id == booking.id)
    if holds is not None:
        status = changes.get("status", booking.status)
        await BookingItem.delete().where(BookingItem.booking == booking.id)
        if holds:
            items = [_item(booking.id, h, resources, status in HOLDING) for h in holds]
            await BookingItem.raw("{}", _values("booking_item", items))


async def set_status(
    booking_ids: list[int], status: BookingStatus, now: datetime, **decision: Any
) -> None:
    """Change status (and holding) of bookings, bumping their revision."""
    values: dict[Any, Any] = {
        Booking.status: status,
        Booking.updated_at: now,
        Booking.revision: Booking.revision + 1,
    }
    for key, value in decision.items():
        values[getattr(Booking, key)] = value
    await Booking.update(values).where(Booking.id.is_in(booking_ids))
    await BookingItem.update({BookingItem.holding: status in HOLDING}).where(
        BookingItem.booking.is_in(booking_ids)
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


async def retime(
    booking_id: int, start: datetime, end: datetime, holds: list[Hold], now: datetime
) -> None:
    """Give a booking new instants (its wall clock unchanged) and its holds, a new revision."""
    await Booking.update(
        {
            Booking.starts_at: start,
            Booking.ends_at: end,
            Booking.revision: Booking.revision + 1,
            Booking.updated_at: now,
        }
    ).where(Booking.id == booking_id)
    for hold in holds:
        await BookingItem.update(
            {BookingItem.hold_start: hold.start, BookingItem.hold_end: hold.end}
        ).where((BookingItem.booking == booking_id) & (BookingItem.resource == hold.resource_id))


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
