"""Hubs and their resources: listing with filters, creation and updates by those allowed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from piccolo.custom_types import Combinable

from hub_booking.db.engine import transaction
from hub_booking.db.tables import Hub, Region, Resource
from hub_booking.domain.catalogue import check_hub, check_resource
from hub_booking.domain.errors import N_, Conflict, Forbidden, NotFound, invalid
from hub_booking.domain.model import Principal, ResourceKind
from hub_booking.domain.rules import DEFAULT_OPENING_HOURS
from hub_booking.services import audit
from hub_booking.zones import is_valid_zone

HUB_FIELDS = (
    Hub.id,
    Hub.slug,
    Hub.name_fr,
    Hub.name_ar,
    Hub.timezone,
    Hub.address,
    Hub.opening_hours,
    Hub.rules,
)
RESOURCE_FIELDS = (
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
RESOURCE_EDITABLE = (
    "name_fr",
    "name_ar",
    "description",
    "capacity",
    "quantity",
    "requires_approval",
    "active",
    "rules",
)


async def list_hubs() -> list[dict[str, Any]]:
    return (
        await Hub.select(*HUB_FIELDS, Hub.region.slug.as_alias("region"))
        .order_by(Hub.slug)
        .output(load_json=True)
    )


async def get_hub(hub_id: int | None = None, *, slug: str | None = None) -> dict[str, Any]:
    where = Hub.id == hub_id if slug is None else Hub.slug == slug
    hub = (
        await Hub.select(*HUB_FIELDS, Hub.region.slug.as_alias("region"))
        .where(where)
        .first()
        .output(load_json=True)
    )
    if hub is None:
        raise NotFound(N_("This hub does not exist."))
    return hub


async def region_id(slug: str, now: datetime) -> int:
    """The region of that slug, created (named after its slug) when new."""
    row = await Region.select(Region.id).where(Region.slug == slug).first()
    if row:
        return row["id"]
    label = slug.replace("-", " ").title()
    rows = await Region.insert(Region(slug=slug, name_fr=label, name_ar="")).returning(Region.id)
    return rows[0]["id"]


async def create_hub(principal: Principal, data: dict[str, Any], now: datetime) -> int:
    if not principal.is_platform_admin:
        raise Forbidden(N_("Only a platform administrator can create hubs."))
    check_hub(data, is_valid_zone)
    async with transaction():
        if await Hub.exists().where(Hub.slug == data["slug"]):
            raise Conflict(N_("A hub with this slug already exists."), field="slug")
        rows = await Hub.insert(
            Hub(
                slug=data["slug"],
                name_fr=(data.get("name_fr") or "").strip(),
                name_ar=(data.get("name_ar") or "").strip(),
                region=await region_id(data["region"], now),
                address=data.get("address") or "",
                timezone=data["timezone"],
                opening_hours=data.get("opening_hours") or DEFAULT_OPENING_HOURS,
                rules=data.get("rules") or {},
                created_at=now,
            )
        ).returning(Hub.id)
        hub_id = rows[0]["id"]
        await audit.record(principal.user_id, "hub.created", "hub", hub_id, now, slug=data["slug"])
    return hub_id


async def list_resources(
    hub_id: int,
    *,
    kind: str | None = None,
    min_capacity: int | None = None,
    include_inactive: bool = False,
) -> list[dict[str, Any]]:
    """A hub's resources, spaces first, optionally filtered by kind and seats."""
    await get_hub(hub_id)
    where: Combinable = Resource.hub == hub_id
    if kind in tuple(ResourceKind):
        where &= Resource.kind == kind
    if min_capacity:
        where &= Resource.capacity >= min_capacity
    if not include_inactive:
        where &= Resource.active.eq(True)
    query = (
        Resource.select(*RESOURCE_FIELDS)
        .where(where)
        .order_by(Resource.kind, ascending=False)  # spaces, then equipment
        .order_by(Resource.name_fr)
    )
    return await query.output(load_json=True)


async def get_resource(resource_id: int) -> dict[str, Any]:
    row = (
        await Resource.select(*RESOURCE_FIELDS)
        .where(Resource.id == resource_id)
        .first()
        .output(load_json=True)
    )
    if row is None:
        raise NotFound(N_("This resource does not exist."))
    return row


async def create_resource(principal: Principal, data: dict[str, Any], now: datetime) -> int:
    hub_id = data.get("hub_id")
    if (
        not isinstance(hub_id, int)
        or isinstance(hub_id, bool)
        or not await Hub.exists().where(Hub.id == hub_id)
    ):
        raise invalid("hub_id", "unknown_hub", N_("No hub with this id."))
    if not principal.manages(hub_id):
        raise Forbidden(N_("Only the managers of this hub can add resources to it."))
    check_resource(data)
    is_space = data["kind"] == ResourceKind.SPACE
    async with transaction():
        rows = await Resource.insert(
            Resource(
                hub=hub_id,
                kind=data["kind"],
                name_fr=(data.get("name_fr") or "").strip(),
                name_ar=(data.get("name_ar") or "").strip(),
                description=data.get("description") or "",
                capacity=data.get("capacity") if is_space else None,
                quantity=1 if is_space else data.get("quantity") or 1,
                requires_approval=bool(data.get("requires_approval", False)),
                rules=data.get("rules") or {},
                created_at=now,
            )
        ).returning(Resource.id)
        resource_id = rows[0]["id"]
        await audit.record(
            principal.user_id, "resource.created", "resource", resource_id, now, hub_id=hub_id
        )
    return resource_id


async def update_resource(
    principal: Principal, resource_id: int, data: dict[str, Any], now: datetime
) -> None:
    current = await get_resource(resource_id)
    if not principal.manages(current["hub"]):
        raise Forbidden(N_("Only the managers of this hub can change its resources."))
    changes = {key: value for key, value in data.items() if key in RESOURCE_EDITABLE}
    check_resource({**changes, "kind": current["kind"]}, partial=True)
    if current["kind"] == ResourceKind.SPACE and "quantity" in changes and changes["quantity"] != 1:
        raise invalid(
            "quantity",
            "invalid_number",
            N_("A space is a single unit; change its capacity instead."),
        )
    if not changes:
        return
    async with transaction():
        columns = {getattr(Resource, key): value for key, value in changes.items()}
        await Resource.update(columns).where(Resource.id == resource_id)
        await audit.record(
            principal.user_id, "resource.updated", "resource", resource_id, now, changes=changes
        )
