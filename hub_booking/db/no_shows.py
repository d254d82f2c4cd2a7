"""Bookings nobody checked in to: approved, started long enough ago, not yet ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub_booking.db.tables import Booking
from hub_booking.domain.model import BookingStatus

LOOK_BACK = timedelta(days=2)  # a booking longer than this is never released (nor looked at)


async def candidates(now: datetime, grace: timedelta) -> list[int]:
    """Approved bookings not checked in, started at least ``grace`` ago and still running."""
    now = now.astimezone(UTC)
    rows = await Booking.select(Booking.id).where(
        (Booking.status == BookingStatus.APPROVED)
        & Booking.checked_in_at.is_null()
        & (Booking.starts_at <= now - grace)
        & (Booking.starts_at > now - LOOK_BACK)
        & (Booking.ends_at > now)
    )
    return sorted(r["id"] for r in rows)
