"""Booking, checking and moving: one code path that runs every rule (DESIGN.md).

``assess`` is the one check: it loads what the rules need (resources, hub, closures, the
association's usage, the holds around the asked times), asks the domain for its verdict
and, when something clashes, finds suggestions. Creating calls it inside the write
transaction, after taking the locks; the dry-run check calls it without writing; a move
calls it for the booking's new shape with the booking itself left out.

Check twice, write once: inside the write transaction the holds are read under a lock
(PostgreSQL row locks, SQLite BEGIN IMMEDIATE), and PostgreSQL's exclusion constraint refuses
any overlap of a room that would still slip through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from hub_booking import zones
from hub_booking.db import associations, booking_writes, catalogue
from hub_booking.db import bookings as db
from hub_booking.db import holds as held
from hub_booking.db.audit import Entry as AuditEntry
from hub_booking.db.engine import transaction
from hub_booking.domain import checks, recurrence
from hub_booking.domain.bookings import BookingRequest, BookingView, raise_if, request_violations
from hub_booking.domain.checks import Context
from hub_booking.domain.errors import (
    N_,
    BookingConflict,
    Forbidden,
    Invalid,
    NotFound,
    Violation,
    invalid,
)
from hub_booking.domain.model import (
    BookingStatus,
    Closure,
    Hold,
    Hub,
    Page,
    Principal,
    ResourceInfo,
)
from hub_booking.domain.rules import DEFAULT_RULES
from hub_booking.domain.verdict import Ask, Occurrence, Verdict, judge
from hub_booking.domain.wallclock import (
    Slot,
    WallClockError,
    local_slot,
    period_violations,
    to_local,
)
from hub_booking.services import notifications, suggestions
from hub_booking.services.suggestions import Suggestions

QUOTA_RULES = ("weekly_quota_hours", "monthly_quota_hours", "max_future_bookings")


@dataclass(frozen=True)
class Assessment:
    """Everything the rules say about a request, and what creating it would give."""

    request: BookingRequest
    hub_id: int
    timezone: str
    status: BookingStatus
    resources: dict[int, ResourceInfo]
    verdict: Verdict
    suggestions: Suggestions | None = None


@dataclass(frozen=True)
class Created:
    bookings: list[BookingView]
    assessment: Assessment

    @property
    def first(self) -> BookingView:
        return self.bookings[0]


async def assess(
    principal: Principal,
    request: BookingRequest,
    now: datetime,
    *,
    language: str = "fr",
    moving: BookingView | None = None,
    booker_status: str | None = None,
) -> Assessment:
    """The one booking check: every rule, quota and clash of every occurrence, with
    suggestions when something clashes. Writes nothing. ``booker_status`` is the
    association's status when the caller has just read it (with its lock)."""
    raise_if(request_violations(request))
    resources, hub = await _target(request, language)
    _authorise(principal, request, hub.id)
    zone = zones.get_zone(hub.timezone)
    slots, unplaceable = _slots(request, zone)
    placed = slots or [o.slot for o in unplaceable]
    holds, closed = await _around(request, hub.id, resources, placed)
    ctx = await _context(request, hub, resources, placed, now, moving, booker_status, closed)
    ask = Ask(
        tuple(slots),
        request.items,
        request.attendees,
        skip=request.on_conflict == "skip",
        override=request.override,
        booking_id=moving.id if moving else None,
        unplaceable=tuple(unplaceable),
    )
    verdict = judge(ask, ctx, holds)
    found = None
    if verdict.clashes and not verdict.ok:
        found = await suggestions.for_request(request, resources, hub, zone, now)
    status = _status(principal, hub.id, resources, moving)
    return Assessment(request, hub.id, hub.timezone, status, resources, verdict, found)


def refuse_unless_ok(assessment: Assessment) -> None:
    """Raise what the API and pages answer for a refused request (422, then 409)."""
    verdict = assessment.verdict
    if verdict.violations:
        raise Invalid(list(verdict.violations))
    if verdict.kept:
        return
    if verdict.clashes:
        raise BookingConflict(verdict.clashes, assessment.suggestions)
    first = verdict.skipped[0]  # every occurrence of a skip series broke a rule
    raise Invalid([Violation(first.code, first.message, "starts_at", first.params)])


async def create_booking(
    principal: Principal, request: BookingRequest, now: datetime, *, language: str = "fr"
) -> Created:
    """Book every item for the asked time (or each occurrence): all or nothing per occurrence."""
    async with transaction():
        status = await held.lock_booker(request.association_id, list(request.items))
        assessment = await assess(principal, request, now, language=language, booker_status=status)
        refuse_unless_ok(assessment)
        written = await _write(principal, assessment, now)
    return Created(written, assessment)


async def _target(request: BookingRequest, language: str) -> tuple[dict[int, ResourceInfo], Hub]:
    """The asked resources (all active, all of one hub) and their hub."""
    found, hubs = await catalogue.resource_infos_and_hubs(list(request.items), language)
    problems = [
        Violation("unknown_resource", N_("No resource with this id."), f"items[{i}].resource_id")
        for i, resource_id in enumerate(request.items)
        if resource_id not in found or not found[resource_id].active
    ]
    raise_if(problems)
    if len({resource.hub_id for resource in found.values()}) > 1:
        raise invalid(
            "items", "mixed_hubs", N_("All resources of one booking must belong to the same hub.")
        )
    return found, next(iter(hubs.values()))


def _authorise(principal: Principal, request: BookingRequest, hub_id: int) -> None:
    if request.override and not principal.manages(hub_id):
        raise Forbidden(N_("Only a manager of this hub can override its rules."))
    if not (principal.is_member_of(request.association_id) or principal.manages(hub_id)):
        raise Forbidden(N_("You can only book for an association you belong to."))


def _status(
    principal: Principal,
    hub_id: int,
    resources: dict[int, ResourceInfo],
    moving: BookingView | None,
) -> BookingStatus:
    """Pending when an item needs approval, unless the hub's own manager asks; a move by a
    manager keeps the booking's status."""
    if principal.manages(hub_id):
        return moving.status if moving else BookingStatus.APPROVED
    if any(resource.requires_approval for resource in resources.values()):
        return BookingStatus.PENDING
    return moving.status if moving else BookingStatus.APPROVED


def _slots(request: BookingRequest, zone: tzinfo) -> tuple[list[Slot], list[Occurrence]]:
    """The occurrences on the hub's wall clock; those the clock cannot place, apart."""
    local_start, local_end = to_local(request.starts_at, zone), to_local(request.ends_at, zone)
    periods = [(local_start, local_end)]
    if request.rrule is not None:
        expanded = recurrence.expand(request.rrule, local_start, local_end - local_start, zone)
        if not expanded:
            raise invalid(recurrence.FIELD, "invalid_rrule", N_("This rule gives no occurrence."))
        periods = [(o.local_start, o.local_end) for o in expanded]
    slots, unplaceable = [], []
    for start, end in periods:
        try:
            slots.append(local_slot(start, end, zone))
        except WallClockError as exc:
            placeholder = Slot(start.replace(tzinfo=zone), end.replace(tzinfo=zone), start, end)
            unplaceable.append(Occurrence(placeholder, (exc.violation,)))
    return slots, unplaceable


async def _context(
    request: BookingRequest,
    hub: Hub,
    resources: dict[int, ResourceInfo],
    slots: list[Slot],
    now: datetime,
    moving: BookingView | None,
    booker_status: str | None,
    closed: list[Closure],
) -> Context:
    first, last = min(s.start for s in slots), max(s.end for s in slots)
    hub_rules = {**DEFAULT_RULES, **hub.rules}
    status = booker_status or await associations.status(request.association_id)
    if status is None:
        raise invalid("association_id", "unknown_association", N_("No association with this id."))
    return Context(
        now=now,
        hub_rules=hub_rules,
        hub_opening_hours=hub.opening_hours,
        resources=resources,
        closures=tuple(closed),
        association_status=status,
        usage=await _usage(request, hub.id, hub_rules, (first, last), now, moving),
    )


async def _usage(
    request: BookingRequest,
    hub_id: int,
    rules: dict,
    window: tuple[datetime, datetime],
    now: datetime,
    moving: BookingView | None,
) -> checks.Usage:
    """What the association already holds here (the moved booking aside); read only when
    the hub has quotas."""
    if not any(key in rules for key in QUOTA_RULES):
        return checks.Usage()
    exclude = moving.id if moving else None
    # Quotas count whole local weeks and months around the asked occurrences.
    month = timedelta(days=32)
    held = await db.held_by_association(
        request.association_id, hub_id, window[0] - month, window[1] + month, exclude
    )
    future = await db.future_bookings(request.association_id, hub_id, now, exclude)
    return checks.tally(held, future)


async def _around(
    request: BookingRequest, hub_id: int, resources: dict[int, ResourceInfo], slots: list[Slot]
) -> tuple[list[Hold], list[Closure]]:
    """The holds that could clash (a day and the widest buffers around the asked times) and
    the hub's closures over them, in one read."""
    widest = max(
        timedelta(
            minutes=r.rules.get("buffer_before_minutes", 0) + r.rules.get("buffer_after_minutes", 0)
        )
        for r in resources.values()
    )
    first, last = min(s.start for s in slots), max(s.end for s in slots)
    margin = widest + timedelta(days=1)
    return await held.around(
        list(request.items), hub_id, (first - margin, last + margin), (first, last)
    )


async def _write(principal: Principal, assessment: Assessment, now: datetime) -> list[BookingView]:
    request, kept = assessment.request, list(assessment.verdict.kept)
    new = booking_writes.NewBooking(
        association_id=request.association_id,
        requested_by=principal.user_id,
        hub_id=assessment.hub_id,
        title=request.title.strip(),
        purpose=request.purpose.strip(),
        attendees=request.attendees,
        timezone=assessment.timezone,
        status=assessment.status,
        override=request.override,
        items=request.items,
    )
    series_id = None
    if request.rrule is not None:
        series_id = await booking_writes.insert_series(
            new, request.rrule, kept[0], request.on_conflict, now
        )
    record = _record(principal, assessment, series_id, now)
    written = await booking_writes.insert_bookings(
        new, kept, assessment.resources, now, series_id, record=record
    )
    if new.status == BookingStatus.PENDING:
        await ask_managers(assessment.hub_id, written[0].id, series_id, 0, now)
    else:  # who wants which reminder is decided in one place, in Python, for both engines
        await notifications.remind_new(written, principal.user_id, now)
    return written


def _record(
    principal: Principal, assessment: Assessment, series_id: int | None, now: datetime
) -> AuditEntry:
    """The audit row of a creation, written with the bookings (about the first of them)."""
    request, verdict = assessment.request, assessment.verdict
    details: dict = {
        "series_id": series_id,
        "occurrences": len(verdict.kept),
        "skipped": len(verdict.skipped),
        "status": assessment.status,
    }
    if request.override:
        details["override"] = True  # a manager set the rules aside: on the record, with why
        details["override_reason"] = request.override_reason
    return AuditEntry(principal.user_id, "booking.created", "booking", now, details)


async def ask_managers(
    hub_id: int, booking_id: int, series_id: int | None, revision: int, now: datetime
) -> None:
    """Queue the approval request of a booking at this revision for the hub's managers."""
    await notifications.to_hub_managers(
        hub_id,
        "approval_requested",
        {"booking_id": booking_id, "series_id": series_id, "revision": revision},
        f"approval:{booking_id}:{revision}",
        now,
    )


async def get_booking(principal: Principal, booking_id: int) -> BookingView:
    """One booking the caller may see (404 alike for others' and for none)."""
    found = await db.view(principal, booking_id)
    if found is None:
        raise NotFound(N_("This booking does not exist."))
    return found


async def list_bookings(
    principal: Principal, filters: db.Filters, limit: int, offset: int
) -> Page[BookingView]:
    """A page of the bookings the caller may see, and how many match the filters."""
    raise_if(period_violations(filters.start, filters.end))
    return await db.page(principal, filters, limit, offset)
