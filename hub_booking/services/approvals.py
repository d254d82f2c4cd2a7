"""The approval queue of one hub: its pending requests with what a manager weighs before
deciding (the series a request belongs to, its association's quota use that week and month,
the other pending requests wanting the same resource at the same time), and the decisions:
one at a time through ``booking_changes.approve``/``reject`` (the functions the API calls),
or several approvals at once in one transaction (``booking_changes.decide_all``, the one
path of every decision).

The hub is loaded with the reader's management as a query condition (``manage.managed_hub``:
404 otherwise), and a decision applies only to a booking of that hub (``hub_bookings.of_hub``,
``lock_pending``). The queue reads a constant number of queries however many requests it
lists (three: the page with its names and series places, the quota sums, the competing
requests).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from hub_booking.db import bookings as db
from hub_booking.db import hub_bookings
from hub_booking.db.engine import transaction
from hub_booking.db.hub_bookings import Competitor, Pending
from hub_booking.domain.bookings import BookingView
from hub_booking.domain.errors import N_, Conflict, NotFound
from hub_booking.domain.model import BookingStatus, Hub, Principal, display_name
from hub_booking.domain.rules import DEFAULT_RULES
from hub_booking.services import booking_changes, manage
from hub_booking.services.my_bookings import Names

PAGE_SIZE = 50
MAX_BULK = 200  # requests approved by one submission at most
# A hold starts and ends within a day of its booking (buffers are at most a day each:
# ``domain.rules``), so a request whose hold meets a listed one's starts before the last
# listed end plus two days and ends after the first listed start less two.
_RIVALS_SLACK = timedelta(days=2)


@dataclass(frozen=True)
class QuotaUse:
    """What the request's association holds at the hub (pending and approved, this request
    included) in the local week and month of the request, against the hub's quotas."""

    week: date  # its Monday
    week_minutes: int
    month_minutes: int
    weekly_limit: int | None  # minutes (the hub's weekly quota), None: no quota
    monthly_limit: int | None

    @property
    def over(self) -> bool:
        """Whether a quota is exceeded (possible after a manager's override or a rule change)."""
        weekly, monthly = self.weekly_limit, self.monthly_limit
        return (weekly is not None and self.week_minutes > weekly) or (
            monthly is not None and self.month_minutes > monthly
        )


@dataclass(frozen=True)
class Rival:
    """Another pending request wanting a resource of this one at an overlapping time."""

    booking_id: int
    title: str
    association: str  # its name in the reader's language
    resource_id: int
    local_start: datetime
    local_end: datetime


@dataclass(frozen=True)
class Entry:
    """One pending request as the queue shows it."""

    booking: BookingView
    place: tuple[int, int] | None  # (occurrence n, of size) when part of a series
    quota: QuotaUse
    rivals: tuple[Rival, ...]


@dataclass(frozen=True)
class Queue:
    hub: Hub
    entries: list[Entry]
    total: int
    page: int
    pages: int
    names: Names


@dataclass(frozen=True)
class Outcome:
    """One decision asked for: whether it was applied, and the request as it is now
    (``booking`` None: no such request in this hub)."""

    booking_id: int
    applied: bool
    booking: BookingView | None


@dataclass(frozen=True)
class Decisions:
    hub: Hub
    outcomes: list[Outcome]
    names: Names

    @property
    def applied(self) -> int:
        return sum(o.applied for o in self.outcomes)


async def queue(principal: Principal, slug: str, language: str, page: int = 1) -> Queue:
    """A page of the hub's pending requests, by start, each with what the manager weighs."""
    hub = await manage.managed_hub(principal, slug)
    page = max(1, page)
    found = await hub_bookings.pending_of_hub(hub.id, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    pages = max(1, -(-found.total // PAGE_SIZE))
    entries = await _entries(hub, found, language)
    return Queue(hub, entries, found.total, page, pages, _names(found, language))


async def entry(principal: Principal, slug: str, booking_id: int, language: str) -> Queue:
    """The queue reduced to one request of the hub (no entry if it is no longer pending)."""
    hub = await manage.managed_hub(principal, slug)
    if not await hub_bookings.of_hub(principal, [booking_id], hub.id):
        raise NotFound(N_("This booking does not exist."))
    found = await hub_bookings.pending_of_hub(hub.id, 1, 0, booking_id=booking_id)
    entries = await _entries(hub, found, language)
    return Queue(hub, entries, len(entries), 1, 1, _names(found, language))


async def decide(
    principal: Principal,
    slug: str,
    booking_id: int,
    now: datetime,
    language: str,
    *,
    reason: str | None = None,
) -> Decisions:
    """Approve one request of the hub, or with a ``reason`` reject it (an empty reason is
    refused by ``booking_changes.reject``: ``Invalid`` on the field ``reason``)."""
    hub = await manage.managed_hub(principal, slug)
    outcome = Outcome(booking_id, False, None)
    if await hub_bookings.of_hub(principal, [booking_id], hub.id):
        try:
            if reason is None:
                view = await booking_changes.approve(principal, booking_id, now)
            else:
                view = await booking_changes.reject(principal, booking_id, reason, now)
            outcome = Outcome(booking_id, True, view)
        except (Conflict, NotFound):  # decided, cancelled or gone meanwhile: say how it is
            outcome = Outcome(booking_id, False, await db.view(principal, booking_id))
    seen = [outcome.booking] if outcome.booking is not None else []
    return Decisions(hub, [outcome], await names_of(seen, language))


async def approve_all(
    principal: Principal, slug: str, booking_ids: list[int], now: datetime, language: str
) -> Decisions:
    """Approve several requests of the hub in one transaction (``booking_changes.decide_all``);
    one that no longer applies (cancelled, decided by someone else, not of this hub) is
    reported, the others go on."""
    hub = await manage.managed_hub(principal, slug)
    ids = list(dict.fromkeys(booking_ids))[:MAX_BULK]
    approved = BookingStatus.APPROVED
    async with transaction():
        decided = await booking_changes.decide_all(principal, ids, approved, now, hub_id=hub.id)
        found = await hub_bookings.views_of_hub(ids, hub.id)
    outcomes = [Outcome(i, i in decided, found.get(i)) for i in ids]
    seen = [o.booking for o in outcomes if o.booking is not None]
    return Decisions(hub, outcomes, await names_of(seen, language))


async def _entries(hub: Hub, found: Pending, language: str) -> list[Entry]:
    views = found.items
    if not views:
        return []
    start = min(view.starts_at for view in views) - _RIVALS_SLACK
    end = max(view.ends_at for view in views) + _RIVALS_SLACK
    ids = [view.id for view in views]
    # Independent reads, each on its own pooled connection: their waits overlap.
    quotas, competitors = await asyncio.gather(
        _quotas(hub, views), hub_bookings.pending_competitors(hub.id, ids, start, end)
    )
    rivals: dict[int, list[Rival]] = {}
    for competitor in competitors:
        rivals.setdefault(competitor.booking_id, []).append(_rival(competitor, language))
    return [
        Entry(view, found.places.get(view.id), quotas[view.id], tuple(rivals.get(view.id, ())))
        for view in views
    ]


def _rival(found: Competitor, language: str) -> Rival:
    name = display_name(*found.association, language)
    return Rival(
        found.other_id, found.title, name, found.resource_id, found.local_start, found.local_end
    )


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


async def _quotas(hub: Hub, views: list[BookingView]) -> dict[int, QuotaUse]:
    """Each request's quota use, from one query summing the associations' minutes in each
    local week and month the listed requests fall in."""
    days = [view.local_start.date() for view in views]
    weeks = sorted({_monday(day) for day in days})
    months = sorted({_month_start(day) for day in days})
    periods = [(_midnight(w), _midnight(w + timedelta(days=7))) for w in weeks]
    periods += [(_midnight(m), _midnight(_next_month(m))) for m in months]
    associations = sorted({view.association_id for view in views})
    held = await hub_bookings.held_minutes(hub.id, associations, periods)
    rules = {**DEFAULT_RULES, **hub.rules}
    weekly, monthly = (
        round(rules[key] * 60) if rules.get(key) is not None else None
        for key in ("weekly_quota_hours", "monthly_quota_hours")
    )
    found = {}
    for view, day in zip(views, days, strict=True):
        sums = held.get(view.association_id, [0] * len(periods))
        week, month = weeks.index(_monday(day)), len(weeks) + months.index(_month_start(day))
        found[view.id] = QuotaUse(_monday(day), sums[week], sums[month], weekly, monthly)
    return found


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def _names(found: Pending, language: str) -> Names:
    return Names({}, _named(found.resources, language), _named(found.associations, language))


def _named(pairs: dict[int, tuple[str, str]], language: str) -> dict[int, str]:
    return {i: display_name(fr, ar, language) for i, (fr, ar) in pairs.items()}


async def names_of(views: list[BookingView], language: str) -> Names:
    """The resources and associations these bookings mention, in the reader's language (one
    query; the manager pages name no hub: they are the hub's)."""
    if not views:
        return Names({}, {}, {})
    resources, associations = await hub_bookings.names_of(
        sorted({item.resource_id for view in views for item in view.items}),
        sorted({view.association_id for view in views}),
    )
    return Names({}, _named(resources, language), _named(associations, language))
