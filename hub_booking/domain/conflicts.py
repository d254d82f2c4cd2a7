"""Conflicts: would the requested holds exceed what a resource has, at any instant?

A space has one unit, so any overlap clashes; an equipment pool of N clashes where the units
already held plus the units asked exceed N. Buffers are inside the holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from hub_booking.domain.intervals import merge, overlaps, usage_steps
from hub_booking.domain.model import Hold


@dataclass(frozen=True)
class Clash:
    """A period in which ``resource_id`` cannot give the units asked."""

    resource_id: int
    start: datetime
    end: datetime


def find(
    wanted: Iterable[Hold], existing: Iterable[Hold], quantities: dict[int, int]
) -> list[Clash]:
    """Every clash of the ``wanted`` holds with ``existing`` ones and with each other."""
    existing = list(existing)
    wanted = list(wanted)
    clashes: list[Clash] = []
    for index, hold in enumerate(wanted):
        others = [
            h
            for h in existing
            if h.resource_id == hold.resource_id
            and (hold.booking_id is None or h.booking_id != hold.booking_id)  # a moved booking
        ]
        others += [h for h in wanted[:index] if h.resource_id == hold.resource_id]
        others = [h for h in others if overlaps(h.start, h.end, hold.start, hold.end)]
        capacity = quantities.get(hold.resource_id, 1)
        steps = usage_steps(((h.start, h.end, h.quantity) for h in others), hold.start, hold.end)
        bad = merge((lo, hi) for lo, hi, used in steps if used + hold.quantity > capacity)
        clashes += [Clash(hold.resource_id, lo, hi) for lo, hi in bad]
    return clashes


def fits(hold: Hold, existing: Iterable[Hold], quantity: int) -> bool:
    """True when ``hold`` fits beside ``existing`` holds of a resource of ``quantity`` units."""
    return not find([hold], existing, {hold.resource_id: quantity})
