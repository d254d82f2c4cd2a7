"""A hub's day at the front desk: its bookings in time order, and checking them in.

The day is the hub's wall-clock day. A check-in records when and by whom (the first one
counts; it can be undone), is audited, and is refused (409) for a booking that is not
approved. Only a manager of the booking's hub may check it in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from hub_booking.db import bookings as db
from hub_booking.db import hub_bookings
from hub_booking.db.engine import transaction
from hub_booking.domain.bookings import BookingView
from hub_booking.domain.errors import N_, Conflict, Forbidden, NotFound
from hub_booking.domain.model import BookingStatus, Hub, Principal
from hub_booking.domain.wallclock import to_local
from hub_booking.services import audit, manage
from hub_booking.services.approvals import names_of
from hub_booking.services.my_bookings import Names
from hub_booking.zones import get_zone


@dataclass(frozen=True)
class Visit:
    """One booking of the day; when it was checked in (on the hub's clock) and by whom."""

    booking: BookingView
    checked_in_by: str  # their name ("" if not checked in, or the account is gone)
    checked_in_local: datetime | None


@dataclass(frozen=True)
class Day:
    hub: Hub
    day: date
    today: date
    visits: list[Visit]
    names: Names

    @property
    def checked_in(self) -> int:
        return sum(v.booking.checked_in_at is not None for v in self.visits)

    @property
    def previous(self) -> date:
        return self.day - timedelta(days=1)

    @property
    def next(self) -> date:
        return self.day + timedelta(days=1)


async def day(
    principal: Principal, slug: str, wanted: date | None, now: datetime, language: str
) -> Day:
    """The hub's pending and approved bookings overlapping a local day (today by default)."""
    hub = await manage.managed_hub(principal, slug)
    zone = get_zone(hub.timezone)
    today = to_local(now, zone).date()
    chosen = wanted or today
    start = datetime.combine(chosen, time())
    found = await hub_bookings.day_of_hub(hub.id, start, start + timedelta(days=1))
    return await _day(hub, chosen, today, found, language)


async def visit(
    principal: Principal, slug: str, booking_id: int, now: datetime, language: str
) -> Day:
    """One booking of the hub as the day shows it (404 if it is not the hub's)."""
    hub = await manage.managed_hub(principal, slug)
    found = await hub_bookings.visit_of_hub(hub.id, booking_id)
    if not found:
        raise NotFound(N_("This booking does not exist."))
    today = to_local(now, get_zone(hub.timezone)).date()
    return await _day(hub, found[0][0].local_start.date(), today, found, language)


async def _day(
    hub: Hub, chosen: date, today: date, found: list[tuple[BookingView, str]], language: str
) -> Day:
    zone = get_zone(hub.timezone)
    visits = [
        Visit(view, name, to_local(view.checked_in_at, zone) if view.checked_in_at else None)
        for view, name in found
    ]
    return Day(hub, chosen, today, visits, await names_of([v for v, _ in found], language))


async def check_in(
    principal: Principal,
    booking_id: int,
    now: datetime,
    *,
    slug: str | None = None,
    undo: bool = False,
) -> BookingView:
    """Check a booking in (or ``undo`` it); with ``slug``, only a booking of that hub."""
    if slug is not None:
        hub = await manage.managed_hub(principal, slug)
        if not await hub_bookings.of_hub(principal, [booking_id], hub.id):
            raise NotFound(N_("This booking does not exist."))
    async with transaction():
        booking = await db.view(principal, booking_id, lock=True)
        if booking is None:
            raise NotFound(N_("This booking does not exist."))
        if not principal.manages(booking.hub_id):
            raise Forbidden(N_("Only a manager of this hub can check a booking in."))
        if booking.status != BookingStatus.APPROVED:
            raise Conflict(
                N_("Only an approved booking can be checked in; this one is %(status)s."),
                status=booking.status,
            )
        user = None if undo else principal.user_id
        if await hub_bookings.set_check_in(booking_id, user, None if undo else now):
            action = "booking.check_in_undone" if undo else "booking.checked_in"
            await audit.record(principal.user_id, action, "booking", booking_id, now)
        found = await db.view(principal, booking_id)
    assert found is not None  # it was there a moment ago, in this very transaction
    return found
