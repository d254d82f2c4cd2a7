"""Find a room: from each room's free periods, the start times that fit, nearest first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub_booking.domain.availability import Free, first_starts

STARTS_PER_ROOM = 3


@dataclass(frozen=True)
class Fit:
    """A room free over ``[start, end)``, and which asked equipment pools are free then."""

    resource_id: int
    start: datetime
    end: datetime
    equipment_free: Mapping[int, bool]


def fits(
    rooms: Mapping[int, Iterable[Free]],
    equipment: Mapping[int, Iterable[Free]],
    asked: datetime,
    duration: timedelta,
    step: timedelta,
    limit: int,
) -> list[Fit]:
    """Up to ``limit`` (room, start) pairs, starts on ``step`` marks from ``asked``, ordered
    by how far they are from ``asked`` (then by room); each room offers a few starts, one
    ``duration`` apart."""
    found = []
    for resource_id, periods in rooms.items():
        starts = starts_in(list(periods), duration, asked, step, STARTS_PER_ROOM)
        found += [(abs(start - asked), start, resource_id) for start in starts]
    found.sort(key=lambda f: (f[0], f[1], f[2]))
    pools = {pool: list(periods) for pool, periods in equipment.items()}
    return [
        Fit(
            resource_id,
            start,
            start + duration,
            {pool: covers(free, start, start + duration) for pool, free in pools.items()},
        )
        for _, start, resource_id in found[:limit]
    ]


def starts_in(
    periods: list[Free], duration: timedelta, asked: datetime, step: timedelta, limit: int
) -> list[datetime]:
    """The earliest starts on ``step`` marks from ``asked`` where ``duration`` fits, one
    ``duration`` (at least one step) apart, at most ``limit``."""
    gap = max(duration, step)
    starts: list[datetime] = []
    for period in periods:
        for first in first_starts([period], duration, asked, step, 1):
            candidate = first
            while candidate + duration <= period.end and len(starts) < limit:
                starts.append(candidate)
                candidate += gap
    return starts


def covers(periods: Iterable[Free], start: datetime, end: datetime) -> bool:
    """True when one free period holds all of ``[start, end)``."""
    return any(p.start <= start and end <= p.end for p in periods)
