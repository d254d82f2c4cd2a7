"""What new settings of a hub or of a resource would break among the bookings it holds.

Nothing is cancelled or changed: a manager changing a rule sees which future bookings the
new rules would refuse, and why, before confirming. The rules are those of a new booking
(``checks``), minus the ones about *when* a request is made (notice, advance, the past,
closures), which a booking made earlier cannot break; clashes are found as for a new
booking (``conflicts``), with the new quantities and buffers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta

from hub_booking.domain import checks
from hub_booking.domain.checks import Context, Usage
from hub_booking.domain.conflicts import find
from hub_booking.domain.errors import N_, Violation
from hub_booking.domain.model import Hold, ResourceInfo
from hub_booking.domain.verdict import wanted_holds
from hub_booking.domain.wallclock import Slot

# Rules about the moment a request is made: a booking made under the old rules keeps them.
NOT_BROKEN_BY_SETTINGS = frozenset({"past", "too_soon", "too_far_ahead", "blackout"})
QUOTA_RULES = ("weekly_quota_hours", "monthly_quota_hours", "max_future_bookings")


@dataclass(frozen=True)
class Held:
    """A holding booking as the impact check sees it."""

    booking_id: int
    association_id: int
    slot: Slot
    items: dict[int, int]
    attendees: int
    override: bool = False  # a manager set the rules aside for it: only hard rules apply


def broken(held: Iterable[Held], ctx: Context) -> dict[int, tuple[Violation, ...]]:
    """The bookings starting after ``ctx.now`` that the rules of ``ctx`` would refuse, with
    the reasons. ``held`` is every holding booking of the hub that may count: those still
    running (their units are taken) and those of the last month (quotas count them)."""
    ordered = sorted(held, key=lambda h: (h.slot.start, h.booking_id))
    clashes: dict[int, list[Violation]] = {}
    for booking_id, violation in _clashes(ordered, ctx):
        clashes.setdefault(booking_id, []).append(violation)
    quotas = any(key in ctx.hub_rules for key in QUOTA_RULES)
    usage = _usage(ordered, ctx) if quotas else {}
    found: dict[int, tuple[Violation, ...]] = {}
    for booking in ordered:
        if booking.slot.start <= ctx.now:
            continue
        items = {rid: qty for rid, qty in booking.items.items() if rid in ctx.resources}
        per_slot = [
            v
            for v in checks.check_slot(booking.slot, items, ctx)
            if v.code not in NOT_BROKEN_BY_SETTINGS
        ]
        counted = replace(ctx, usage=usage[booking.booking_id]) if quotas else ctx
        whole = checks.check_request([], items, booking.attendees, counted)
        problems = checks.settle(per_slot, whole, override=booking.override)
        problems += _inactive(items, ctx) + clashes.get(booking.booking_id, [])
        if problems:
            found[booking.booking_id] = tuple(problems)
    return found


def _inactive(items: dict[int, int], ctx: Context) -> list[Violation]:
    return [
        Violation(
            "resource_inactive",
            N_("%(name)s would no longer be bookable."),
            "items",
            {"name": ctx.resources[rid].name},
        )
        for rid in items
        if not ctx.resources[rid].active
    ]


def _clashes(ordered: list[Held], ctx: Context) -> Iterable[tuple[int, Violation]]:
    """Bookings that no longer fit beside the earlier ones (fewer units, longer buffers).

    In start order, each resource keeps the holds still running; a booking that fits is
    added to them, one that does not is reported (the earlier bookings keep their units)."""
    quantities = {rid: r.quantity for rid, r in ctx.resources.items()}
    running: dict[int, list[Hold]] = {}
    for booking in ordered:
        items = {rid: qty for rid, qty in booking.items.items() if rid in ctx.resources}
        holds = wanted_holds(booking.slot, items, ctx.resources, booking.booking_id)
        for hold in holds:
            kept = running.setdefault(hold.resource_id, [])
            kept[:] = [h for h in kept if h.end > hold.start]
        clashes = find(holds, [h for hold in holds for h in running[hold.resource_id]], quantities)
        if clashes and booking.slot.start > ctx.now:
            for resource_id in sorted({c.resource_id for c in clashes}):
                yield booking.booking_id, _clash(ctx.resources[resource_id])
            continue
        for hold in holds:
            running[hold.resource_id].append(hold)


def _clash(resource: ResourceInfo) -> Violation:
    return Violation(
        "conflict",
        N_("%(name)s would be over-booked at this time (fewer units or longer buffers)."),
        "items",
        {"name": resource.name},
    )


def _usage(ordered: list[Held], ctx: Context) -> dict[int, Usage]:
    """For each booking, its association's use of the hub in the booking's week and month
    up to and including it, and its rank among the association's future bookings: the
    quotas then flag the bookings that go over, in start order, not those before."""
    weeks: dict[tuple[int, int, int], int] = {}  # (association, ISO year, week) -> minutes
    months: dict[tuple[int, int, int], int] = {}
    ranks: dict[int, int] = {}
    found: dict[int, Usage] = {}
    for booking in ordered:
        local, who = booking.slot.local_start, booking.association_id
        week = (local.isocalendar()[0], local.isocalendar()[1])
        month = (local.year, local.month)
        weeks[(who, *week)] = weeks.get((who, *week), 0) + _minutes(booking.slot)
        months[(who, *month)] = months.get((who, *month), 0) + _minutes(booking.slot)
        if booking.slot.start > ctx.now:
            ranks[who] = ranks.get(who, 0) + 1
        found[booking.booking_id] = Usage(
            {week: weeks[(who, *week)]}, {month: months[(who, *month)]}, ranks.get(who, 0)
        )
    return found


def _minutes(slot: Slot) -> int:
    return max(0, int((slot.end - slot.start) / timedelta(minutes=1)))
