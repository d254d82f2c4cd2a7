"""Closures (blackouts) of a hub or of one resource, set by the hub's managers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub_booking import zones
from hub_booking.db import queries
from hub_booking.db.engine import transaction
from hub_booking.db.tables import Blackout, Resource
from hub_booking.domain.errors import N_, Forbidden, Invalid, NotFound, invalid
from hub_booking.domain.model import Principal
from hub_booking.domain.wallclock import WallClockError, to_local, to_utc
from hub_booking.services import audit

FIELDS = (
    Blackout.id,
    Blackout.hub,
    Blackout.resource,
    Blackout.starts_at,
    Blackout.ends_at,
    Blackout.reason,
    Blackout.local_start,
    Blackout.local_end,
    Blackout.timezone,
)


async def add(
    principal: Principal,
    hub_id: int,
    start: datetime,
    end: datetime,
    reason: str,
    resource_id: int | None,
    now: datetime,
) -> int:
    hub = await queries.hub(hub_id)
    if hub is None:
        raise NotFound(N_("This hub does not exist."))
    if not principal.manages(hub_id):
        raise Forbidden(N_("Only a manager of this hub can record closures."))
    if end <= start:
        raise invalid("ends_at", "end_before_start", N_("The end must come after the start."))
    if resource_id is not None and not await Resource.exists().where(
        (Resource.id == resource_id) & (Resource.hub == hub_id)
    ):
        raise invalid("resource_id", "unknown_resource", N_("No resource with this id."))
    zone = zones.get_zone(hub["timezone"])
    local_start, local_end = to_local(start, zone), to_local(end, zone)
    try:  # the wall clock is what a closure promises, like a booking
        to_utc(local_start, zone), to_utc(local_end, zone, "ends_at")
    except WallClockError as exc:
        raise Invalid([exc.violation]) from exc
    async with transaction():
        rows = await Blackout.insert(
            Blackout(
                hub=hub_id,
                resource=resource_id,
                local_start=local_start,
                local_end=local_end,
                timezone=hub["timezone"],
                starts_at=start,
                ends_at=end,
                reason=reason[:200],
                created_by=principal.user_id,
                created_at=now,
            )
        ).returning(Blackout.id)
        await audit.record(
            principal.user_id, "closure.added", "closure", rows[0]["id"], now, hub_id=hub_id
        )
    return rows[0]["id"]


async def listed(hub_id: int) -> list[dict[str, Any]]:
    return await Blackout.select(*FIELDS).where(Blackout.hub == hub_id).order_by(Blackout.starts_at)


async def remove(principal: Principal, closure_id: int, now: datetime) -> None:
    row = await Blackout.select(Blackout.hub).where(Blackout.id == closure_id).first()
    if row is None:
        raise NotFound(N_("This closure does not exist."))
    if not principal.manages(row["hub"]):
        raise Forbidden(N_("Only a manager of this hub can record closures."))
    async with transaction():
        await Blackout.delete().where(Blackout.id == closure_id)
        await audit.record(
            principal.user_id, "closure.removed", "closure", closure_id, now, hub_id=row["hub"]
        )
