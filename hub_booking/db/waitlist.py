"""Waitlist entries, and the booking rows in the ``offered`` state that hold a freed slot for
the entry it is offered to.

An offer is an ordinary booking row whose items hold (``booking_item.holding``): the locks
and the PostgreSQL exclusion constraint that keep two bookings apart keep an offer and a
booking (or two offers) apart the same way. Entries are read with their visibility in the
query, like bookings: another association's entry answers like none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.custom_types import Combinable

from hub_booking.db import booking_writes, holds
from hub_booking.db.engine import is_sqlite
from hub_booking.db.tables import AppUser, Booking, BookingItem, Membership, Resource, WaitlistEntry
from hub_booking.domain.model import BookingStatus, MemberRole, Page, Principal, ResourceInfo
from hub_booking.domain.wallclock import Slot

WAITING, OFFERED, BOOKED, LAPSED, LEFT, GONE = (
    "waiting",
    "offered",
    "booked",
    "lapsed",
    "left",
    "gone",
)
ACTIVE = (WAITING, OFFERED)


@dataclass(frozen=True)
class Entry:
    id: int
    association_id: int
    user_id: int | None
    hub_id: int
    timezone: str
    title: str
    attendees: int
    items: dict[int, int]
    starts_at: datetime
    ends_at: datetime
    status: str
    offer_id: int | None
    hold_until: datetime | None
    booking_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class NewEntry:
    association_id: int
    user_id: int
    hub_id: int
    title: str
    attendees: int
    items: dict[int, int]
    starts_at: datetime
    ends_at: datetime


_FIELDS = (
    WaitlistEntry.id,
    WaitlistEntry.association,
    WaitlistEntry.user,
    WaitlistEntry.hub,
    WaitlistEntry.hub.timezone.as_alias("timezone"),
    WaitlistEntry.title,
    WaitlistEntry.attendees,
    WaitlistEntry.items,
    WaitlistEntry.starts_at,
    WaitlistEntry.ends_at,
    WaitlistEntry.status,
    WaitlistEntry.offer,
    WaitlistEntry.hold_until,
    WaitlistEntry.booking,
    WaitlistEntry.created_at,
)


def _entry(row: dict[str, Any]) -> Entry:
    items = row["items"]
    items = json.loads(items) if isinstance(items, str | bytes) else items
    return Entry(
        id=row["id"],
        association_id=row["association"],
        user_id=row["user"],
        hub_id=row["hub"],
        timezone=row["timezone"],
        title=row["title"],
        attendees=row["attendees"],
        items={int(k): int(v) for k, v in (items or {}).items()},
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        status=row["status"],
        offer_id=row["offer"],
        hold_until=row["hold_until"],
        booking_id=row["booking"],
        created_at=row["created_at"],
    )


def visible_to(principal: Principal) -> Combinable:
    """Entries of the caller's associations and of the hubs they manage (all for an admin)."""
    if principal.is_platform_admin:
        return WaitlistEntry.id > 0
    return WaitlistEntry.association.is_in(
        list(principal.memberships) or [-1]
    ) | WaitlistEntry.hub.is_in(list(principal.managed_hubs) or [-1])


def _locked(query: Any) -> Any:
    return query if is_sqlite() else query.lock_rows(of=(WaitlistEntry,))


async def entry(principal: Principal, entry_id: int, *, lock: bool = False) -> Entry | None:
    """One entry the caller may see (locked until the transaction ends with ``lock``)."""
    query = WaitlistEntry.select(*_FIELDS).where(
        (WaitlistEntry.id == entry_id) & visible_to(principal)
    )
    rows = await (_locked(query) if lock else query)
    return _entry(rows[0]) if rows else None


async def by_id(entry_id: int, *, lock: bool = False) -> Entry | None:
    """One entry for the system's own work (jobs), bound by nobody's visibility."""
    query = WaitlistEntry.select(*_FIELDS).where(WaitlistEntry.id == entry_id)
    rows = await (_locked(query) if lock else query)
    return _entry(rows[0]) if rows else None


async def page(
    principal: Principal, association_ids: list[int], limit: int, offset: int
) -> Page[Entry]:
    """The entries of these associations the caller may see, the latest first."""
    where = visible_to(principal) & WaitlistEntry.association.is_in(association_ids or [-1])
    total = await WaitlistEntry.count().where(where)
    rows = await (
        WaitlistEntry.select(*_FIELDS)
        .where(where)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return Page([_entry(r) for r in rows], total)


async def already_waiting(new: NewEntry) -> bool:
    """Whether the association already waits (or holds an offer) for exactly this."""
    rows = await WaitlistEntry.select(WaitlistEntry.items).where(
        (WaitlistEntry.association == new.association_id)
        & (WaitlistEntry.starts_at == new.starts_at.astimezone(UTC))
        & (WaitlistEntry.ends_at == new.ends_at.astimezone(UTC))
        & WaitlistEntry.status.is_in(list(ACTIVE))
    )
    wanted = {str(k): v for k, v in new.items.items()}
    return any(_entry_items(r["items"]) == wanted for r in rows)


def _entry_items(raw: Any) -> dict[str, int]:
    items = json.loads(raw) if isinstance(raw, str | bytes) else raw
    return {str(k): int(v) for k, v in (items or {}).items()}


async def insert(new: NewEntry, now: datetime) -> int:
    row = WaitlistEntry(
        association=new.association_id,
        user=new.user_id,
        hub=new.hub_id,
        title=new.title,
        attendees=new.attendees,
        items={str(k): v for k, v in sorted(new.items.items())},
        starts_at=new.starts_at.astimezone(UTC),
        ends_at=new.ends_at.astimezone(UTC),
        status=WAITING,
        created_at=now,
        updated_at=now,
    )
    return (await WaitlistEntry.insert(row).returning(WaitlistEntry.id))[0]["id"]


async def waiting_in(
    hub_ids: list[int], start: datetime, end: datetime, now: datetime
) -> list[Entry]:
    """Waiting entries of these hubs overlapping ``[start, end)`` and still to start, the
    first to join first."""
    rows = await (
        WaitlistEntry.select(*_FIELDS)
        .where(
            WaitlistEntry.hub.is_in(hub_ids or [-1])
            & (WaitlistEntry.status == WAITING)
            & (WaitlistEntry.starts_at < end.astimezone(UTC))
            & (WaitlistEntry.ends_at > start.astimezone(UTC))
            & (WaitlistEntry.starts_at > now.astimezone(UTC))
        )
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    )
    return [_entry(r) for r in rows]


async def waiting_window(now: datetime) -> list[tuple[int, datetime, datetime]]:
    """(hub, first start, last end) of the waiting entries still to start, per hub."""
    rows = await WaitlistEntry.select(
        WaitlistEntry.hub, WaitlistEntry.starts_at, WaitlistEntry.ends_at
    ).where((WaitlistEntry.status == WAITING) & (WaitlistEntry.starts_at > now.astimezone(UTC)))
    windows: dict[int, tuple[datetime, datetime]] = {}
    for r in rows:
        lo, hi = windows.get(r["hub"], (r["starts_at"], r["ends_at"]))
        windows[r["hub"]] = (min(lo, r["starts_at"]), max(hi, r["ends_at"]))
    return [(hub, lo, hi) for hub, (lo, hi) in sorted(windows.items())]


async def lock_resources(resource_ids: list[int]) -> None:
    """The locks a booking's writer takes on its resources (by id, in order): an offer is
    written under the same ones (SQLite's IMMEDIATE transaction already serialises)."""
    if not is_sqlite() and resource_ids:
        ids = ", ".join(str(int(i)) for i in sorted(set(resource_ids)))
        await Resource.raw(f"SELECT id FROM resource WHERE id IN ({ids}) ORDER BY id FOR UPDATE")


async def insert_offer(
    entry: Entry, slot: Slot, resources: dict[int, ResourceInfo], now: datetime
) -> int:
    """The booking row holding ``slot`` for the entry, in the ``offered`` state."""
    new = booking_writes.NewBooking(
        association_id=entry.association_id,
        requested_by=entry.user_id,  # type: ignore[arg-type]  # may be None (user deleted)
        hub_id=entry.hub_id,
        title=entry.title,
        purpose="",
        attendees=entry.attendees,
        timezone=entry.timezone,
        status=BookingStatus.OFFERED,
        override=False,
        items=entry.items,
    )
    (offer,) = await booking_writes.insert_bookings(new, [slot], resources, now)
    await holds.set_holding([offer.id], True)  # an offer holds, though it is not HOLDING
    return offer.id


async def delete_offer(booking_id: int | None) -> None:
    """Free what an offer held (the row goes: it never was anyone's booking)."""
    if booking_id is None:
        return
    await BookingItem.delete().where(BookingItem.booking == booking_id)
    await Booking.delete().where(
        (Booking.id == booking_id) & (Booking.status == BookingStatus.OFFERED)
    )


async def set_offered(entry_id: int, offer_id: int, hold_until: datetime, now: datetime) -> bool:
    """A waiting entry gets its offer; False when it was no longer waiting."""
    rows = (
        await WaitlistEntry.update(
            {
                WaitlistEntry.status: OFFERED,
                WaitlistEntry.offer: offer_id,
                WaitlistEntry.hold_until: hold_until.astimezone(UTC),
                WaitlistEntry.updated_at: now,
            }
        )
        .where((WaitlistEntry.id == entry_id) & (WaitlistEntry.status == WAITING))
        .returning(WaitlistEntry.id)
    )
    return bool(rows)


async def finish(
    entry_id: int, status: str, now: datetime, *, booking_id: int | None = None
) -> bool:
    """An active entry ends (booked, lapsed, left); False when it was no longer active."""
    rows = (
        await WaitlistEntry.update(
            {
                WaitlistEntry.status: status,
                WaitlistEntry.offer: None,
                WaitlistEntry.booking: booking_id,
                WaitlistEntry.updated_at: now,
            }
        )
        .where((WaitlistEntry.id == entry_id) & WaitlistEntry.status.is_in(list(ACTIVE)))
        .returning(WaitlistEntry.id)
    )
    return bool(rows)


async def lapsed(now: datetime) -> list[int]:
    """Offers whose hold has run out."""
    rows = await WaitlistEntry.select(WaitlistEntry.id).where(
        (WaitlistEntry.status == OFFERED) & (WaitlistEntry.hold_until <= now.astimezone(UTC))
    )
    return [r["id"] for r in rows]


async def retire_past(now: datetime) -> int:
    """Waiting entries whose time has come without a free slot are gone."""
    rows = (
        await WaitlistEntry.update({WaitlistEntry.status: GONE, WaitlistEntry.updated_at: now})
        .where((WaitlistEntry.status == WAITING) & (WaitlistEntry.starts_at <= now.astimezone(UTC)))
        .returning(WaitlistEntry.id)
    )
    return len(rows)


async def representatives(association_id: int) -> list[int]:
    """The association's active representatives (told of its offers with the member)."""
    rows = await Membership.select(Membership.user).where(
        (Membership.association == association_id)
        & (Membership.role == MemberRole.REPRESENTATIVE)
        & Membership.user._.is_active.eq(True)
    )
    return sorted(r["user"] for r in rows)


async def active_users(user_ids: list[int]) -> list[int]:
    rows = await AppUser.select(AppUser.id).where(
        AppUser.id.is_in(user_ids or [-1]) & AppUser.is_active.eq(True)
    )
    return sorted(r["id"] for r in rows)
