"""Creating bookings: once or as a series, checked against the rules and the holds, race-free.

Check twice, write once: the domain explains refusals (rules, conflicts, suggestions); inside
the write transaction the holds are re-read under a lock (PostgreSQL row locks on the
resources, SQLite BEGIN IMMEDIATE) and PostgreSQL's exclusion constraint refuses any overlap
of a single-unit resource that would still slip through.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from hub_booking import zones
from hub_booking.db import queries, writes
from hub_booking.db.engine import is_concurrency_error, transaction
from hub_booking.domain import checks, recurrence
from hub_booking.domain.checks import Context, Slot
from hub_booking.domain.conflicts import Clash, find
from hub_booking.domain.errors import (
    N_,
    BookingConflict,
    Conflict,
    Forbidden,
    Invalid,
    Violation,
    invalid,
)
from hub_booking.domain.intervals import with_buffers
from hub_booking.domain.model import Hold, Principal, ResourceInfo
from hub_booking.domain.requests import BookingRequest
from hub_booking.domain.rules import DEFAULT_RULES
from hub_booking.domain.wallclock import WallClockError, to_local, to_utc
from hub_booking.services import audit, notifications, suggestions

ZoneLookup = Callable[[str], tzinfo]


@dataclass(frozen=True)
class Skipped:
    slot: Slot
    code: str
    message: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Created:
    booking_ids: list[int]
    series_id: int | None
    slots: list[Slot]
    skipped: list[Skipped]
    status: str
    first: dict[str, Any]  # the first booking as written, with its items (as a read gives it)


async def create_booking(
    principal: Principal,
    request: BookingRequest,
    now: datetime,
    *,
    language: str = "fr",
    get_zone: ZoneLookup = zones.get_zone,
) -> Created:
    """Book every item for the asked time (or each occurrence): all or nothing per occurrence."""
    resources, hub = await _resources(request, language)
    hub_id = hub["id"]
    _authorise(principal, request, hub_id)
    zone = get_zone(hub["timezone"])
    wanted, skipped = _slots(request, zone)
    status = _initial_status(principal, hub_id, resources)
    async with booking_transaction():
        status_of_association = await writes.lock_association(request.association_id)
        if status_of_association is None:  # only a hub's manager gets this far with a bad id
            raise invalid(
                "association_id", "unknown_association", N_("No association with this id.")
            )
        await writes.lock_resources(list(request.items))
        ctx = await _context(request, hub, resources, wanted, now, status_of_association or "")
        kept, skipped, clashes = _plan(
            request, wanted, skipped, resources, ctx, await _holds(request, resources, wanted)
        )
        if not kept:
            if not clashes:  # every occurrence was skipped for a rule
                raise Invalid(
                    [Violation(s.code, s.message, "starts_at", s.params) for s in skipped[:1]]
                )
            raise await _refusal(clashes, request, resources, hub, zone, ctx)
        created = await _write(principal, request, hub, kept, skipped, resources, status, now)
    return created


@asynccontextmanager
async def booking_transaction() -> AsyncIterator[None]:
    """A booking write; a refusal by the database (another writer won the race) is a 409."""
    try:
        async with transaction():
            yield
    except Exception as exc:
        if is_concurrency_error(exc):
            raise Conflict(
                N_("Someone booked this time a moment ago. Look again and choose another time.")
            ) from exc
        raise


async def _resources(
    request: BookingRequest, language: str
) -> tuple[dict[int, ResourceInfo], dict[str, Any]]:
    """The asked resources (all active, all of one hub) and their hub."""
    found, hubs = await queries.resources_and_hubs(list(request.items), language=language)
    problems = [
        Violation("unknown_resource", N_("No resource with this id."), f"items[{i}].resource_id")
        for i, resource_id in enumerate(request.items)
        if resource_id not in found or not found[resource_id].active
    ]
    if problems:
        raise Invalid(problems)
    if len({resource.hub_id for resource in found.values()}) > 1:
        raise Invalid(
            [
                Violation(
                    "mixed_hubs",
                    N_("All resources of one booking must belong to the same hub."),
                    "items",
                )
            ]
        )
    return found, next(iter(hubs.values()))


def _authorise(principal: Principal, request: BookingRequest, hub_id: int) -> None:
    if request.override and not principal.manages(hub_id):
        raise Forbidden(N_("Only a manager of this hub can override its rules."))
    if not (principal.is_member_of(request.association_id) or principal.manages(hub_id)):
        raise Forbidden(N_("You can only book for an association you belong to."))


def _initial_status(principal: Principal, hub_id: int, resources: dict[int, ResourceInfo]) -> str:
    """Pending when an item needs approval, unless the hub's own manager books."""
    needs = any(resource.requires_approval for resource in resources.values())
    return "pending" if needs and not principal.manages(hub_id) else "approved"


def _slots(request: BookingRequest, zone: tzinfo) -> tuple[list[Slot], list[Skipped]]:
    """The occurrences on the hub's wall clock, with their UTC instants."""
    local_start, local_end = to_local(request.starts_at, zone), to_local(request.ends_at, zone)
    if request.rrule is None:
        starts = [(local_start, local_end)]
    else:
        occurrences = recurrence.expand(request.rrule, local_start, local_end - local_start, zone)
        starts = [(o.local_start, o.local_end) for o in occurrences]
        if not starts:
            raise Invalid(
                [Violation("invalid_rrule", N_("This rule gives no occurrence."), recurrence.FIELD)]
            )
    slots, skipped, refused = [], [], []
    for start, end in starts:
        try:
            slots.append(
                Slot(to_utc(start, zone, "starts_at"), to_utc(end, zone, "ends_at"), start, end)
            )
        except WallClockError as exc:
            placeholder = Slot(start.replace(tzinfo=zone), end.replace(tzinfo=zone), start, end)
            v = exc.violation
            skipped.append(Skipped(placeholder, v.code, v.message, v.params))
            refused.append(v)
    if refused and (request.on_conflict == "fail" or not slots):
        raise Invalid(refused[:1])
    return slots, skipped


async def _context(
    request: BookingRequest,
    hub: dict,
    resources: dict[int, ResourceInfo],
    slots: list[Slot],
    now: datetime,
    association_status: str,
) -> Context:
    first, last = min(s.start for s in slots), max(s.end for s in slots)
    hub_rules = {**DEFAULT_RULES, **hub["rules"]}
    return Context(
        now=now,
        hub_rules=hub_rules,
        hub_opening_hours=hub["opening_hours"],
        resources=resources,
        closures=tuple(await queries.closures(hub["id"], first, last)),
        association_status=association_status,
        usage=await _usage(request, hub, hub_rules, first, last, now),
    )


async def _usage(
    request: BookingRequest, hub: dict, rules: dict, first: datetime, last: datetime, now: datetime
) -> checks.Usage:
    """What the association already holds here; read only when the hub has quotas."""
    if not any(
        key in rules for key in ("weekly_quota_hours", "monthly_quota_hours", "max_future_bookings")
    ):
        return checks.Usage()
    # Quotas count whole local weeks and months around the asked occurrences.
    held = await queries.held_by_association(
        request.association_id, hub["id"], first - timedelta(days=32), last + timedelta(days=32)
    )
    return checks.tally(held, await queries.future_bookings(request.association_id, hub["id"], now))


async def _holds(
    request: BookingRequest, resources: dict[int, ResourceInfo], slots: list[Slot]
) -> list[Hold]:
    widest = max(
        (
            timedelta(
                minutes=r.rules.get("buffer_before_minutes", 0)
                + r.rules.get("buffer_after_minutes", 0)
            )
            for r in resources.values()
        ),
        default=timedelta(0),
    )
    first, last = min(s.start for s in slots), max(s.end for s in slots)
    return await queries.holds(
        list(request.items), first - widest - timedelta(days=1), last + widest + timedelta(days=1)
    )


def wanted_holds(
    slot: Slot, items: dict[int, int], resources: dict[int, ResourceInfo]
) -> list[Hold]:
    return [
        Hold(
            resource_id, quantity, *with_buffers(slot.start, slot.end, resources[resource_id].rules)
        )
        for resource_id, quantity in items.items()
    ]


def _plan(
    request: BookingRequest,
    slots: list[Slot],
    skipped: list[Skipped],
    resources: dict[int, ResourceInfo],
    ctx: Context,
    existing: list[Hold],
) -> tuple[list[Slot], list[Skipped], list[Clash]]:
    """Which occurrences to write; raises Invalid for rule violations that are not skippable."""
    skip = request.on_conflict == "skip"
    quantities = {r.id: r.quantity for r in resources.values()}
    kept: list[Slot] = []
    clashes: list[Clash] = []
    refused: list[Violation] = []  # per-occurrence violations (fail mode)
    taken = list(existing)
    for slot in slots:
        slot_violations = checks.check_slot(slot, request.items, ctx)
        if request.override:
            slot_violations = [v for v in slot_violations if v.code in checks.HARD_CODES]
        if slot_violations and skip:
            v = slot_violations[0]
            skipped.append(Skipped(slot, v.code, v.message, v.params))
            continue
        refused += slot_violations
        holds = wanted_holds(slot, request.items, resources)
        found = find(holds, taken, quantities)
        if found:
            clashes += found
            if skip:
                skipped.append(Skipped(slot, "conflict", N_("Already taken at this time."), {}))
            continue
        kept.append(slot)
        taken += holds
    whole = checks.check_request(kept or slots, request.items, request.attendees, ctx)
    violations = checks.settle(refused, whole, override=request.override)
    if violations:
        raise Invalid(violations)
    if clashes and not skip:
        kept = []
    return kept, sorted(skipped, key=lambda s: s.slot.local_start), clashes


async def _refusal(
    clashes: list[Clash],
    request: BookingRequest,
    resources: dict[int, ResourceInfo],
    hub: dict,
    zone: tzinfo,
    ctx: Context,
) -> BookingConflict:
    """409 naming the clashing periods (never who holds them) and what could work instead."""
    periods = sorted({(c.resource_id, c.start, c.end) for c in clashes}, key=lambda c: (c[1], c[0]))
    conflicts = [
        {"resource_id": rid, "starts_at": start.isoformat(), "ends_at": end.isoformat()}
        for rid, start, end in periods[:50]
    ]
    return BookingConflict(
        conflicts, await suggestions.for_request(request, resources, hub, zone, ctx)
    )


async def _write(
    principal: Principal,
    request: BookingRequest,
    hub: dict,
    kept: list[Slot],
    skipped: list[Skipped],
    resources: dict[int, ResourceInfo],
    status: str,
    now: datetime,
) -> Created:
    series_id = None
    if request.rrule is not None:
        minutes = int((kept[0].local_end - kept[0].local_start).total_seconds() // 60)
        series_id = await writes.insert_series(
            hub["id"],
            request.association_id,
            request.rrule,
            hub["timezone"],
            kept[0].local_start,
            minutes,
            request.on_conflict,
            now,
        )
    new = writes.NewBooking(
        association_id=request.association_id,
        requested_by=principal.user_id,
        hub_id=hub["id"],
        title=request.title,
        purpose=request.purpose,
        attendees=request.attendees,
        timezone=hub["timezone"],
        status=status,
        override=request.override,
        items=request.items,
    )
    written = await writes.insert_bookings(new, kept, resources, now, series_id)
    ids = [row["id"] for row in written]
    details: dict[str, Any] = {"occurrences": len(ids), "skipped": len(skipped), "status": status}
    if request.override:
        details["override"] = True  # a manager set the rules aside: on the record
    await audit.record(
        principal.user_id, "booking.created", "booking", ids[0], now, series_id=series_id, **details
    )
    if status == "pending":
        await notifications.to_hub_managers(
            hub["id"],
            "approval_requested",
            {"booking_id": ids[0], "series_id": series_id},
            f"approval:{ids[0]}",
            now,
        )
    items = [{"resource_id": rid, "quantity": qty} for rid, qty in request.items.items()]
    return Created(ids, series_id, kept, skipped, status, {**written[0], "items": items})
