"""What the booking form and "find a room" offer: the hub, its rooms and equipment, the
associations the user may book for (or, for a manager booking on behalf of one, the
associations of the hub's region). Reads only."""

from __future__ import annotations

from dataclasses import dataclass

from hub_booking.db import associations, catalogue
from hub_booking.db.catalogue import ResourceFilters
from hub_booking.domain.catalogue import SLUG
from hub_booking.domain.errors import N_, NotFound
from hub_booking.domain.model import Association, Hub, Principal, Resource, ResourceKind

MAX_SHOWN = 500


@dataclass(frozen=True)
class ChosenHub:
    """The hub a page is about; ``fallback`` when the asked hub or resource was not found."""

    hub: Hub
    fallback: bool = False
    pool: bool = False  # the asked resource is an equipment pool, not a room


@dataclass(frozen=True)
class FormOptions:
    hubs: list[Hub]
    spaces: list[Resource]
    equipment: list[Resource]
    associations: list[Association]


async def choose_hub(
    principal: Principal, *, slug: str = "", resource_id: int | None = None
) -> ChosenHub:
    """The hub of ``resource_id``, else the hub of ``slug``, else the user's own hub (the
    first they manage) or the first hub; 404 only when there is no hub at all."""
    if resource_id is not None:
        resource = await catalogue.resource(resource_id)
        found = await catalogue.hub(resource.hub_id) if resource else None
        if resource is not None and found is not None:
            return ChosenHub(found, pool=resource.kind == ResourceKind.EQUIPMENT)
    elif SLUG.match(slug):
        found = await catalogue.hub_by_slug(slug)
        if found is not None:
            return ChosenHub(found)
    asked = resource_id is not None or bool(slug)
    for hub_id in sorted(principal.managed_hubs):
        if (own := await catalogue.hub(hub_id)) is not None:
            return ChosenHub(own, fallback=asked)
    first = await catalogue.hubs(1, 0)
    if not first.items:
        raise NotFound(N_("There is no hub yet."))
    return ChosenHub(first.items[0], fallback=asked)


async def hub_by_slug(slug: str) -> Hub:
    """One hub by its slug (404 when there is none)."""
    found = await catalogue.hub_by_slug(slug) if SLUG.match(slug) else None
    if found is None:
        raise NotFound(N_("This hub does not exist."))
    return found


async def managed_choice(
    principal: Principal, slug: str, resource_id: int | None = None
) -> ChosenHub:
    """The hub of ``slug`` if the caller manages it (404 otherwise, as if there were none),
    for a booking on behalf of an association; ``fallback`` when ``resource_id`` is not one
    of its resources."""
    hub = await catalogue.managed_hub(principal, slug) if SLUG.match(slug) else None
    if hub is None:
        raise NotFound(N_("This hub does not exist."))
    if resource_id is None:
        return ChosenHub(hub)
    resource = await catalogue.resource_of_hub(resource_id, hub.id)
    if resource is None:
        return ChosenHub(hub, fallback=True)
    return ChosenHub(hub, pool=resource.kind == ResourceKind.EQUIPMENT)


async def options(principal: Principal, hub: Hub, *, on_behalf: bool = False) -> FormOptions:
    """Every hub, the hub's active rooms and equipment, and the associations the user may
    book for: their own (all they may see when they manage hubs); ``on_behalf``, the active
    associations of the hub's region (a condition of the query)."""
    hubs = await catalogue.hubs(MAX_SHOWN, 0)
    resources = await catalogue.resources_of_hub(hub.id, ResourceFilters(), MAX_SHOWN, 0)
    if on_behalf:
        bookable = await associations.of_hub_region(principal, hub.id, MAX_SHOWN)
    else:
        visible = await associations.page(principal, MAX_SHOWN, 0)
        mine = [a for a in visible.items if principal.is_member_of(a.id)]
        bookable = mine if mine and not principal.managed_hubs else visible.items
    return FormOptions(
        hubs=hubs.items,
        spaces=[r for r in resources.items if r.kind == ResourceKind.SPACE],
        equipment=[r for r in resources.items if r.kind == ResourceKind.EQUIPMENT],
        associations=bookable,
    )
