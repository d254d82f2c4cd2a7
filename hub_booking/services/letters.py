"""Which letter a claimed notification gets, drafted from what its batch has read.

A batch reads its readers, bookings and the names of their places in a few queries
(``Memo.prefetch``), not a few per letter; the facts of a booking are worked out once per
language and shared by all its readers of that language.
"""

from __future__ import annotations

from datetime import datetime

from hub_booking.db import letters as db
from hub_booking.db.outbox import Claimed, Recipient
from hub_booking.domain.bookings import BookingView
from hub_booking.domain.errors import N_
from hub_booking.mail import Letter, Undeliverable
from hub_booking.services import digest_letter, messages, waitlist_views
from hub_booking.services.link_letters import LINK_LETTERS, link_letter
from hub_booking.services.messages import Draft, NotYet, Withdrawn, _letter, _translator

LANGUAGES = ("ar", "fr", "en")
WAITLIST = ("waitlist_offer", "waitlist_lapsed")


class Memo:
    """What one batch has read: people, bookings, the names of their places, and each
    booking's facts per language."""

    def __init__(self) -> None:
        self._people: dict[int, Recipient | None] = {}
        self._bookings: dict[int, BookingView | None] = {}
        self._names = db.Names({}, {}, {})
        self._facts: dict[tuple[int, str], messages._Facts] = {}

    async def prefetch(self, claims: list[Claimed]) -> None:
        """Read everything the letters of a batch need in a few queries, not a few each."""
        ids = {c.user_id for c in claims} | {
            int(c.payload["by"]) for c in claims if str(c.payload.get("by", "")).isdigit()
        }
        found = await db.recipients(sorted(ids - set(self._people)))
        self._people.update({i: found.get(i) for i in ids if i not in self._people})
        wanted = {int(c.payload["booking_id"]) for c in claims if "booking_id" in c.payload}
        views = await db.booking_views(sorted(wanted - set(self._bookings)))
        self._bookings.update({i: views.get(i) for i in wanted if i not in self._bookings})
        self._names = await db.names([v for v in self._bookings.values() if v])

    async def person(self, user_id: int) -> Recipient | None:
        if user_id not in self._people:
            self._people[user_id] = (await db.recipients([user_id])).get(user_id)
        return self._people[user_id]

    async def booking(self, booking_id: int) -> BookingView | None:
        if booking_id not in self._bookings:
            self._bookings[booking_id] = (await db.booking_views([booking_id])).get(booking_id)
        return self._bookings[booking_id]

    async def facts(self, booking: BookingView, language: str) -> messages._Facts:
        if (booking.id, language) not in self._facts:
            if not all(i.resource_id in self._names.resources for i in booking.items):
                known = [v for v in self._bookings.values() if v]
                self._names = await db.names([*known, booking])
            self._facts[booking.id, language] = messages.facts(booking, language, self._names)
        return self._facts[booking.id, language]


async def draft(
    claimed: Claimed, now: datetime, base_url: str, sender: str, memo: Memo
) -> Draft | NotYet | Withdrawn:
    """The letter for a claimed notification, or why it is not to be sent now."""
    reader = await memo.person(claimed.user_id)
    if reader is None or not reader.active:
        raise Undeliverable("the recipient's account is closed")
    language = reader.language if reader.language in LANGUAGES else "fr"
    if claimed.kind in messages.SUBJECTS:
        return await _about_booking(claimed, reader, language, now, base_url, sender, memo)
    if claimed.kind == "digest":
        letter = await digest_letter.digest(claimed.payload, reader, language, now, base_url)
        return Draft(letter, reader)
    if claimed.kind in WAITLIST:
        return await waitlist_views.draft(claimed, reader, language, now, base_url)
    if claimed.kind in LINK_LETTERS:
        by = await memo.person(int(claimed.payload.get("by") or 0))
        return link_letter(claimed, reader, by, language, now, base_url)
    return Draft(_other(claimed, reader, language, base_url), reader)


async def _about_booking(
    claimed: Claimed,
    reader: Recipient,
    language: str,
    now: datetime,
    base_url: str,
    sender: str,
    memo: Memo,
) -> Draft | NotYet | Withdrawn:
    booking = await memo.booking(int(claimed.payload["booking_id"]))
    if booking is None:
        return Withdrawn("the booking no longer exists")
    state = messages.reminder_state(claimed, booking, now)
    if state is not None:
        return state
    by = claimed.payload.get("by")
    actor = await memo.person(int(by)) if by else None
    facts = await memo.facts(booking, language)
    return messages.booking_letter(claimed, reader, facts, actor, now, base_url, sender)


def _other(claimed: Claimed, reader: Recipient, language: str, base_url: str) -> Letter:
    """Messages that are not about one booking: zone data problems, membership requests."""
    t = _translator(language)
    payload = claimed.payload
    if claimed.kind == "retime_problem":
        subject = t(N_("A booking needs your attention after a change of time zone rules"))
        lead = t(
            N_(
                "After the time zone rules changed, booking %(id)s could not be kept at its time. Please check it."  # noqa: E501
            ),
            id=payload.get("id", ""),
        )
    elif claimed.kind == "membership.requested":
        subject = t(N_("A membership request awaits you"))
        lead = t(
            N_("%(email)s is asked to join an association as %(role)s. Please review the request."),
            email=payload.get("email", ""),
            role=payload.get("role", ""),
        )
    else:
        subject = t(N_("A message from hub-booking"))
        lead = t(N_("Something in hub-booking needs your attention."))
    return _letter(subject, reader, language, [lead], base_url)
