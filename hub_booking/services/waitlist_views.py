"""What people read of waitlist entries: the waitlist pages and the offer letters.

An entry is shown with its hub, resources and association named in the reader's language
and its times on the hub's clock. A letter is checked against its entry when it is sent:
an offer already confirmed, given up or lapsed is not mailed any more.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from hub_booking import zones
from hub_booking.db import associations, catalogue
from hub_booking.db import waitlist as db
from hub_booking.db.outbox import Claimed, Recipient
from hub_booking.domain.errors import N_, NotFound
from hub_booking.domain.model import Page, Principal, display_name
from hub_booking.i18n import format_datetime
from hub_booking.services.messages import DATE, TIME, Draft, Withdrawn, _letter, _translator, when

PAGE_SIZE = 20
STATES = {
    db.WAITING: N_("Waiting"),
    db.OFFERED: N_("Free for you: confirm it"),
    db.BOOKED: N_("Booked"),
    db.LAPSED: N_("Not confirmed in time"),
    db.LEFT: N_("Left the waitlist"),
    db.GONE: N_("The time has passed"),
}
SUBJECTS = {
    "waitlist_offer": N_("A time you waited for is free: %(title)s"),
    "waitlist_lapsed": N_("Your hold from the waitlist has ended: %(title)s"),
}
LEADS = {
    "waitlist_offer": N_(
        "The time your association was waiting for at %(hub)s is free. It is kept for %(association)s until %(until)s: confirm it to book it, or let it go to the next association."  # noqa: E501
    ),
    "waitlist_lapsed": N_(
        "Nobody confirmed the time at %(hub)s before %(until)s, so it was offered to the next association on the waitlist."  # noqa: E501
    ),
}


@dataclass(frozen=True)
class EntryView:
    """An entry as its reader sees it."""

    entry: db.Entry
    hub: str
    resources: str
    association: str
    when: str
    until: str  # the end of the hold, on the hub's clock ("" unless offered)
    state: str  # translated
    confirmable: bool


async def views(entries: list[db.Entry], language: str, now: datetime) -> list[EntryView]:
    """The entries named and timed for the reader (three small queries for all of them)."""
    t = _translator(language)
    resource_ids = sorted({r for e in entries for r in e.items})
    resources = await catalogue.resource_infos(resource_ids, language) if entries else {}
    hubs = {i: await catalogue.hub(i) for i in {e.hub_id for e in entries}}
    groups = {i: await associations.names([i]) for i in {e.association_id for e in entries}}
    found = []
    for e in entries:
        zone = zones.get_zone(e.timezone)
        hub = hubs.get(e.hub_id)
        names = (groups.get(e.association_id) or [("", "")])[0]
        open_offer = e.status == db.OFFERED and e.hold_until is not None and e.hold_until > now
        found.append(
            EntryView(
                entry=e,
                hub=display_name(hub.name_fr, hub.name_ar, language) if hub else "",
                resources=", ".join(
                    resources[r].name + ("" if q == 1 else f" × {q}")
                    for r, q in sorted(e.items.items())
                    if r in resources
                ),
                association=display_name(*names, language),
                when=when(e.starts_at, e.ends_at, zone, language, t),
                until=_until(e.hold_until, zone, language) if e.hold_until else "",
                state=t(
                    STATES[db.LAPSED]
                    if e.status == db.OFFERED and not open_offer
                    else STATES.get(e.status, STATES[db.WAITING])
                ),
                confirmable=open_offer,
            )
        )
    return found


def _until(at: datetime, zone: ZoneInfo, language: str) -> str:
    return format_datetime(at, zone, language, f"{DATE}, {TIME}")


async def listing(principal: Principal, now: datetime, language: str, page: int) -> Page[EntryView]:
    """The waitlist entries of the reader's associations, the latest first."""
    found = await db.page(
        principal, sorted(principal.memberships), PAGE_SIZE, (max(page, 1) - 1) * PAGE_SIZE
    )
    return Page(await views(found.items, language, now), found.total)


async def detail(principal: Principal, entry_id: int, now: datetime, language: str) -> EntryView:
    """One entry the reader may see (404 alike for others' and for none)."""
    entry = await db.entry(principal, entry_id)
    if entry is None:
        raise NotFound(N_("This waitlist entry does not exist."))
    return (await views([entry], language, now))[0]


async def draft(
    claimed: Claimed, reader: Recipient, language: str, now: datetime, base_url: str
) -> Draft | Withdrawn:
    """The letter of an offer (with its confirmation link) or of a lapsed hold."""
    entry = await db.by_id(int(claimed.payload.get("entry_id", 0)))
    if entry is None:
        return Withdrawn("the waitlist entry no longer exists")
    offer = claimed.kind == "waitlist_offer"
    if offer and (entry.status != db.OFFERED or not entry.hold_until or entry.hold_until <= now):
        return Withdrawn("the offer was taken, given up or has lapsed")
    (view,) = await views([entry], language, now)
    t = _translator(language)
    params = {"title": entry.title, "hub": view.hub, "association": view.association}
    lead = t(LEADS[claimed.kind], until=view.until, **params)
    letter = _letter(t(SUBJECTS[claimed.kind], **params), reader, language, [lead], base_url)
    details = [
        (t(N_("Booking")), entry.title),
        (t(N_("When")), f"{view.when} ({entry.timezone})"),
        (t(N_("Where")), view.hub),
        (t(N_("Resources")), view.resources),
        (t(N_("Association")), view.association),
    ]
    letter = dataclasses.replace(letter, details=[(k, v) for k, v in details if v])
    if offer:
        link = (f"{base_url}/waitlist/{entry.id}", t(N_("Confirm or let it go")))
        letter = dataclasses.replace(letter, link=link)
    return Draft(letter, reader)


def headline(kind: str, payload: dict, language: str) -> str:
    """The subject of a waitlist message, for the in-app list."""
    return _translator(language)(SUBJECTS[kind], title=payload.get("title", ""))
