"""Bookings as RFC 5545 calendars, built with ``icalendar``; pure: no database, no clock.

``event`` builds one VEVENT from a booking and its display texts (the calendar feeds, the
single-booking download and, later, emailed invitations use it). ``document`` wraps events
in a VCALENDAR. A feed of thousands of events goes through ``feed``, a lean writer of
exactly the same bytes as ``document`` of ``event``s (tests compare them byte for byte):
``icalendar`` spends about a millisecond per event, which a hub's year cannot afford.

Times are written in UTC (``...Z``), never with a TZID: Outlook mishandles a VTIMEZONE it
does not know, and clients with stale zone data would put every Moroccan date after the
2026 change an hour off.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, Protocol

from icalendar import Calendar, Event, vText

from hub_booking.domain.bookings import BookingView
from hub_booking.domain.model import BookingStatus

PRODID = "-//hub-booking//Calendar feeds//EN"
REFRESH = timedelta(hours=1)
PUBLISHED_TTL = "PT1H"  # a string: icalendar writes a timedelta there wrongly
STATUSES: dict[str, str] = {BookingStatus.PENDING: "TENTATIVE", BookingStatus.APPROVED: "CONFIRMED"}
# A cancelled event no longer makes anyone busy.
_TRANSPARENCY = {"TENTATIVE": "OPAQUE", "CONFIRMED": "OPAQUE", "CANCELLED": "TRANSPARENT"}
# What RFC 5545 TEXT cannot carry: C0 controls other than tab and line breaks, DEL, and
# the bidirectional overrides that could reverse what a calendar shows after them; and the
# byte order mark, which icalendar drops at the start of a value only.
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ufeff]")
_FOLD_AT = 75  # octets: content lines are folded before reaching this length


class EventText(NamedTuple):
    """What a reader sees of a booking, already in their language (a tuple: a feed makes
    thousands)."""

    summary: str
    location: str = ""
    description: str = ""
    url: str | None = None


def status_of(status: BookingStatus | str) -> str:
    """TENTATIVE (pending), CONFIRMED (approved), CANCELLED (cancelled, rejected, expired)."""
    return STATUSES.get(status, "CANCELLED")


def event(booking: BookingView, text: EventText, stamp: datetime) -> Event:
    """One VEVENT: the booking's UID for life, its revision as SEQUENCE, times in UTC.

    ``stamp`` is DTSTAMP: the booking's last change in a published feed (so that the same
    data gives the same bytes), the sending time in an invitation."""
    status = status_of(booking.status)
    vevent = Event()
    vevent.add("summary", _clean(text.summary))
    vevent.add("dtstart", booking.starts_at.astimezone(UTC))
    vevent.add("dtend", booking.ends_at.astimezone(UTC))
    vevent.add("dtstamp", stamp.astimezone(UTC))
    vevent.add("uid", booking.uid)
    vevent.add("sequence", booking.revision)
    vevent.add("created", booking.created_at.astimezone(UTC))
    vevent.add("last-modified", booking.updated_at.astimezone(UTC))
    if text.location:
        vevent.add("location", _clean(text.location))
    if text.description:
        vevent.add("description", _clean(text.description))
    vevent.add("status", status)
    vevent.add("transp", _TRANSPARENCY[status])
    if text.url:
        vevent.add("url", text.url)
    return vevent


def calendar(name: str, events: Iterable[Event] = (), method: str = "PUBLISH") -> Calendar:
    """A VCALENDAR named ``name`` (RFC 7986 NAME and the X-WR-CALNAME clients still read)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    # Both are TEXT (RFC 7986, and RFC 5545's default for X- properties), which icalendar
    # does not know for them: say so, or commas and line breaks go out unescaped.
    cal.add("name", vText(_clean(name)))
    cal.add("x-wr-calname", vText(_clean(name)))
    # RFC 7986 wants VALUE=DURATION written out; icalendar leaves it implicit.
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", PUBLISHED_TTL)
    for vevent in events:
        cal.add_component(vevent)
    return cal


def document(name: str, entries: Iterable[tuple[BookingView, EventText]], stamp: datetime) -> bytes:
    """A small calendar (one booking or a series) built entirely by ``icalendar``."""
    return calendar(name, [event(b, text, stamp) for b, text in entries]).to_ical()


class Instants(Protocol):
    """What the lean writer needs of a booking: its UID, revision and status, and its
    instants already written in iCalendar's UTC form (``20270209T140000Z``)."""

    @property
    def uid(self) -> str: ...
    @property
    def revision(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def start(self) -> str: ...
    @property
    def end(self) -> str: ...
    @property
    def created(self) -> str: ...
    @property
    def modified(self) -> str: ...


class Occurrence(NamedTuple):
    uid: str
    revision: int
    status: str
    start: str
    end: str
    created: str
    modified: str


def occurrence(booking: BookingView) -> Occurrence:
    """A booking's ``Instants``, for the lean writer."""
    return Occurrence(
        booking.uid,
        booking.revision,
        booking.status,
        utc_text(booking.starts_at),
        utc_text(booking.ends_at),
        utc_text(booking.created_at),
        utc_text(booking.updated_at),
    )


def epoch_text(seconds: int) -> str:
    """Seconds since the epoch as iCalendar writes the instant in UTC (``20270209T140000Z``)."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(seconds))


def utc_text(moment: datetime) -> str:
    """An instant as iCalendar writes it in UTC: ``20270209T140000Z`` (seconds truncated)."""
    t = moment.astimezone(UTC)
    return f"{t.year:04}{t.month:02}{t.day:02}T{t.hour:02}{t.minute:02}{t.second:02}Z"


def feed(name: str, events: Iterable[bytes]) -> bytes:
    """A published feed of events written by an ``EventWriter``: the bytes ``document``
    gives with each DTSTAMP at the booking's last change."""
    head = calendar(name).to_ical()
    end = b"END:VCALENDAR\r\n"
    return b"".join([head[: -len(end)], *events, end])


_STATUS_LINES = {
    status: f"STATUS:{status}\r\nTRANSP:{transp}\r\n".encode()
    for status, transp in _TRANSPARENCY.items()
}


class EventWriter:
    """Writes ``event(booking, text, stamp=last change).to_ical()`` without icalendar's
    per-property machinery: the same properties in its order (canonical ones first, then
    alphabetical), escaped and folded alike. Summaries and locations repeat across a hub's
    events: each distinct line is written once per writer."""

    def __init__(self) -> None:
        self._lines: dict[tuple[str, str], bytes] = {}

    def __call__(self, o: Instants, text: EventText) -> bytes:
        return b"".join(
            (
                b"BEGIN:VEVENT\r\n",
                self._line("SUMMARY:", text.summary),
                f"DTSTART:{o.start}\r\nDTEND:{o.end}\r\nDTSTAMP:{o.modified}\r\n".encode(),
                _fold("UID:" + _escape(o.uid)),
                f"\r\nSEQUENCE:{o.revision}\r\nCREATED:{o.created}\r\n".encode(),
                _text_line("DESCRIPTION:", text.description) if text.description else b"",
                f"LAST-MODIFIED:{o.modified}\r\n".encode(),
                self._line("LOCATION:", text.location) if text.location else b"",
                _STATUS_LINES[status_of(o.status)],
                _fold("URL:" + text.url) + b"\r\n" if text.url else b"",
                b"END:VEVENT\r\n",
            )
        )

    def _line(self, name: str, value: str) -> bytes:
        key = (name, value)
        found = self._lines.get(key)
        if found is None:
            found = self._lines[key] = _text_line(name, value)
        return found


def _text_line(name: str, value: str) -> bytes:
    return _fold(name + _escape(_clean(value))) + b"\r\n"


def _clean(text: str) -> str:
    return _UNWANTED.sub("", text)


def _escape(text: str) -> str:
    """RFC 5545 TEXT escaping, in the order icalendar applies it (line breaks become \\n)."""
    return (
        text.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


def _fold(line: str) -> bytes:
    """Fold before 75 octets, never inside a UTF-8 sequence nor right after a backslash
    (or a ``^``), exactly where icalendar folds."""
    data = line.encode()
    if len(data) < _FOLD_AT:
        return data
    chunks = []
    start, limit = 0, _FOLD_AT - 1
    while len(data) - start > limit:
        end = start + limit
        while data[end] & 0xC0 == 0x80:  # the next character starts before: leave it whole
            end -= 1
        if data[end - 1] in b"\\^":  # keep an escape with the character it escapes
            end -= 1
        chunks.append(data[start:end])
        start = end
    chunks.append(data[start:])
    return b"\r\n ".join(chunks)
