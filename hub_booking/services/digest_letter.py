"""The daily digest of a hub's manager: the requests waiting for a decision and the day's
bookings on the hub's clock."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from hub_booking import zones
from hub_booking.db import bookings as db
from hub_booking.db import catalogue
from hub_booking.db.outbox import Recipient
from hub_booking.domain.errors import N_
from hub_booking.domain.model import BookingStatus, Principal, display_name
from hub_booking.i18n import format_datetime
from hub_booking.mail import Letter
from hub_booking.services.messages import DATE, TIME, _letter, _translator

SYSTEM = Principal(user_id=0, email="", name="hub-booking", language="en", is_platform_admin=True)
AWAITING = N_("awaiting a decision")


async def digest(
    payload: dict[str, Any], reader: Recipient, language: str, now: datetime, base_url: str
) -> Letter:
    """The manager's morning: requests waiting for a decision and the day's bookings."""
    t = _translator(language)
    hub = await catalogue.hub(int(payload["hub_id"]))
    zone = zones.get_zone(hub.timezone if hub else "UTC")
    name = display_name(hub.name_fr, hub.name_ar, language) if hub else ""
    day = datetime.fromisoformat(payload["date"]).replace(tzinfo=zone)
    pending = await db.page(
        SYSTEM,
        db.Filters(hub_id=int(payload["hub_id"]), status=BookingStatus.PENDING, start=now),
        1,
        0,
    )
    today = await db.page(
        SYSTEM,
        db.Filters(hub_id=int(payload["hub_id"]), start=day, end=day + timedelta(days=1)),
        200,
        0,
    )
    held = [b for b in today.items if b.status in (BookingStatus.APPROVED, BookingStatus.PENDING)]
    items = [
        f"{format_datetime(b.starts_at, zone, language, TIME)}–"
        f"{format_datetime(b.ends_at, zone, language, TIME)} {b.title}"
        + ("" if b.status == BookingStatus.APPROVED else f" ({t(AWAITING)})")
        for b in held
    ]
    subject = t(
        N_("Your day at %(hub)s: %(count)s requests to decide"), hub=name, count=pending.total
    )
    paragraphs = [
        t(N_("Requests awaiting your decision: %(count)s."), count=pending.total),
        t(N_("Bookings on %(date)s:"), date=format_datetime(day, zone, language, DATE))
        if items
        else t(N_("No bookings on %(date)s."), date=format_datetime(day, zone, language, DATE)),
    ]
    letter = _letter(subject, reader, language, paragraphs, base_url)
    return dataclasses.replace(letter, items=items)
