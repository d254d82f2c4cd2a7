"""Free resources and free periods of a hub in a window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hub_booking import zones
from hub_booking.db import catalogue, closures
from hub_booking.db import holds as held
from hub_booking.domain.availability import Free, free_periods
from hub_booking.domain.bookings import raise_if
from hub_booking.domain.errors import N_, NotFound, invalid
from hub_booking.domain.model import Hold, ResourceInfo, ResourceKind
from hub_booking.domain.wallclock import period_violations

MAX_WINDOW = timedelta(days=31)


@dataclass(frozen=True)
class FreeResource:
    resource: ResourceInfo
    free: tuple[Free, ...]


@dataclass(frozen=True)
class Availability:
    hub_id: int
    timezone: str
    resources: tuple[FreeResource, ...]


@dataclass(frozen=True)
class Wanted:
    """What the asker needs: a kind, seats, a duration (all optional)."""

    kind: ResourceKind | None = None
    min_capacity: int | None = None
    duration_minutes: int | None = None

    def fits(self, resource: ResourceInfo) -> bool:
        return (self.kind is None or resource.kind == self.kind) and (
            self.min_capacity is None or (resource.capacity or 0) >= self.min_capacity
        )


async def find_free(
    hub_id: int, start: datetime, end: datetime, wanted: Wanted, *, language: str = "fr"
) -> Availability:
    """The hub's resources that fit ``wanted``, each with its free periods in the window."""
    raise_if(period_violations(start, end))
    if end - start > MAX_WINDOW:
        raise invalid(
            "to",
            "window_too_long",
            N_("Ask for at most %(days)s days at a time."),
            days=MAX_WINDOW.days,
        )
    hub = await catalogue.hub(hub_id)
    if hub is None:
        raise NotFound(N_("This hub does not exist."))
    zone = zones.get_zone(hub.timezone)
    infos = await catalogue.hub_resource_infos(hub_id, language)
    chosen = [r for r in infos.values() if wanted.fits(r)]
    margin = timedelta(days=1)
    holds = await held.holds([r.id for r in chosen], start - margin, end + margin)
    found_closures = await closures.overlapping(hub_id, start, end)
    duration = timedelta(minutes=wanted.duration_minutes) if wanted.duration_minutes else None
    by_resource: dict[int, list[Hold]] = {}
    for hold in holds:
        by_resource.setdefault(hold.resource_id, []).append(hold)
    found = []
    for resource in sorted(chosen, key=lambda r: (r.kind != ResourceKind.SPACE, r.name)):
        free = free_periods(
            resource,
            start,
            end,
            zone=zone,
            hub_opening_hours=hub.opening_hours,
            holds=by_resource.get(resource.id, []),
            closures=found_closures,
            duration=duration,
        )
        if free:
            found.append(FreeResource(resource, tuple(free)))
    return Availability(hub_id, hub.timezone, tuple(found))
