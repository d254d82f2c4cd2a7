"""Hubs and their resources: listing with filters, creation and updates by those allowed."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from hub_booking.db import catalogue, feed_tokens
from hub_booking.db.catalogue import NewHub, NewResource, ResourceFilters
from hub_booking.db.engine import transaction
from hub_booking.domain.catalogue import SLUG, check_hub, check_hub_changes, check_resource
from hub_booking.domain.errors import N_, Conflict, Forbidden, NotFound, invalid
from hub_booking.domain.model import Hub, Page, Principal, Resource, ResourceKind
from hub_booking.domain.rules import DEFAULT_OPENING_HOURS
from hub_booking.services import audit
from hub_booking.zones import is_valid_zone

HUB_EDITABLE = (
    "name_fr",
    "name_ar",
    "timezone",
    "address",
    "opening_hours",
    "rules",
    "feed_titles_public",  # every calendar feed shows this hub's booking titles
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


async def list_hubs(limit: int, offset: int) -> Page[Hub]:
    """A page of every hub, in slug order."""
    return await catalogue.hubs(limit, offset)


async def get_hub(hub_id: int) -> Hub:
    """One hub (404 when there is none)."""
    return _found(await catalogue.hub(hub_id))


async def get_hub_by_slug(slug: str) -> Hub:
    """One hub by its slug (404 when there is none, or when it could not be a slug)."""
    if not SLUG.match(slug):
        raise NotFound(N_("This hub does not exist."))
    return _found(await catalogue.hub_by_slug(slug))


async def create_hub(principal: Principal, data: dict[str, Any], now: datetime) -> Hub:
    """A new hub; open every day 08:00–22:00 unless ``opening_hours`` is given (``{}`` is
    closed every day), in a region created when its slug is new."""
    if not principal.is_platform_admin:
        raise Forbidden(N_("Only a platform administrator can create hubs."))
    check_hub(data, is_valid_zone)
    hours = data.get("opening_hours")
    async with transaction():
        hub_id = await catalogue.insert_hub(
            NewHub(
                slug=data["slug"],
                name_fr=(data.get("name_fr") or "").strip(),
                name_ar=(data.get("name_ar") or "").strip(),
                region_id=await catalogue.region_id(data["region"]),
                timezone=data["timezone"],
                address=(data.get("address") or "").strip(),
                opening_hours=DEFAULT_OPENING_HOURS if hours is None else hours,
                rules=data.get("rules") or {},
            ),
            now,
        )
        if hub_id is None:
            raise Conflict(N_("A hub with this slug already exists."), field="slug")
        await audit.record(principal.user_id, "hub.created", "hub", hub_id, now, slug=data["slug"])
    return await get_hub(hub_id)


async def update_hub(principal: Principal, hub_id: int, data: dict[str, Any], now: datetime) -> Hub:
    """Change a hub's names, zone, address, opening hours or rules (its managers, admins).

    Only values that differ are written and audited (before and after); an empty change
    writes nothing. A new zone applies to new bookings: existing ones keep their wall clock.
    """
    current, changes = await hub_changes(principal, hub_id, data)
    stored = asdict(current)
    if "feed_titles_public" in changes:  # a column that only the calendar feeds read
        stored["feed_titles_public"] = await feed_tokens.titles_public(hub_id)
    before, after = _difference(stored, changes)
    if not after:
        return current
    async with transaction():
        await catalogue.update_hub(hub_id, after)
        await audit.record(
            principal.user_id, "hub.updated", "hub", hub_id, now, before=before, after=after
        )
    return await get_hub(hub_id)


async def hub_changes(
    principal: Principal, hub_id: int, data: dict[str, Any]
) -> tuple[Hub, dict[str, Any]]:
    """The hub and the checked, cleaned changes ``data`` asks (what ``update_hub`` would
    write, also for a preview of their effect); refused as ``update_hub`` refuses them."""
    current = await get_hub(hub_id)
    if not principal.manages(hub_id):
        raise Forbidden(N_("Only the managers of this hub can change it."))
    changes = {key: value for key, value in data.items() if key in HUB_EDITABLE}
    check_hub_changes(changes, asdict(current), is_valid_zone)
    for key in ("name_fr", "name_ar", "address"):
        if key in changes:
            changes[key] = changes[key].strip()
    return current, changes


async def list_resources(
    hub_id: int, filters: ResourceFilters, limit: int, offset: int
) -> Page[Resource]:
    """A page of a hub's resources, spaces first, optionally filtered by kind and seats."""
    await get_hub(hub_id)
    return await catalogue.resources_of_hub(hub_id, filters, limit, offset)


async def get_resource(resource_id: int) -> Resource:
    """One resource (404 when there is none)."""
    found = await catalogue.resource(resource_id)
    if found is None:
        raise NotFound(N_("This resource does not exist."))
    return found


async def create_resource(principal: Principal, data: dict[str, Any], now: datetime) -> Resource:
    """A new space or equipment pool in a hub the caller manages."""
    hub_id = data.get("hub_id")
    if not isinstance(hub_id, int) or await catalogue.hub(hub_id) is None:
        raise invalid("hub_id", "unknown_hub", N_("No hub with this id."))
    if not principal.manages(hub_id):
        raise Forbidden(N_("Only the managers of this hub can add resources to it."))
    check_resource(data)
    is_space = data["kind"] == ResourceKind.SPACE
    new = NewResource(
        hub_id=hub_id,
        kind=ResourceKind(data["kind"]),
        name_fr=(data.get("name_fr") or "").strip(),
        name_ar=(data.get("name_ar") or "").strip(),
        description=data.get("description") or "",
        capacity=data.get("capacity") if is_space else None,
        quantity=1 if is_space else data.get("quantity") or 1,
        requires_approval=bool(data.get("requires_approval", False)),
        rules=data.get("rules") or {},
    )
    async with transaction():
        resource_id = await catalogue.insert_resource(new, now)
        await audit.record(
            principal.user_id, "resource.created", "resource", resource_id, now, hub_id=hub_id
        )
    return await get_resource(resource_id)


async def update_resource(
    principal: Principal, resource_id: int, data: dict[str, Any], now: datetime
) -> Resource:
    """Change a resource (its hub's managers); only values that differ are written and
    audited (before and after), so an empty change writes nothing."""
    current, changes = await resource_changes(principal, resource_id, data)
    before, after = _difference(asdict(current), changes)
    if not after:
        return current
    async with transaction():
        await catalogue.update_resource(resource_id, after)
        await audit.record(
            principal.user_id,
            "resource.updated",
            "resource",
            resource_id,
            now,
            before=before,
            after=after,
        )
    return await get_resource(resource_id)


async def resource_changes(
    principal: Principal, resource_id: int, data: dict[str, Any]
) -> tuple[Resource, dict[str, Any]]:
    """The resource and the checked changes ``data`` asks (what ``update_resource`` would
    write, also for a preview of their effect); refused as ``update_resource`` refuses them."""
    current = await get_resource(resource_id)
    if not principal.manages(current.hub_id):
        raise Forbidden(N_("Only the managers of this hub can change its resources."))
    changes = {key: value for key, value in data.items() if key in RESOURCE_EDITABLE}
    names = {"name_fr": current.name_fr, "name_ar": current.name_ar}
    check_resource({**names, **changes, "kind": current.kind}, partial=True)
    if current.kind == ResourceKind.SPACE and changes.get("quantity", 1) != 1:
        raise invalid(
            "quantity",
            "invalid_number",
            N_("A space is a single unit; change its capacity instead."),
        )
    return current, changes


def _found(hub: Hub | None) -> Hub:
    if hub is None:
        raise NotFound(N_("This hub does not exist."))
    return hub


def _difference(
    current: dict[str, Any], changes: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The values ``changes`` would replace, and their replacements (only those that differ)."""
    after = {key: value for key, value in changes.items() if current.get(key) != value}
    return {key: current.get(key) for key in after}, after
