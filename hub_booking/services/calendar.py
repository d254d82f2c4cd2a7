"""The hub calendar: what a hub's resources hold over a day or a week, as its reader may see it.

A constant number of queries whatever the hub holds: the hub, its resources (filtered), its
closures in the window, and every holding booking of the shown resources in the window (one
query, with their associations' names). The grid and what is masked are the domain's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from hub_booking import zones
from hub_booking.db import bookings, catalogue, closures
from hub_booking.db.catalogue import ResourceFilters
from hub_booking.domain.calendar import (
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
from hub_booking.domain.errors import N_
from hub_booking.domain.model import Hub, Principal, Resource, ResourceKind, display_name
from hub_booking.domain.rules import effective_rules
from hub_booking.domain.wallclock import EARLIEST, LATEST, to_local
from hub_booking.services.resources import get_hub_by_slug

MAX_RESOURCES = 500
MARGIN = timedelta(hours=2)
UNKNOWN_RESOURCE = N_(
    "The chosen resource is not in this hub or does not match the filters: all matching "
    "resources are shown."
)
OUT_OF_RANGE = N_("That date is out of range: today is shown instead.")


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
    those matching the kind and capacity) and the grid of those shown."""

    hub: Hub
    query: CalendarQuery
    day: date
    today: date
    days: list[date]
    resources: list[Resource]
    grid: Grid
    notes: tuple[str, ...] = ()

    @property
    def slots(self) -> dict[datetime, str]:
        """The booking form's ``starts_at``/``ends_at`` query of each bookable half hour (by
        its wall-clock start), the instants in UTC: the same for every resource."""
        found: dict[datetime, str] = {}
        for row in self.grid.rows:
            for cell in row.cells:
                if cell.start and cell.end and cell.local_start not in found:
                    start, end = (f"{t:%Y-%m-%dT%H:%M:%SZ}" for t in (cell.start, cell.end))
                    found[cell.local_start] = f"starts_at={start}&ends_at={end}"
        return found

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


async def hub_calendar(
    principal: Principal, slug: str, query: CalendarQuery, now: datetime, language: str
) -> HubCalendar:
    """The calendar of the hub of ``slug`` (404 when there is none) for ``query``.

    A resource that is not the hub's, or a date too far out, is ignored with a note."""
    hub = await get_hub_by_slug(slug)
    zone = zones.get_zone(hub.timezone)
    today = to_local(now, zone).date()
    query, notes = _sane_day(query)
    filters = ResourceFilters(kind=query.kind, min_capacity=query.min_capacity)
    found = (await catalogue.resources_of_hub(hub.id, filters, MAX_RESOURCES, 0)).items
    shown = [r for r in found if query.resource_id in (None, r.id)]
    if not shown and query.resource_id is not None:
        query, shown, notes = replace(query, resource_id=None), found, (*notes, UNKNOWN_RESOURCE)
    day = query.day or today
    days = shown_days(query.view, day)
    start, end = _window(days, zone)
    entries = await bookings.calendar_entries([r.id for r in shown], start, end, language)
    closed = await closures.overlapping(hub.id, start, end)
    viewer = Viewer(frozenset(principal.memberships), principal.manages(hub.id))
    frame = Frame(local_closures(closed, zone), viewer, zone, to_local(now, zone))
    rows = [_row(resource, hub, language) for resource in shown]
    build = day_grid if query.view == View.DAY else week_grid
    grid = build(day, rows, entries, frame)
    return HubCalendar(hub, query, day, today, days, found, grid, notes)


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
