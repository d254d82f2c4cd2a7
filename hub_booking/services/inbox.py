"""In-app notifications: the reader's news, newest first, read and unread.

The news is the outbox row itself (see ``db.inbox``): every message for people is shown
once it is due, whether or not it was mailed (a reader may have turned a mail off, or
rarely read mail), in the reader's language at the time they read it. Digests, invitations
and password resets are mail only. The header's counter is one indexed count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub_booking import zones
from hub_booking.db import bookings as booking_rows
from hub_booking.db import inbox as db
from hub_booking.domain.bookings import BookingView
from hub_booking.domain.errors import N_, NotFound
from hub_booking.domain.model import Principal
from hub_booking.i18n import format_datetime, translate
from hub_booking.services import messages, waitlist_views

PAGE_SIZE = 20
GONE = N_("A booking that no longer exists")
OTHER = {
    "retime_problem": N_("A booking needs your attention after a change of time zone rules"),
    "membership.requested": N_("A membership request awaits you"),
}


@dataclass(frozen=True)
class NewsView:
    id: int
    text: str
    link: str | None
    at: str  # when it became news, on the clock of its hub (or of the installation)
    read: bool


@dataclass(frozen=True)
class Inbox:
    items: list[NewsView]
    total: int
    unread: int
    page: int
    pages: int


async def listing(
    principal: Principal, now: datetime, language: str, page: int, zone_name: str
) -> Inbox:
    """A page of the reader's notifications, each said in their language."""
    page = max(page, 1)
    found = await db.page(principal.user_id, now, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    ids = sorted({n.booking_id for n in found.items if n.booking_id})
    ids += sorted({int(n.payload["id"]) for n in found.items if _retimed(n)})
    bookings = await booking_rows.by_ids(ids) if ids else {}
    items = [_view(n, bookings, language, zone_name) for n in found.items]
    return Inbox(
        items=items,
        total=found.total,
        unread=await db.unread(principal.user_id, now),
        page=page,
        pages=max(1, -(-found.total // PAGE_SIZE)),
    )


def _retimed(news: db.News) -> bool:
    return news.kind == "retime_problem" and str(news.payload.get("id", "")).isdigit()


def _view(
    news: db.News, bookings: dict[int, BookingView], language: str, zone_name: str
) -> NewsView:
    t = _translator(language)
    text, link = t(N_("A message from hub-booking")), None
    booking = bookings.get(news.booking_id or 0)
    if news.kind in messages.SUBJECTS:
        text = t(GONE)
        if booking is not None:
            zone = zones.get_zone(booking.timezone)
            span = messages.when(booking.starts_at, booking.ends_at, zone, language, t)
            text = t(messages.SUBJECTS[news.kind], title=booking.title, when=span)
            link = f"/bookings/{booking.id}"
    elif news.kind in waitlist_views.SUBJECTS:
        text = waitlist_views.headline(news.kind, news.payload, language)
        link = f"/waitlist/{int(news.payload.get('entry_id', 0))}"
    elif news.kind in OTHER:
        text = t(OTHER[news.kind])
        if _retimed(news):
            link = f"/bookings/{int(news.payload['id'])}"
    zone = zones.get_zone(booking.timezone if booking else zone_name)
    at = format_datetime(news.at, zone, language, f"{messages.DATE}, {messages.TIME}")
    return NewsView(news.id, text, link, at, news.read)


async def unread(principal: Principal, now: datetime) -> int:
    """The header's counter: one count on an index of the reader's unread rows."""
    return await db.unread(principal.user_id, now)


async def mark_read(principal: Principal, notification_id: int, now: datetime) -> None:
    """Mark one of the reader's notifications read (404 for anyone else's)."""
    if await db.mark_read(principal.user_id, notification_id, now) is None:
        raise NotFound(N_("This notification does not exist."))


async def mark_all_read(principal: Principal, now: datetime) -> int:
    """Mark all the reader's notifications read; how many were unread."""
    return await db.mark_all_read(principal.user_id, now)


def _translator(language: str):  # type: ignore[no-untyped-def]
    def t(message: str, **params: object) -> str:
        return translate(language, message, **params)

    return t
