"""What a change would hit among a hub's bookings, listed for the manager before confirming.

New settings of the hub (opening hours, rules) or of one of its resources (quantity,
capacity, rule overrides, deactivation) never change a booking: the future bookings they
would break are listed, with why (``domain.impact``, over the booking rules of
``domain.checks``), and the manager confirms; the bookings are kept. A closure's bookings
are listed the same way before ``services.closures.close_and_cancel`` cancels them.
The changes are checked by the same functions as the updates (``services.resources``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from hub_booking import zones
from hub_booking.db import catalogue, closures, hub_bookings
from hub_booking.db.catalogue import ResourceFilters
from hub_booking.db.closures import NewClosure
from hub_booking.domain import holidays, impact
from hub_booking.domain.bookings import BookingView
from hub_booking.domain.checks import Context
from hub_booking.domain.errors import N_, Invalid, NotFound, Violation
from hub_booking.domain.holidays import Holiday, whole_days
from hub_booking.domain.impact import Held
from hub_booking.domain.model import BookingStatus, Hub, Principal, Resource
from hub_booking.domain.model import display_name as shown_name
from hub_booking.domain.rules import DEFAULT_RULES, resource_info
from hub_booking.domain.wallclock import Slot, WallClockError, to_utc
from hub_booking.services import closures as closures_service
from hub_booking.services import manage, resources

MAX_ID = 2**31 - 1  # PostgreSQL's integer: a larger id cannot exist
MAX_RESOURCES = 10_000
# Quotas count the association's whole month: bookings of the last month are read too.
QUOTA_WINDOW = timedelta(days=32)


@dataclass(frozen=True)
class Affected:
    """A booking a change would break (``problems``) or a closure would cancel."""

    booking_id: int
    title: str
    association: str  # in the reader's language
    local_start: datetime
    local_end: datetime
    status: BookingStatus
    resources: tuple[str, ...]  # names in the reader's language
    problems: tuple[Violation, ...] = ()


async def hub_impact(
    principal: Principal, hub_id: int, data: dict[str, Any], now: datetime, language: str
) -> list[Affected]:
    """The future bookings the hub's new settings (``data``, as ``update_hub`` takes it)
    would break; refused exactly as ``update_hub`` refuses them. Writes nothing."""
    current, changes = await resources.hub_changes(principal, hub_id, data)
    wanted = {k: v for k, v in changes.items() if k in ("opening_hours", "rules")}
    return await _broken(replace(current, **wanted), None, now, language)


async def resource_impact(
    principal: Principal, resource_id: int, data: dict[str, Any], now: datetime, language: str
) -> list[Affected]:
    """The future bookings a resource's new settings (``data``, as ``update_resource`` takes
    it: quantity, capacity, rules, ``active``) would break. Writes nothing."""
    current, changes = await resources.resource_changes(principal, resource_id, data)
    hub = await resources.get_hub(current.hub_id)
    return await _broken(hub, replace(current, **changes), now, language)


async def closure_impact(news: list[NewClosure], now: datetime, language: str) -> list[Affected]:
    """The bookings these closures (checked by ``closures.prepare``) would cancel: those
    holding the hub, or the closed resource, during a closure and not ended yet."""
    found: dict[int, Affected] = {}
    names: dict[int, str] = {}
    for new in news:
        if not names:
            names = await _names(new.hub_id, language)
        hit = await hub_bookings.holding_of_hub(
            new.hub_id, max(now, new.starts_at), resource_id=new.resource_id, until=new.ends_at
        )
        for booking, name_fr, name_ar in hit:
            found.setdefault(
                booking.id, _affected(booking, shown_name(name_fr, name_ar, language), names, ())
            )
    return sorted(found.values(), key=lambda a: (a.local_start, a.booking_id))


async def managed_resource(
    principal: Principal, slug: str, resource_id: int
) -> tuple[Hub, Resource]:
    """A hub the caller manages and one of its resources (404 for anything else)."""
    hub = await manage.managed_hub(principal, slug)
    found = await catalogue.resource_of_hub(resource_id, hub.id) if resource_id <= MAX_ID else None
    if found is None:
        raise NotFound(N_("This resource does not exist."))
    return hub, found


async def prepare_closures(
    principal: Principal, hub: Hub, asked: Sequence[tuple[datetime, datetime, int | None, str]]
) -> list[NewClosure]:
    """Closures of the hub's wall-clock periods ``(local start, local end, resource or
    None, reason)``, checked by ``closures.prepare`` (nothing written); a time the hub's
    clock skips or repeats is refused on its field."""
    zone = zones.get_zone(hub.timezone)
    news = []
    for local_start, local_end, resource_id, reason in asked:
        try:
            start = to_utc(local_start, zone, "starts_at")
            end = to_utc(local_end, zone, "ends_at")
        except WallClockError as exc:
            raise Invalid([exc.violation]) from exc
        news.append(
            await closures_service.prepare(principal, hub.id, start, end, reason, resource_id)
        )
    return news


@dataclass(frozen=True)
class Offered:
    """A public holiday offered as a closure, and whether the hub is already closed then."""

    holiday: Holiday
    closed: bool


async def offered_holidays(hub: Hub, year: int, language: str) -> list[Offered]:
    """Morocco's public holidays of ``year``, each marked when a closure of the whole hub
    already covers its days (on the hub's clock)."""
    found = holidays.of_year(year, language)
    if not found:
        return []
    zone = zones.get_zone(hub.timezone)
    first, last = whole_days(date(year - 1, 12, 31), date(year + 1, 1, 1))
    around = await closures.overlapping(
        hub.id, first.replace(tzinfo=zone), last.replace(tzinfo=zone)
    )
    existing = [c for c in around if c.resource_id is None]
    offered = []
    for holiday in found:
        start, end = (t.replace(tzinfo=zone) for t in whole_days(holiday.first, holiday.last))
        covered = any(c.start <= start and end <= c.end for c in existing)
        offered.append(Offered(holiday, covered))
    return offered


async def _broken(
    hub: Hub, changed: Resource | None, now: datetime, language: str
) -> list[Affected]:
    stored = await _resources(hub.id)
    if changed is not None:
        stored[changed.id] = changed
    infos = {rid: resource_info(r, hub.rules, language) for rid, r in stored.items()}
    ctx = Context(
        now=now,
        hub_rules={**DEFAULT_RULES, **hub.rules},
        hub_opening_hours=hub.opening_hours,
        resources=infos,
    )
    held = await hub_bookings.holding_of_hub(hub.id, now - QUOTA_WINDOW)
    found = impact.broken([_held(booking) for booking, _, _ in held], ctx)
    names = {rid: info.name for rid, info in infos.items()}
    return [
        _affected(booking, shown_name(fr, ar, language), names, found[booking.id])
        for booking, fr, ar in held
        if booking.id in found
    ]


async def _resources(hub_id: int) -> dict[int, Resource]:
    every = ResourceFilters(include_inactive=True)
    listed = await catalogue.resources_of_hub(hub_id, every, MAX_RESOURCES, 0)
    return {resource.id: resource for resource in listed.items}


async def _names(hub_id: int, language: str) -> dict[int, str]:
    return {
        rid: shown_name(r.name_fr, r.name_ar, language)
        for rid, r in (await _resources(hub_id)).items()
    }


def _held(booking: BookingView) -> Held:
    return Held(
        booking_id=booking.id,
        association_id=booking.association_id,
        slot=Slot(booking.starts_at, booking.ends_at, booking.local_start, booking.local_end),
        items={item.resource_id: item.quantity for item in booking.items},
        attendees=booking.attendees,
        override=booking.override,
    )


def _affected(
    booking: BookingView,
    association: str,
    names: dict[int, str],
    problems: tuple[Violation, ...],
) -> Affected:
    return Affected(
        booking_id=booking.id,
        title=booking.title,
        association=association,
        local_start=booking.local_start,
        local_end=booking.local_end,
        status=booking.status,
        resources=tuple(names.get(item.resource_id, "") for item in booking.items),
        problems=problems,
    )
