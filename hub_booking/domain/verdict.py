"""The verdict on a booking request: every occurrence with its problems, and what to write.

One pure function for creating, moving and previewing a booking, so the three can never
disagree: the rules of each occurrence, the clashes with what is already held, the rules of
the request as a whole (quotas), and, for a series with ``on_conflict: skip``, which
occurrences are left out and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub_booking.domain import checks
from hub_booking.domain.checks import Context
from hub_booking.domain.conflicts import Clash, find
from hub_booking.domain.errors import N_, Violation
from hub_booking.domain.intervals import with_buffers
from hub_booking.domain.model import Hold, ResourceInfo
from hub_booking.domain.wallclock import Slot


@dataclass(frozen=True)
class Occurrence:
    """One asked occurrence and its own problems (none when it can be booked)."""

    slot: Slot
    violations: tuple[Violation, ...] = ()
    clashes: tuple[Clash, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations and not self.clashes


@dataclass(frozen=True)
class Skipped:
    """An occurrence a ``skip`` series leaves out, with the first reason."""

    slot: Slot
    code: str
    message: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Verdict:
    occurrences: tuple[Occurrence, ...]
    violations: tuple[Violation, ...]  # what refuses the request (one per code)
    clashes: tuple[Clash, ...]  # what refuses it as a conflict (unless skipped)
    kept: tuple[Slot, ...]  # what a write would book
    skipped: tuple[Skipped, ...]

    @property
    def ok(self) -> bool:
        """True exactly when a create would book something."""
        return not self.violations and bool(self.kept)


@dataclass(frozen=True)
class Ask:
    """What is asked, as the rules see it."""

    slots: tuple[Slot, ...]
    items: dict[int, int]
    attendees: int
    skip: bool = False
    override: bool = False
    booking_id: int | None = None  # the booking being moved: its own holds don't clash
    unplaceable: tuple[Occurrence, ...] = ()  # times the wall clock cannot place


def wanted_holds(
    slot: Slot, items: dict[int, int], resources: dict[int, ResourceInfo], booking_id: int | None
) -> list[Hold]:
    """The holds (buffers included) that booking ``items`` over ``slot`` would take."""
    return [
        Hold(rid, qty, *with_buffers(slot.start, slot.end, resources[rid].rules), booking_id)
        for rid, qty in items.items()
    ]


def judge(ask: Ask, ctx: Context, existing: list[Hold]) -> Verdict:
    """Every rule and clash of every occurrence, then of the request as a whole."""
    quantities = {r.id: r.quantity for r in ctx.resources.values()}
    taken = list(existing)
    occurrences: list[Occurrence] = list(ask.unplaceable)
    kept: list[Slot] = []
    for slot in ask.slots:
        problems = checks.check_slot(slot, ask.items, ctx)
        if ask.override:
            problems = [v for v in problems if v.code in checks.HARD_CODES]
        holds = wanted_holds(slot, ask.items, ctx.resources, ask.booking_id)
        clashes = find(holds, taken, quantities)
        occurrences.append(Occurrence(slot, tuple(problems), tuple(clashes)))
        if not problems and not clashes:
            kept.append(slot)
            taken += holds
    occurrences.sort(key=lambda o: o.slot.local_start)
    return _settle(ask, ctx, occurrences, kept)


def _settle(ask: Ask, ctx: Context, occurrences: list[Occurrence], kept: list[Slot]) -> Verdict:
    per_slot = [] if ask.skip else [v for o in occurrences for v in o.violations]
    whole = checks.check_request(kept or list(ask.slots), ask.items, ask.attendees, ctx)
    violations = checks.settle(per_slot, whole, override=ask.override)
    clashes = [c for o in occurrences for c in o.clashes]
    if not ask.skip and any(not o.ok for o in occurrences):
        kept = []
    skipped = [_skipped(o) for o in occurrences if not o.ok] if ask.skip else []
    return Verdict(
        tuple(occurrences), tuple(violations), tuple(clashes), tuple(kept), tuple(skipped)
    )


def _skipped(occurrence: Occurrence) -> Skipped:
    if occurrence.violations:
        v = occurrence.violations[0]
        return Skipped(occurrence.slot, v.code, v.message, v.params)
    return Skipped(occurrence.slot, "conflict", N_("Already taken at this time."), {})
