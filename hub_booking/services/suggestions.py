"""Alternatives for a refused booking: the next free times, and other resources free now."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

from hub_booking.db import queries
from hub_booking.domain.availability import Free, first_starts, free_periods
from hub_booking.domain.checks import Context
from hub_booking.domain.intervals import merge
from hub_booking.domain.model import ResourceInfo
from hub_booking.domain.requests import BookingRequest

LOOK_AHEAD = timedelta(days=14)
NEXT_SLOTS = 3


async def for_request(
    request: BookingRequest,
    resources: dict[int, ResourceInfo],
    hub: dict,
    zone: tzinfo,
    ctx: Context,
) -> dict[str, Any]:
    duration = request.ends_at - request.starts_at
    start = max(request.starts_at, ctx.now)
    return {
        "next_slots": await _next_slots(request, resources, hub, zone, start, duration),
        "alternatives": await _alternatives(request, resources, hub, zone),
    }


async def _next_slots(
    request: BookingRequest,
    resources: dict[int, ResourceInfo],
    hub: dict,
    zone: tzinfo,
    start: datetime,
    duration: timedelta,
) -> list[dict[str, str]]:
    end = start + LOOK_AHEAD
    holds = await queries.holds(list(resources), start - timedelta(days=1), end + timedelta(days=1))
    closures = await queries.closures(hub["id"], start, end)
    common: list[Free] | None = None
    for resource_id, units in request.items.items():
        free = free_periods(
            resources[resource_id],
            start,
            end,
            zone=zone,
            hub_opening_hours=hub["opening_hours"],
            holds=holds,
            closures=closures,
            units=units,
            duration=duration,
        )
        common = free if common is None else _intersect(common, free)
    step = timedelta(
        minutes=max(
            (r.rules.get("granularity_minutes", 15) for r in resources.values()), default=15
        )
    )
    starts = first_starts(common or [], duration, request.starts_at, step, NEXT_SLOTS)
    return [{"starts_at": s.isoformat(), "ends_at": (s + duration).isoformat()} for s in starts]


async def _alternatives(
    request: BookingRequest, resources: dict[int, ResourceInfo], hub: dict, zone: tzinfo
) -> list[dict[str, Any]]:
    """Other resources of the hub, of the same kind and big enough, free at the asked time."""
    candidates = {
        rid: r
        for rid, r in (await queries.hub_resources(hub["id"])).items()
        if rid not in request.items
    }
    holds = await queries.holds(
        list(candidates), request.starts_at - timedelta(days=1), request.ends_at + timedelta(days=1)
    )
    closures = await queries.closures(hub["id"], request.starts_at, request.ends_at)
    found = []
    for item_id, units in request.items.items():
        wanted = resources[item_id]
        for candidate in candidates.values():
            if candidate.kind != wanted.kind or candidate.quantity < units:
                continue
            if wanted.is_space and (candidate.capacity or 0) < request.attendees:
                continue
            free = free_periods(
                candidate,
                request.starts_at,
                request.ends_at,
                zone=zone,
                hub_opening_hours=hub["opening_hours"],
                holds=holds,
                closures=closures,
                units=units,
                duration=request.ends_at - request.starts_at,
            )
            if free:
                found.append(
                    {
                        "replaces": item_id,
                        "resource_id": candidate.id,
                        "name": candidate.name,
                        "kind": candidate.kind,
                    }
                )
    return found[:10]


def _intersect(a: list[Free], b: list[Free]) -> list[Free]:
    result = []
    for x in a:
        for y in b:
            lo, hi = max(x.start, y.start), min(x.end, y.end)
            if lo < hi:
                result.append((lo, hi))
    return [Free(lo, hi) for lo, hi in merge(result)]
