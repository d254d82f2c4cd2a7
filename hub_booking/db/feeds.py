"""Calendar feeds: their tokens, where they point, and the bookings they hold.

A feed's bookings are chosen by one condition (``_in_feed``) that both the fingerprint
(answering 304) and the full read use, so the two never disagree. Association and "me"
feeds go through ``visible_to`` of the feed's owner, like every other read of bookings; hub
and resource feeds show every booking there, and the service decides what of each is told.
Every read is a fixed number of queries, whatever the number of events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from piccolo.custom_types import Combinable
from piccolo.querystring import QueryString

from hub_booking.db.bookings import FIELDS, as_view, visible_to
from hub_booking.db.engine import is_sqlite
from hub_booking.db.tables import (
    Association,
    Booking,
    BookingItem,
    FeedScope,
    FeedToken,
    Hub,
    Resource,
)
from hub_booking.domain.bookings import BookingView, Item
from hub_booking.domain.model import HOLDING, Page, Principal

_HOLDING = sorted(str(s) for s in HOLDING)
_FEED_FIELDS = (
    FeedToken.id,
    FeedToken.user,
    FeedToken.scope,
    FeedToken.scope_id,
    FeedToken.label,
    FeedToken.language,
    FeedToken.created_at,
    FeedToken.last_used_at,
)


@dataclass(frozen=True)
class Feed:
    """A feed token as stored, without its secret."""

    id: int
    user_id: int
    scope: FeedScope
    scope_id: int | None
    label: str
    language: str | None
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class Place:
    """What a feed points at, with the names its calendar is called by: a hub (and one of
    its resources), or an association (``hub_id`` None)."""

    name_fr: str
    name_ar: str
    hub_id: int | None = None
    titles_public: bool = False
    resource_name_fr: str = ""
    resource_name_ar: str = ""


@dataclass(frozen=True)
class Selection:
    """The bookings of a feed: its scope, its owner's rights and its window (UTC)."""

    scope: FeedScope
    scope_id: int | None
    owner: Principal
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
    """A booking as a feed writes it: the instants already in iCalendar's UTC form
    (``20270209T140000Z``, seconds truncated), which the database writes faster than Python
    turns thousands of timestamps into datetimes and back."""

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


def _feed(row: dict[str, Any]) -> Feed:
    return Feed(
        id=row["id"],
        user_id=row["user"],
        scope=FeedScope(row["scope"]),
        scope_id=row["scope_id"],
        label=row["label"],
        language=row["language"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
    )


async def insert(
    user_id: int,
    scope: FeedScope,
    scope_id: int | None,
    token_hash: str,
    label: str,
    language: str | None,
    now: datetime,
) -> Feed:
    row = FeedToken(
        user=user_id,
        scope=scope,
        scope_id=scope_id,
        token_hash=token_hash,
        label=label,
        language=language,
        created_at=now,
    )
    return _feed((await FeedToken.insert(row).returning(*_FEED_FIELDS))[0])


def _live(user_id: int, feed_id: int | None = None) -> Combinable:
    where = (FeedToken.user == user_id) & FeedToken.revoked_at.is_null()
    return where & (FeedToken.id == feed_id) if feed_id is not None else where


async def owned(user_id: int, limit: int, offset: int) -> Page[Feed]:
    """A page of the user's feeds that still work, newest first, and how many there are."""
    total = await FeedToken.count().where(_live(user_id))
    rows = await (
        FeedToken.select(*_FEED_FIELDS)
        .where(_live(user_id))
        .order_by(FeedToken.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return Page([_feed(row) for row in rows], total)


async def replace_hash(user_id: int, feed_id: int, token_hash: str) -> Feed | None:
    """Give one of the user's feeds a new secret (the old one stops working at once)."""
    rows = (
        await FeedToken.update({FeedToken.token_hash: token_hash, FeedToken.last_used_at: None})
        .where(_live(user_id, feed_id))
        .returning(*_FEED_FIELDS)
    )
    return _feed(rows[0]) if rows else None


async def revoke(user_id: int, feed_id: int, now: datetime) -> bool:
    rows = (
        await FeedToken.update({FeedToken.revoked_at: now})
        .where(_live(user_id, feed_id))
        .returning(FeedToken.id)
    )
    return bool(rows)


# The read of every feed request (304s included): plain SQL, one round trip each; Piccolo's
# query building costs more than the query here.
_BY_HASH = (
    'SELECT id, "user", scope, scope_id, label, language, created_at, last_used_at '
    "FROM feed_token WHERE token_hash = {} AND revoked_at IS NULL"
)
_HUB = "SELECT name_fr, name_ar, feed_titles_public FROM hub WHERE id = {}"
_RESOURCE = (
    "SELECT r.name_fr, r.name_ar, r.hub AS hub_id, h.name_fr AS hub_fr, h.name_ar AS hub_ar, "
    "h.feed_titles_public FROM resource r JOIN hub h ON h.id = r.hub WHERE r.id = {}"
)
_ASSOCIATION = "SELECT name_fr, name_ar FROM association WHERE id = {}"


async def by_hash(token_hash: str) -> Feed | None:
    """The feed of a secret, unless revoked."""
    rows = await FeedToken.raw(_BY_HASH, token_hash)
    return _feed(rows[0]) if rows else None


async def touch(feed_id: int, now: datetime) -> None:
    await FeedToken.update({FeedToken.last_used_at: now}).where(FeedToken.id == feed_id)


async def hub_place(hub_id: int) -> Place | None:
    rows = await Hub.raw(_HUB, hub_id)
    if not rows:
        return None
    row = rows[0]
    return Place(row["name_fr"], row["name_ar"], hub_id, bool(row["feed_titles_public"]))


async def resource_place(resource_id: int) -> Place | None:
    rows = await Resource.raw(_RESOURCE, resource_id)
    if not rows:
        return None
    row = rows[0]
    return Place(
        row["hub_fr"],
        row["hub_ar"],
        int(row["hub_id"]),
        bool(row["feed_titles_public"]),
        row["name_fr"],
        row["name_ar"],
    )


async def association_place(association_id: int) -> Place | None:
    rows = await Association.raw(_ASSOCIATION, association_id)
    return Place(rows[0]["name_fr"], rows[0]["name_ar"]) if rows else None


def _in_feed(s: Selection) -> QueryString:
    """The one condition of a feed's bookings (its scope, its window, cancelled ones for a
    while), for the fingerprint and the reads alike; association feeds add ``visible_to``."""
    window = QueryString(
        "booking.ends_at > {} AND booking.starts_at < {} "
        "AND (booking.status IN ({}, {}) OR booking.updated_at > {})",
        s.start.astimezone(UTC),
        s.end.astimezone(UTC),
        *_HOLDING,
        s.cancelled_since.astimezone(UTC),
    )
    return QueryString("{} AND {}", window, _in_scope(s))


def _in_scope(s: Selection) -> QueryString:
    if s.scope == FeedScope.HUB:
        return QueryString("booking.hub = {}", s.scope_id)
    if s.scope == FeedScope.RESOURCE:
        # PostgreSQL hashes an IN (subquery) against a scan of every booking; an array of
        # the room's few hundred ids lets it fetch them by primary key instead.
        held = "SELECT held.booking FROM booking_item held WHERE held.resource = {}"
        shape = "booking.id IN ({})" if is_sqlite() else "booking.id = ANY(ARRAY({}))"
        return QueryString(shape.format(held), s.scope_id)
    if s.scope == FeedScope.ASSOCIATION:
        visible = visible_to(s.owner).querystring
        return QueryString("booking.association = {} AND {}", s.scope_id, visible)
    ids = sorted(s.owner.memberships) or [-1]
    return QueryString(f"booking.association IN ({', '.join(['{}'] * len(ids))})", *ids)


_FINGERPRINT = (
    "SELECT count(*) AS n, max(booking.updated_at) AS last_change, "
    "sum(booking.revision) AS revisions, sum(booking.id) AS ids{} FROM booking WHERE {}"
)
# What a feed points at, read in the same query as its fingerprint: (table, key, the Place's
# name_fr, name_ar, hub_id, titles_public, resource_name_fr, resource_name_ar).
_PLACES = {
    FeedScope.HUB: (
        "hub h",
        "h.id",
        ("h.name_fr", "h.name_ar", "h.id", "h.feed_titles_public", "''", "''"),
    ),
    FeedScope.RESOURCE: (
        "resource r JOIN hub h ON h.id = r.hub",
        "r.id",
        ("h.name_fr", "h.name_ar", "h.id", "h.feed_titles_public", "r.name_fr", "r.name_ar"),
    ),
    FeedScope.ASSOCIATION: (
        "association a",
        "a.id",
        ("a.name_fr", "a.name_ar", "NULL", "NULL", "''", "''"),
    ),
}


async def fingerprint(selection: Selection) -> tuple[Place | None, Fingerprint]:
    """What the feed points at (None when it is gone), and the count, last change, sum of
    revisions and of ids of its bookings: one query, for every request (304s included)."""
    source, key, fields = _PLACES.get(selection.scope, ("", "", ()))
    looked = "".join(
        f", (SELECT {field} FROM {source} WHERE {key} = {{}}) AS p{i}"
        for i, field in enumerate(fields)
    )
    args = [selection.scope_id] * len(fields)
    row = (await Booking.raw(_FINGERPRINT.format(looked, "{}"), *args, _in_feed(selection)))[0]
    found = Fingerprint(
        int(row["n"] or 0),
        _instant(row["last_change"]),
        int(row["revisions"] or 0),
        int(row["ids"] or 0),
    )
    if not fields or row["p0"] is None:
        return None, found
    hub = row["p2"]
    place = Place(
        row["p0"],
        row["p1"],
        None if hub is None else int(hub),
        bool(row["p3"]),
        row["p4"],
        row["p5"],
    )
    return place, found


def _instant(value: datetime | str | None) -> datetime | None:
    """SQLite answers an aggregate of timestamps as the stored text."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


# iCalendar's UTC form, written by the database: SQLite reads the stored offset, PostgreSQL
# shifts to UTC (an offset of zero, no zone data involved). On SQLite, integers are read as
# expressions: a declared INTEGER column would go through Piccolo's converter (a Decimal per
# value).
_UTC_SQLITE = "strftime('%Y%m%dT%H%M%SZ', booking.{0}) AS \"{1}\""
_UTC_POSTGRES = 'to_char(booking.{0} AT TIME ZONE \'UTC\', \'YYYYMMDD"T"HH24MISS"Z"\') AS "{1}"'
_INSTANTS = {
    "starts_at": "start",
    "ends_at": "end",
    "created_at": "created",
    "updated_at": "modified",
}


def _rows_sql() -> str:
    sqlite = is_sqlite()
    number = 'booking.{0} + 0 AS "{0}"' if sqlite else "booking.{0}"
    instant = _UTC_SQLITE if sqlite else _UTC_POSTGRES
    columns = [number.format(c) for c in ("id", "association", "hub", "revision")]
    columns += ["booking.uid", "booking.title", "booking.status"]
    columns += [instant.format(column, alias) for column, alias in _INSTANTS.items()]
    # The template's only placeholder is the condition; the braces above are all formatted.
    return (
        f"SELECT {', '.join(columns)} FROM booking WHERE {{}} "
        "ORDER BY booking.starts_at, booking.id"
    )


async def bookings(selection: Selection) -> list[FeedRow]:
    """The feed's bookings by start, with their items: two queries however many."""
    where = _in_feed(selection)
    rows = await Booking.raw(_rows_sql(), where)
    items = await _items(where)
    return [
        FeedRow(
            r["id"],
            r["uid"],
            r["association"],
            r["hub"],
            r["title"],
            r["status"],
            r["revision"],
            r["start"],
            r["end"],
            r["created"],
            r["modified"],
            tuple(items.get(r["id"], ())),
        )
        for r in rows
    ]


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


async def names(bookings: list[FeedRow] | list[BookingView]) -> Names:
    """The names these bookings mention: three queries, each for a handful of rows."""
    hub_ids = sorted({b.hub_id for b in bookings}) or [-1]
    resource_ids = sorted({i.resource_id for b in bookings for i in b.items}) or [-1]
    association_ids = sorted({b.association_id for b in bookings}) or [-1]
    hubs = await Hub.select(Hub.id, Hub.name_fr, Hub.name_ar).where(Hub.id.is_in(hub_ids))
    resources = await Resource.select(
        Resource.id, Resource.name_fr, Resource.name_ar, Resource.kind
    ).where(Resource.id.is_in(resource_ids))
    associations = await Association.select(
        Association.id, Association.name_fr, Association.name_ar
    ).where(Association.id.is_in(association_ids))
    return Names(
        hubs={r["id"]: (r["name_fr"], r["name_ar"]) for r in hubs},
        resources={r["id"]: (r["name_fr"], r["name_ar"], r["kind"] == "space") for r in resources},
        associations={r["id"]: (r["name_fr"], r["name_ar"]) for r in associations},
    )
