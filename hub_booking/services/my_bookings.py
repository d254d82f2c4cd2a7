"""My bookings: the bookings of the reader's associations, upcoming or past, and one booking
with everything its page shows (names, its series).

Visibility is the bookings' own query condition (``db.bookings.visible_to``): a booking the
reader may not see is never loaded, and answers 404 like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub_booking.db import bookings as db
from hub_booking.db import feeds as feed_rows
from hub_booking.domain.bookings import BookingView
from hub_booking.domain.model import HOLDING, Principal, display_name
from hub_booking.services.bookings import get_booking

PAGE_SIZE = 20


@dataclass(frozen=True)
class Names:
    """What bookings mention, in the reader's language: hubs, resources, associations."""

    hubs: dict[int, str]
    resources: dict[int, str]
    associations: dict[int, str]


@dataclass(frozen=True)
class Group:
    """A booking on its own, or the occurrences of one series found on the page."""

    series_id: int | None
    bookings: list[BookingView]


@dataclass(frozen=True)
class Listing:
    upcoming: bool
    groups: list[Group]
    total: int
    page: int
    pages: int
    names: Names
    member: bool  # whether the reader belongs to any association at all


@dataclass(frozen=True)
class Detail:
    booking: BookingView
    names: Names
    occurrences: list[BookingView]  # of its series (those the reader may see), else empty

    @property
    def cancellable(self) -> bool:
        return self.booking.status in HOLDING


async def listing(
    principal: Principal, now: datetime, language: str, *, upcoming: bool, page: int
) -> Listing:
    """A page of the reader's associations' bookings not yet ended (by start) or ended
    (latest first); occurrences of one series on the page are grouped where the first is."""
    ids = sorted(principal.memberships)
    page = max(1, page)
    found = await db.association_page(
        principal, ids, now, upcoming=upcoming, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    pages = max(1, -(-found.total // PAGE_SIZE))
    names = await _names(found.items, language)
    return Listing(upcoming, _grouped(found.items), found.total, page, pages, names, bool(ids))


async def detail(principal: Principal, booking_id: int, language: str) -> Detail:
    """One booking the reader may see (404 otherwise), its names and its series."""
    booking = await get_booking(principal, booking_id)
    occurrences = await feed_rows.series(principal, booking.series_id) if booking.series_id else []
    return Detail(booking, await _names([booking, *occurrences], language), occurrences)


def _grouped(found: list[BookingView]) -> list[Group]:
    groups: list[Group] = []
    series: dict[int, Group] = {}
    for booking in found:
        if booking.series_id is None:
            groups.append(Group(None, [booking]))
        elif booking.series_id in series:
            series[booking.series_id].bookings.append(booking)
        else:
            series[booking.series_id] = Group(booking.series_id, [booking])
            groups.append(series[booking.series_id])
    return groups


async def _names(found: list[BookingView], language: str) -> Names:
    if not found:
        return Names({}, {}, {})
    raw = await feed_rows.names(found)

    def named(pairs: dict[int, tuple[str, str]]) -> dict[int, str]:
        return {i: display_name(fr, ar, language) for i, (fr, ar) in pairs.items()}

    resources = {i: (fr, ar) for i, (fr, ar, _) in raw.resources.items()}
    return Names(named(raw.hubs), named(resources), named(raw.associations))
