"""Reading calendar feeds: a token opened into its validators, then built into a calendar;
and one booking as a file. Managing the tokens is ``services.feeds``.

A feed is read with its owner's rights *now*: a token is only a pointer to (owner, scope),
so a member who leaves an association stops seeing its bookings in every feed at once.
A feed's validators (ETag, Last-Modified) come from a one-query fingerprint of its data,
so a client that already has the current version gets its 304 without the feed being built.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol

from hub_booking import ical
from hub_booking.db import bookings as booking_rows
from hub_booking.db import feed_tokens as tokens
from hub_booking.db import feeds as rows
from hub_booking.db.feed_tokens import Feed, Place
from hub_booking.db.feeds import FeedRow, Fingerprint, Names, Selection
from hub_booking.domain.bookings import Item
from hub_booking.domain.errors import N_, NotFound
from hub_booking.domain.model import BookingStatus, FeedScope, Principal, display_name
from hub_booking.i18n import translate
from hub_booking.services.feeds import calendar_name
from hub_booking.services.tokens import hash_secret
from hub_booking.settings import LANGUAGES

PAST = timedelta(days=90)
AHEAD = timedelta(days=400)
CANCELLED_KEPT = timedelta(days=30)
FORMAT = "feed-1"  # part of every ETag: change it when the feed's bytes change shape
TOUCH_EVERY = timedelta(hours=1)  # last_used_at is written at most this often
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,128}")


@dataclass(frozen=True)
class Version:
    """The validators of a feed's current content."""

    etag: str  # opaque, without quotes
    last_modified: datetime


@dataclass(frozen=True)
class OpenFeed:
    """A feed whose token, owner and scope were found, ready to be built if needed."""

    feed: Feed
    owner: Principal
    place: Place | None
    selection: Selection
    language: str
    version: Version


async def open_feed(
    token: str, now: datetime, secret_key: str, default_language: str
) -> OpenFeed | None:
    """The token with its owner (their current rights) and scope, and the fingerprint of its
    bookings: one query (two the first time this process sees the token); None when any of
    them is missing, revoked, malformed or no longer visible (the caller answers every such
    case alike)."""
    if not _TOKEN.fullmatch(token):
        return None
    token_hash, day = hash_secret(secret_key, token), _day(now)
    opened = await _opened(token_hash, day)
    if opened is None:
        return None
    found, fingerprint = opened
    feed, owner, place = found.feed, found.owner, found.place
    if owner is None or not _may_read(owner, feed.scope, feed.scope_id, place):
        return None
    if feed.last_used_at is None or now - feed.last_used_at >= TOUCH_EVERY:
        await tokens.touch(feed.id, now)
    language = _language(feed, owner, default_language)
    parts = (
        FORMAT,
        feed.scope,
        feed.scope_id,
        language,
        calendar_name(feed, place, language),
        place.titles_public if place else None,
        sorted(owner.managed_hubs),
        sorted(owner.memberships),
        owner.is_platform_admin,
        day.date().isoformat(),
        fingerprint,
    )
    etag = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    last_modified = max(fingerprint.last_change or day, day)
    selection = _selection(feed, day)
    return OpenFeed(feed, owner, place, selection, language, Version(etag, last_modified))


class _Scopes:
    """What each token hash seen in this process points at: (scope, id, owner), which never
    change for a token (rotating gives a new hash). Knowing it, the token and the
    fingerprint of its bookings are read in one query; the token is still checked by that
    query, so a revoked one is gone at once. Bounded: cleared when full."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._known: dict[str, Feed] = {}

    def get(self, token_hash: str) -> Feed | None:
        return self._known.get(token_hash)

    def put(self, token_hash: str, feed: Feed) -> None:
        if len(self._known) >= self.limit:
            self._known.clear()
        self._known[token_hash] = feed


SCOPES = _Scopes(limit=10_000)


async def _opened(token_hash: str, day: datetime) -> tuple[tokens.Reader, Fingerprint] | None:
    known = SCOPES.get(token_hash)
    if known is not None:
        return await rows.opened(token_hash, _selection(known, day))
    found = await tokens.reader(token_hash)
    if found is None:
        return None
    SCOPES.put(token_hash, found.feed)
    if found.owner is None:  # no need to count what will not be shown
        return found, Fingerprint(0, None, 0, 0)
    return found, await rows.fingerprint(_selection(found.feed, day))


def _may_read(p: Principal, scope: FeedScope, scope_id: int | None, place: Place | None) -> bool:
    """Whether a feed still shows anything to its owner: the scope exists and, for an
    association, the owner still belongs to it (hubs and resources are public)."""
    if scope == FeedScope.ME:
        return True
    if place is None:
        return False
    if scope == FeedScope.ASSOCIATION:
        return p.is_platform_admin or (scope_id is not None and p.is_member_of(scope_id))
    return True


def _language(feed: Feed, owner: Principal, default: str) -> str:
    for candidate in (feed.language, owner.language):
        if candidate in LANGUAGES:
            return str(candidate)
    return default


def _day(now: datetime) -> datetime:
    """The start of ``now``'s UTC day: windows move by whole days, so a day's reads agree."""
    return datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)


def _selection(feed: Feed, day: datetime) -> Selection:
    """From 90 days back to 400 ahead of ``day``, and what was cancelled in the last 30."""
    return Selection(
        feed.scope,
        feed.scope_id,
        feed.user_id,
        start=day - PAST,
        end=day + AHEAD + timedelta(days=1),
        cancelled_since=day - CANCELLED_KEPT,
    )


async def build_feed(opened: OpenFeed, base_url: str) -> bytes:
    """The feed's calendar: its bookings and the names they mention, in a fixed number of
    queries; each event told as its owner may read it, and written once for all builds."""
    found = await rows.bookings(opened.selection)
    names = await rows.names(found)
    texts = _Texts(names, opened.language, base_url)
    context = WRITTEN.context(opened.language, base_url, names)
    owner = opened.owner
    public = bool(opened.place and opened.place.titles_public)
    write = ical.EventWriter()
    events = []
    for booking in found:
        detailed = public or _shown_to(owner, booking)
        key = (context, booking.source, detailed)
        event = WRITTEN.get(key)
        if event is None:
            event = WRITTEN.put(key, write(_instants(booking), texts(booking, detailed)))
        events.append(event)
    name = calendar_name(opened.feed, opened.place, opened.language)
    return ical.feed(name, events)


def _instants(b: FeedRow) -> ical.Occurrence:
    """What the writer needs of a feed's row, its instants in iCalendar's form."""
    stamps = [ical.epoch_text(int(t)) for t in (b.start, b.end, b.created, b.modified)]
    return ical.Occurrence(b.uid, b.revision, b.status, *stamps)


class _Written:
    """Events already written, by everything they are written from: the row as read (its
    record, with its revision and last change), whether its details are shown, and the
    language, names and base URL (the context). A feed built again after one change writes
    one event, not thousands. Pure memoisation, per process, bounded: two generations of
    ``limit`` events (the older is dropped when the newer fills)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._new: dict[tuple[object, ...], bytes] = {}
        self._old: dict[tuple[object, ...], bytes] = {}
        self._contexts: dict[tuple[object, ...], int] = {}
        self._numbers = itertools.count()  # never reused, so no old event can match

    def context(self, language: str, base_url: str, names: Names) -> int:
        """A small number standing for what every event of a build shares."""
        key = (
            language,
            base_url,
            tuple(sorted(names.hubs.items())),
            tuple(sorted(names.resources.items())),
            tuple(sorted(names.associations.items())),
        )
        number = self._contexts.get(key)
        if number is None:
            if len(self._contexts) >= self.limit:
                self._contexts.clear()
            number = self._contexts[key] = next(self._numbers)
        return number

    def get(self, key: tuple[object, ...]) -> bytes | None:
        found = self._new.get(key)
        if found is None and (found := self._old.get(key)) is not None:
            self._new[key] = found
        return found

    def put(self, key: tuple[object, ...], event: bytes) -> bytes:
        if len(self._new) >= self.limit:
            self._old, self._new = self._new, {}
        self._new[key] = event
        return event


WRITTEN = _Written(limit=20_000)


def _shown_to(owner: Principal, booking: Shown) -> bool:
    """Titles and associations: for the hub's managers and the booking's association."""
    return booking.hub_id in owner.managed_hubs or owner.is_member_of(booking.association_id)


# --- one booking as a file ------------------------------------------------------------------


async def booking_file(
    principal: Principal, booking_id: int, now: datetime, language: str, base_url: str
) -> tuple[str, bytes]:
    """(file name, calendar) of one booking the caller may see, or of its whole series,
    with the same UIDs and SEQUENCEs as in the feeds."""
    booking = await booking_rows.view(principal, booking_id)
    if booking is None:
        raise NotFound(N_("Not found."))
    found = [booking]
    if booking.series_id is not None:
        found = await rows.series(principal, booking.series_id)
    texts = _Texts(await rows.names(found), language, base_url)
    entries = [(b, texts(b, True)) for b in found]
    calendar = ical.document(booking.title, entries, now)
    return f"booking-{booking.id}.ics", calendar


# --- what an event says ---------------------------------------------------------------------


class Shown(Protocol):
    """What an event's texts are made of (a ``BookingView`` or a feed's row)."""

    @property
    def id(self) -> int: ...
    @property
    def hub_id(self) -> int: ...
    @property
    def association_id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def items(self) -> tuple[Item, ...]: ...


class _Texts:
    """What events say, in one language: the summary (the title, or "Booked" to those who
    may not read it), the location (hub and rooms), the description (association, items,
    link back). Bookings alike but for their link share everything else, worked out once."""

    def __init__(self, names: Names, language: str, base_url: str) -> None:
        self.names, self.language, self.base_url = names, language, base_url.rstrip("/")
        self.booked = translate(language, N_("Booked"))
        self.pending = translate(language, N_("Awaiting approval"))
        self._known: dict[tuple[object, ...], tuple[str, str]] = {}

    def __call__(self, booking: Shown, detailed: bool) -> ical.EventText:
        pending = booking.status == BookingStatus.PENDING
        key = (booking.hub_id, booking.items, pending, detailed and booking.association_id)
        known = self._known.get(key)
        if known is None:
            known = self._known[key] = self._shared(booking, pending, detailed)
        location, description = known
        if not detailed:
            return ical.EventText(self.booked, location, description)
        url = f"{self.base_url}/bookings/{booking.id}"
        return ical.EventText(booking.title, location, "\n".join((description, url)).lstrip(), url)

    def _shared(self, booking: Shown, pending: bool, detailed: bool) -> tuple[str, str]:
        language, names = self.language, self.names
        rooms, items = [], []
        for item in booking.items:
            fr, ar, is_space = names.resources.get(item.resource_id, ("", "", False))
            name = display_name(fr, ar, language)
            rooms += [name] if is_space else []
            items.append(f"{name} × {item.quantity}" if item.quantity > 1 else name)
        hub = display_name(*names.hubs.get(booking.hub_id, ("", "")), language)
        location = ", ".join(part for part in (hub, *rooms) if part)
        lines = [self.pending] if pending else []
        if detailed:
            association = names.associations.get(booking.association_id, ("", ""))
            lines.append(display_name(*association, language))
        return location, "\n".join([*lines, *items])
