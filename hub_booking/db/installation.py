"""Small facts about this installation, such as the zone data its bookings were timed with."""

from __future__ import annotations

from hub_booking.db.tables import AppState


async def fact(key: str) -> str | None:
    row = await AppState.select(AppState.value).where(AppState.key == key).first()
    return row["value"] if row else None


async def record(key: str, value: str) -> None:
    """Set ``key`` to ``value`` (two processes recording at once store one row)."""
    await AppState.insert(AppState(key=key, value=value)).on_conflict(
        target=AppState.key, action="DO UPDATE", values=[AppState.value]
    )
