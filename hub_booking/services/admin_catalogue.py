"""The platform admin's catalogue: regions with their hubs and managers, and the register of
associations (search, registration, activation, suspension).

Hubs are created and renamed by ``services.resources`` and associations registered by
``services.associations``, exactly as through the API; this module adds what only the admin
pages do, and checks before them that a chosen region exists (the API creates new regions,
the pages choose among the existing ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub_booking.db import accounts, associations, catalogue
from hub_booking.db.accounts import HubManagerInfo
from hub_booking.db.associations import AssociationFilters, HeldBooking
from hub_booking.db.catalogue import RegionInfo
from hub_booking.db.engine import transaction
from hub_booking.domain.association_import import check_values
from hub_booking.domain.catalogue import SLUG, check_email, normalise_email
from hub_booking.domain.errors import N_, Conflict, Forbidden, Invalid, NotFound, Violation, invalid
from hub_booking.domain.model import Association, AssociationStatus, Hub, Page, Principal
from hub_booking.domain.text import NOT_IN_LINE, NOT_IN_TEXT
from hub_booking.services import associations as association_service
from hub_booking.services import audit, booking_changes, resources

REASON_MAX = 500
# The bounds of the hub's fields in the API's request bodies: (longest, multi-line).
HUB_TEXTS = {
    "slug": (64, False),
    "name_fr": (200, False),
    "name_ar": (200, False),
    "region": (64, False),
    "timezone": (64, False),
    "address": (500, True),
}
UNKNOWN_REGION = N_("Unknown region: create it on the “Regions and hubs” page first.")


@dataclass(frozen=True)
class RegionEntry:
    region: RegionInfo
    hubs: list[Hub]


@dataclass(frozen=True)
class HubEntry:
    hub: Hub
    managers: list[HubManagerInfo]


@dataclass(frozen=True)
class Suspension:
    """An association about to be suspended and its bookings that still hold resources."""

    association: Association
    bookings: list[HeldBooking]


def _admin_only(principal: Principal) -> None:
    if not principal.is_platform_admin:
        raise Forbidden(N_("Only a platform administrator can do this."))


# Regions and hubs


async def overview(principal: Principal) -> list[RegionEntry]:
    """Every region with its hubs (a region without hubs too), in slug order."""
    _admin_only(principal)
    hubs = (await catalogue.hubs(10_000, 0)).items
    return [
        RegionEntry(region, [hub for hub in hubs if hub.region == region.slug])
        for region in await catalogue.regions()
    ]


async def create_region(principal: Principal, data: dict[str, str], now: datetime) -> RegionInfo:
    """A new region named in French and/or Arabic (platform admins); audited."""
    _admin_only(principal)
    slug, name_fr, name_ar = (data.get(k, "").strip() for k in ("slug", "name_fr", "name_ar"))
    found = [] if SLUG.match(slug) else [_bad_slug("slug")]
    found += _texts({"name_fr": name_fr, "name_ar": name_ar}, HUB_TEXTS)
    if not name_fr and not name_ar:
        found.append(
            Violation("required", N_("Give a name in French or in Arabic (or both)."), "name_fr")
        )
    if found:
        raise Invalid(found)
    async with transaction():
        region_id = await catalogue.insert_region(slug, name_fr, name_ar)
        if region_id is None:
            raise Conflict(N_("A region with this slug already exists."), field="slug")
        await audit.record(principal.user_id, "region.created", "region", region_id, now, slug=slug)
    return RegionInfo(region_id, slug, name_fr, name_ar)


async def create_hub(principal: Principal, data: dict[str, Any], now: datetime) -> Hub:
    """A new hub in an existing region, as ``POST /api/v1/hubs`` creates it (with the
    bounds its request body has there)."""
    _admin_only(principal)
    _raise_if(_texts(data, HUB_TEXTS))
    await _existing_region(data.get("region", ""))
    return await resources.create_hub(principal, data, now)


async def rename_hub(principal: Principal, slug: str, data: dict[str, str], now: datetime) -> Hub:
    """New names for the hub of ``slug``, as ``PATCH /api/v1/hubs/{id}`` changes them."""
    _admin_only(principal)
    hub = await resources.get_hub_by_slug(slug)
    _raise_if(_texts(data, HUB_TEXTS))
    return await resources.update_hub(principal, hub.id, data, now)


async def hub_entry(principal: Principal, slug: str) -> HubEntry:
    """One hub with its managers (404 for an unknown slug)."""
    _admin_only(principal)
    hub = await resources.get_hub_by_slug(slug)
    return HubEntry(hub, await accounts.hub_managers([hub.id]))


async def assign_manager(principal: Principal, slug: str, email: str, now: datetime) -> bool:
    """Make the account of ``email`` a manager of the hub of ``slug``; False when it already
    was one. The account must exist (people are invited on the users' pages); audited."""
    _admin_only(principal)
    hub_id = (await resources.get_hub_by_slug(slug)).id
    problems = check_email(email)
    if problems:
        raise Invalid(problems)
    email = normalise_email(email)
    user_id = await accounts.id_of(email)
    if user_id is None:
        raise invalid(
            "email",
            "unknown_user",
            N_("Nobody has an account with this email. Invite the person first."),
        )
    async with transaction():
        added = await accounts.add_hub_manager(user_id, hub_id)
        if added:
            await audit.record(
                principal.user_id, "hub.manager_added", "hub", hub_id, now, email=email
            )
    return added


async def unassign_manager(principal: Principal, slug: str, user_id: int, now: datetime) -> None:
    """The user no longer manages the hub of ``slug`` (404 when they did not); audited."""
    _admin_only(principal)
    hub_id = (await resources.get_hub_by_slug(slug)).id
    async with transaction():
        if not await accounts.remove_hub_manager(user_id, hub_id):
            raise NotFound(N_("This person does not manage this hub."))
        await audit.record(
            principal.user_id, "hub.manager_removed", "hub", hub_id, now, user_id=user_id
        )


# Associations


async def find_associations(
    principal: Principal, filters: AssociationFilters, limit: int, offset: int
) -> Page[Association]:
    """A page of the associations matching ``filters``, in slug order."""
    _admin_only(principal)
    return await associations.search(principal, filters, limit, offset)


async def regions(principal: Principal) -> list[RegionInfo]:
    _admin_only(principal)
    return await catalogue.regions()


async def register_association(
    principal: Principal, data: dict[str, str], now: datetime
) -> Association:
    """Register an association in an existing region, as ``POST /api/v1/associations`` does,
    with the bounds of the import (``check_values``) checked first."""
    _admin_only(principal)
    found = check_values(data)
    if data.get("region") and SLUG.match(data["region"]):
        regions = await catalogue.existing_region_ids([data["region"]])
        if not regions:
            found.append(Violation("unknown_region", UNKNOWN_REGION, "region"))
    if found:
        raise Invalid(found)
    values = {key: value for key, value in data.items() if value}
    return await association_service.create_association(principal, values, now)


async def activate(principal: Principal, association_id: int, now: datetime) -> Association:
    """The association may book again (from suspended or pending); audited."""
    _admin_only(principal)
    async with transaction():
        before = await _locked_status(association_id)
        if before != AssociationStatus.ACTIVE:
            await associations.set_status(association_id, AssociationStatus.ACTIVE)
            await audit.record(
                principal.user_id,
                "association.activated",
                "association",
                association_id,
                now,
                before=before,
            )
    return await association_service.get_association(principal, association_id)


async def suspension(principal: Principal, association_id: int, now: datetime) -> Suspension:
    """What suspending would touch: the association and its bookings still holding."""
    _admin_only(principal)
    association = await association_service.get_association(principal, association_id)
    return Suspension(association, await associations.held_bookings(association_id, now))


async def suspend(
    principal: Principal,
    association_id: int,
    cancel: set[int] | None,
    reason: str,
    now: datetime,
) -> list[int]:
    """Suspend the association (it can no longer book) and cancel the bookings chosen among
    those it still holds (``None``: all of them) with the engine's cancel, each audited and
    its people told; the others are kept. One transaction; the ids cancelled."""
    _admin_only(principal)
    reason = _reason(reason)
    async with transaction():
        # Bookings first, the association's lock last: the order of a booking's own changes.
        held = await associations.held_bookings(association_id, now)
        chosen = [b.id for b in held if cancel is None or b.id in cancel]
        if chosen and not reason:
            raise invalid("reason", "required", N_("Say why the bookings are cancelled."))
        cancelled = [b for b in chosen if await _cancelled(principal, b, reason, now)]
        before = await _locked_status(association_id)
        if before != AssociationStatus.SUSPENDED:
            await associations.set_status(association_id, AssociationStatus.SUSPENDED)
        await audit.record(
            principal.user_id,
            "association.suspended",
            "association",
            association_id,
            now,
            before=before,
            cancelled=cancelled,
            reason=reason,
        )
    return cancelled


async def _cancelled(principal: Principal, booking_id: int, reason: str, now: datetime) -> bool:
    """Cancel one booking with the reason; False when it was cancelled (or ended) meanwhile."""
    try:
        await booking_changes.cancel(principal, booking_id, "this", now, reason=reason)
    except Conflict:
        return False
    return True


async def _locked_status(association_id: int) -> str:
    status = await associations.lock(association_id)
    if status is None:
        raise NotFound(N_("This association does not exist."))
    return status


async def _existing_region(slug: str) -> None:
    if not SLUG.match(slug):
        raise Invalid([_bad_slug("region")])
    if not await catalogue.existing_region_ids([slug]):
        raise invalid("region", "unknown_region", UNKNOWN_REGION)


def _texts(data: dict[str, Any], limits: dict[str, tuple[int, bool]]) -> list[Violation]:
    """Texts too long, or with control characters (line breaks only where ``multiline``)."""
    found = []
    for field, (longest, multiline) in limits.items():
        value = str(data.get(field) or "")
        refused = NOT_IN_TEXT if multiline else NOT_IN_LINE
        if len(value) > longest:
            found.append(
                Violation("too_long", N_("At most %(max)s characters."), field, {"max": longest})
            )
        elif refused.search(value):
            found.append(
                Violation(
                    "invalid_text", N_("This text has characters that are not allowed."), field
                )
            )
    return found


def _raise_if(found: list[Violation]) -> None:
    if found:
        raise Invalid(found)


def _reason(text: str) -> str:
    text = text.strip()
    if len(text) > REASON_MAX:
        raise invalid("reason", "too_long", N_("At most %(max)s characters."), max=REASON_MAX)
    if NOT_IN_TEXT.search(text):
        raise invalid(
            "reason", "invalid_text", N_("This text has characters that are not allowed.")
        )
    return text


def _bad_slug(field: str) -> Violation:
    return Violation(
        "invalid_slug",
        N_("Use 1 to 64 lower-case letters, digits and dashes (e.g. fes-meknes)."),
        field,
    )
