"""A booking request against the rules: every violation at once, with CONTRACT codes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from hub_booking.domain.errors import N_, Violation
from hub_booking.domain.intervals import overlaps
from hub_booking.domain.model import AssociationStatus, Closure, ResourceInfo
from hub_booking.domain.rules import WEEKDAYS
from hub_booking.domain.wallclock import Slot

__all__ = ["HARD_CODES", "Context", "Slot", "Usage", "check", "check_slot", "tally"]

# Manager overrides skip policy rules, never these.
HARD_CODES = frozenset({"end_before_start", "past", "over_quantity", "over_capacity"})


@dataclass(frozen=True)
class Usage:
    """What the association already holds at this hub, for quotas."""

    minutes_by_week: dict[tuple[int, int], int] = field(default_factory=dict)  # (ISO year, week)
    minutes_by_month: dict[tuple[int, int], int] = field(default_factory=dict)  # (year, month)
    future_bookings: int = 0


@dataclass(frozen=True)
class Context:
    now: datetime
    hub_rules: dict
    hub_opening_hours: dict
    resources: dict[int, ResourceInfo]
    closures: tuple[Closure, ...] = ()
    association_status: str = AssociationStatus.ACTIVE
    usage: Usage = field(default_factory=Usage)


def check(
    slots: list[Slot],
    items: dict[int, int],
    attendees: int,
    ctx: Context,
    *,
    override: bool = False,
) -> list[Violation]:
    """Every rule the request breaks (one per code), over all its occurrences."""
    per_slot = [v for slot in slots for v in check_slot(slot, items, ctx)]
    return settle(per_slot, check_request(slots, items, attendees, ctx), override=override)


def check_slot(slot: Slot, items: dict[int, int], ctx: Context) -> list[Violation]:
    """The time rules for one occurrence (used to skip occurrences of a series)."""
    found = list(_timing(slot, ctx))
    for resource_id in items:
        found += _slot_rules(slot, ctx.resources[resource_id], ctx)
    return found


def check_request(
    slots: list[Slot], items: dict[int, int], attendees: int, ctx: Context
) -> list[Violation]:
    """The rules about the request as a whole: the association, the amounts, the quotas."""
    found: list[Violation] = []
    if ctx.association_status != AssociationStatus.ACTIVE:
        found.append(
            Violation(
                "association_inactive",
                N_("The association is not active; it cannot book."),
                "association_id",
            )
        )
    return [*found, *_amounts(items, attendees, ctx), *_quotas(slots, ctx)]


def settle(
    per_slot: list[Violation], whole: list[Violation], *, override: bool = False
) -> list[Violation]:
    """One violation per code (the request's own rules first); an override keeps only the
    hard ones."""
    found: dict[str, Violation] = {}
    for violation in [*whole, *per_slot]:
        found.setdefault(violation.code, violation)
    violations = list(found.values())
    if override:
        violations = [v for v in violations if v.code in HARD_CODES]
    return violations


def _amounts(items: dict[int, int], attendees: int, ctx: Context) -> Iterator[Violation]:
    for resource_id, quantity in items.items():
        resource = ctx.resources[resource_id]
        if quantity > resource.quantity:
            yield Violation(
                "over_quantity",
                N_("Only %(available)s of %(name)s exist."),
                "items",
                {"available": resource.quantity, "name": resource.name},
            )
        if resource.is_space and resource.capacity is not None and attendees > resource.capacity:
            yield Violation(
                "over_capacity",
                N_("%(name)s seats %(capacity)s people; %(attendees)s were asked."),
                "attendees",
                {"name": resource.name, "capacity": resource.capacity, "attendees": attendees},
            )


def _timing(slot: Slot, ctx: Context) -> Iterator[Violation]:
    if slot.end <= slot.start:
        yield Violation("end_before_start", N_("The end must come after the start."), "ends_at")
        return
    if slot.start < ctx.now:
        yield Violation("past", N_("This time is already past."), "starts_at")
    for closure in ctx.closures:
        if closure.resource_id is None and overlaps(
            slot.start, slot.end, closure.start, closure.end
        ):
            yield Violation(
                "blackout",
                N_("The hub is closed then: %(reason)s"),
                "starts_at",
                {"reason": closure.reason or "—"},
            )


def _slot_rules(slot: Slot, resource: ResourceInfo, ctx: Context) -> Iterator[Violation]:
    if slot.end <= slot.start:
        return
    for rule in _SLOT_RULES:
        found = rule(slot, resource, ctx)
        if found is not None:
            yield found
    yield from _resource_closures(slot, resource, ctx)


def _too_short(slot: Slot, resource: ResourceInfo, ctx: Context) -> Violation | None:
    minimum = resource.rules.get("min_minutes", 0)
    if _minutes(slot) >= minimum:
        return None
    return Violation(
        "too_short",
        N_("%(name)s is booked for at least %(minutes)s minutes."),
        "ends_at",
        {"name": resource.name, "minutes": minimum},
    )


def _too_long(slot: Slot, resource: ResourceInfo, ctx: Context) -> Violation | None:
    maximum = resource.rules.get("max_minutes")
    if maximum is None or _minutes(slot) <= maximum:
        return None
    return Violation(
        "too_long",
        N_("%(name)s is booked for at most %(minutes)s minutes."),
        "ends_at",
        {"name": resource.name, "minutes": maximum},
    )


def _granularity(slot: Slot, resource: ResourceInfo, ctx: Context) -> Violation | None:
    step = resource.rules.get("granularity_minutes", 1) or 1
    if not any(
        (t.hour * 60 + t.minute) % step or t.second or t.microsecond
        for t in (slot.local_start, slot.local_end)
    ):
        return None
    return Violation(
        "granularity",
        N_("Start and end must fall on %(step)s-minute marks."),
        "starts_at",
        {"step": step},
    )


def _too_soon(slot: Slot, resource: ResourceInfo, ctx: Context) -> Violation | None:
    notice = resource.rules.get("min_notice_minutes", 0)
    if not ctx.now <= slot.start < ctx.now + timedelta(minutes=notice):
        return None
    return Violation(
        "too_soon",
        N_("%(name)s must be booked at least %(minutes)s minutes ahead."),
        "starts_at",
        {"name": resource.name, "minutes": notice},
    )


def _too_far_ahead(slot: Slot, resource: ResourceInfo, ctx: Context) -> Violation | None:
    days = resource.rules.get("max_advance_days")
    if days is None or slot.start <= ctx.now + timedelta(days=days):
        return None
    return Violation(
        "too_far_ahead",
        N_("%(name)s can be booked at most %(days)s days ahead."),
        "starts_at",
        {"name": resource.name, "days": days},
    )


def _outside_opening_hours(slot: Slot, resource: ResourceInfo, ctx: Context) -> Violation | None:
    hours = resource.rules.get("opening_hours", ctx.hub_opening_hours)
    if within_opening_hours(slot.local_start, slot.local_end, hours):
        return None
    return Violation(
        "outside_opening_hours",
        N_("%(name)s is not open for the whole of this time."),
        "starts_at",
        {"name": resource.name},
    )


def _resource_closures(slot: Slot, resource: ResourceInfo, ctx: Context) -> Iterator[Violation]:
    for closure in ctx.closures:
        if closure.resource_id == resource.id and overlaps(
            slot.start, slot.end, closure.start, closure.end
        ):
            yield Violation(
                "blackout",
                N_("%(name)s is unavailable then: %(reason)s"),
                "starts_at",
                {"name": resource.name, "reason": closure.reason or "—"},
            )


_SLOT_RULES = (
    _too_short,
    _too_long,
    _granularity,
    _too_soon,
    _too_far_ahead,
    _outside_opening_hours,
)


def _minutes(slot: Slot) -> float:
    return (slot.end - slot.start) / timedelta(minutes=1)


def within_opening_hours(local_start: datetime, local_end: datetime, hours: dict) -> bool:
    """True when the local period fits inside one opening period of its day."""
    if local_end.date() != local_start.date() and local_end.time() != time(0):
        return False
    if local_end.date() != local_start.date() and local_end - local_start > timedelta(days=1):
        return False
    day = WEEKDAYS[local_start.weekday()]
    start = local_start.strftime("%H:%M")
    end = "24:00" if local_end.date() != local_start.date() else local_end.strftime("%H:%M")
    return any(open_ <= start and end <= close for open_, close in hours.get(day, []))


def tally(held: list[tuple[datetime, int]], future_bookings: int) -> Usage:
    """Usage from the association's holding bookings: (local start, minutes) each."""
    weeks: dict[tuple[int, int], int] = {}
    months: dict[tuple[int, int], int] = {}
    for local_start, minutes in held:
        week = (local_start.isocalendar()[0], local_start.isocalendar()[1])
        weeks[week] = weeks.get(week, 0) + minutes
        month = (local_start.year, local_start.month)
        months[month] = months.get(month, 0) + minutes
    return Usage(weeks, months, future_bookings)


def _quotas(slots: list[Slot], ctx: Context) -> Iterator[Violation]:
    rules, usage = ctx.hub_rules, ctx.usage
    weekly, monthly = rules.get("weekly_quota_hours"), rules.get("monthly_quota_hours")
    weeks, months = dict(usage.minutes_by_week), dict(usage.minutes_by_month)
    for slot in slots:
        minutes = max(0, int((slot.end - slot.start) / timedelta(minutes=1)))
        week = (slot.local_start.isocalendar()[0], slot.local_start.isocalendar()[1])
        month = (slot.local_start.year, slot.local_start.month)
        weeks[week] = weeks.get(week, 0) + minutes
        months[month] = months.get(month, 0) + minutes
    if weekly is not None and any(total > weekly * 60 for total in weeks.values()):
        yield Violation(
            "quota_exceeded",
            N_("This goes over the association's %(hours)s hours a week at this hub."),
            "starts_at",
            {"hours": weekly},
        )
    if monthly is not None and any(total > monthly * 60 for total in months.values()):
        yield Violation(
            "quota_exceeded",
            N_("This goes over the association's %(hours)s hours a month at this hub."),
            "starts_at",
            {"hours": monthly},
        )
    limit = rules.get("max_future_bookings")
    if limit is not None and usage.future_bookings + len(slots) > limit:
        yield Violation(
            "quota_exceeded",
            N_("The association may hold at most %(count)s future bookings at this hub."),
            "starts_at",
            {"count": limit},
        )
