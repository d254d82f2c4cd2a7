"""Half-open UTC intervals ``[start, end)``: overlap, buffers, and units in use over time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import pairwise


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """True when ``[a_start, a_end)`` and ``[b_start, b_end)`` share an instant (an empty
    period shares none)."""
    return a_start < a_end and b_start < b_end and a_start < b_end and b_start < a_end


def with_buffers(start: datetime, end: datetime, rules: dict) -> tuple[datetime, datetime]:
    """The period a booking holds its resource: set-up before, clean-up after."""
    before = timedelta(minutes=rules.get("buffer_before_minutes", 0))
    after = timedelta(minutes=rules.get("buffer_after_minutes", 0))
    return start - before, end + after


def peak_usage(
    periods: Iterable[tuple[datetime, datetime, int]], start: datetime, end: datetime
) -> int:
    """The most units in use at any instant of ``[start, end)``."""
    return max((units for _, _, units in usage_steps(periods, start, end)), default=0)


def usage_steps(
    periods: Iterable[tuple[datetime, datetime, int]], start: datetime, end: datetime
) -> list[tuple[datetime, datetime, int]]:
    """``[start, end)`` cut into pieces of constant use: ``(from, to, units)``, sweep-line."""
    events: dict[datetime, int] = {}
    for p_start, p_end, units in periods:
        lo, hi = max(p_start, start), min(p_end, end)
        if lo < hi:
            events[lo] = events.get(lo, 0) + units
            events[hi] = events.get(hi, 0) - units
    points = sorted({start, end, *events})
    steps, in_use = [], 0
    for here, after in pairwise(points):
        in_use += events.get(here, 0)
        steps.append((here, after, in_use))
    return steps


def merge(periods: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Overlapping or touching periods joined, sorted."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(periods):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(
    free: list[tuple[datetime, datetime]], busy: Iterable[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """``free`` minus every ``busy`` period."""
    result = list(free)
    for b_start, b_end in merge(busy):
        next_result = []
        for f_start, f_end in result:
            if not overlaps(f_start, f_end, b_start, b_end):
                next_result.append((f_start, f_end))
                continue
            if f_start < b_start:
                next_result.append((f_start, b_start))
            if b_end < f_end:
                next_result.append((b_end, f_end))
        result = next_result
    return result
