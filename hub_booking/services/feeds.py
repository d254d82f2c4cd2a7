"""Calendar feeds: tokens their owners manage, and the feeds read with those tokens.

A feed is read with its owner's rights *now*: a token is only a pointer to (owner, scope),
so a member who leaves an association stops seeing its bookings in every feed at once.
A feed's validators (ETag, Last-Modified) come from a one-query fingerprint of its data,
so a client that already has the current version gets its 304 without the feed being built.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol

from hub_booking import ical
from hub_booking.db import bookings as booking_rows
from hub_booking.db import feeds as rows
from hub_booking.db.engine import transaction
from hub_booking.db.feeds import Feed, Names, Place, Selection
from hub_booking.domain.bookings import Item
from hub_booking.domain.errors import N_, NotFound, invalid
from hub_booking.domain.model import BookingStatus, FeedScope, Page, Principal, display_name
from hub_booking.i18n import translate
from hub_booking.services import accounts, audit
from hub_booking.services.tokens import hash_secret
from hub_booking.settings import LANGUAGES

PAST = timedelta(days=90)
AHEAD = timedelta(days=400)
CANCELLED_KEPT = timedelta(days=30)
MAX_LABEL = 100
FORMAT = "feed-1"  # part of every ETag: change it when the feed's bytes change shape
TOUCH_EVERY = timedelta(hours=1)  # last_used_at is written at most this often
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,128}")
_NOT_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Issued:
    """A feed just created or rotated: its URL is shown this once."""

    feed: Feed
    url: str


@dataclass(frozen=True)
class Version:
    """The validators of a feed's current content."""

    etag: str  # opaque, without quotes
    last_modified: datetime


@dataclass(frozen=True)
class OpenFeed:
    """A feed whose token, owner and scope were found, ready to be built if needed."""

    feed: Feed
    place: Place | None
    selection: Selection
    language: str
    version: Version


# --- tokens ---------------------------------------------------------------------------------


async def create_feed(
    principal: Principal,
    scope: FeedScope,
    scope_id: int | None,
    now: datetime,
    secret_key: str,
    base_url: str,
    *,
    label: str = "",
    language: str | None = None,
) -> Issued:
    """A new feed of a scope the caller may follow; unknown and forbidden scopes alike are
    not found. A "me" feed takes no id (or the caller's own)."""
    label = _checked_label(label)
    if scope == FeedScope.ME:
        if scope_id not in (None, principal.user_id):
            raise NotFound(N_("Not found."))
        scope_id = None
    elif scope_id is None:
        raise invalid("id", "required", N_("This field is required."))
    place = await _place(scope, scope_id)
    if not _may_create(principal, scope, scope_id, place):
        raise NotFound(N_("Not found."))
    token = secrets.token_urlsafe(32)
    async with transaction():
        feed = await rows.insert(
            principal.user_id, scope, scope_id, hash_secret(secret_key, token), label, language, now
        )
        await audit.record(principal.user_id, "feed.created", "feed", feed.id, now, scope=scope)
    return Issued(feed, feed_url(base_url, token))


async def list_feeds(principal: Principal, limit: int, offset: int) -> Page[Feed]:
    return await rows.owned(principal.user_id, limit, offset)


async def rotate_feed(
    principal: Principal, feed_id: int, now: datetime, secret_key: str, base_url: str
) -> Issued:
    """A new secret URL for one of the caller's feeds; the old URL answers 404 from now on."""
    token = secrets.token_urlsafe(32)
    async with transaction():
        feed = await rows.replace_hash(principal.user_id, feed_id, hash_secret(secret_key, token))
        if feed is None:
            raise NotFound(N_("Not found."))
        await audit.record(principal.user_id, "feed.rotated", "feed", feed_id, now)
    return Issued(feed, feed_url(base_url, token))


async def revoke_feed(principal: Principal, feed_id: int, now: datetime) -> None:
    """Revoke one of the caller's feeds; anyone else's, or an unknown one, is not found."""
    async with transaction():
        if not await rows.revoke(principal.user_id, feed_id, now):
            raise NotFound(N_("Not found."))
        await audit.record(principal.user_id, "feed.revoked", "feed", feed_id, now)


def feed_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/feeds/{token}.ics"


def _checked_label(label: str) -> str:
    label = label.strip()
    if len(label) > MAX_LABEL or _NOT_TEXT.search(label):
        raise invalid(
            "label",
            "invalid_text",
            N_("A label has at most %(max)s characters, on one line."),
            max=MAX_LABEL,
        )
    return label


async def _place(scope: FeedScope, scope_id: int | None) -> Place | None:
    if scope_id is None:
        return None
    if scope == FeedScope.HUB:
        return await rows.hub_place(scope_id)
    if scope == FeedScope.RESOURCE:
        return await rows.resource_place(scope_id)
    return await rows.association_place(scope_id)


def _may_create(p: Principal, scope: FeedScope, scope_id: int | None, place: Place | None) -> bool:
    """Members follow their associations and themselves; managers their hub and its
    resources; platform administrators anything that exists."""
    if scope == FeedScope.ME:
        return True
    if place is None:
        return False
    if p.is_platform_admin:
        return True
    if scope == FeedScope.ASSOCIATION:
        return scope_id is not None and p.is_member_of(scope_id)
    return place.hub_id in p.managed_hubs


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


# --- reading a feed -------------------------------------------------------------------------


async def open_feed(
    token: str, now: datetime, secret_key: str, default_language: str
) -> OpenFeed | None:
    """Token → feed → owner (with their current rights) → scope and fingerprint (one query);
    None when any of them is missing, revoked, malformed or no longer visible (the caller
    answers every such case alike). Four queries, whatever the feed holds."""
    if not _TOKEN.fullmatch(token):
        return None
    feed = await rows.by_hash(hash_secret(secret_key, token))
    if feed is None:
        return None
    owner = await accounts.load_principal(feed.user_id)
    if owner is None:
        return None
    day = _day(now)
    selection = _selection(feed, owner, day)
    place, fingerprint = await rows.fingerprint(selection)
    if not _may_read(owner, feed.scope, feed.scope_id, place):
        return None
    if feed.last_used_at is None or now - feed.last_used_at >= TOUCH_EVERY:
        await rows.touch(feed.id, now)
    language = _language(feed, owner, default_language)
    parts = (
        FORMAT,
        feed.scope,
        feed.scope_id,
        language,
        _calendar_name(feed, owner, place, language),
        place.titles_public if place else None,
        sorted(owner.managed_hubs),
        sorted(owner.memberships),
        owner.is_platform_admin,
        day.date().isoformat(),
        fingerprint,
    )
    etag = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    last_modified = max(fingerprint.last_change or day, day)
    return OpenFeed(feed, place, selection, language, Version(etag, last_modified))


def _language(feed: Feed, owner: Principal, default: str) -> str:
    for candidate in (feed.language, owner.language):
        if candidate in LANGUAGES:
            return str(candidate)
    return default


def _day(now: datetime) -> datetime:
    """The start of ``now``'s UTC day: windows move by whole days, so a day's reads agree."""
    return datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)


def _selection(feed: Feed, owner: Principal, day: datetime) -> Selection:
    """From 90 days back to 400 ahead of ``day``, and what was cancelled in the last 30."""
    return Selection(
        feed.scope,
        feed.scope_id,
        owner,
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
    owner = opened.selection.owner
    public = bool(opened.place and opened.place.titles_public)
    write = ical.EventWriter()
    events = []
    for booking in found:
        detailed = public or _shown_to(owner, booking)
        key = (context, booking, detailed)
        event = WRITTEN.get(key)
        if event is None:
            event = WRITTEN.put(key, write(booking, texts(booking, detailed)))
        events.append(event)
    name = _calendar_name(opened.feed, owner, opened.place, opened.language)
    return ical.feed(name, events)


class _Written:
    """Events already written, by everything they are written from: the row as read (with
    its revision and last change), whether its details are shown, and the language, names
    and base URL (the context). A feed built again after one change writes one event, not
    thousands. Pure memoisation, per process, bounded: two generations of ``limit`` events
    (the older is dropped when the newer fills)."""

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


def _calendar_name(feed: Feed, owner: Principal, place: Place | None, language: str) -> str:
    if feed.label:
        return feed.label
    if place is None:
        return translate(language, N_("My bookings"))
    name = display_name(place.name_fr, place.name_ar, language)
    if feed.scope == FeedScope.RESOURCE:
        resource = display_name(place.resource_name_fr, place.resource_name_ar, language)
        return f"{name} – {resource}"
    return name


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
