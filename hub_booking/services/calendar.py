"""The hub calendar: what a hub's resources hold over a day or a week, as its reader may see it.

Three queries whatever the hub holds: the hub with its shown resources, every holding booking
of those resources in the window (with their associations' names), and the hub's closures in
the window. The grid and what is masked are the domain's; who the reader is (a member, a
manager of the hub) comes from the principal, never from the page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from hub_booking import zones
from hub_booking.db import calendar as calendar_rows
from hub_booking.db import catalogue, closures
from hub_booking.db.catalogue import ResourceFilters
from hub_booking.domain.calendar import (
    STEP,
    Frame,
    Grid,
    Row,
    View,
    Viewer,
    day_grid,
    local_closures,
    shown_days,
    week_grid,
)
from hub_booking.domain.catalogue import SLUG
from hub_booking.domain.errors import N_, NotFound
from hub_booking.domain.model import Hub, Principal, Resource, ResourceKind, display_name
from hub_booking.domain.rules import effective_rules
from hub_booking.domain.wallclock import EARLIEST, LATEST, to_local

MAX_RESOURCES = 500
MARGIN = timedelta(hours=2)
UNKNOWN_RESOURCE = N_(
    "The chosen resource is not in this hub or does not match the filters: all matching "
    "resources are shown."
)
OUT_OF_RANGE = N_("That date is out of range: today is shown instead.")
NO_HUB = N_("This hub does not exist.")


@dataclass(frozen=True)
class CalendarQuery:
    """What the reader asked to see (``day`` None: today on the hub's clock)."""

    view: View = View.WEEK
    day: date | None = None
    kind: ResourceKind | None = None
    min_capacity: int | None = None
    resource_id: int | None = None


@dataclass(frozen=True)
class HubCalendar:
    """The hub, the query as applied, the days shown, the resources to choose from (all
    those matching the kind and capacity) and the grid of those shown; ``managing`` when it
    is the manager's calendar of the hub."""

    hub: Hub
    query: CalendarQuery
    day: date
    today: date
    days: list[date]
    resources: list[Resource]
    grid: Grid
    notes: tuple[str, ...] = ()
    managing: bool = False

    @property
    def bookable_days(self) -> list[str | None]:
        """Each shown day as ``YYYY-MM-DD``, None for days gone by (nothing to book there)."""
        return [d.isoformat() if d >= self.today else None for d in self.days]

    @property
    def previous(self) -> date:
        return self.day - timedelta(days=1 if self.query.view == View.DAY else 7)

    @property
    def next(self) -> date:
        return self.day + timedelta(days=1 if self.query.view == View.DAY else 7)


@dataclass(frozen=True)
class OpenCalendar:
    """A calendar asked for, before its bookings are read: the hub, the query as applied,
    the days and the resources to show, whose calendar it is, and its ``version``.

    Equal versions make equal calendars, so a built one can be kept and shown again; None
    for a manager's calendar, which names associations (a rename has no fingerprint)."""

    hub: Hub
    query: CalendarQuery
    today: date
    days: list[date]
    resources: list[Resource]
    shown: list[Resource]
    notes: tuple[str, ...]
    managing: bool
    frame: Frame
    version: tuple[object, ...] | None


async def open_calendar(
    principal: Principal,
    slug: str,
    query: CalendarQuery,
    now: datetime,
    language: str,
    *,
    managing: bool = False,
) -> OpenCalendar:
    """The calendar of the hub of ``slug`` (404 when there is none) for ``query``.

    Other associations' bookings are masked unless the reader manages the hub. ``managing``
    asks for the manager's calendar: a hub the reader does not manage is then a 404 (a
    condition of the query). A resource that is not the hub's, or a date too far out, is
    ignored with a note. Three queries: the hub, its closures and the version."""
    query, notes = _sane_day(query)
    hub, found = await _hub(principal, slug, query, managing)
    zone = zones.get_zone(hub.timezone)
    local_now = to_local(now, zone)
    shown = [r for r in found if query.resource_id in (None, r.id)]
    if not shown and query.resource_id is not None:
        query, shown, notes = replace(query, resource_id=None), found, (*notes, UNKNOWN_RESOURCE)
    days = shown_days(query.view, query.day or local_now.date())
    start, end = _window(days, zone)
    viewer = Viewer(frozenset(principal.memberships), principal.manages(hub.id))
    closed = await closures.overlapping(hub.id, start, end)
    frame = Frame(local_closures(closed, zone), viewer, zone, local_now)
    version = None
    if not viewer.manages_hub:
        held = await calendar_rows.calendar_version(*_rooms_and_pools(shown), start, end)
        midnight = datetime.combine(local_now.date(), time(), local_now.tzinfo)
        begun = -((midnight - local_now) // STEP)  # half hours of today begun (day view)
        seen = (repr(hub), repr(found), query, viewer, tuple(closed), language)
        version = (*seen, local_now.date(), begun, notes, managing, held)
    today = local_now.date()
    return OpenCalendar(hub, query, today, days, found, shown, notes, managing, frame, version)


async def build_calendar(opened: OpenCalendar, language: str) -> HubCalendar:
    """The calendar ``open_calendar`` described, with the bookings it shows: one query."""
    hub, query, frame = opened.hub, opened.query, opened.frame
    start, end = _window(opened.days, frame.zone)
    names = frame.viewer.manages_hub  # only managers are shown other associations' names
    rooms, pools = _rooms_and_pools(opened.shown)
    entries = await calendar_rows.calendar_entries(rooms, pools, start, end, language, names=names)
    rows = [_row(resource, hub, language) for resource in opened.shown]
    build = day_grid if query.view == View.DAY else week_grid
    day = query.day or opened.today
    grid = build(day, rows, entries, frame)
    return HubCalendar(
        hub,
        query,
        day,
        opened.today,
        opened.days,
        opened.resources,
        grid,
        opened.notes,
        opened.managing,
    )


def _rooms_and_pools(shown: list[Resource]) -> tuple[list[int], list[int]]:
    rooms = [r.id for r in shown if r.kind == ResourceKind.SPACE]
    return rooms, [r.id for r in shown if r.kind != ResourceKind.SPACE]


async def _hub(
    principal: Principal, slug: str, query: CalendarQuery, managing: bool
) -> tuple[Hub, list[Resource]]:
    """The hub and its resources of the asked kind and size (404 as said above)."""
    filters = ResourceFilters(kind=query.kind, min_capacity=query.min_capacity)
    manager = principal if managing else None
    found = None
    if SLUG.match(slug):  # anything else could not be a hub's (nor reach the database)
        found = await catalogue.calendar_hub(slug, filters, MAX_RESOURCES, manager)
    if found is None:
        raise NotFound(NO_HUB)
    return found


def _sane_day(query: CalendarQuery) -> tuple[CalendarQuery, tuple[str, ...]]:
    if query.day is None or EARLIEST.date() < query.day < LATEST.date() - timedelta(days=8):
        return query, ()
    return replace(query, day=None), (OUT_OF_RANGE,)


def _window(days: list[date], zone: tzinfo) -> tuple[datetime, datetime]:
    """UTC bounds surely holding the shown days on the hub's clock (two hours of margin: a
    clock change moves midnight by one); the grid then places bookings by their wall clock."""
    start = datetime.combine(days[0], time(), tzinfo=zone).astimezone(UTC) - MARGIN
    end = datetime.combine(days[-1] + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    return start, end + MARGIN


def _row(resource: Resource, hub: Hub, language: str) -> Row:
    rules = effective_rules(hub.rules, resource.rules)
    return Row(
        id=resource.id,
        name=display_name(resource.name_fr, resource.name_ar, language),
        kind=resource.kind,
        capacity=resource.capacity,
        quantity=resource.quantity,
        opening_hours=rules.get("opening_hours", hub.opening_hours),
    )
