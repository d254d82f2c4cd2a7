"""Closures (blackouts) of a hub or of one resource, set by the hub's managers."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from hub_booking import zones
from hub_booking.db import catalogue, closures, hub_bookings
from hub_booking.db.closures import NewClosure
from hub_booking.db.engine import transaction
from hub_booking.domain.errors import (
    N_,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Violation,
    invalid,
)
from hub_booking.domain.model import ClosureView, Page, Principal
from hub_booking.domain.wallclock import WallClockError, out_of_range, slot
from hub_booking.services import audit, booking_changes


async def add(
    principal: Principal,
    hub_id: int,
    start: datetime,
    end: datetime,
    reason: str,
    resource_id: int | None,
    now: datetime,
    *,
    cancel_bookings: bool = False,
) -> ClosureView:
    """Close the hub, or one of its resources, over ``[start, end)`` (its managers). A
    closure that falls on bookings is refused (409, nothing written) unless
    ``cancel_bookings``: then they are cancelled with its reason, as on the closures page."""
    new = await prepare(principal, hub_id, start, end, reason, resource_id)
    listed = ALL if cancel_bookings else NONE
    closed = await close_and_cancel(principal, [new], listed, now, refusal=FALLS_ON_BOOKINGS)
    return await _found(closed.closures[0])


class Closed(NamedTuple):
    closures: list[int]  # the closures recorded, in the order given
    cancelled: list[int]  # the bookings they cancelled


ALL, NONE = None, frozenset[int]()  # bookings agreed to be cancelled: whatever is hit, none
STALE = N_("Other bookings are affected since the list was shown; check it again.")
FALLS_ON_BOOKINGS = N_(
    "This closure falls on bookings: choose other times, or ask for them to be cancelled"
    " (cancel_bookings)."
)


async def prepare(
    principal: Principal,
    hub_id: int,
    start: datetime,
    end: datetime,
    reason: str,
    resource_id: int | None,
) -> NewClosure:
    """A closure of the hub, or of one of its resources, checked and ready to record (its
    managers only); nothing is written."""
    hub = await catalogue.hub(hub_id)
    if hub is None:
        raise NotFound(N_("This hub does not exist."))
    if not principal.manages(hub_id):
        raise Forbidden(N_("Only a manager of this hub can record closures."))
    _check_times(start, end)
    if resource_id is not None and not await catalogue.resource_in_hub(resource_id, hub_id):
        raise invalid("resource_id", "unknown_resource", N_("No resource with this id."))
    try:  # the wall clock is what a closure promises, like a booking
        period = slot(start, end, zones.get_zone(hub.timezone))
    except WallClockError as exc:
        raise Invalid([exc.violation]) from exc
    new = NewClosure(
        hub_id=hub_id,
        resource_id=resource_id,
        starts_at=period.start,
        ends_at=period.end,
        local_start=period.local_start,
        local_end=period.local_end,
        timezone=hub.timezone,
        reason=reason.strip(),
        created_by=principal.user_id,
    )
    return new


async def close_and_cancel(
    principal: Principal,
    news: list[NewClosure],
    listed: frozenset[int] | None,
    now: datetime,
    *,
    refusal: str = STALE,
) -> Closed:
    """Record prepared closures and cancel the holding bookings they hit, each with its
    closure's reason (audited; the associations are told), in one transaction. Refused
    (409, nothing written) when they hit a booking that is not among those ``listed`` to
    the manager (None: any), e.g. one made since: ``refusal`` says why."""
    if any(not principal.manages(new.hub_id) for new in news):
        raise Forbidden(N_("Only a manager of this hub can record closures."))
    async with transaction():
        hit = await _hit(news, now)
        if listed is not None and not set(hit) <= listed:
            raise Conflict(refusal)
        recorded = []
        for index, new in enumerate(news):
            recorded.append(closure_id := await _record(principal.user_id, new, now))
            ids = sorted(b for b, i in hit.items() if i == index)
            if ids:
                await booking_changes.cancel_bookings(
                    principal.user_id, ids, now, reason=new.reason, closure_id=closure_id
                )
    return Closed(recorded, sorted(hit))


async def _hit(news: list[NewClosure], now: datetime) -> dict[int, int]:
    """The holding bookings these closures fall on (locked), each with the index of the first
    closure that hits it."""
    hit: dict[int, int] = {}
    for index, new in enumerate(news):
        for booking, _, _ in await hub_bookings.holding_of_hub(
            new.hub_id,
            max(now, new.starts_at),
            resource_id=new.resource_id,
            until=new.ends_at,
            lock=True,
        ):
            hit.setdefault(booking.id, index)
    return hit


async def _record(user_id: int, new: NewClosure, now: datetime) -> int:
    closure_id = await closures.insert(new, now)
    await audit.record(user_id, "closure.added", "closure", closure_id, now, hub_id=new.hub_id)
    return closure_id


async def listed(
    hub_id: int, limit: int, offset: int, *, ending_after: datetime | None = None
) -> Page[ClosureView]:
    """A page of the hub's closures in time order, those not ended by ``ending_after``
    when given (404 for an unknown hub)."""
    if await catalogue.hub(hub_id) is None:
        raise NotFound(N_("This hub does not exist."))
    return await closures.of_hub(hub_id, limit, offset, ending_after=ending_after)


async def remove(
    principal: Principal, closure_id: int, now: datetime, *, hub_id: int | None = None
) -> None:
    """Reopen what a closure closed (the hub's managers); with ``hub_id``, a closure of
    another hub is not found (404)."""
    closure = await _found(closure_id, hub_id)
    if not principal.manages(closure.hub_id):
        raise Forbidden(N_("Only a manager of this hub can record closures."))
    async with transaction():
        await closures.delete(closure_id)
        await audit.record(
            principal.user_id, "closure.removed", "closure", closure_id, now, hub_id=closure.hub_id
        )


def _check_times(start: datetime, end: datetime) -> None:
    found = [v for v in (out_of_range(start, "starts_at"), out_of_range(end, "ends_at")) if v]
    if not found and end <= start:
        found.append(
            Violation("end_before_start", N_("The end must come after the start."), "ends_at")
        )
    if found:
        raise Invalid(found)


async def _found(closure_id: int, hub_id: int | None = None) -> ClosureView:
    closure = await closures.closure(closure_id, hub_id)
    if closure is None:
        raise NotFound(N_("This closure does not exist."))
    return closure
