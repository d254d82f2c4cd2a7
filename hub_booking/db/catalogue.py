"""Regions, hubs and resources: their reads and writes, rows in, domain types out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.custom_types import Combinable

from hub_booking.db.engine import among
from hub_booking.db.tables import Hub, Region, Resource
from hub_booking.domain import model
from hub_booking.domain.catalogue import MAX_UNITS
from hub_booking.domain.model import Page, Principal, ResourceInfo, ResourceKind
from hub_booking.domain.rules import resource_info

_HUB_FIELDS = (
    Hub.id,
    Hub.slug,
    Hub.name_fr,
    Hub.name_ar,
    Hub.region.slug.as_alias("region"),
    Hub.timezone,
    Hub.address,
    Hub.opening_hours,
    Hub.rules,
)
_RESOURCE_FIELDS = (
    Resource.id,
    Resource.hub,
    Resource.kind,
    Resource.name_fr,
    Resource.name_ar,
    Resource.description,
    Resource.capacity,
    Resource.quantity,
    Resource.requires_approval,
    Resource.active,
    Resource.rules,
)


@dataclass(frozen=True)
class NewHub:
    slug: str
    name_fr: str
    name_ar: str
    region_id: int
    timezone: str
    address: str
    opening_hours: dict[str, Any]
    rules: dict[str, Any]


@dataclass(frozen=True)
class NewResource:
    hub_id: int
    kind: ResourceKind
    name_fr: str
    name_ar: str
    description: str
    capacity: int | None
    quantity: int
    requires_approval: bool
    rules: dict[str, Any]


@dataclass(frozen=True)
class ResourceFilters:
    kind: ResourceKind | None = None
    min_capacity: int | None = None
    include_inactive: bool = False


# Regions


async def region_id(slug: str) -> int:
    """The region of that slug, created (named after its slug) when new; safe under races."""
    label = slug.replace("-", " ").title()
    await Region.insert(Region(slug=slug, name_fr=label, name_ar="")).on_conflict(
        target=Region.slug, action="DO NOTHING"
    )
    row = await Region.select(Region.id).where(Region.slug == slug).first()
    assert row is not None  # inserted just now, or by whoever won the race
    return row["id"]


# Hubs


async def hub(hub_id: int) -> model.Hub | None:
    """One hub by id (hubs are visible to everyone signed in)."""
    return await _one_hub(Hub.id == hub_id)


async def hub_by_slug(slug: str) -> model.Hub | None:
    return await _one_hub(Hub.slug == slug)


def managed_by(principal: Principal) -> Combinable:
    """The hubs a caller manages: all of them for a platform admin."""
    if principal.is_platform_admin:
        return Hub.id > 0
    return Hub.id.is_in(list(principal.managed_hubs) or [-1])


async def managed_hub(principal: Principal, slug: str) -> model.Hub | None:
    """One hub by slug if the caller manages it (otherwise as if it did not exist)."""
    return await _one_hub((Hub.slug == slug) & managed_by(principal))


async def managed_hubs(principal: Principal) -> list[model.Hub]:
    """The hubs the caller manages, in slug order."""
    query = Hub.select(*_HUB_FIELDS).where(managed_by(principal)).order_by(Hub.slug)
    return [_hub(row) for row in await query.output(load_json=True)]


async def hubs(limit: int, offset: int) -> Page[model.Hub]:
    """A page of hubs in slug order, with the total count."""
    query = Hub.select(*_HUB_FIELDS).order_by(Hub.slug).limit(limit).offset(offset)
    rows = await query.output(load_json=True)
    return Page([_hub(row) for row in rows], await Hub.count())


async def insert_hub(new: NewHub, now: datetime) -> int | None:
    """The new hub's id, or None when the slug is taken (the database decides, not a check)."""
    row = Hub(
        slug=new.slug,
        name_fr=new.name_fr,
        name_ar=new.name_ar,
        region=new.region_id,
        timezone=new.timezone,
        address=new.address,
        opening_hours=new.opening_hours,
        rules=new.rules,
        created_at=now,
    )
    rows = await Hub.insert(row).on_conflict(Hub.slug, "DO NOTHING").returning(Hub.id)
    return rows[0]["id"] if rows else None


async def update_hub(hub_id: int, changes: dict[str, Any]) -> None:
    """Set the columns named in ``changes`` (names, timezone, address, opening_hours, rules)."""
    await Hub.update({getattr(Hub, key): value for key, value in changes.items()}).where(
        Hub.id == hub_id
    )


async def ensure_hub(new: NewHub, now: datetime) -> int:
    """The hub of that slug, created as ``new`` when missing (the demo data)."""
    await insert_hub(new, now)
    found = await hub_by_slug(new.slug)
    assert found is not None
    return found.id


# Resources


async def resource(resource_id: int) -> model.Resource | None:
    row = await (
        Resource.select(*_RESOURCE_FIELDS)
        .where(Resource.id == resource_id)
        .first()
        .output(load_json=True)
    )
    return _resource(row) if row else None


async def resource_of_hub(resource_id: int, hub_id: int) -> model.Resource | None:
    """One resource of that hub (None for another hub's: as if it did not exist)."""
    row = await (
        Resource.select(*_RESOURCE_FIELDS)
        .where((Resource.id == resource_id) & (Resource.hub == hub_id))
        .first()
        .output(load_json=True)
    )
    return _resource(row) if row else None


async def resource_in_hub(resource_id: int, hub_id: int) -> bool:
    return await Resource.exists().where((Resource.id == resource_id) & (Resource.hub == hub_id))


async def resources_of_hub(
    hub_id: int, filters: ResourceFilters, limit: int, offset: int
) -> Page[model.Resource]:
    """A page of a hub's resources, spaces first then by French name, with the total."""
    where: Combinable = Resource.hub == hub_id
    if filters.kind is not None:
        where &= Resource.kind == filters.kind
    if filters.min_capacity is not None:  # bounded: a huge number must not reach the driver
        where &= Resource.capacity >= min(filters.min_capacity, MAX_UNITS + 1)
    if not filters.include_inactive:
        where &= Resource.active.eq(True)
    query = (
        Resource.select(*_RESOURCE_FIELDS)
        .where(where)
        .order_by(Resource.kind, ascending=False)  # spaces, then equipment
        .order_by(Resource.name_fr, Resource.id)
        .limit(limit)
        .offset(offset)
    )
    rows = await query.output(load_json=True)
    return Page([_resource(row) for row in rows], await Resource.count().where(where))


async def insert_resource(new: NewResource, now: datetime) -> int:
    row = Resource(
        hub=new.hub_id,
        kind=new.kind,
        name_fr=new.name_fr,
        name_ar=new.name_ar,
        description=new.description,
        capacity=new.capacity,
        quantity=new.quantity,
        requires_approval=new.requires_approval,
        rules=new.rules,
        created_at=now,
    )
    rows = await Resource.insert(row).returning(Resource.id)
    return rows[0]["id"]


async def update_resource(resource_id: int, changes: dict[str, Any]) -> None:
    await Resource.update({getattr(Resource, key): value for key, value in changes.items()}).where(
        Resource.id == resource_id
    )


async def ensure_resource(new: NewResource, now: datetime) -> None:
    """Add the resource unless the hub has one of that French name (the demo data)."""
    if not await Resource.exists().where(
        (Resource.hub == new.hub_id) & (Resource.name_fr == new.name_fr)
    ):
        await insert_resource(new, now)


async def resource_infos(ids: list[int], language: str = "fr") -> dict[int, ResourceInfo]:
    """Resources by id as the booking rules see them (effective rules: defaults < hub < own)."""
    return (await resource_infos_and_hubs(ids, language))[0]


async def resource_infos_and_hubs(
    ids: list[int], language: str = "fr"
) -> tuple[dict[int, ResourceInfo], dict[int, model.Hub]]:
    """Resources by id as the booking rules see them, and their hubs by id (one query)."""
    listed, args = among(ids)
    return await _infos_where(f"r.id IN {listed}", tuple(args), language)


async def hub_resource_infos(hub_id: int, language: str = "fr") -> dict[int, ResourceInfo]:
    """The hub's active resources as the booking rules see them (one query)."""
    return (await _infos_where("r.hub = {} AND r.active = {}", (hub_id, True), language))[0]


# On the booking hot path: one plain query, no query building (it costs more than the read).
_INFOS_SQL = (
    "SELECT r.id, r.hub, r.kind, r.name_fr, r.name_ar, r.description, r.capacity, r.quantity,"
    " r.requires_approval, r.active, r.rules, h.slug AS hub_slug, h.name_fr AS hub_name_fr,"
    " h.name_ar AS hub_name_ar, g.slug AS region, h.timezone, h.address, h.opening_hours,"
    " h.rules AS hub_rules FROM resource r JOIN hub h ON h.id = r.hub"
    " JOIN region g ON g.id = h.region WHERE "
)


async def _infos_where(
    where: str, args: tuple[Any, ...], language: str
) -> tuple[dict[int, ResourceInfo], dict[int, model.Hub]]:
    infos: dict[int, ResourceInfo] = {}
    found_hubs: dict[int, model.Hub] = {}
    for row in await Resource.raw(_INFOS_SQL + where, *args):
        hub = found_hubs.get(row["hub"])
        if hub is None:
            hub = found_hubs[row["hub"]] = _hub(_hub_columns(row))
        resource = _resource({**row, "rules": _json(row["rules"])})
        infos[row["id"]] = resource_info(resource, hub.rules, language)
    return infos, found_hubs


def _hub_columns(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["hub"],
        "slug": row["hub_slug"],
        "name_fr": row["hub_name_fr"],
        "name_ar": row["hub_name_ar"],
        "region": row["region"],
        "timezone": row["timezone"],
        "address": row["address"],
        "opening_hours": _json(row["opening_hours"]),
        "rules": _json(row["hub_rules"]),
    }


def _json(value: Any) -> Any:
    """A JSON column as read by a plain query (text on both engines)."""
    return json.loads(value) if isinstance(value, str) else value


# Helpers


async def _one_hub(where: Combinable) -> model.Hub | None:
    row = await Hub.select(*_HUB_FIELDS).where(where).first().output(load_json=True)
    return _hub(row) if row else None


def _hub(row: dict[str, Any]) -> model.Hub:
    return model.Hub(
        id=row["id"],
        slug=row["slug"],
        name_fr=row["name_fr"],
        name_ar=row["name_ar"],
        region=row["region"],
        timezone=row["timezone"],
        address=row["address"],
        opening_hours=row["opening_hours"] or {},
        rules=row["rules"] or {},
    )


def _resource(row: dict[str, Any]) -> model.Resource:
    return model.Resource(
        id=row["id"],
        hub_id=row["hub"],
        kind=ResourceKind(row["kind"]),
        name_fr=row["name_fr"],
        name_ar=row["name_ar"],
        description=row["description"],
        capacity=row["capacity"],
        quantity=row["quantity"],
        requires_approval=row["requires_approval"],
        active=row["active"],
        rules=row["rules"] or {},
    )


# Regions, as the platform admin's pages list and create them (admin helper)


@dataclass(frozen=True)
class RegionInfo:
    id: int
    slug: str
    name_fr: str
    name_ar: str


async def regions() -> list[RegionInfo]:
    """Every region, in slug order."""
    fields = (Region.id, Region.slug, Region.name_fr, Region.name_ar)
    return [RegionInfo(**row) for row in await Region.select(*fields).order_by(Region.slug)]


async def insert_region(slug: str, name_fr: str, name_ar: str) -> int | None:
    """The new region's id, or None when the slug is taken (the database decides)."""
    row = Region(slug=slug, name_fr=name_fr, name_ar=name_ar)
    query = Region.insert(row).on_conflict(Region.slug, "DO NOTHING").returning(Region.id)
    rows = await query
    return rows[0]["id"] if rows else None


async def existing_region_ids(slugs: list[str]) -> dict[str, int]:
    """The ids of the regions of these slugs that exist (none are created)."""
    if not slugs:
        return {}
    rows = await Region.select(Region.id, Region.slug).where(Region.slug.is_in(slugs))
    return {row["slug"]: row["id"] for row in rows}


# The hub calendar (pages): the hub and the resources it shows, in one plain query

_CALENDAR_HUB_SQL = (
    "SELECT h.id AS hub, h.slug AS hub_slug, h.name_fr AS hub_name_fr,"
    " h.name_ar AS hub_name_ar, g.slug AS region, h.timezone, h.address, h.opening_hours,"
    " h.rules AS hub_rules, r.id, r.kind, r.name_fr, r.name_ar, r.description, r.capacity,"
    " r.quantity, r.requires_approval, r.active, r.rules"
    " FROM hub h JOIN region g ON g.id = h.region"
    " LEFT JOIN resource r ON r.hub = h.id AND r.active = {}"
)


async def calendar_hub(
    slug: str, filters: ResourceFilters, limit: int, manager: Principal | None = None
) -> tuple[model.Hub, list[model.Resource]] | None:
    """The hub of ``slug`` and its active resources matching ``filters`` (spaces first, then
    by French name), in one query; None when there is no such hub or, given a ``manager``,
    when they do not manage it (``managed_by`` as a plain condition)."""
    sql = _CALENDAR_HUB_SQL
    args: list[Any] = [True]
    if filters.kind is not None:
        sql, args = sql + " AND r.kind = {}", [*args, str(filters.kind)]
    if filters.min_capacity is not None:  # bounded: a huge number must not reach the driver
        sql, args = sql + " AND r.capacity >= {}", [*args, min(filters.min_capacity, MAX_UNITS + 1)]
    sql, args = sql + " WHERE h.slug = {}", [*args, slug]
    if manager is not None and not manager.is_platform_admin:
        ids = ", ".join(str(int(i)) for i in manager.managed_hubs) or "-1"
        sql += f" AND h.id IN ({ids})"
    sql += f" ORDER BY r.kind DESC, r.name_fr, r.id LIMIT {int(limit)}"
    rows = await Hub.raw(sql, *args)
    if not rows:
        return None
    resources = [
        _resource({**row, "rules": _json(row["rules"])}) for row in rows if row["id"] is not None
    ]
    return _hub(_hub_columns(rows[0])), resources
