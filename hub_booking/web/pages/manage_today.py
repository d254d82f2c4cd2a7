"""Today at the front desk: the day's bookings of a hub in time order, checking them in
(htmx swaps the booking; without JavaScript a form post and a 303 back), and a printable
version (``?print=1``)."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, PathParameter, QueryParameter
from litestar.response import Redirect, Template

from hub_booking.domain.errors import N_, Conflict, Forbidden
from hub_booking.i18n import translate
from hub_booking.services import today
from hub_booking.web import bounds, flash
from hub_booking.web.auth import principal_of, signed_in
from hub_booking.web.forms import FormData, read_date, text
from hub_booking.web.htmx import is_fragment, render
from hub_booking.web.language import language_of
from hub_booking.web.names import named
from hub_booking.web.pages.hubs import UNREADABLE_DATE
from hub_booking.web.pages.manage_requests import STATUS_LABELS

BookingId = Annotated[int, PathParameter(ge=1, le=bounds.MAX_ID)]
VISIT = "partials/manage_visit.html"


def _base(slug: str) -> str:
    return f"/manage/hubs/{slug}/today"


@get("/manage/hubs/{slug:str}/today", guards=[signed_in], include_in_schema=False)
async def day(
    request: Request,
    slug: FromPath[str],
    date: FromQuery[str | None] = None,
    print_: Annotated[str | None, QueryParameter(name="print")] = None,
) -> Template:
    """The bookings of one local day of the hub (today when no readable ``date``)."""
    language = language_of(request)
    wanted = read_date((date or "")[:11])
    found = await today.day(
        principal_of(request), slug, wanted, request.app.state.clock(), language
    )
    note = flash.message(language, UNREADABLE_DATE, kind="info") if date and not wanted else None
    page = "pages/manage_today_print.html" if print_ else "pages/manage_today.html"
    return render(
        request, page, hub=named(found.hub, language), tab="today", found=found, flash=note
    )


@post(
    "/manage/hubs/{slug:str}/today/{booking_id:int}/check-in",
    guards=[signed_in],
    include_in_schema=False,
)
async def check_in(
    request: Request, slug: FromPath[str], booking_id: BookingId, data: FormData
) -> Template | Redirect:
    return await _change(request, slug, booking_id, data, undo=False)


@post(
    "/manage/hubs/{slug:str}/today/{booking_id:int}/undo-check-in",
    guards=[signed_in],
    include_in_schema=False,
)
async def undo_check_in(
    request: Request, slug: FromPath[str], booking_id: BookingId, data: FormData
) -> Template | Redirect:
    return await _change(request, slug, booking_id, data, undo=True)


async def _change(
    request: Request, slug: str, booking_id: int, data: FormData, *, undo: bool
) -> Template | Redirect:
    """Check in (or undo); the booking's row for htmx, else back to its day with a message.
    A booking that is not approved (any more) is refused with its current state."""
    principal, now, language = (
        principal_of(request),
        request.app.state.clock(),
        language_of(request),
    )
    error = None
    try:
        await today.check_in(principal, booking_id, now, slug=slug, undo=undo)
    except (Conflict, Forbidden) as exc:
        error = translate(language, exc.message, **{**exc.params, **_status(language, exc)})
    found = await today.visit(principal, slug, booking_id, now, language)
    target = f"visit-{booking_id}"
    if is_fragment(request, VISIT, target):
        return render(
            request,
            VISIT,
            fragment=VISIT,
            target=target,
            status_code=409 if error else 200,
            hub=named(found.hub, language),
            found=found,
            v=found.visits[0],
            error=error,
            statuses=STATUS_LABELS,
        )
    day_text = read_date(text(data, "date", 10))
    back = f"{_base(slug)}?date={(day_text or found.day).isoformat()}"
    message = error or translate(language, _DONE[undo], title=found.visits[0].booking.title)
    return flash.redirect(request, back, message, kind="error" if error else "ok")


_DONE = {
    False: N_("Checked in: “%(title)s”."),
    True: N_("Check-in undone: “%(title)s”."),
}


def _status(language: str, exc: Exception) -> dict[str, str]:
    """The booking's status in words, for a refusal that names it."""
    params = getattr(exc, "params", {})
    status = params.get("status")
    if status is None:
        return {}
    return {"status": translate(language, STATUS_LABELS.get(str(status), str(status)))}


HANDLERS = [day, check_in, undo_check_in]
