"""The hub calendar's one read: every holding booking of the shown resources over the shown
window, once per resource it holds, as plain values (the calendar decides what its reader
may see)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub_booking.db.bookings import naive
from hub_booking.db.engine import among, is_sqlite
from hub_booking.db.tables import BookingItem
from hub_booking.domain.calendar import Entry as CalendarEntry
from hub_booking.domain.model import BookingStatus, display_name

# SQLite hands every value of a declared column to Piccolo's converter (a Decimal per
# integer, a parse per timestamp): the calendar's hundreds of rows are read as expressions,
# which come back as the plain ints and text they are.
_CALENDAR_COLUMNS = (
    ("i.resource", "resource", True),
    ("i.quantity", "quantity", True),
    ("b.id", "id", True),
    ("b.association", "association", True),
    ("a.name_fr", "name_fr", False),  # read for a manager of the hub only (see ``names``)
    ("a.name_ar", "name_ar", False),
    ("b.title", "title", False),
    ("b.status", "status", False),
    ("b.local_start", "local_start", False),
    ("b.local_end", "local_end", False),
)
# PostgreSQL, pricing a cold disk, would rather hash the whole booking table than look up a
# few hundred bookings by id: a lateral subquery with a LIMIT keeps it to the lookups.
_CALENDAR_FROM = {
    True: " FROM booking_item i JOIN booking b ON b.id = i.booking",
    False: " FROM booking_item i CROSS JOIN LATERAL (SELECT id, association, title, status,"
    " local_start, local_end, revision, updated_at FROM booking WHERE id = i.booking LIMIT 1) b",
}
_CALENDAR_LOOKBACK = timedelta(days=1)


def _calendar_head(names: bool, columns: tuple[tuple[str, str, bool], ...]) -> str:
    """The columns and joins of every part of the calendar's query; without ``names``, the
    associations' rows are not read (nobody is shown another association's name)."""
    sqlite, selected = is_sqlite(), []
    for expression, alias, number in columns:
        if expression.startswith("a.") and not names:
            selected.append(f"'' AS {alias}")
        elif sqlite:
            plain = "+ 0" if number else "|| ''"
            selected.append(f"{expression} {plain} AS {alias}")
        else:
            selected.append(f"{expression} AS {alias}")
    joins = _CALENDAR_FROM[sqlite]
    if names:
        joins += " JOIN association a ON a.id = b.association"
    return f"SELECT {', '.join(selected)}{joins} WHERE "


def _calendar_query(
    rooms: list[int],
    pools: list[int],
    start: datetime,
    end: datetime,
    names: bool,
    columns: tuple[tuple[str, str, bool], ...] = _CALENDAR_COLUMNS,
) -> tuple[str, list[Any]]:
    """The SQL and arguments of ``calendar_entries``: rooms' holds that began at most a day
    before ``start``, plus each room's last earlier hold (the only one that may still run:
    a room's holds never overlap); pools' holds over the window."""
    head, parts = _calendar_head(names, columns), []
    args: list[Any] = []
    if rooms:
        listed, ids = among(rooms)
        lookback = start - _CALENDAR_LOOKBACK
        parts.append(
            f"{head}i.holding AND i.resource IN {listed} AND i.hold_start >= {{}}"
            " AND i.hold_start < {} AND i.hold_end > {}"
        )
        parts.append(
            f"{head}i.id IN (SELECT (SELECT j.id FROM booking_item j WHERE j.holding"
            " AND j.resource = r.id AND j.hold_start < {} ORDER BY j.hold_start DESC LIMIT 1)"
            f" FROM resource r WHERE r.id IN {listed}) AND i.hold_end > {{}}"
        )
        args += [*ids, lookback, end, start, lookback, *ids, start]
    if pools:
        listed, ids = among(pools)
        parts.append(
            f"{head}i.holding AND i.resource IN {listed} AND i.hold_start < {{}}"
            " AND i.hold_end > {}"
        )
        args += [*ids, end, start]
    return " UNION ALL ".join(parts), args


async def calendar_entries(
    rooms: list[int],
    pools: list[int],
    start: datetime,
    end: datetime,
    language: str,
    *,
    names: bool = True,
) -> list[CalendarEntry]:
    """Every holding booking of these rooms (single-unit spaces) and equipment pools that
    overlaps ``[start, end)``, once per resource it holds, with its association's name: one
    query, whatever the number, that reads the rooms' holds around the window only (not
    every hold since the hub opened).

    Nothing is masked here: the calendar decides what its reader may see. Without
    ``names`` (a reader who sees no association's name), association names are left empty."""
    if not (rooms or pools):
        return []
    utc_start, utc_end = start.astimezone(UTC), end.astimezone(UTC)
    sql, args = _calendar_query(rooms, pools, utc_start, utc_end, names)
    return [
        CalendarEntry(
            int(r["id"]),
            int(r["resource"]),
            int(r["quantity"]),
            int(r["association"]),
            display_name(r["name_fr"], r["name_ar"], language),
            r["title"],
            _STATUSES[r["status"]],
            naive(r["local_start"]),
            naive(r["local_end"]),
        )
        for r in await BookingItem.raw(sql, *args)
    ]


_STATUSES = {str(status): status for status in BookingStatus}

# What changes whenever a booking the calendar shows changes (as a feed's fingerprint): a
# new or moved booking has the latest ``updated_at``, any change bumps a ``revision``, one
# that leaves the window lowers the count.
_VERSION_COLUMNS = (
    ("b.id", "id", True),
    ("b.revision", "revision", True),
    ("b.updated_at", "updated_at", False),
)
_VERSION = (
    "SELECT count(*) AS n, max(updated_at) AS last_change, sum(revision) AS revisions,"
    " sum(id) AS ids FROM ({}) held"
)


async def calendar_version(
    rooms: list[int], pools: list[int], start: datetime, end: datetime
) -> tuple[object, ...]:
    """The fingerprint of what ``calendar_entries`` would read (without names): equal
    fingerprints, equal entries. One query that reads no booking's text."""
    if not (rooms or pools):
        return ()
    utc_start, utc_end = start.astimezone(UTC), end.astimezone(UTC)
    sql, args = _calendar_query(rooms, pools, utc_start, utc_end, False, _VERSION_COLUMNS)
    row = (await BookingItem.raw(_VERSION.replace("{}", sql, 1), *args))[0]
    return (row["n"], str(row["last_change"]), row["revisions"], row["ids"])
