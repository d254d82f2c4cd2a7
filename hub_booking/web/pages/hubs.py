"""Hub pages: the list of hubs, and one hub's calendar (day or week, with filters)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template

from hub_booking.domain.calendar import View
from hub_booking.domain.errors import N_
from hub_booking.domain.model import ResourceKind
from hub_booking.services import calendar, resources
from hub_booking.web import calendar_html, flash
from hub_booking.web.auth import principal_of, signed_in
from hub_booking.web.calendar_html import BOOK_PATH
from hub_booking.web.forms import optional_int, read_date
from hub_booking.web.htmx import render
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
        fragment="partials/calendar.html",
        target="calendar",
        **context,
    )


async def calendar_context(
    request: Request, slug: str, *, managing: bool = False
) -> dict[str, Any]:
    """What ``partials/calendar.html`` shows for the address of ``request``: the public
    calendar of the hub, or its manager's calendar (``managing``: a 404 for a hub the reader
    does not manage, every booking in full, free half hours booked on behalf of an
    association). Who sees what is the service's to decide, from the principal."""
    language, params = language_of(request), request.query_params
    query, notes = _query(*(params.get(name) for name in _PARAMS))
    found = await calendar.hub_calendar(
        principal_of(request), slug, query, request.app.state.clock(), language, managing=managing
    )
    links = CalendarLinks(found)
    messages = [flash.message(language, note, kind="info") for note in (*notes, *found.notes)]
    return {
        "cal": found,
        "rows": calendar_html.grid_rows(found, language, links.book),
        "options": calendar_html.resource_options(found, language),
        "links": links,
        "hub": named(found.hub, language),
        "notices": messages,
    }


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
