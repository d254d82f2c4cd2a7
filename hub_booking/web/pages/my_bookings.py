"""My bookings: the list (upcoming and past), one booking, and cancelling it after a
confirmation (with the series scope for an occurrence of a series)."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get, post
from litestar.params import FromQuery, PathParameter
from litestar.response import Redirect, Template

from hub_booking.domain.errors import Conflict, Invalid
from hub_booking.i18n import translate, translations
from hub_booking.services import booking_changes, my_bookings
from hub_booking.web import flash
from hub_booking.web.auth import principal_of, signed_in
from hub_booking.web.forms import FormData, optional_int, text
from hub_booking.web.htmx import render
from hub_booking.web.language import language_of

# Ids end where PostgreSQL's integer column does: a larger one is simply not found (404).
BookingId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
MAX_PAGE = 10_000


@get("/bookings", guards=[signed_in], include_in_schema=False)
async def booking_list(
    request: Request, tab: FromQuery[str | None] = None, page: FromQuery[str | None] = None
) -> Template:
    """The reader's associations' bookings: upcoming (``tab`` absent) or past, by pages."""
    found = await my_bookings.listing(
        principal_of(request),
        request.app.state.clock(),
        language_of(request),
        upcoming=tab != "past",
        page=min(optional_int(page) or 1, MAX_PAGE),
    )
    return render(
        request,
        "pages/booking_list.html",
        fragment="partials/booking_rows.html",
        target="booking-list",
        found=found,
    )


@get(
    "/bookings/{booking_id:int}",
    guards=[signed_in],
    include_in_schema=False,
)
async def booking_detail(request: Request, booking_id: BookingId) -> Template:
    found = await my_bookings.detail(principal_of(request), booking_id, language_of(request))
    return render(request, "pages/booking_detail.html", found=found)


@get(
    "/bookings/{booking_id:int}/cancel",
    guards=[signed_in],
    include_in_schema=False,
)
async def cancel_form(request: Request, booking_id: BookingId) -> Template:
    """The confirmation step (nothing changes on a GET)."""
    found = await my_bookings.detail(principal_of(request), booking_id, language_of(request))
    return render(request, "pages/booking_cancel.html", found=found, scope="this", error=None)


@post(
    "/bookings/{booking_id:int}/cancel",
    guards=[signed_in],
    include_in_schema=False,
)
async def cancel(request: Request, booking_id: BookingId, data: FormData) -> Template | Redirect:
    """Cancel, then back to the booking with a message; a refusal (the deadline has passed,
    it is no longer active) is shown on the confirmation page with its reason."""
    principal, language = principal_of(request), language_of(request)
    scope = text(data, "scope", 16) or "this"
    try:
        _, ids = await booking_changes.cancel(
            principal, booking_id, scope, request.app.state.clock()
        )
    except (Invalid, Conflict) as exc:
        found = await my_bookings.detail(principal, booking_id, language)
        error = translate(language, exc.message, **exc.params)
        return render(
            request,
            "pages/booking_cancel.html",
            found=found,
            scope=scope,
            error=error,
            status_code=exc.status_code,
        )
    return flash.redirect(request, f"/bookings/{booking_id}", _cancelled(language, len(ids)))


def _cancelled(language: str, count: int) -> str:
    catalog = translations(language)
    text = catalog.ngettext(
        "%(num)d booking was cancelled.", "%(num)d bookings were cancelled.", count
    )
    return text % {"num": count}


HANDLERS = [booking_list, booking_detail, cancel_form, cancel]
