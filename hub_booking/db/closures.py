"""Closures (blackouts) of hubs and resources: reads and writes, rows in, domain types out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.custom_types import Combinable

from hub_booking.db.tables import Blackout
from hub_booking.domain.model import Closure, ClosureView, Page

_FIELDS = (
    Blackout.id,
    Blackout.hub,
    Blackout.resource,
    Blackout.starts_at,
    Blackout.ends_at,
    Blackout.local_start,
    Blackout.local_end,
    Blackout.timezone,
    Blackout.reason,
)


@dataclass(frozen=True)
class NewClosure:
    hub_id: int
    resource_id: int | None
    starts_at: datetime
    ends_at: datetime
    local_start: datetime
    local_end: datetime
    timezone: str
    reason: str
    created_by: int


async def insert(new: NewClosure, now: datetime) -> int:
    row = Blackout(
        hub=new.hub_id,
        resource=new.resource_id,
        starts_at=new.starts_at,
        ends_at=new.ends_at,
        local_start=new.local_start,
        local_end=new.local_end,
        timezone=new.timezone,
        reason=new.reason,
        created_by=new.created_by,
        created_at=now,
    )
    rows = await Blackout.insert(row).returning(Blackout.id)
    return rows[0]["id"]


async def closure(closure_id: int, hub_id: int | None = None) -> ClosureView | None:
    """One closure (of that hub only, when given)."""
    where: Combinable = Blackout.id == closure_id
    if hub_id is not None:
        where &= Blackout.hub == hub_id
    row = await Blackout.select(*_FIELDS).where(where).first()
    return _view(row) if row else None


async def of_hub(
    hub_id: int, limit: int, offset: int, *, ending_after: datetime | None = None
) -> Page[ClosureView]:
    """A page of the hub's closures in time order (those ending after ``ending_after``
    when given), with the total."""
    where: Combinable = Blackout.hub == hub_id
    if ending_after is not None:
        where &= Blackout.ends_at > ending_after.astimezone(UTC)
    query = Blackout.select(*_FIELDS).where(where).order_by(Blackout.starts_at, Blackout.id)
    rows = await query.limit(limit).offset(offset)
    return Page([_view(row) for row in rows], await Blackout.count().where(where))


async def overlapping(hub_id: int, start: datetime, end: datetime) -> list[Closure]:
    """The hub's closures (of the hub or of one resource) that overlap ``[start, end)``
    (a plain query: it is on the booking hot path)."""
    rows = await Blackout.raw(
        "SELECT starts_at, ends_at, reason, resource FROM blackout"
        " WHERE hub = {} AND starts_at < {} AND ends_at > {}",
        hub_id,
        end.astimezone(UTC),
        start.astimezone(UTC),
    )
    return [Closure(r["starts_at"], r["ends_at"], r["reason"], r["resource"]) for r in rows]


async def delete(closure_id: int) -> None:
    await Blackout.delete().where(Blackout.id == closure_id)


def _view(row: dict[str, Any]) -> ClosureView:
    return ClosureView(
        id=row["id"],
        hub_id=row["hub"],
        resource_id=row["resource"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        local_start=row["local_start"],
        local_end=row["local_end"],
        timezone=row["timezone"],
        reason=row["reason"],
    )


async def future(now: datetime) -> list[ClosureView]:
    """Closures that have not ended yet (what a change of zone data may move)."""
    rows = await Blackout.select(*_FIELDS).where(Blackout.ends_at > now.astimezone(UTC))
    return [_view(row) for row in rows]


async def retime(closure_id: int, start: datetime, end: datetime) -> None:
    """New instants for a closure whose wall-clock times are kept."""
    await Blackout.update({Blackout.starts_at: start, Blackout.ends_at: end}).where(
        Blackout.id == closure_id
    )
