"""The hubs a manager runs: which they are, and one of them by slug for the manager pages.

A hub the caller does not manage answers 404 exactly like one that does not exist: the
condition is part of the query (``db.catalogue.managed_by``), never a check after loading.
"""

from __future__ import annotations

from hub_booking.db import catalogue, hub_bookings
from hub_booking.domain.catalogue import SLUG
from hub_booking.domain.errors import N_, NotFound
from hub_booking.domain.model import Hub, Principal


async def managed_hubs(principal: Principal) -> list[Hub]:
    """The hubs the caller manages (every hub for a platform admin)."""
    return await catalogue.managed_hubs(principal)


async def managed_hub(principal: Principal, slug: str) -> Hub:
    """One hub the caller manages, by slug; 404 otherwise."""
    hub = await catalogue.managed_hub(principal, slug) if SLUG.match(slug) else None
    if hub is None:
        raise NotFound(N_("This hub does not exist."))
    return hub


async def pending_count(principal: Principal) -> int:
    """Requests waiting in the hubs the caller manages (0 for anyone who manages none)."""
    if not (principal.is_platform_admin or principal.managed_hubs):
        return 0
    return await hub_bookings.pending_count(principal)
