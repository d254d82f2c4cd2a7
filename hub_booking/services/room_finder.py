"""Find a room: the hub's rooms (enough seats) free for a duration in a window of one day,
with whether the asked equipment is free at the same time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hub_booking.db import catalogue
from hub_booking.domain.availability import Free
from hub_booking.domain.model import ResourceInfo, ResourceKind
from hub_booking.domain.room_search import Fit, fits
from hub_booking.services import availability
from hub_booking.services.availability import Wanted

MAX_FITS = 20


@dataclass(frozen=True)
class Search:
    hub_id: int
    start: datetime  # UTC, the asked window
    end: datetime
    duration_minutes: int
    people: int
    equipment: tuple[int, ...] = ()


@dataclass(frozen=True)
class Found:
    fits: list[Fit]
    rooms: dict[int, ResourceInfo]
    equipment: dict[int, ResourceInfo]  # the asked pools of this hub (others are ignored)


async def find_rooms(search: Search, now: datetime, *, language: str = "fr") -> Found:
    """Rooms and start times that fit, nearest to the start of the window first (or to now,
    for the rest of today)."""
    start = max(search.start, now)
    if start >= search.end:
        return Found([], {}, {})
    window = (search.hub_id, start, search.end)
    rooms = await availability.find_free(
        *window,
        Wanted(ResourceKind.SPACE, search.people, search.duration_minutes),
        language=language,
    )
    pools = await _pools(search, language)
    free_pools: dict[int, tuple[Free, ...]] = dict.fromkeys(pools, ())
    if pools:
        found = await availability.find_free(
            *window,
            Wanted(ResourceKind.EQUIPMENT, None, search.duration_minutes),
            language=language,
        )
        free_pools.update(
            {r.resource.id: r.free for r in found.resources if r.resource.id in pools}
        )
    step = timedelta(
        minutes=max(
            [r.resource.rules.get("granularity_minutes", 15) for r in rooms.resources] or [15]
        )
    )
    chosen = fits(
        {r.resource.id: r.free for r in rooms.resources},
        free_pools,
        search.start,  # starts on the hub's marks from the asked hour, nearest first
        timedelta(minutes=search.duration_minutes),
        step,
        MAX_FITS,
    )
    return Found(chosen, {r.resource.id: r.resource for r in rooms.resources}, pools)


async def _pools(search: Search, language: str) -> dict[int, ResourceInfo]:
    """The asked equipment pools that belong to the hub (anything else is ignored)."""
    asked = await catalogue.resource_infos(list(search.equipment), language)
    return {
        rid: info
        for rid, info in asked.items()
        if info.hub_id == search.hub_id and info.kind == ResourceKind.EQUIPMENT and info.active
    }
