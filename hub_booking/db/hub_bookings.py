"""A hub's bookings as its managers see them: the requests waiting (with what a decision
weighs: series, quota use, competing requests), the day at the front desk with check-ins,
and the bookings a change of the hub's rules or a closure would hit. Reads and writes,
rows in, domain types out (``db.bookings`` holds one booking's own reads and writes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.custom_types import Combinable

from hub_booking.db.bookings import (
    FIELDS,
    HOLDING_STATUSES,
    as_view,
    for_update,
    naive,
    views,
    visible_to,
)
from hub_booking.db.engine import is_sqlite
from hub_booking.db.tables import Booking, BookingItem
from hub_booking.domain.bookings import BookingView, Item
from hub_booking.domain.model import BookingStatus, Principal


async def pending_count(principal: Principal) -> int:
    """How many pending requests wait in the hubs the caller manages (all hubs for an admin)."""
    return await Booking.count().where(
        (Booking.status == BookingStatus.PENDING) & _managed(principal)
    )


def _managed(principal: Principal) -> Combinable:
    """The bookings of the hubs the caller manages (all for an admin)."""
    if principal.is_platform_admin:
        return Booking.id > 0
    return Booking.hub.is_in(list(principal.managed_hubs) or [-1])


@dataclass(frozen=True)
class Pending:
    """A page of a hub's pending requests, and what the queue names of them: each one's
    place in its series, its resources' and association's names (French, Arabic)."""

    items: list[BookingView]
    total: int  # the hub's pending requests, all pages
    places: dict[int, tuple[int, int]]  # booking -> (its place, the series' size)
    resources: dict[int, tuple[str, str]]
    associations: dict[int, tuple[str, str]]


@dataclass(frozen=True)
class Competitor:
    """Another pending request holding a resource of a listed request at an overlapping time."""

    booking_id: int  # the listed request
    other_id: int
    resource_id: int
    title: str
    association_id: int
    association: tuple[str, str]  # (name_fr, name_ar)
    local_start: datetime
    local_end: datetime


_COLUMNS = ", ".join(f"b.{column._meta.db_column_name}" for column in FIELDS)
# One statement for the whole page, so the page costs one round trip: the count joined to
# the page's requests (the count comes back even for an empty page), their items with the
# resources' names, the association's names and, for a series, the place and size
# (occurrences counted by start whatever their status).
_PENDING_PAGE = (
    f"SELECT t.total AS total, {_COLUMNS}, i.resource AS item_resource, "
    "i.quantity AS item_quantity, r.name_fr AS resource_fr, r.name_ar AS resource_ar, "
    "a.name_fr AS association_fr, a.name_ar AS association_ar, "
    "(SELECT COUNT(*) FROM booking s WHERE s.series = b.series AND (s.starts_at < b.starts_at"
    " OR (s.starts_at = b.starts_at AND s.id <= b.id))) AS place, "
    "(SELECT COUNT(*) FROM booking s WHERE s.series = b.series) AS size "
    "FROM (SELECT COUNT(*) AS total FROM booking WHERE hub = {} AND status = 'pending') t "
    "LEFT JOIN (SELECT * FROM booking WHERE hub = {} AND status = 'pending'%s "
    "ORDER BY starts_at, id LIMIT {} OFFSET {}) b ON TRUE "
    "LEFT JOIN booking_item i ON i.booking = b.id LEFT JOIN resource r ON r.id = i.resource "
    "LEFT JOIN association a ON a.id = b.association ORDER BY b.starts_at, b.id, i.resource"
)


async def pending_of_hub(
    hub_id: int, limit: int, offset: int, *, booking_id: int | None = None
) -> Pending:
    """A page of the hub's pending requests, by start (only ``booking_id`` if given), how
    many there are, and their names and series places, in one query."""
    only, args = ("", []) if booking_id is None else (" AND id = {}", [booking_id])
    rows = await Booking.raw(_PENDING_PAGE % only, hub_id, hub_id, *args, limit, offset)
    firsts: dict[int, dict[str, Any]] = {}
    items: dict[int, list[Item]] = {}
    resources: dict[int, tuple[str, str]] = {}
    for row in rows:
        if row["id"] is None:  # the count alone: an empty page
            continue
        firsts.setdefault(row["id"], row)
        items.setdefault(row["id"], [])
        if row["item_resource"] is not None:
            items[row["id"]].append(Item(row["item_resource"], row["item_quantity"]))
            resources[row["item_resource"]] = (row["resource_fr"] or "", row["resource_ar"] or "")
    return Pending(
        [as_view(row, items[i]) for i, row in firsts.items()],
        int(rows[0]["total"]) if rows else 0,
        {
            i: (int(r["place"]), int(r["size"]))
            for i, r in firsts.items()
            if r["series"] is not None
        },
        resources,
        {
            r["association"]: (r["association_fr"] or "", r["association_ar"] or "")
            for r in firsts.values()
        },
    )


async def names_of(
    resource_ids: list[int], association_ids: list[int]
) -> tuple[dict[int, tuple[str, str]], dict[int, tuple[str, str]]]:
    """(name_fr, name_ar) of these resources and of these associations, in one query."""
    sql = (
        "SELECT 'r' AS kind, id, name_fr, name_ar FROM resource "
        f"WHERE id IN ({_ids(resource_ids)}) UNION ALL "
        "SELECT 'a' AS kind, id, name_fr, name_ar FROM association "
        f"WHERE id IN ({_ids(association_ids)})"
    )
    found: dict[str, dict[int, tuple[str, str]]] = {"r": {}, "a": {}}
    for row in await Booking.raw(sql):
        found[row["kind"]][int(row["id"])] = (row["name_fr"] or "", row["name_ar"] or "")
    return found["r"], found["a"]


async def of_hub(principal: Principal, booking_ids: list[int], hub_id: int) -> set[int]:
    """Those of these bookings that belong to the hub and that the caller may see."""
    rows = await Booking.select(Booking.id).where(
        Booking.id.is_in(booking_ids or [-1]) & (Booking.hub == hub_id) & visible_to(principal)
    )
    return {row["id"] for row in rows}


def _ids(values: list[int]) -> str:
    return ", ".join(str(int(v)) for v in values) or "-1"


def _minutes() -> str:
    if is_sqlite():
        return "(julianday(ends_at) - julianday(starts_at)) * 1440"
    # ``date_part`` is double precision; ``EXTRACT`` is numeric since PostgreSQL 14, slower
    # to sum over a month of bookings.
    return "date_part('epoch', ends_at - starts_at) / 60"


async def held_minutes(
    hub_id: int, association_ids: list[int], periods: list[tuple[datetime, datetime]]
) -> dict[int, list[int]]:
    """Minutes each of these associations holds (pending or approved) at the hub in each of
    these wall-clock periods (by local start), in one query: association -> one sum a period.

    One pass over the covering index ``booking_hub_status_start``, a sum per period, grouped
    by association alone (grouping by computed weeks cost several times more)."""
    if not association_ids or not periods:
        return {}
    minutes, sums, args = _minutes(), [], list[Any]()
    for index, (start, end) in enumerate(periods):
        period = "local_start >= {} AND local_start < {}"
        sums.append(f"SUM(CASE WHEN {period} THEN {minutes} END) AS p{index}")
        args += [start, end]
    first, last = min(p[0] for p in periods), max(p[1] for p in periods)
    # The indexed UTC start, widened by a day (no zone is that far from UTC), then the
    # exact wall-clock window.
    args += [hub_id, (first - timedelta(days=1)).replace(tzinfo=UTC)]
    args += [(last + timedelta(days=1)).replace(tzinfo=UTC), first, last]
    sql = (
        f"SELECT association, {', '.join(sums)} FROM booking WHERE hub = {{}} "
        "AND status IN ('pending', 'approved') "
        f"AND association IN ({_ids(association_ids)}) AND starts_at >= {{}} AND starts_at < {{}} "
        "AND local_start >= {} AND local_start < {} GROUP BY association"
    )
    found = {}
    for row in await Booking.raw(sql, *args):
        found[int(row["association"])] = [
            round(float(row[f"p{i}"] or 0)) for i in range(len(periods))
        ]
    return found


async def pending_competitors(
    hub_id: int, booking_ids: list[int], start: datetime, end: datetime
) -> list[Competitor]:
    """Other pending requests holding a resource of these requests over an overlapping
    period (buffers included), by start, in one query. The caller bounds the search: every
    such request starts before ``end`` and ends after ``start`` (UTC)."""
    if not booking_ids:
        return []
    # The hub's pending holds in the window, read once through the hub's index (both
    # engines then plan the same small join, whatever the size of the booking table).
    sql = (
        "WITH h AS (SELECT i.booking AS booking, i.resource AS resource, "
        "i.hold_start AS hold_start, i.hold_end AS hold_end FROM booking o "
        "JOIN booking_item i ON i.booking = o.id WHERE o.hub = {} AND o.status = 'pending' "
        "AND o.starts_at < {} AND o.ends_at > {} AND i.holding) "
        "SELECT a.booking AS booking, b.booking AS other, b.resource AS resource, "
        "o.title AS title, o.association AS association, n.name_fr AS name_fr, "
        "n.name_ar AS name_ar, o.local_start AS local_start, o.local_end AS local_end "
        "FROM h a JOIN h b ON b.resource = a.resource AND b.booking <> a.booking "
        "AND b.hold_start < a.hold_end AND b.hold_end > a.hold_start "
        "JOIN booking o ON o.id = b.booking JOIN association n ON n.id = o.association "
        f"WHERE a.booking IN ({_ids(booking_ids)}) ORDER BY o.starts_at, o.id"
    )
    rows = await Booking.raw(sql, hub_id, end.astimezone(UTC), start.astimezone(UTC))
    return [
        Competitor(
            int(r["booking"]),
            int(r["other"]),
            int(r["resource"]),
            str(r["title"]),
            int(r["association"]),
            (str(r["name_fr"]), str(r["name_ar"])),
            naive(r["local_start"]),
            naive(r["local_end"]),
        )
        for r in rows
    ]


async def lock_pending(
    principal: Principal, booking_ids: list[int], hub_id: int | None = None
) -> list[int]:
    """Those of these bookings still pending in hubs the caller manages (of ``hub_id`` only,
    if given), locked until the transaction ends, in id order (two batches never deadlock).

    PostgreSQL re-reads the status of a row it waited for: one decided meanwhile drops out."""
    where = Booking.id.is_in(booking_ids or [-1]) & (Booking.status == BookingStatus.PENDING)
    where &= _managed(principal)
    if hub_id is not None:
        where &= Booking.hub == hub_id
    query = Booking.select(Booking.id).where(where).order_by(Booking.id)
    return [row["id"] for row in await for_update(query)]


async def views_of_hub(booking_ids: list[int], hub_id: int) -> dict[int, BookingView]:
    """These bookings of the hub, by id (two queries)."""
    where = Booking.id.is_in(booking_ids or [-1]) & (Booking.hub == hub_id)
    return {view.id: view for view in await views(await Booking.select(*FIELDS).where(where))}


async def day_of_hub(
    hub_id: int, local_from: datetime, local_to: datetime
) -> list[tuple[BookingView, str]]:
    """The hub's holding bookings overlapping a wall-clock period, by start, each with the
    name of whoever checked it in ("" if nobody)."""
    utc_from = (local_from - timedelta(days=1)).replace(tzinfo=UTC)
    utc_to = (local_to + timedelta(days=1)).replace(tzinfo=UTC)
    where = (
        (Booking.hub == hub_id)
        & Booking.status.is_in(HOLDING_STATUSES)
        & (Booking.starts_at < utc_to)
        & (Booking.ends_at > utc_from)
        & (Booking.local_start < local_to)
        & (Booking.local_end > local_from)
    )
    return await _visits(where)


async def visit_of_hub(hub_id: int, booking_id: int) -> list[tuple[BookingView, str]]:
    """One booking of the hub as ``day_of_hub`` gives it (none if it is not the hub's)."""
    return await _visits((Booking.hub == hub_id) & (Booking.id == booking_id))


async def _visits(where: Combinable) -> list[tuple[BookingView, str]]:
    checker = Booking.checked_in_by.name.as_alias("checker_name")
    rows = await (
        Booking.select(*FIELDS, checker).where(where).order_by(Booking.local_start, Booking.id)
    )
    found = await views(rows)
    return [(view, row["checker_name"] or "") for view, row in zip(found, rows, strict=True)]


async def set_check_in(booking_id: int, user_id: int | None, now: datetime | None) -> bool:
    """Record (or with None, undo) a check-in; only the first check-in is kept. Whether the
    row changed."""
    where: Combinable = Booking.id == booking_id
    where &= Booking.checked_in_at.is_null() if now else Booking.checked_in_at.is_not_null()
    rows = await (
        Booking.update(
            {
                Booking.checked_in_at: now.astimezone(UTC) if now else None,
                Booking.checked_in_by: user_id,
            }
        )
        .where(where)
        .returning(Booking.id)
    )
    return bool(rows)


# Hub settings, resources and closures (manager pages): the bookings a change would hit ----


async def holding_of_hub(
    hub_id: int,
    since: datetime,
    *,
    resource_id: int | None = None,
    until: datetime | None = None,
    lock: bool = False,
) -> list[tuple[BookingView, str, str]]:
    """The hub's holding bookings that end after ``since`` (and start before ``until``; of
    one resource when given), by start, each with its association's French and Arabic
    names; locked until the transaction ends with ``lock``. Two queries, whatever the number."""
    where = (
        (Booking.hub == hub_id)
        & Booking.status.is_in(HOLDING_STATUSES)
        & (Booking.ends_at > since.astimezone(UTC))
    )
    if until is not None:
        where &= Booking.starts_at < until.astimezone(UTC)
    if resource_id is not None:
        where &= Booking.id.is_in(
            BookingItem.select(BookingItem.booking).where(BookingItem.resource == resource_id)
        )
    names = (
        Booking.association.name_fr.as_alias("association_fr"),
        Booking.association.name_ar.as_alias("association_ar"),
    )
    query = Booking.select(*FIELDS, *names).where(where).order_by(Booking.starts_at, Booking.id)
    rows = await (for_update(Booking.select(Booking.id).where(where)) if lock else query)
    if lock:  # PostgreSQL refuses FOR UPDATE with the join of the names: lock, then read
        rows = await query
    items: dict[int, list[Item]] = {row["id"]: [] for row in rows}
    for item in await BookingItem.select(
        BookingItem.booking, BookingItem.resource, BookingItem.quantity
    ).where(BookingItem.booking.is_in(Booking.select(Booking.id).where(where))):
        if item["booking"] in items:
            items[item["booking"]].append(Item(item["resource"], item["quantity"]))
    return [
        (as_view(row, items[row["id"]]), row["association_fr"], row["association_ar"])
        for row in rows
    ]
