"""Find a room: a day, hours, a duration, people and equipment in the URL; the rooms and start
times that fit, nearest first, each one click from the booking form."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request, get
from litestar.response import Template

from hub_booking.domain.errors import N_
from hub_booking.domain.room_search import Fit
from hub_booking.domain.wallclock import to_local
from hub_booking.i18n import formats
from hub_booking.services import booking_options, room_finder
from hub_booking.web import check_view, forms
from hub_booking.web.auth import principal_of, signed_in
from hub_booking.web.find_query import FindQuery, parse_find
from hub_booking.web.forms import FieldError
from hub_booking.web.htmx import render
from hub_booking.web.language import language_of
from hub_booking.web.names import named
from hub_booking.zones import get_zone

DURATIONS = (30, 60, 90, 120, 180, 240, 480)


@get("/find", guards=[signed_in], include_in_schema=False)
async def find(request: Request) -> Template:
    """The search form and its results (htmx swaps only ``#find-results``)."""
    language, principal = language_of(request), principal_of(request)
    query = parse_find(forms.query_of(request))
    chosen = await booking_options.choose_hub(principal, slug=query.hub)
    zone = get_zone(chosen.hub.timezone)
    day = query.day or request.app.state.clock().astimezone(zone).date()
    start, end = query.window(day, zone)
    search = room_finder.Search(
        chosen.hub.id, start, end, query.duration, query.people, query.equipment
    )
    found = await room_finder.find_rooms(search, request.app.state.clock(), language=language)
    options = await booking_options.options(principal, chosen.hub)
    notes = list(query.notices)
    if chosen.fallback:
        notes.append(FieldError("hub", N_("This hub does not exist; the first hub is shown.")))
    return render(
        request,
        "pages/find.html",
        fragment="partials/find_results.html",
        target="find-results",
        hub=named(chosen.hub, language),
        hubs=[named(h, language) for h in options.hubs],
        equipment=[named(r, language) for r in options.equipment],
        durations=sorted({*DURATIONS, query.duration}),
        search=_shown(query, day),
        notices=check_view.problems(notes, language),
        results=[_result(fit, found, query, zone, language) for fit in found.fits],
    )


def _shown(query: FindQuery, day: date) -> dict[str, Any]:
    """The search as the form shows it back."""
    return {
        "date": day.isoformat(),
        "from": f"{query.start:%H:%M}",
        "to": f"{query.end:%H:%M}",
        "duration": query.duration,
        "people": query.people,
        "equipment": set(query.equipment),
    }


def _result(
    fit: Fit, found: room_finder.Found, query: FindQuery, zone: ZoneInfo, language: str
) -> dict[str, Any]:
    room, fmt = found.rooms[fit.resource_id], formats(language)
    link: dict[str, Any] = {
        "resource_id": fit.resource_id,
        "starts_at": fit.start.isoformat(),
        "ends_at": fit.end.isoformat(),
        "attendees": query.people,
    }
    link.update({f"qty_{pool}": 1 for pool in found.equipment})
    return {
        "name": room.name,
        "capacity": room.capacity or 0,
        "day": fmt.date(to_local(fit.start, zone)),
        "time": fmt.period(to_local(fit.start, zone), to_local(fit.end, zone)),
        "equipment": [
            {"name": found.equipment[pool].name, "free": free}
            for pool, free in fit.equipment_free.items()
        ],
        "href": "/bookings/new?" + urlencode(link),
    }


HANDLERS = [find]
