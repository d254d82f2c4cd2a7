"""Writes of bookings, their items (holds) and series: new ones, edits, status changes and
new instants. Plain multi-row SQL where it is the booking hot path."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.querystring import QueryString

from hub_booking.db import audit
from hub_booking.db.bookings import as_view
from hub_booking.db.engine import is_sqlite
from hub_booking.db.tables import Booking, BookingItem, Series
from hub_booking.domain.bookings import BookingView, Item
from hub_booking.domain.model import HOLDING, BookingStatus, Hold, ResourceInfo
from hub_booking.domain.verdict import wanted_holds
from hub_booking.domain.wallclock import Slot


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
