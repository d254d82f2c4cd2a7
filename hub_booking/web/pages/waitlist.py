"""The waitlist pages: joining from the booking form's conflict answer, the reader's
entries, and an offer's page with its one-click confirmation (a POST, CSRF-protected)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.params import FromQuery, PathParameter
from litestar.response import Redirect, Template

from hub_booking.domain.errors import N_, Conflict, DomainError, Invalid
from hub_booking.i18n import translate
from hub_booking.services import booking_options, waitlist, waitlist_views
from hub_booking.web import check_view, flash, forms
from hub_booking.web.auth import principal_of, signed_in
from hub_booking.web.forms import FormData, one, optional_int
from hub_booking.web.htmx import render
from hub_booking.web.language import language_of
from hub_booking.zones import get_zone

EntryId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
MAX_PAGE = 10_000


@post("/waitlist/join", guards=[signed_in], include_in_schema=False)
async def join(request: Request, data: FormData) -> Template | Redirect:
    """Join the waitlist with what the booking form asks (its "Join the waitlist" button);
    a refusal says why, with a way back to the form."""
    hub = await booking_options.hub_by_slug(one(data, "hub"))
    language = language_of(request)
    form = forms.parse_booking(data, get_zone(hub.timezone))
    if form.request is None:
        problems = check_view.problems(form.errors, language)
        return _refused(request, problems, _back(hub.slug, data), 422)
    try:
        joined = await waitlist.join(
            principal_of(request), form.request, request.app.state.clock(), language=language
        )
    except (Invalid, Conflict) as exc:
        back = _back(hub.slug, data, form.request)
        return _refused(request, check_view.refusal(exc, language), back, exc.status_code)
    text = translate(language, N_("You are on the waitlist: we will tell you when it frees."))
    return flash.redirect(request, f"/waitlist/{joined.entry_id}", text)


def _refused(
    request: Request, problems: list[check_view.Problem], back: str, status_code: int
) -> Template:
    errors = [forms.FieldError(None, p.message) for p in problems]
    return render(
        request, "pages/waitlist_refused.html", errors=errors, back=back, status_code=status_code
    )


def _back(slug: str, data: dict[str, Any], asked: Any = None) -> str:
    """The booking form again, on the asked room and time when they could be read."""
    query = {"hub": slug}
    if asked is not None and len(asked.items) == 1:
        (resource_id,) = asked.items
        query |= {
            "resource_id": str(resource_id),
            "starts_at": asked.starts_at.isoformat(),
            "ends_at": asked.ends_at.isoformat(),
        }
    return "/bookings/new?" + urlencode(query)


@get("/waitlist", guards=[signed_in], include_in_schema=False)
async def waitlist_list(request: Request, page: FromQuery[str | None] = None) -> Template:
    number = min(optional_int(page) or 1, MAX_PAGE)
    found = await waitlist_views.listing(
        principal_of(request), request.app.state.clock(), language_of(request), number
    )
    pages = max(1, -(-found.total // waitlist_views.PAGE_SIZE))
    return render(request, "pages/waitlist_list.html", found=found, at_page=number, pages=pages)


@get("/waitlist/{entry_id:int}", guards=[signed_in], include_in_schema=False)
async def waitlist_detail(request: Request, entry_id: EntryId) -> Template:
    """An entry; when its slot is held for the reader's association, the confirmation."""
    return await _detail(request, entry_id)


async def _detail(
    request: Request, entry_id: int, error: str | None = None, status_code: int = 200
) -> Template:
    found = await waitlist_views.detail(
        principal_of(request), entry_id, request.app.state.clock(), language_of(request)
    )
    return render(
        request, "pages/waitlist_detail.html", found=found, error=error, status_code=status_code
    )


@post("/waitlist/{entry_id:int}/confirm", guards=[signed_in], include_in_schema=False)
async def confirm(request: Request, entry_id: EntryId) -> Template | Redirect:
    """Book the held slot (every rule checked again); a refusal is shown on the offer."""
    language = language_of(request)
    try:
        created = await waitlist.confirm(
            principal_of(request), entry_id, request.app.state.clock(), language=language
        )
    except (Invalid, Conflict) as exc:
        return await _detail(request, entry_id, _said(exc, language), exc.status_code)
    text = translate(language, N_("Booked from the waitlist."))
    return flash.redirect(request, f"/bookings/{created.first.id}", text)


@post("/waitlist/{entry_id:int}/leave", guards=[signed_in], include_in_schema=False)
async def leave(request: Request, entry_id: EntryId) -> Template | Redirect:
    """Leave the waitlist (a held slot passes at once to the next association)."""
    language = language_of(request)
    try:
        await waitlist.leave(principal_of(request), entry_id, request.app.state.clock())
    except Conflict as exc:
        return await _detail(request, entry_id, _said(exc, language), exc.status_code)
    return flash.redirect(request, "/waitlist", translate(language, N_("You left the waitlist.")))


def _said(exc: DomainError, language: str) -> str:
    return " ".join(p.message for p in check_view.refusal(exc, language))


HANDLERS = [join, waitlist_list, waitlist_detail, confirm, leave]
