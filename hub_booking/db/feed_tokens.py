"""Calendar feed tokens: their rows, what each points at, and who reads a feed with one.

A token is a pointer to (owner, scope); its secret is stored only as a keyed hash. Every feed
request starts with ``reader``: the token, its owner with their rights *now*, and what it
points at, in one query (plain SQL: Piccolo's query building costs more than the query).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub_booking.db.catalogue import managed_by
from hub_booking.db.engine import is_sqlite
from hub_booking.db.tables import Association, FeedToken, Hub, Resource
from hub_booking.domain.model import FeedScope, MemberRole, Page, Principal


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
class Listed:
    """One of a user's feeds and what it points at (None when that is gone, or for "me")."""

    feed: Feed
    place: Place | None


@dataclass(frozen=True)
class Reader:
    """A live token's feed, its owner with their current rights (None when the account is
    inactive), and what it points at."""

    feed: Feed
    owner: Principal | None
    place: Place | None


_FEED = 't.id, t."user", t.scope, t.scope_id, t.label, t.language, t.created_at, t.last_used_at'
# What the token points at: a resource (and its hub), a hub, or an association; each join
# matches only for its own scope, so the other columns stay NULL.
_PLACE = (
    "r.name_fr AS r_fr, r.name_ar AS r_ar, h.id AS h_id, h.name_fr AS h_fr, "
    "h.name_ar AS h_ar, h.feed_titles_public AS h_public, a.id AS a_id, a.name_fr AS a_fr, "
    "a.name_ar AS a_ar"
)
_PLACE_JOINS = (
    "LEFT JOIN resource r ON t.scope = 'resource' AND r.id = t.scope_id "
    "LEFT JOIN hub h ON h.id = CASE t.scope WHEN 'hub' THEN t.scope_id "
    "WHEN 'resource' THEN r.hub END "
    "LEFT JOIN association a ON t.scope = 'association' AND a.id = t.scope_id"
)
_LISTED = f"SELECT {_FEED}, {_PLACE} FROM feed_token t {_PLACE_JOINS} WHERE {{}}"
_LIVE = 't."user" = {} AND t.revoked_at IS NULL'
# The owner's rights as two short lists in the same row: the hubs they manage, and
# ``association:role`` of their memberships.
_READER = (
    f"SELECT {_FEED}, {_PLACE}, u.email, u.name, u.language AS user_language, "
    "u.is_platform_admin, u.is_active, "
    "(SELECT {agg}(hm.hub || '', ',') FROM hub_manager hm WHERE hm.\"user\" = t.\"user\") "
    "AS hubs, (SELECT {agg}(m.association || ':' || m.role, ',') FROM membership m "
    'WHERE m."user" = t."user") AS memberships{columns} '
    f'FROM feed_token t JOIN app_user u ON u.id = t."user" {_PLACE_JOINS} '
    "{joins} WHERE t.token_hash = {{}} AND t.revoked_at IS NULL"
)


def reader_sql(columns: str = "", joins: str = "") -> str:
    """The query of ``reader``, with more ``columns`` from more ``joins`` (their own
    placeholders come before the token hash's)."""
    agg = "group_concat" if is_sqlite() else "string_agg"
    return _READER.format(agg=agg, columns=columns, joins=joins)


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
    columns = (
        FeedToken.id,
        FeedToken.user,
        FeedToken.scope,
        FeedToken.scope_id,
        FeedToken.label,
        FeedToken.language,
        FeedToken.created_at,
        FeedToken.last_used_at,
    )
    return _feed((await FeedToken.insert(row).returning(*columns))[0])


async def owned(user_id: int, limit: int, offset: int) -> Page[Listed]:
    """A page of the user's feeds that still work, newest first, and how many there are."""
    total = await FeedToken.count().where(
        (FeedToken.user == user_id) & FeedToken.revoked_at.is_null()
    )
    where = f"{_LIVE} ORDER BY t.id DESC LIMIT {{}} OFFSET {{}}"
    rows = await FeedToken.raw(_LISTED.format(where), user_id, limit, offset)
    return Page([Listed(_feed(row), _place(row)) for row in rows], total)


async def owned_one(user_id: int, feed_id: int) -> Listed | None:
    """One of the user's feeds that still works (None for anyone else's)."""
    rows = await FeedToken.raw(_LISTED.format(f"{_LIVE} AND t.id = {{}}"), user_id, feed_id)
    return Listed(_feed(rows[0]), _place(rows[0])) if rows else None


async def replace_hash(user_id: int, feed_id: int, token_hash: str) -> bool:
    """Give one of the user's feeds a new secret (the old one stops working at once)."""
    rows = (
        await FeedToken.update({FeedToken.token_hash: token_hash, FeedToken.last_used_at: None})
        .where(_owned(user_id, feed_id))
        .returning(FeedToken.id)
    )
    return bool(rows)


async def revoke(user_id: int, feed_id: int, now: datetime) -> bool:
    rows = (
        await FeedToken.update({FeedToken.revoked_at: now})
        .where(_owned(user_id, feed_id))
        .returning(FeedToken.id)
    )
    return bool(rows)


def _owned(user_id: int, feed_id: int) -> Any:
    return (FeedToken.user == user_id) & FeedToken.revoked_at.is_null() & (FeedToken.id == feed_id)


async def reader(token_hash: str) -> Reader | None:
    """The live token of that hash, its owner and what it points at: one query."""
    rows = await FeedToken.raw(reader_sql(), token_hash)
    return as_reader(rows[0]) if rows else None


def as_reader(row: dict[str, Any]) -> Reader:
    return Reader(_feed(row), _owner(row), _place(row))


async def touch(feed_id: int, now: datetime) -> None:
    await FeedToken.update({FeedToken.last_used_at: now}).where(FeedToken.id == feed_id)


_HUB = "SELECT name_fr, name_ar, feed_titles_public FROM hub WHERE id = {}"
_RESOURCE = (
    "SELECT r.name_fr, r.name_ar, r.hub AS hub_id, h.name_fr AS hub_fr, h.name_ar AS hub_ar, "
    "h.feed_titles_public FROM resource r JOIN hub h ON h.id = r.hub WHERE r.id = {}"
)
_ASSOCIATION = "SELECT name_fr, name_ar FROM association WHERE id = {}"


async def place(scope: FeedScope, scope_id: int) -> Place | None:
    """What a new feed of that scope would point at (None when there is no such thing)."""
    if scope == FeedScope.HUB:
        rows = await FeedToken.raw(_HUB, scope_id)
        return Place(*_names(rows), scope_id, bool(rows[0]["feed_titles_public"])) if rows else None
    if scope == FeedScope.RESOURCE:
        rows = await FeedToken.raw(_RESOURCE, scope_id)
        if not rows:
            return None
        row = rows[0]
        public = bool(row["feed_titles_public"])
        hub = (row["hub_fr"], row["hub_ar"], int(row["hub_id"]), public)
        return Place(*hub, row["name_fr"], row["name_ar"])
    rows = await FeedToken.raw(_ASSOCIATION, scope_id)
    return Place(*_names(rows)) if rows else None


def _names(rows: list[dict[str, Any]]) -> tuple[str, str]:
    return rows[0]["name_fr"], rows[0]["name_ar"]


async def titles_public(hub_id: int) -> bool | None:
    """Whether a hub shows its bookings' titles in every feed (None: no such hub)."""
    rows = await FeedToken.raw(_HUB, hub_id)
    return bool(rows[0]["feed_titles_public"]) if rows else None


async def set_titles_public(hub_id: int, public: bool) -> None:
    await Hub.update({Hub.feed_titles_public: public}).where(Hub.id == hub_id)


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


def _place(row: dict[str, Any]) -> Place | None:
    """The place of a listed or read token's row (None: gone, or a "me" feed)."""
    scope = row["scope"]
    if scope == FeedScope.ASSOCIATION:
        return Place(row["a_fr"], row["a_ar"]) if row["a_id"] is not None else None
    if scope == FeedScope.ME or row["h_id"] is None:
        return None
    public = bool(row["h_public"])
    hub = (row["h_fr"], row["h_ar"], int(row["h_id"]), public)
    return Place(*hub, row["r_fr"] or "", row["r_ar"] or "")


def _owner(row: dict[str, Any]) -> Principal | None:
    """The token's owner with the hubs they manage and their memberships (None: inactive)."""
    if not row["is_active"]:
        return None
    hubs = frozenset(int(hub) for hub in (row["hubs"] or "").split(",") if hub)
    memberships: dict[int, MemberRole] = {}
    for part in (row["memberships"] or "").split(","):
        association, _, role = part.partition(":")
        if role:
            memberships[int(association)] = MemberRole(role)
    return Principal(
        user_id=row["user"],
        email=row["email"],
        name=row["name"],
        language=row["user_language"],
        is_platform_admin=bool(row["is_platform_admin"]),
        managed_hubs=hubs,
        memberships=memberships,
    )


@dataclass(frozen=True)
class Offered:
    """What a reader may make feeds of, as (id, name_fr, name_ar): their associations, the
    hubs they manage, and those hubs' active resources (with their hub's id)."""

    associations: list[tuple[int, str, str]]
    hubs: list[tuple[int, str, str]]
    resources: list[tuple[int, int, str, str]]


async def offered(association_ids: list[int], principal: Principal, max_hubs: int) -> Offered:
    """Three small queries: the associations of those ids, the hubs ``principal`` manages
    (every hub for a platform admin, at most ``max_hubs``), and their resources."""
    associations = await Association.select(
        Association.id, Association.name_fr, Association.name_ar
    ).where(Association.id.is_in(association_ids or [-1]))
    hubs = await (
        Hub.select(Hub.id, Hub.name_fr, Hub.name_ar)
        .where(managed_by(principal))
        .order_by(Hub.slug)
        .limit(max_hubs)
    )
    hub_ids = [hub["id"] for hub in hubs] or [-1]
    resources = await (
        Resource.select(Resource.id, Resource.hub, Resource.name_fr, Resource.name_ar)
        .where(Resource.hub.is_in(hub_ids) & (Resource.active == True))  # noqa: E712
        .order_by(Resource.kind, ascending=False)  # spaces, then equipment
        .order_by(Resource.name_fr, Resource.id)
    )
    return Offered(
        associations=[(r["id"], r["name_fr"], r["name_ar"]) for r in associations],
        hubs=[(r["id"], r["name_fr"], r["name_ar"]) for r in hubs],
        resources=[(r["id"], r["hub"], r["name_fr"], r["name_ar"]) for r in resources],
    )
