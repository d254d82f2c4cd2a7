"""Hub pages: the list of hubs, and one hub's calendar (day or week, with filters)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template
from markupsafe import Markup

from hub_booking.domain.calendar import View
from hub_booking.domain.errors import N_
from hub_booking.domain.model import ResourceKind
from hub_booking.services import calendar, resources
from hub_booking.web import calendar_html, flash, recent
from hub_booking.web.auth import principal_of, signed_in
from hub_booking.web.calendar_html import BOOK_PATH
from hub_booking.web.forms import optional_int, read_date
from hub_booking.web.htmx import render, render_part
from hub_booking.web.language import language_of
from hub_booking.web.names import named

MAX_SHOWN = 500  # hubs on one page
IGNORED = N_("Some filters in the address could not be read and were ignored.")
UNREADABLE_DATE = N_("That date could not be read: today is shown instead.")


@get("/hubs", guards=[signed_in], include_in_schema=False)
async def hub_list(request: Request) -> Template:
    language = language_of(request)
    found = await resources.list_hubs(MAX_SHOWN, 0)
    return render(request, "pages/hub_list.html", hubs=[named(h, language) for h in found.items])


@get("/hubs/{slug:str}", guards=[signed_in], include_in_schema=False)
async def hub_calendar(request: Request, slug: FromPath[str]) -> Template:
    """The hub's calendar; what cannot be read in the address is ignored, with a message."""
    context = await calendar_context(request, slug)
    return render(
        request,
        "pages/hub_calendar.html",
        fragment="partials/calendar_section.html",
        target="calendar",
        **context,
    )


async def calendar_context(
    request: Request, slug: str, *, managing: bool = False
) -> dict[str, Any]:
    """The calendar for the address of ``request`` and its section (``partials/calendar.html``
    rendered): the public calendar of the hub, or its manager's calendar (``managing``: a 404
    for a hub the reader does not manage, every booking in full, free half hours booked on
    behalf of an association). Who sees what is the service's to decide, from the principal.

    Built once per version of the calendar: the readers of a hub paging through the same
    weeks are shown the same section until a booking, a closure or a resource changes."""
    language, params = language_of(request), request.query_params
    query, notes = _query(*(params.get(name) for name in _PARAMS))
    opened = await calendar.open_calendar(
        principal_of(request), slug, query, request.app.state.clock(), language, managing=managing
    )
    key = None if opened.version is None else (opened.version, tuple(notes))
    kept = recent.kept(request.app.state, "calendars", BUILT_CHARACTERS, _weight)
    found = kept.get(key) if key is not None else None
    if found is None:
        found = await _build(request, opened, notes, language)
        if key is not None:
            kept.put(key, found)
    cal, section = found
    return {"cal": cal, "hub": named(cal.hub, language), "section": section}


Built = tuple[calendar.HubCalendar, Markup]
BUILT_CHARACTERS = 32 * 2**20  # calendars kept for reuse, per app (process)


async def _build(
    request: Request, opened: calendar.OpenCalendar, notes: list[str], language: str
) -> Built:
    """The calendar with its bookings, and its section as HTML."""
    cal = await calendar.build_calendar(opened, language)
    links = CalendarLinks(cal)
    messages = [flash.message(language, note, kind="info") for note in (*notes, *cal.notes)]
    section = render_part(
        request,
        "partials/calendar.html",
        cal=cal,
        rows=calendar_html.grid_rows(cal, language, links.book),
        options=calendar_html.resource_options(cal, language),
        links=links,
        notices=messages,
    )
    return cal, section


def _weight(built: Built) -> int:
    return 3 * len(built[1])  # the grid's objects weigh about twice its HTML


_PARAMS = ("view", "date", "kind", "min_capacity", "resource")


def _query(
    view: str | None,
    day: str | None,
    kind: str | None,
    min_capacity: str | None,
    resource: str | None,
) -> tuple[calendar.CalendarQuery, list[str]]:
    """The calendar query of the address, and messages about what was left out of it."""
    readable = (
        view in (None, "", *View)
        and kind in (None, "", *ResourceKind)
        and (not min_capacity or optional_int(min_capacity) is not None)
        and (not resource or optional_int(resource) is not None)
    )
    chosen: date | None = read_date(day) if day else None
    notes = [UNREADABLE_DATE] if day and chosen is None else []
    query = calendar.CalendarQuery(
        view=View(view) if view in tuple(View) else View.WEEK,
        day=chosen,
        kind=ResourceKind(kind) if kind in tuple(ResourceKind) else None,
        min_capacity=optional_int(min_capacity),
        resource_id=optional_int(resource),
    )
    return query, notes if readable else [*notes, IGNORED]


class CalendarLinks:
    """Addresses of this calendar with one part of its state changed: the address holds the
    whole state (view, date, filters), so every link and back button shows the same page."""

    def __init__(self, found: calendar.HubCalendar) -> None:
        query, slug = found.query, found.hub.slug
        self.path = f"/manage/hubs/{slug}/calendar" if found.managing else f"/hubs/{slug}"
        self.book = f"/manage/hubs/{slug}/bookings/new" if found.managing else BOOK_PATH
        self.state: dict[str, Any] = {
            "view": query.view.value,
            "date": found.day.isoformat(),
            "kind": query.kind.value if query.kind else "",
            "min_capacity": query.min_capacity or "",
            "resource": query.resource_id or "",
        }

    def to(self, **changes: Any) -> str:
        wanted = {**self.state, **changes}
        return f"{self.path}?{urlencode({k: v for k, v in wanted.items() if v not in (None, '')})}"


HANDLERS = [hub_list, hub_calendar]
