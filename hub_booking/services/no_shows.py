"""No-shows: where the rules require check-in (``requires_check_in``, a hub rule or a
resource's), a booking nobody checked in to ``NO_SHOW_AFTER`` its start (30 minutes) frees
the rest of its slot: it now ends then (audited, its people told), and the waitlist is
offered what was freed. A job; each booking is released in its own transaction, on the
locked row, checked again there (a check-in at the same moment wins or loses cleanly).
"""

from __future__ import annotations

from datetime import datetime

from hub_booking import zones
from hub_booking.db import booking_writes, catalogue, no_shows
from hub_booking.db import bookings as booking_rows
from hub_booking.db.engine import transaction
from hub_booking.domain.model import BookingStatus, Principal, ResourceInfo
from hub_booking.domain.rules import NO_SHOW_AFTER
from hub_booking.domain.verdict import wanted_holds
from hub_booking.domain.wallclock import Slot, to_local
from hub_booking.services import audit, notifications, waitlist

SYSTEM = Principal(user_id=0, email="", name="hub-booking", language="en", is_platform_admin=True)


async def release(now: datetime) -> list[int]:
    """Release every no-show due now; the ids released."""
    ids = await no_shows.candidates(now, NO_SHOW_AFTER)
    if not ids:
        return []
    views = await booking_rows.by_ids(ids)
    wanted = sorted({item.resource_id for view in views.values() for item in view.items})
    resources = await catalogue.resource_infos(wanted)
    released = []
    for view in sorted(views.values(), key=lambda v: v.starts_at):
        due = any(_requires_check_in(resources.get(i.resource_id)) for i in view.items)
        if due and await _release(view.id, resources, now):
            released.append(view.id)
    return released


def _requires_check_in(resource: ResourceInfo | None) -> bool:
    return resource is not None and resource.rules.get("requires_check_in") is True


async def _release(booking_id: int, resources: dict[int, ResourceInfo], now: datetime) -> bool:
    cut = now.replace(second=0, microsecond=0)
    async with transaction():
        booking = await booking_rows.view(SYSTEM, booking_id, lock=True)
        if (
            booking is None
            or booking.status != BookingStatus.APPROVED
            or booking.checked_in_at is not None
            or booking.ends_at <= cut
            or booking.starts_at > now - NO_SHOW_AFTER
        ):
            return False
        zone = zones.get_zone(booking.timezone)
        kept = Slot(booking.starts_at, cut, booking.local_start, to_local(cut, zone))
        items = {item.resource_id: item.quantity for item in booking.items}
        holds = wanted_holds(kept, items, resources, booking.id)
        values = {"ends_at": cut, "local_end": kept.local_end}
        await booking_writes.update_booking(booking, values, holds, resources, now)
        await audit.record(
            None, "booking.released", "booking", booking.id, now, until=booking.ends_at.isoformat()
        )
        await notifications.booking_changed([booking.id], "released", now)
        await waitlist.freed_from(booking.hub_id, set(items), cut, booking.ends_at, now)
    return True
