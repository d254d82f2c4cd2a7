"""What the letters of a batch read: their readers, their bookings and the names of places.

Letters are not bound by anyone's visibility: they go to the people the booking concerns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub_booking.db import bookings as booking_rows
from hub_booking.db.outbox import Recipient
from hub_booking.db.tables import AppUser, Association, Hub, Resource
from hub_booking.domain.bookings import BookingView


@dataclass(frozen=True)
class Names:
    """(French, Arabic) names of the resources, hubs and associations of some bookings."""

    resources: dict[int, tuple[str, str]]
    hubs: dict[int, tuple[str, str]]
    associations: dict[int, tuple[str, str]]


async def recipients(user_ids: list[int]) -> dict[int, Recipient]:
    """These users as readers (address, name, language), by id, in one query."""
    rows = await AppUser.select(
        AppUser.id, AppUser.email, AppUser.name, AppUser.language, AppUser.is_active
    ).where(AppUser.id.is_in(user_ids or [-1]))
    return {
        r["id"]: Recipient(r["id"], r["email"], r["name"], r["language"], r["is_active"])
        for r in rows
    }


async def booking_views(booking_ids: list[int]) -> dict[int, BookingView]:
    """The bookings of a batch of letters, by id, in two queries."""
    return await booking_rows.by_ids(booking_ids)


async def names(views: list[BookingView]) -> Names:
    """The names a letter shows for these bookings, in three queries."""

    async def of(table: Any, ids: set[int]) -> dict[int, tuple[str, str]]:
        rows = await table.select(table.id, table.name_fr, table.name_ar).where(
            table.id.is_in(sorted(ids) or [-1])
        )
        return {r["id"]: (r["name_fr"], r["name_ar"]) for r in rows}

    return Names(
        resources=await of(Resource, {i.resource_id for v in views for i in v.items}),
        hubs=await of(Hub, {v.hub_id for v in views}),
        associations=await of(Association, {v.association_id for v in views}),
    )
