"""Free resources and free periods of a hub in a window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hub_booking import zones
from hub_booking.db import queries
from hub_booking.domain.availability import free_periods
from hub_booking.domain.errors import N_, NotFound, invalid
from hub_booking.domain.model import ResourceKind

MAX_WINDOW = timedelta(days=31)


async def find_free(
    hub_id: int,
    start: datetime,
    end: datetime,
    *,
    kind: str | None = None,
    min_capacity: int | None = None,
    duration_minutes: int | None = None,
    language: str = "fr",
) -> dict[str, Any]:
    if end <= start:
        raise invalid("to", "end_before_start", N_("The end must come after the start."))
    if end - start > MAX_WINDOW:
        raise invalid(
            "to",
            "window_too_long",
            N_("Ask for at most %(days)s days at a time."),
            days=MAX_WINDOW.days,
        )
    if kind is not None and kind not in tuple(ResourceKind):
        raise invalid("kind", "invalid_kind", N_("Kind must be space or equipment."))
    hub = await queries.hub(hub_id)
    if hub is None:
        raise NotFound(N_("This hub does not exist."))
    zone = zones.get_zone(hub["timezone"])
    resources = await queries.hub_resources(hub_id, language)
    chosen = [
        r
        for r in resources.values()
        if (kind is None or r.kind == kind)
        and (min_capacity is None or (r.capacity or 0) >= min_capacity)
    ]
    margin = timedelta(days=1)
    holds = await queries.holds([r.id for r in chosen], start - margin, end + margin)
    closures = await queries.closures(hub_id, start, end)
    duration = timedelta(minutes=duration_minutes) if duration_minutes else None
    found = []
    for resource in sorted(chosen, key=lambda r: (r.kind != ResourceKind.SPACE, r.name)):
        free = free_periods(
            resource,
            start,
            end,
            zone=zone,
            hub_opening_hours=hub["opening_hours"],
            holds=holds,
            closures=closures,
            duration=duration,
        )
        if free:
            found.append(
                {
                    "resource_id": resource.id,
                    "name": resource.name,
                    "kind": resource.kind,
                    "capacity": resource.capacity,
                    "quantity": resource.quantity,
                    "free": [
                        {"starts_at": f.start.isoformat(), "ends_at": f.end.isoformat()}
                        for f in free
                    ],
                }
            )
    return {"hub_id": hub_id, "timezone": hub["timezone"], "resources": found}
