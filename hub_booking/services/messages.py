"""What each notification says: a letter in its reader's language, with the booking's times
on the hub's clock, and the calendar invitation where one is due.

Approvals and moves of approved bookings carry an iTIP ``METHOD:REQUEST``, cancellations a
``METHOD:CANCEL``, both built by ``ical.event`` with the booking's UID for life and its
current revision as SEQUENCE, exactly as the calendar feeds write them.

A reminder is checked against its booking when it falls due: withdrawn when the booking is
no longer approved or has started, put back when the booking moved later (a ``retime``).

The letters are built from what ``services.letters`` read for their batch; the parts that
depend only on the booking and the language (names, times) are worked out once for all
the readers of that language.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub_booking import ical, zones
from hub_booking.db.letters import Names
from hub_booking.db.outbox import Claimed, Recipient
from hub_booking.domain.bookings import BookingView
from hub_booking.domain.errors import N_
from hub_booking.domain.model import BookingStatus, display_name
from hub_booking.i18n import direction, format_datetime, translate
from hub_booking.mail import Invitation, Letter, envelope_address

DATE = "EEEE d MMMM y"
TIME = "HH:mm"
EARLY = timedelta(minutes=1)  # a reminder this much early still goes out

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


@dataclass(frozen=True)
class _Facts:
    """What every reader of one language is told about a booking."""

    booking: BookingView
    zone: ZoneInfo
    hub: str
    resources: str
    association: str
    language: str = "fr"
    when: str = ""  # its times on the hub's clock


def reminder_state(
    claimed: Claimed, booking: BookingView, now: datetime
) -> NotYet | Withdrawn | None:
    """None when the letter goes out now; a reminder falling due is withdrawn when its
    booking is no longer approved or has started, and put back when it moved later."""
    if claimed.kind != "reminder":
        return None
    if booking.status != BookingStatus.APPROVED or booking.starts_at <= now:
        return Withdrawn(f"the booking is {booking.status} or has started")
    due = booking.starts_at - timedelta(minutes=int(claimed.payload.get("minutes", 0)))
    return NotYet(due) if due > now + EARLY else None


def booking_letter(
    claimed: Claimed,
    reader: Recipient,
    facts: _Facts,
    actor: Recipient | None,
    now: datetime,
    base_url: str,
    sender: str,
) -> Draft:
    """The letter about a booking: what happened, by whom, when and where, and the
    invitation where one is due. ``actor`` is who did it (``by`` in the payload)."""
    booking, language, t = facts.booking, facts.language, _translator(facts.language)
    params = _params(claimed, facts, actor, t)
    paragraphs = [t(LEADS[claimed.kind], **params)]
    if claimed.payload.get("reason"):
        paragraphs.append(t(N_("Reason: %(reason)s"), reason=claimed.payload["reason"]))
    if claimed.kind == "moved" and booking.status == BookingStatus.PENDING:
        paragraphs.append(t(N_("The change needs the approval of the hub's managers.")))
    letter = _letter(t(SUBJECTS[claimed.kind], **params), reader, language, paragraphs, base_url)
    letter = dataclasses.replace(letter, details=_details(facts, t))
    return Draft(letter, reader, _invitation(claimed.kind, booking, facts, reader, sender, now))


def facts(booking: BookingView, language: str, names: Names) -> _Facts:
    """The booking's names and times for the readers of ``language``."""

    def name(pair: tuple[str, str] | None) -> str:
        return display_name(*pair, language) if pair else ""

    zone = zones.get_zone(booking.timezone)
    return _Facts(
        booking=booking,
        zone=zone,
        hub=name(names.hubs.get(booking.hub_id)),
        resources=", ".join(
            name(names.resources.get(i.resource_id))
            + ("" if i.quantity == 1 else f" × {i.quantity}")
            for i in booking.items
        ),
        association=name(names.associations.get(booking.association_id)),
        language=language,
        when=when(booking.starts_at, booking.ends_at, zone, language),
    )


def _params(claimed: Claimed, facts: _Facts, actor: Recipient | None, t: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "title": facts.booking.title,
        "hub": facts.hub,
        "resources": facts.resources,
        "association": facts.association,
        "when": facts.when,
        "name": (actor.name or actor.email) if actor else "",
        "before": "",
    }
    if "starts_at" in claimed.payload and "ends_at" in claimed.payload:
        start, end = (datetime.fromisoformat(claimed.payload[k]) for k in ("starts_at", "ends_at"))
        params["before"] = when(start, end, facts.zone, facts.language, t)
    return params


def when(start: datetime, end: datetime, zone: ZoneInfo, language: str, t: Any = None) -> str:
    """``dimanche 20 septembre 2026, 14:00 – 15:00`` on the hub's clock."""
    t = t or _translator(language)
    start, end = start.astimezone(zone), end.astimezone(zone)
    return t(
        N_("%(date)s, %(start)s – %(end)s"),
        date=_date_text(start.date(), language),
        start=_time_text(start.hour, start.minute, language),
        end=_time_text(end.hour, end.minute, language),
    )


# Babel takes tens of microseconds a call, and the dates and clock times of bookings repeat:
# each is formatted once (the patterns read nothing else of the instant).
@functools.lru_cache(maxsize=4096)
def _date_text(day: date, language: str) -> str:
    return format_datetime(datetime.combine(day, time(12), UTC), ZoneInfo("UTC"), language, DATE)


@functools.lru_cache(maxsize=4096)
def _time_text(hour: int, minute: int, language: str) -> str:
    moment = datetime(2000, 1, 1, hour, minute, tzinfo=UTC)
    return format_datetime(moment, ZoneInfo("UTC"), language, TIME)


def _details(facts: _Facts, t: Any) -> list[tuple[str, str]]:
    rows = [
        (t(N_("Booking")), facts.booking.title),
        (t(N_("When")), f"{facts.when} ({facts.zone.key})"),
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


@functools.lru_cache(maxsize=4096)  # the sender, and readers who get several mails
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
