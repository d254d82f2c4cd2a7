"""Calendar feeds' content: the bookings a feed holds, their fingerprint, and the names
they mention (the tokens are in ``db.feed_tokens``).

A feed's bookings are chosen by one condition (``_in_feed``) that both the fingerprint
(answering 304) and the full read use, so the two never disagree. Hub and resource feeds
show every booking there, and the service decides what of each is told; association and
"me" feeds hold their own bookings, read only by their members. Every read is a fixed number
of queries, whatever the number of events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from piccolo.custom_types import Combinable
from piccolo.querystring import QueryString

from hub_booking.db import feed_tokens
from hub_booking.db.bookings import FIELDS, as_view, visible_to
from hub_booking.db.engine import is_sqlite
from hub_booking.db.feed_tokens import Reader
from hub_booking.db.tables import Booking, BookingItem, FeedScope, Hub
from hub_booking.domain.bookings import BookingView, Item
from hub_booking.domain.model import HOLDING, Principal

_HOLDING = sorted(str(s) for s in HOLDING)


@dataclass(frozen=True)
class Selection:
    """The bookings of a feed: its scope, its owner and its window (UTC)."""

    scope: FeedScope
    scope_id: int | None
    user_id: int  # the owner: a "me" feed holds their associations' bookings
    start: datetime
    end: datetime
    cancelled_since: datetime  # cancelled, rejected or expired ones changed after this


@dataclass(frozen=True)
class Fingerprint:
    """What changes whenever a feed's bookings change (without reading them)."""

    count: int
    last_change: datetime | None
    revisions: int
    ids: int


@dataclass(frozen=True)
class Names:
    """Names of the hubs, resources and associations some bookings mention: (fr, ar)."""

    hubs: dict[int, tuple[str, str]]
    resources: dict[int, tuple[str, str, bool]]  # and whether it is a space
    associations: dict[int, tuple[str, str]]


class FeedRow(NamedTuple):
    """A booking as a feed writes it. Its instants are whole seconds since the epoch, as
    text: thousands of them cost nothing until an event is written (most events of a feed
    built again were written before, see ``services.feed_content``)."""

    id: int
    uid: str
    association_id: int
    hub_id: int
    title: str
    status: str
    revision: int
    start: str
    end: str
    created: str
    modified: str
    items: tuple[Item, ...]
    source: str  # the record it was read from: equal records, equal rows


def _in_feed(s: Selection) -> QueryString:
    """The one condition of a feed's bookings (its scope, its window, cancelled ones for a
    while), for the fingerprint and the reads alike."""
    window = QueryString(
        "booking.ends_at > {} AND booking.starts_at < {} "
        f"AND (booking.status IN ({', '.join(['{}'] * len(_HOLDING))}) "
        "OR (booking.updated_at > {} AND booking.status <> 'offered'))",  # no waitlist holds
        s.start.astimezone(UTC),
        s.end.astimezone(UTC),
        *_HOLDING,
        s.cancelled_since.astimezone(UTC),
    )
    return QueryString("{} AND {}", window, _in_scope(s))


def _in_scope(s: Selection) -> QueryString:
    """The scope's bookings. An association feed is only read by the association's members
    (and platform admins), who see all its bookings; a "me" feed holds those of the owner's
    associations, read from their memberships in the same query (so that the token, its
    owner's rights and the fingerprint can be one query, see ``opened``)."""
    if s.scope == FeedScope.HUB:
        return QueryString("booking.hub = {}", s.scope_id)
    if s.scope == FeedScope.ASSOCIATION:
        return QueryString("booking.association = {}", s.scope_id)
    if s.scope == FeedScope.RESOURCE:
        column, ids = (
            "booking.id",
            "SELECT held.booking FROM booking_item held WHERE held.resource = {}",
        )
        value = s.scope_id
    else:
        column, ids = (
            "booking.association",
            'SELECT m.association FROM membership m WHERE m."user" = {}',
        )
        value = s.user_id
    # PostgreSQL hashes an IN (subquery) against a scan of every booking; an array of the
    # room's bookings (or the owner's associations) lets it fetch them by index instead.
    shape = "{} IN ({})" if is_sqlite() else "{} = ANY(ARRAY({}))"
    return QueryString(shape.format(column, ids), value)


_FINGERPRINT = (
    "SELECT count(*) AS n, max(booking.updated_at) AS last_change, "
    "sum(booking.revision) AS revisions, sum(booking.id) AS ids FROM booking WHERE {}"
)
# The token's row (``db.feed_tokens.reader``) and, beside it, the fingerprint of a scope
# already known for that token: a token never changes scope or owner.
_OPENED = (", fp.n, fp.last_change, fp.revisions, fp.ids", f"CROSS JOIN ({_FINGERPRINT}) fp")


async def fingerprint(selection: Selection) -> Fingerprint:
    """The count, last change, sum of revisions and of ids of a feed's bookings: one
    query, whatever their number."""
    return _fingerprint((await Booking.raw(_FINGERPRINT, _in_feed(selection)))[0])


async def opened(token_hash: str, selection: Selection) -> tuple[Reader, Fingerprint] | None:
    """The live token of that hash, its owner and place (``feed_tokens.reader``), with the
    fingerprint of ``selection``, the token's scope known from an earlier read: one query
    for a feed request, 304s included (None: no such live token)."""
    sql = feed_tokens.reader_sql(*_OPENED)
    found = await Booking.raw(sql, _in_feed(selection), token_hash)
    return (feed_tokens.as_reader(found[0]), _fingerprint(found[0])) if found else None


def _fingerprint(row: dict[str, Any]) -> Fingerprint:
    return Fingerprint(
        int(row["n"] or 0),
        _instant(row["last_change"]),
        int(row["revisions"] or 0),
        int(row["ids"] or 0),
    )


def _instant(value: datetime | str | None) -> datetime | None:
    """SQLite answers an aggregate of timestamps as the stored text."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


# A feed's bookings come as one text, one record per booking (by start), its fields
# separated by the ASCII unit and record separators, which no text written to a calendar
# holds (titles lose them here; ``ical`` drops every control character anyway). Thousands of
# rows through the driver and into Python cost more than the query: one text and two
# ``split`` calls cost little. Instants come as whole seconds since the epoch (truncated, as
# calendars write them; SQLite reads the stored offset, PostgreSQL needs no zone data for an
# epoch), much cheaper there than formatted.
_UNIT, _RECORD = "\x1f", "\x1e"
_FIELDS = 12
# SQLite keeps timestamps as text (``2027-02-09 14:00:00.123456+00:00``) and parses them to
# the millisecond, rounding: its fraction is dropped first, the offset kept.
_EPOCH_SQLITE = "strftime('%s', substr(booking.{0}, 1, 19) || substr(booking.{0}, -6))"
_EPOCH_POSTGRES = "floor(date_part('epoch', booking.{}))::bigint"
_INSTANTS = ("starts_at", "ends_at", "created_at", "updated_at")
_HELD = (
    "(SELECT {agg}(i.resource || ':' || i.quantity, ',') FROM booking_item i "
    "WHERE i.booking = booking.id)"
)
_ORDER = "booking.starts_at, booking.id"


def _feed_sql() -> str:
    sqlite = is_sqlite()
    char, agg = ("char", "group_concat") if sqlite else ("chr", "string_agg")
    unit, record = f"{char}(31)", f"{char}(30)"
    instant = _EPOCH_SQLITE if sqlite else _EPOCH_POSTGRES
    fields = [f"booking.{c}" for c in ("id", "association", "hub", "revision", "uid")]
    fields.append(f"replace(replace(booking.title, {unit}, ''), {record}, '')")
    fields.append("booking.status")
    fields += [instant.format(column) for column in _INSTANTS]
    fields.append(f"coalesce({_HELD.format(agg=agg)}, '')")
    row = f" || {unit} || ".join(fields)
    if sqlite:  # SQLite 3.40 has no ORDER BY inside an aggregate: it keeps a subquery's order
        return (
            f"SELECT group_concat(r, {record}) AS feed FROM "
            f"(SELECT {row} AS r FROM booking WHERE {{}} ORDER BY {_ORDER})"
        )
    return f"SELECT string_agg({row}, {record} ORDER BY {_ORDER}) AS feed FROM booking WHERE {{}}"


async def bookings(selection: Selection) -> list[FeedRow]:
    """The feed's bookings by start, with their items: one query however many."""
    found = await Booking.raw(_feed_sql(), _in_feed(selection))
    text = found[0]["feed"] if found else None
    if not text:
        return []
    held: dict[str, tuple[Item, ...]] = {}  # thousands of bookings, a handful of item sets
    numbers: dict[str, int] = {}  # associations and hubs: a handful too
    rows = []
    for record in text.split(_RECORD):
        f = record.split(_UNIT)
        if len(f) != _FIELDS:  # a UID holding a separator: never written by this app
            raise ValueError(f"unreadable feed record of booking {f[0]}")
        items = held.get(f[11])
        if items is None:
            items = held[f[11]] = _parse_items(f[11])
        association = numbers.get(f[1]) or numbers.setdefault(f[1], int(f[1]))
        hub = numbers.get(f[2]) or numbers.setdefault(f[2], int(f[2]))
        instants = (f[7], f[8], f[9], f[10])
        rows.append(
            FeedRow(
                int(f[0]), f[4], association, hub, f[5], f[6], int(f[3]), *instants, items, record
            )
        )
    return rows


def _parse_items(text: str) -> tuple[Item, ...]:
    """``resource:quantity,...`` as items by resource."""
    found = []
    for part in text.split(",") if text else ():
        resource, _, quantity = part.partition(":")
        found.append(Item(int(resource), int(quantity)))
    return tuple(sorted(found, key=lambda i: i.resource_id))


_ITEMS = (
    "SELECT {aggregate}(booking_item.booking || ':' || booking_item.resource || ':' "
    "|| booking_item.quantity, ',') AS items FROM booking_item "
    "WHERE booking_item.booking IN (SELECT booking.id FROM booking WHERE {{}})"
)


async def _items(where: QueryString) -> dict[int, list[Item]]:
    """The items of the bookings matching ``where``, by booking, by resource.

    One row holding them all (``booking:resource:quantity,...``): a row per item would
    cost more to hand over than to read, for a feed of thousands."""
    aggregate = "group_concat" if is_sqlite() else "string_agg"
    rows = await BookingItem.raw(_ITEMS.format(aggregate=aggregate), where)
    text = rows[0]["items"] if rows else None
    found: dict[int, list[Item]] = {}
    known: dict[str, Item] = {}  # thousands of items, a handful of distinct ones
    for part in text.split(",") if text else ():
        booking, _, held = part.partition(":")
        item = known.get(held)
        if item is None:
            resource, _, quantity = held.partition(":")
            item = known[held] = Item(int(resource), int(quantity))
        found.setdefault(int(booking), []).append(item)
    for items in found.values():
        items.sort(key=lambda i: i.resource_id)
    return found


async def series(principal: Principal, series_id: int) -> list[BookingView]:
    """Every occurrence of a series that the caller may see, by start."""
    return await _load((Booking.series == series_id) & visible_to(principal))


async def _load(where: Combinable) -> list[BookingView]:
    rows = await Booking.select(*FIELDS).where(where).order_by(Booking.starts_at, Booking.id)
    items = await _items(where.querystring)
    return [as_view(row, items.get(row["id"], [])) for row in rows]


_NAMES = (
    "SELECT 'hub' AS kind, id, name_fr, name_ar, 0 AS space FROM hub WHERE id IN ({}) "
    "UNION ALL SELECT 'resource', id, name_fr, name_ar, "
    "CASE WHEN kind = 'space' THEN 1 ELSE 0 END FROM resource WHERE id IN ({}) "
    "UNION ALL SELECT 'association', id, name_fr, name_ar, 0 FROM association WHERE id IN ({})"
)


async def names(bookings: list[FeedRow] | list[BookingView]) -> Names:
    """The names these bookings mention: one query, for a handful of rows."""
    ids = (
        sorted({b.hub_id for b in bookings}) or [-1],
        sorted({i.resource_id for b in bookings for i in b.items}) or [-1],
        sorted({b.association_id for b in bookings}) or [-1],
    )
    sql = _NAMES.format(*(", ".join(["{}"] * len(group)) for group in ids))
    found = Names({}, {}, {})
    for row in await Hub.raw(sql, *(i for group in ids for i in group)):
        kind, key, names_of = row["kind"], int(row["id"]), (row["name_fr"], row["name_ar"])
        if kind == "hub":
            found.hubs[key] = names_of
        elif kind == "resource":
            found.resources[key] = (*names_of, bool(row["space"]))
        else:
            found.associations[key] = names_of
    return found
