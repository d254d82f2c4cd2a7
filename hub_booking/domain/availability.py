"""Free time: when could a resource be booked in a window, given opening hours, closures,
buffers and what is already held?"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from functools import lru_cache

from hub_booking.domain.intervals import merge, subtract, usage_steps
from hub_booking.domain.model import Closure, Hold, ResourceInfo
from hub_booking.domain.rules import WEEKDAYS
from hub_booking.domain.wallclock import WallClockError, to_utc


@dataclass(frozen=True)
class Free:
    start: datetime
    end: datetime


def opening_periods(
    start: datetime, end: datetime, hours: dict, zone: tzinfo
) -> list[tuple[datetime, datetime]]:
    """The hub's opening periods (UTC) that fall in ``[start, end)``, clipped to it."""
    key = tuple(sorted((day, tuple(map(tuple, spans))) for day, spans in hours.items()))
    return list(_opening_periods(start, end, key, zone))


@lru_cache(maxsize=256)  # every resource of a hub shares its hours: computed once per window
def _opening_periods(
    start: datetime, end: datetime, key: tuple, zone: tzinfo
) -> tuple[tuple[datetime, datetime], ...]:
    hours = {day: spans for day, spans in key}
    periods = []
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    while day <= last:
        for open_, close in hours.get(WEEKDAYS[day.weekday()], []):
            try:
                lo = to_utc(datetime.combine(day, _clock(open_)), zone)
                hi = to_utc(datetime.combine(day, time(0)) + _minutes(close), zone)
            except WallClockError:
                continue  # an opening edge inside a clock change: skip that period that day
            lo, hi = max(lo, start), min(hi, end)
            if lo < hi:
                periods.append((lo, hi))
        day += timedelta(days=1)
    return tuple(merge(periods))


def free_periods(
    resource: ResourceInfo,
    start: datetime,
    end: datetime,
    *,
    zone: tzinfo,
    hub_opening_hours: dict,
    holds: Iterable[Hold],
    closures: Iterable[Closure],
    units: int = 1,
    duration: timedelta | None = None,
) -> list[Free]:
    """Periods in which a booking of ``units`` could start and end, buffers respected.

    A new booking ``[s, e)`` holds ``[s - before, e + after)``; it fits where that hold
    meets no period already full, i.e. ``[s, e)`` avoids each full period widened by the
    new booking's own buffers.
    """
    rules = resource.rules
    before = timedelta(minutes=rules.get("buffer_before_minutes", 0))
    after = timedelta(minutes=rules.get("buffer_after_minutes", 0))
    hours = rules.get("opening_hours", hub_opening_hours)
    free = opening_periods(start, end, hours, zone)
    holds = [h for h in holds if h.resource_id == resource.id]
    steps = usage_steps(((h.start, h.end, h.quantity) for h in holds), start - before, end + after)
    full = [(lo - after, hi + before) for lo, hi, used in steps if used + units > resource.quantity]
    shut = [(c.start, c.end) for c in closures if c.resource_id in (None, resource.id)]
    result = subtract(free, [*full, *shut])
    return [Free(lo, hi) for lo, hi in result if duration is None or hi - lo >= duration]


def first_starts(
    periods: list[Free], duration: timedelta, after: datetime, step: timedelta, limit: int
) -> list[datetime]:
    """The earliest starts (on ``step`` marks from ``after``) where ``duration`` fits."""
    starts: list[datetime] = []
    for period in periods:
        candidate = max(period.start, after)
        offset = (candidate - after) % step
        if offset:
            candidate += step - offset
        if candidate + duration <= period.end:
            starts.append(candidate)
            if len(starts) == limit:
                break
    return starts


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _minutes(text: str) -> timedelta:
    hours, minutes = text.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))
