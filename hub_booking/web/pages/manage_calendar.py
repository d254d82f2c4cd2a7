"""The manager's calendar of a hub, and booking from it on behalf of an association.

The hub calendar with every title and association, each booking leading to its page; a free
half hour leads to the booking form on behalf of an association of the hub's region, with an
explicit override of the rules and its reason. The calendar and the form are the members'
own (``hubs.calendar_context``, ``booking_form`` in its ``on_behalf`` mode): only the hub (one
the reader manages: 404 otherwise, a condition of the query) and where the form goes differ.
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from hub_booking.services import booking_options
from hub_booking.web import forms
from hub_booking.web.auth import principal_of, signed_in
from hub_booking.web.forms import one
from hub_booking.web.htmx import render
from hub_booking.web.pages import booking_form, hubs

BASE = "/manage/hubs/{slug:str}"


@get(f"{BASE}/calendar", guards=[signed_in], include_in_schema=False)
async def manage_calendar(request: Request, slug: FromPath[str]) -> Template:
    """The calendar of a hub the reader manages, every booking in full."""
    context = await hubs.calendar_context(request, slug, managing=True)
    return render(
        request,
        "pages/manage_calendar.html",
        fragment="partials/calendar_section.html",
        target="calendar",
        tab="calendar",
        **context,
    )


@get(f"{BASE}/bookings/new", guards=[signed_in], include_in_schema=False)
async def manage_booking_new(request: Request, slug: FromPath[str]) -> Template:
    """The booking form on behalf of an association, prefilled from a free half hour."""
    resource_id = forms.read_id(one(forms.query_of(request), "resource_id"))
    chosen = await booking_options.managed_choice(principal_of(request), slug, resource_id)
    return await booking_form.new_form(request, chosen, booking_form.on_behalf(slug))


@post(f"{BASE}/bookings/check", guards=[signed_in], include_in_schema=False)
async def manage_booking_check(
    request: Request, slug: FromPath[str], data: forms.FormData
) -> Template:
    """The live check of the form on behalf of an association."""
    chosen = await booking_options.managed_choice(principal_of(request), slug)
    return await booking_form.check_form(request, data, chosen.hub, booking_form.on_behalf(slug))


@post(f"{BASE}/bookings/new", guards=[signed_in], include_in_schema=False)
async def manage_booking_create(
    request: Request, slug: FromPath[str], data: forms.FormData
) -> Template | Redirect:
    """Book on behalf of an association (with the override of the rules when ticked)."""
    chosen = await booking_options.managed_choice(principal_of(request), slug)
    mode = booking_form.on_behalf(slug)
    return await booking_form.create_from_form(request, data, chosen.hub, mode)


HANDLERS = [manage_calendar, manage_booking_new, manage_booking_check, manage_booking_create]
