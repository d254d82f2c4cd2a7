"""Calendar feed tokens that their owners manage: create, list, rotate, revoke; what a reader
may follow, and the links that subscribe a calendar app. Reading a feed is
``services.feed_content``.

A token is a secret URL shown once, at creation or rotation; only its keyed hash is kept.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from hub_booking.db import feed_tokens as rows
from hub_booking.db.engine import transaction
from hub_booking.db.feed_tokens import Feed, Listed, Place
from hub_booking.domain.errors import N_, NotFound, invalid
from hub_booking.domain.model import FeedScope, Page, Principal, display_name
from hub_booking.domain.text import NOT_IN_LINE
from hub_booking.i18n import translate
from hub_booking.services import audit
from hub_booking.services.tokens import hash_secret

MAX_LABEL = 100
# Subscribing from a link: none of these is documented by its vendor as an interface; they
# are the forms Google Calendar and Outlook on the web answer today (the manual route,
# pasting the https URL, always works).
GOOGLE = "https://calendar.google.com/calendar/r?cid={webcal}"
OUTLOOK = "https://outlook.live.com/calendar/0/addfromweb?url={url}&name={name}"
OFFICE = "https://outlook.office.com/calendar/0/addfromweb?url={url}&name={name}"


@dataclass(frozen=True)
class Issued:
    """A feed just created or rotated: its URL is shown this once."""

    feed: Feed
    url: str
    place: Place | None = None


@dataclass(frozen=True)
class Subscription:
    """The ways to subscribe a calendar app to a feed's URL, and the calendar's name."""

    name: str
    https: str  # to paste anywhere
    webcal: str  # Apple Calendar, Outlook and others open it as a subscription
    google: str
    outlook: str  # Outlook.com and Outlook for personal accounts
    office: str  # Outlook of Microsoft 365 (work or school accounts)


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
    place = None if scope_id is None else await rows.place(scope, scope_id)
    if not _may_create(principal, scope, scope_id, place):
        raise NotFound(N_("Not found."))
    token = secrets.token_urlsafe(32)
    async with transaction():
        feed = await rows.insert(
            principal.user_id, scope, scope_id, hash_secret(secret_key, token), label, language, now
        )
        await audit.record(principal.user_id, "feed.created", "feed", feed.id, now, scope=scope)
    return Issued(feed, feed_url(base_url, token), place)


async def list_feeds(principal: Principal, limit: int, offset: int) -> Page[Listed]:
    """A page of the caller's working feeds, newest first, with what each points at."""
    return await rows.owned(principal.user_id, limit, offset)


async def get_feed(principal: Principal, feed_id: int) -> Listed:
    """One of the caller's working feeds; anyone else's, or an unknown one, is not found."""
    found = await rows.owned_one(principal.user_id, feed_id)
    if found is None:
        raise NotFound(N_("Not found."))
    return found


async def rotate_feed(
    principal: Principal, feed_id: int, now: datetime, secret_key: str, base_url: str
) -> Issued:
    """A new secret URL for one of the caller's feeds; the old URL answers 404 from now on."""
    token = secrets.token_urlsafe(32)
    async with transaction():
        if not await rows.replace_hash(principal.user_id, feed_id, hash_secret(secret_key, token)):
            raise NotFound(N_("Not found."))
        await audit.record(principal.user_id, "feed.rotated", "feed", feed_id, now)
        found = await rows.owned_one(principal.user_id, feed_id)
    assert found is not None  # changed above, in the same transaction
    return Issued(found.feed, feed_url(base_url, token), found.place)


async def revoke_feed(principal: Principal, feed_id: int, now: datetime) -> None:
    """Revoke one of the caller's feeds; anyone else's, or an unknown one, is not found."""
    async with transaction():
        if not await rows.revoke(principal.user_id, feed_id, now):
            raise NotFound(N_("Not found."))
        await audit.record(principal.user_id, "feed.revoked", "feed", feed_id, now)


def feed_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/feeds/{token}.ics"


def subscription(url: str, name: str) -> Subscription:
    """The links that subscribe Apple Calendar, Google Calendar and Outlook to ``url``
    (``webcal://`` is the same address: clients fetch it over https, or http for an http
    address), each value percent-encoded whole."""
    webcal = "webcal://" + url.split("://", 1)[-1]
    encoded = {"url": quote(url, safe=""), "name": quote(name, safe="")}
    return Subscription(
        name=name,
        https=url,
        webcal=webcal,
        google=GOOGLE.format(webcal=quote(webcal, safe="")),
        outlook=OUTLOOK.format(**encoded),
        office=OFFICE.format(**encoded),
    )


def subscribe(issued: Issued, language: str) -> Subscription:
    """The links of a feed just issued, its calendar named in ``language``."""
    return subscription(issued.url, calendar_name(issued.feed, issued.place, language))


def calendar_name(feed: Feed, place: Place | None, language: str) -> str:
    """What a feed's calendar is called: its label, else what it shows."""
    if feed.label:
        return feed.label
    return scope_name(feed.scope, place, language)


def scope_name(scope: FeedScope, place: Place | None, language: str) -> str:
    """What a feed shows, in ``language``: "My bookings", a hub, a hub's room, an
    association (empty when that is gone)."""
    if scope == FeedScope.ME:
        return translate(language, N_("My bookings"))
    if place is None:
        return ""
    name = display_name(place.name_fr, place.name_ar, language)
    if scope == FeedScope.RESOURCE:
        resource = display_name(place.resource_name_fr, place.resource_name_ar, language)
        return f"{name} – {resource}"
    return name


def _checked_label(label: str) -> str:
    label = label.strip()
    if len(label) > MAX_LABEL or NOT_IN_LINE.search(label):
        raise invalid(
            "label",
            "invalid_text",
            N_("A label has at most %(max)s characters, on one line."),
            max=MAX_LABEL,
        )
    return label


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


# --- what a reader may follow, for the pages ------------------------------------------------

MAX_HUBS_OFFERED = 200  # a platform admin manages every hub: the API reaches the rest
_TARGET = re.compile(r"(me)|(resource|hub|association):([0-9]{1,10})")
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Choice:
    """Something a feed may show, as a form sends it (``target``) and by name."""

    target: str
    name: str


@dataclass(frozen=True)
class HubChoices:
    hub: Choice
    resources: list[Choice]


@dataclass(frozen=True)
class Choices:
    """What the reader may make feeds of: themselves, their associations, the hubs they
    manage with their rooms and equipment."""

    me: Choice
    associations: list[Choice]
    hubs: list[HubChoices]


def target(scope: FeedScope | str, scope_id: int | None) -> str:
    """How a form names a feed's scope: ``me``, ``hub:3``, ``resource:12``..."""
    return "me" if scope == FeedScope.ME else f"{scope}:{scope_id}"


def read_target(text: str) -> tuple[FeedScope, int | None] | None:
    """A form's ``target`` as (scope, id); None when it cannot be one."""
    found = _TARGET.fullmatch(text)
    if found is None:
        return None
    if found.group(1):
        return FeedScope.ME, None
    number = int(found.group(3))
    return (FeedScope(found.group(2)), number) if 1 <= number <= MAX_ID else None


async def choices(principal: Principal, language: str) -> Choices:
    """The scopes the reader may create feeds of, named in ``language`` (a platform
    admin is offered the hubs; any association or hub remains reachable by the API)."""
    found = await rows.offered(sorted(principal.memberships), principal, MAX_HUBS_OFFERED)

    def choice(scope: FeedScope, item_id: int, fr: str, ar: str) -> Choice:
        return Choice(target(scope, item_id), display_name(fr, ar, language))

    associations = [choice(FeedScope.ASSOCIATION, *a) for a in found.associations]
    rooms: dict[int, list[Choice]] = {}
    for resource_id, hub_id, fr, ar in found.resources:
        rooms.setdefault(hub_id, []).append(choice(FeedScope.RESOURCE, resource_id, fr, ar))
    hubs = [HubChoices(choice(FeedScope.HUB, *hub), rooms.get(hub[0], [])) for hub in found.hubs]
    me = Choice("me", translate(language, N_("My bookings")))
    return Choices(me, sorted(associations, key=lambda c: c.name), hubs)


@dataclass(frozen=True)
class Entry:
    """One of the reader's feeds as the account page lists it."""

    feed: Feed
    name: str  # the calendar's name
    shows: str  # what it shows ("" when that is gone: the feed then answers 404)


@dataclass(frozen=True)
class Overview:
    entries: list[Entry]
    total: int
    choices: Choices


MAX_LISTED = 100


async def overview(principal: Principal, language: str) -> Overview:
    """The reader's feeds (the newest ``MAX_LISTED``) and what they may make feeds of."""
    found = await rows.owned(principal.user_id, MAX_LISTED, 0)
    entries = [entry(listed, language) for listed in found.items]
    return Overview(entries, found.total, await choices(principal, language))


async def get_entry(principal: Principal, feed_id: int, language: str) -> Entry:
    """One of the reader's feeds, as listed (not found: anyone else's, or revoked)."""
    return entry(await get_feed(principal, feed_id), language)


def entry(listed: Listed, language: str) -> Entry:
    feed, place = listed.feed, listed.place
    return Entry(
        feed, calendar_name(feed, place, language), scope_name(feed.scope, place, language)
    )
