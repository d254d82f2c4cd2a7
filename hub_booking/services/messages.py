"""What each notification says: a letter in its reader's language, with the booking's times
on the hub's clock, and the calendar invitation where one is due.

Approvals and moves of approved bookings carry an iTIP ``METHOD:REQUEST``, cancellations a
``METHOD:CANCEL``, both built by ``ical.event`` with the booking's UID for life and its
current revision as SEQUENCE, exactly as the calendar feeds write them.

A reminder is checked against its booking when it falls due: withdrawn when the booking is
no longer approved or has started, put back when the booking moved later (a ``retime``).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub_booking import ical, zones
from hub_booking.db import bookings as db
from hub_booking.db import catalogue, outbox
from hub_booking.db.outbox import Claimed, Recipient, recipients
from hub_booking.domain.bookings import BookingView
from hub_booking.domain.errors import N_
from hub_booking.domain.model import BookingStatus, Principal, display_name
from hub_booking.i18n import direction, format_datetime, translate
from hub_booking.mail import Invitation, Letter, Undeliverable, envelope_address

SYSTEM = Principal(user_id=0, email="", name="hub-booking", language="en", is_platform_admin=True)
DATE = "EEEE d MMMM y"
TIME = "HH:mm"
EARLY = timedelta(minutes=1)  # a reminder this much early still goes out
AWAITING = N_("awaiting a decision")

SUBJECTS = {
    "approval_requested": N_("Booking request to decide: %(title)s"),
    "approved": N_("Booking approved: %(title)s"),
    "rejected": N_("Booking request rejected: %(title)s"),
    "cancelled": N_("Booking cancelled: %(title)s"),
    "expired": N_("Booking request expired: %(title)s"),
    "moved": N_("Booking changed: %(title)s"),
    "reminder": N_("Reminder: %(title)s, %(when)s"),
    "closed": N_("Booking cancelled, the hub is closed: %(title)s"),
    "released": N_("Booking ended early, nobody checked in: %(title)s"),
}
LEADS = {
    "approval_requested": N_(
        "%(association)s asks to book %(resources)s at %(hub)s. Please approve or reject the request."  # noqa: E501
    ),
    "approved": N_(
        "Your booking at %(hub)s is approved. The invitation is attached for your calendar."
    ),
    "rejected": N_("Your booking request at %(hub)s was rejected."),
    "cancelled": N_("This booking at %(hub)s was cancelled by %(name)s."),
    "expired": N_(
        "Your booking request at %(hub)s was not decided before its start and has expired."
    ),
    "moved": N_("This booking at %(hub)s was changed by %(name)s. It was planned for %(before)s."),
    "reminder": N_("Your booking at %(hub)s starts on %(when)s."),
    "closed": N_(
        "%(hub)s is closed at the time of this booking, so %(name)s cancelled it. We are sorry for the trouble."  # noqa: E501
    ),
    "released": N_(
        "Nobody checked in at %(hub)s within 30 minutes of the start, so the rest of the booking was released for others. It now ends at %(when)s."  # noqa: E501
    ),
}


@dataclass(frozen=True)
class Draft:
    letter: Letter
    recipient: Recipient
    invitation: Invitation | None = None


@dataclass(frozen=True)
class NotYet:
    """Not due yet after all: its booking moved later."""

    due: datetime


@dataclass(frozen=True)
class Withdrawn:
    reason: str


class Memo:
    """What one batch has read: people, bookings and the names of their places."""

    def __init__(self) -> None:
        self._people: dict[int, Recipient | None] = {}
        self._bookings: dict[int, BookingView | None] = {}
        self._names = outbox.Names({}, {}, {})

    async def prefetch(self, claims: list[Claimed]) -> None:
        """Read everything the letters of a batch need in a few queries, not a few each."""
        ids = {c.user_id for c in claims} | {
            int(c.payload["by"]) for c in claims if str(c.payload.get("by", "")).isdigit()
        }
        found = await recipients(sorted(ids - set(self._people)))
        self._people.update({i: found.get(i) for i in ids if i not in self._people})
        wanted = {int(c.payload["booking_id"]) for c in claims if "booking_id" in c.payload}
        views = await outbox.booking_views(sorted(wanted - set(self._bookings)))
        self._bookings.update({i: views.get(i) for i in wanted if i not in self._bookings})
        self._names = await outbox.names([v for v in self._bookings.values() if v])

    async def person(self, user_id: int) -> Recipient | None:
        if user_id not in self._people:
            self._people[user_id] = (await recipients([user_id])).get(user_id)
        return self._people[user_id]

    async def booking(self, booking_id: int) -> BookingView | None:
        if booking_id not in self._bookings:
            self._bookings[booking_id] = (await outbox.booking_views([booking_id])).get(booking_id)
        return self._bookings[booking_id]

    async def facts(self, booking: BookingView, language: str) -> _Facts:
        if not all(i.resource_id in self._names.resources for i in booking.items):
            self._names = await outbox.names([*(v for v in self._bookings.values() if v), booking])
        return _facts(booking, language, self._names)


@dataclass(frozen=True)
class _Facts:
    booking: BookingView
    zone: ZoneInfo
    hub: str
    resources: str
    association: str


async def draft(
    claimed: Claimed, now: datetime, base_url: str, sender: str, memo: Memo | None = None
) -> Draft | NotYet | Withdrawn:
    """The letter for a claimed notification, or why it is not to be sent now. ``memo``
    keeps what was read for the other letters of a batch (its readers, its bookings)."""
    memo = memo if memo is not None else Memo()
    reader = await memo.person(claimed.user_id)
    if reader is None or not reader.active:
        raise Undeliverable("the recipient's account is closed")
    language = reader.language if reader.language in ("ar", "fr", "en") else "fr"
    if claimed.kind in SUBJECTS:
        return await _booking_letter(claimed, reader, language, now, base_url, sender, memo)
    if claimed.kind == "digest":
        letter = await _digest(claimed.payload, reader, language, now, base_url)
        return Draft(letter, reader)
    if claimed.kind in ("waitlist_offer", "waitlist_lapsed"):
        from hub_booking.services import waitlist_views  # it builds on this module

        return await waitlist_views.draft(claimed, reader, language, now, base_url)
    if claimed.kind in LINK_LETTERS:
        return await _link_letter(claimed, reader, language, now, base_url, memo)
    return Draft(_other(claimed, reader, language, base_url), reader)


# One-time links (services/invitations.py): kind -> (subject, lead, the link's label).
LINK_LETTERS = {
    "invitation": (
        N_("Your invitation to hub-booking"),
        N_("%(name)s invites you to hub-booking, the booking service of the regional hubs."),
        N_("Accept the invitation"),
    ),
    "password_reset": (
        N_("Choose a new password for hub-booking"),
        N_("%(name)s reset your password on hub-booking. Your old password no longer works."),
        N_("Choose a new password"),
    ),
}


async def _link_letter(
    claimed: Claimed, reader: Recipient, language: str, now: datetime, base_url: str, memo: Memo
) -> Draft | Withdrawn:
    """An invitation or a reset: the one-time link, what it grants, until when it works."""
    payload, t = claimed.payload, _translator(language)
    expires = datetime.fromisoformat(str(payload.get("expires_at", now.isoformat())))
    if "token" not in payload or expires <= now:
        return Withdrawn("the link was used, withdrawn or has expired")
    by = await memo.person(int(payload.get("by") or 0))
    subject, lead, label = LINK_LETTERS[claimed.kind]
    paragraphs = [t(lead, name=(by.name or by.email) if by else "hub-booking")]
    if payload.get("association_fr") or payload.get("association_ar"):
        name = display_name(
            payload.get("association_fr", ""), payload.get("association_ar", ""), language
        )
        role = (
            t(N_("representative")) if payload.get("role") == "representative" else t(N_("member"))
        )
        paragraphs.append(
            t(N_("You will join %(association)s as %(role)s."), association=name, role=role)
        )
    if payload.get("hub_fr") or payload.get("hub_ar"):
        name = display_name(payload.get("hub_fr", ""), payload.get("hub_ar", ""), language)
        paragraphs.append(t(N_("You will manage the hub %(hub)s."), hub=name))
    zone = zones.get_zone(str(payload.get("timezone") or "UTC"))
    when = format_datetime(expires, zone, language, f"{DATE}, {TIME}")
    paragraphs.append(
        t(N_("The link works once, until %(when)s (%(zone)s)."), when=when, zone=zone.key)
    )
    paragraphs.append(t(N_("If you did not expect this message, you can ignore it.")))
    letter = _letter(t(subject), reader, language, paragraphs, base_url)
    url = f"{base_url.rstrip('/')}/invitations/{payload['token']}"
    return Draft(dataclasses.replace(letter, link=(url, t(label))), reader)


async def _booking_letter(
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
    if claimed.kind == "reminder":
        due = booking.starts_at - timedelta(minutes=int(claimed.payload.get("minutes", 0)))
        if booking.status != BookingStatus.APPROVED or booking.starts_at <= now:
            return Withdrawn(f"the booking is {booking.status} or has started")
        if due > now + EARLY:
            return NotYet(due)
    facts = await memo.facts(booking, language)
    params = await _params(claimed, facts, language, memo)
    t = _translator(language)
    paragraphs = [t(LEADS[claimed.kind], **params)]
    if claimed.payload.get("reason"):
        paragraphs.append(t(N_("Reason: %(reason)s"), reason=claimed.payload["reason"]))
    if claimed.kind == "moved" and booking.status == BookingStatus.PENDING:
        paragraphs.append(t(N_("The change needs the approval of the hub's managers.")))
    letter = _letter(t(SUBJECTS[claimed.kind], **params), reader, language, paragraphs, base_url)
    letter = dataclasses.replace(letter, details=_details(facts, params["when"], t))
    return Draft(letter, reader, _invitation(claimed.kind, booking, facts, reader, sender, now))


def _facts(booking: BookingView, language: str, names: outbox.Names) -> _Facts:
    def name(pair: tuple[str, str] | None) -> str:
        return display_name(*pair, language) if pair else ""

    return _Facts(
        booking=booking,
        zone=zones.get_zone(booking.timezone),
        hub=name(names.hubs.get(booking.hub_id)),
        resources=", ".join(
            name(names.resources.get(i.resource_id))
            + ("" if i.quantity == 1 else f" × {i.quantity}")
            for i in booking.items
        ),
        association=name(names.associations.get(booking.association_id)),
    )


async def _params(claimed: Claimed, facts: _Facts, language: str, memo: Memo) -> dict[str, Any]:
    booking, t = facts.booking, _translator(language)
    params: dict[str, Any] = {
        "title": booking.title,
        "hub": facts.hub,
        "resources": facts.resources,
        "association": facts.association,
        "when": when(booking.starts_at, booking.ends_at, facts.zone, language, t),
        "name": "",
        "before": "",
    }
    by = claimed.payload.get("by")
    if by:
        actor = await memo.person(int(by))
        params["name"] = (actor.name or actor.email) if actor else ""
    if "starts_at" in claimed.payload and "ends_at" in claimed.payload:
        start, end = (datetime.fromisoformat(claimed.payload[k]) for k in ("starts_at", "ends_at"))
        params["before"] = when(start, end, facts.zone, language, t)
    return params


def when(start: datetime, end: datetime, zone: ZoneInfo, language: str, t: Any = None) -> str:
    """``dimanche 20 septembre 2026, 14:00 – 15:00`` on the hub's clock."""
    t = t or _translator(language)
    return t(
        N_("%(date)s, %(start)s – %(end)s"),
        date=format_datetime(start, zone, language, DATE),
        start=format_datetime(start, zone, language, TIME),
        end=format_datetime(end, zone, language, TIME),
    )


def _details(facts: _Facts, when_text: str, t: Any) -> list[tuple[str, str]]:
    rows = [
        (t(N_("Booking")), facts.booking.title),
        (t(N_("When")), f"{when_text} ({facts.zone.key})"),
        (t(N_("Where")), facts.hub),
        (t(N_("Resources")), facts.resources),
        (t(N_("Association")), facts.association),
    ]
    return [(label, value) for label, value in rows if value]


def _invitation(
    kind: str,
    booking: BookingView,
    facts: _Facts,
    reader: Recipient,
    sender: str,
    now: datetime,
) -> Invitation | None:
    """REQUEST for an approved booking (approved, or moved and still approved), CANCEL for
    a cancelled one; nothing otherwise. The event is the feeds' own (``ical.feed``, the
    lean writer of ``ical.event``'s bytes), with the iTIP method, organizer and attendee."""
    if kind in ("cancelled", "closed"):
        method = "CANCEL"
        booking = dataclasses.replace(booking, status=BookingStatus.CANCELLED)
    elif kind in ("approved", "moved", "released") and booking.status == BookingStatus.APPROVED:
        method = "REQUEST"
    else:
        return None
    text = ical.EventText(summary=booking.title, location=f"{facts.hub} — {facts.resources}")
    event = ical.EventWriter()(ical.occurrence(booking), text)
    organizer = _property("ORGANIZER", "hub-booking", envelope_address(sender))
    attendee = _property("ATTENDEE", reader.name or reader.email, reader.email, "REQ-PARTICIPANT")
    before, after = _calendar_frame()
    data = b"".join(
        (
            before.replace(b"METHOD:PUBLISH\r\n", f"METHOD:{method}\r\n".encode(), 1),
            ical._text_line("NAME:", booking.title),
            ical._text_line("X-WR-CALNAME:", booking.title),
            after,
            event.removesuffix(_END_EVENT),
            organizer,
            attendee,
            _END_EVENT,
            b"END:VCALENDAR\r\n",
        )
    )
    return Invitation(method, data)


_END_EVENT = b"END:VEVENT\r\n"


@functools.cache
def _calendar_frame() -> tuple[bytes, bytes]:
    """What ``ical.feed`` writes before and after a calendar's name lines, read once: the
    invitation is ``ical.feed``'s bytes without rebuilding them with icalendar per mail."""
    marker = "hub-booking-marker"
    head = ical.calendar(marker).to_ical().removesuffix(b"END:VCALENDAR\r\n")
    name_lines = f"NAME:{marker}\r\nX-WR-CALNAME:{marker}\r\n".encode()
    before, after = head.split(name_lines)
    return before, after


def _property(name: str, common_name: str, address: str, role: str = "") -> bytes:
    """``NAME;CN="…":mailto:…`` folded at 75 octets (RFC 5545 3.1); a parameter value
    cannot hold a double quote or a control character."""
    cn = "".join(c for c in common_name if c != '"' and c.isprintable())
    line = f'{name};CN="{cn}"' + (f";ROLE={role}" if role else "") + f":mailto:{address}"
    data, chunks = line.encode(), list[bytes]()
    while len(data) > 75:
        cut = 75 if not chunks else 74
        while data[cut] & 0xC0 == 0x80:  # never inside a UTF-8 sequence
            cut -= 1
        chunks.append(data[:cut])
        data = data[cut:]
    chunks.append(data)
    return b"\r\n ".join(chunks) + b"\r\n"


async def _digest(
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


def _letter(
    subject: str, reader: Recipient, language: str, paragraphs: list[str], base_url: str
) -> Letter:
    t = _translator(language)
    return Letter(
        subject=subject,
        language=language,
        direction=direction(language),
        greeting=t(N_("Hello %(name)s,"), name=reader.name or reader.email),
        paragraphs=paragraphs,
        link=(f"{base_url}/", t(N_("Open hub-booking"))),
        footer=[
            t(N_("You receive this message because you have an account on hub-booking.")),
            t(N_("Choose which messages you receive: %(url)s"), url=unsubscribe_url(base_url)),
        ],
    )


def unsubscribe_url(base_url: str) -> str:
    """The reader's notification preferences (List-Unsubscribe and every mail's footer)."""
    return f"{base_url}/account/notifications"


def _translator(language: str) -> Any:
    def t(message: str, **params: Any) -> str:
        return translate(language, message, **params)

    return t
