"""Alternatives for a refused booking: the next free times, and other resources free now.

Finding them reads two weeks of the items' holds and every other resource of the hub: the
booking form's live check, run as the user types, leaves them ``deferred`` (the form then
offers a button that asks for them); the refused booking itself always gets them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from hub_booking.db import catalogue, closures
from hub_booking.db import holds as held
from hub_booking.domain.availability import Free, first_starts, free_periods
from hub_booking.domain.bookings import BookingRequest
from hub_booking.domain.intervals import merge
from hub_booking.domain.model import Hub, ResourceInfo, ResourceKind

LOOK_AHEAD = timedelta(days=14)
NEXT_SLOTS = 3
MAX_ALTERNATIVES = 10


@dataclass(frozen=True)
class Alternative:
    """Another resource of the hub, free at the asked time, that could replace ``replaces``."""

    replaces: int
    resource_id: int
    name: str
    kind: ResourceKind


@dataclass(frozen=True)
class Suggestions:
    next_slots: tuple[Free, ...]  # the same items, later
    alternatives: tuple[Alternative, ...]  # other resources, at the asked time
    deferred: bool = False  # not looked for (a live check): ask again for them


_DEFERRED: ContextVar[bool] = ContextVar("suggestions_deferred", default=False)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Within this block (this request's task only), a clash gets no suggestions, only the
    promise of them: what the live check wants, as it runs on every change of the form."""
    token = _DEFERRED.set(True)
    try:
        yield
    finally:
        _DEFERRED.reset(token)


async def for_request(
    request: BookingRequest,
    resources: dict[int, ResourceInfo],
    hub: Hub,
    zone: tzinfo,
    now: datetime,
) -> Suggestions:
    if _DEFERRED.get():
        return Suggestions((), (), deferred=True)
    duration = request.ends_at - request.starts_at
    start = max(request.starts_at, now)
    return Suggestions(
        await _next_slots(request, resources, hub, zone, start, duration),
        await _alternatives(request, resources, hub, zone),
    )


async def _next_slots(
    request: BookingRequest,
    resources: dict[int, ResourceInfo],
    hub: Hub,
    zone: tzinfo,
    start: datetime,
    duration: timedelta,
) -> tuple[Free, ...]:
    end = start + LOOK_AHEAD
    holds = await held.holds(list(resources), start - timedelta(days=1), end + timedelta(days=1))
    found_closures = await closures.overlapping(hub.id, start, end)
    common: list[Free] | None = None
    for resource_id, units in request.items.items():
        free = free_periods(
            resources[resource_id],
            start,
            end,
            zone=zone,
            hub_opening_hours=hub.opening_hours,
            holds=holds,
            closures=found_closures,
            units=units,
            duration=duration,
        )
        common = free if common is None else _intersect(common, free)
    step = timedelta(
        minutes=max(r.rules.get("granularity_minutes", 15) for r in resources.values())
    )
    starts = first_starts(common or [], duration, request.starts_at, step, NEXT_SLOTS)
    return tuple(Free(s, s + duration) for s in starts)


async def _alternatives(
    request: BookingRequest, resources: dict[int, ResourceInfo], hub: Hub, zone: tzinfo
) -> tuple[Alternative, ...]:
    """Other resources of the hub, of the same kind and big enough, free at the asked time."""
    candidates = {
        rid: r
        for rid, r in (await catalogue.hub_resource_infos(hub.id)).items()
        if rid not in request.items
    }
    margin = timedelta(days=1)
    holds = await held.holds(list(candidates), request.starts_at - margin, request.ends_at + margin)
    found_closures = await closures.overlapping(hub.id, request.starts_at, request.ends_at)
    found = []
    for item_id, units in request.items.items():
        wanted = resources[item_id]
        for candidate in candidates.values():
            if not _could_replace(wanted, candidate, units, request.attendees):
                continue
            free = free_periods(
                candidate,
                request.starts_at,
                request.ends_at,
                zone=zone,
                hub_opening_hours=hub.opening_hours,
                holds=holds,
                closures=found_closures,
                units=units,
                duration=request.ends_at - request.starts_at,
            )
            if free:
                found.append(Alternative(item_id, candidate.id, candidate.name, candidate.kind))
    return tuple(found[:MAX_ALTERNATIVES])


def _could_replace(
    wanted: ResourceInfo, candidate: ResourceInfo, units: int, attendees: int
) -> bool:
    if candidate.kind != wanted.kind or candidate.quantity < units:
        return False
    return not wanted.is_space or (candidate.capacity or 0) >= attendees


def _intersect(a: list[Free], b: list[Free]) -> list[Free]:
    result = []
    for x in a:
        for y in b:
            lo, hi = max(x.start, y.start), min(x.end, y.end)
            if lo < hi:
                result.append((lo, hi))
    return [Free(lo, hi) for lo, hi in merge(result)]
