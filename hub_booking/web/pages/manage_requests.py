"""The approval queue of a hub: approve, or reject with a reason, one request inline (htmx
swaps its row; without JavaScript a form post and a 303 back with a message), or approve
several at once with each decision reported. Decisions go through ``services.approvals``,
which calls ``booking_changes.approve``/``reject`` like the API."""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, PathParameter
from litestar.response import Redirect, Template

from hub_booking.domain.errors import N_, Invalid, NotFound, invalid
from hub_booking.i18n import translate, translations
from hub_booking.services import approvals
from hub_booking.services.approvals import Decisions, Outcome, Queue
from hub_booking.web import bounds, flash
from hub_booking.web.auth import principal_of, signed_in
from hub_booking.web.forms import FieldError, FormData, every, optional_int, read_id, text
from hub_booking.web.htmx import is_fragment, reload_layout, render
from hub_booking.web.language import language_of
from hub_booking.web.names import named
from hub_booking.web.pages.manage import DECIDED
from hub_booking.web.queue_html import Rows

BookingId = Annotated[int, PathParameter(ge=1, le=bounds.MAX_ID)]
MAX_PAGE = 10_000
LIST, LIST_ID = "partials/manage_request_list.html", "request-queue"
ROW, DONE = "partials/manage_request_entry.html", "partials/manage_request_done.html"
_MULTILINE = re.compile(bounds.MULTILINE_PATTERN)
STATUS_LABELS = {
    "pending": N_("Awaiting approval"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
    "expired": N_("Expired: not approved in time"),
}
NONE_SELECTED = N_("Select at least one request to approve.")


def _base(slug: str) -> str:
    return f"/manage/hubs/{slug}/requests"


@get("/manage/hubs/{slug:str}/requests", guards=[signed_in], include_in_schema=False)
async def queue(
    request: Request, slug: FromPath[str], page: FromQuery[str | None] = None
) -> Template:
    """The hub's pending requests, by start (404 for a hub the reader does not manage)."""
    number = min(optional_int(page) or 1, MAX_PAGE)
    found = await approvals.queue(principal_of(request), slug, language_of(request), number)
    return _page(request, found)


@post(
    "/manage/hubs/{slug:str}/requests/{booking_id:int}/approve",
    guards=[signed_in],
    include_in_schema=False,
)
async def approve(
    request: Request, slug: FromPath[str], booking_id: BookingId
) -> Template | Redirect:
    now, language = request.app.state.clock(), language_of(request)
    decided = await approvals.decide(principal_of(request), slug, booking_id, now, language)
    return _answer(request, slug, decided)


@post(
    "/manage/hubs/{slug:str}/requests/{booking_id:int}/reject",
    guards=[signed_in],
    include_in_schema=False,
)
async def reject(
    request: Request, slug: FromPath[str], booking_id: BookingId, data: FormData
) -> Template | Redirect:
    """Reject with the reason typed; a missing or unreadable reason is shown next to it."""
    principal, now, language = (
        principal_of(request),
        request.app.state.clock(),
        language_of(request),
    )
    reason = text(data, "reason", bounds.TEXT_MAX + 1)
    try:
        _check_reason(reason)
        decided = await approvals.decide(principal, slug, booking_id, now, language, reason=reason)
    except Invalid as exc:
        page = min(optional_int(text(data, "page", 6)) or 1, MAX_PAGE)
        return await _refused(request, slug, booking_id, reason, exc, page)
    return _answer(request, slug, decided)


@post("/manage/hubs/{slug:str}/requests/approve", guards=[signed_in], include_in_schema=False)
async def approve_selected(request: Request, slug: FromPath[str], data: FormData) -> Template:
    """Approve the ticked requests, each on its own, and show what became of each."""
    principal, now, language = (
        principal_of(request),
        request.app.state.clock(),
        language_of(request),
    )
    ids = [i for i in (read_id(v) for v in every(data, "ids")[: approvals.MAX_BULK]) if i]
    if not ids:
        found = await approvals.queue(principal, slug, language)
        error = FieldError("bulk-approve-button", translate(language, NONE_SELECTED))
        return _page(request, found, summary=[error], bulk_error=True, status_code=422)
    decided = await approvals.approve_all(principal, slug, ids, now, language)
    await reload_layout(request)  # the header counts the requests still waiting
    response = _page(request, await approvals.queue(principal, slug, language), report=decided)
    response.headers["HX-Trigger"] = DECIDED
    return response


def _check_reason(reason: str) -> None:
    if len(reason) > bounds.TEXT_MAX:
        raise invalid("reason", "too_long", N_("This text is too long."))
    if not _MULTILINE.match(reason):
        raise invalid(
            "reason", "bad_characters", N_("This text has characters that are not allowed.")
        )


def _page(
    request: Request,
    found: Queue,
    *,
    status_code: int = 200,
    errors: dict[int, str] | None = None,
    reasons: dict[int, str] | None = None,
    **context: Any,
) -> Template:
    """The queue page (its list alone for htmx); ``errors`` and ``reasons`` by request."""
    language = language_of(request)
    return render(
        request,
        "pages/manage_requests.html",
        fragment=LIST,
        target=LIST_ID,
        status_code=status_code,
        hub=named(found.hub, language),
        tab="requests",
        found=found,
        statuses=STATUS_LABELS,
        rows=Rows(found, language, errors or {}, reasons or {}),
        **{"report": None, "summary": [], **context},
    )


def _answer(request: Request, slug: str, decided: Decisions) -> Template | Redirect:
    """The decided row for htmx; otherwise back to the queue with a message."""
    outcome = decided.outcomes[0]
    if is_fragment(request, DONE, f"request-{outcome.booking_id}"):
        status = 200 if outcome.applied else 404 if outcome.booking is None else 409
        language = language_of(request)
        response = render(
            request,
            DONE,
            fragment=DONE,
            target=f"request-{outcome.booking_id}",
            status_code=status,
            outcome=outcome,
            names=decided.names,
            statuses=STATUS_LABELS,
            hub=named(decided.hub, language),
        )
        response.headers["HX-Trigger"] = DECIDED  # the header's count refreshes
        return response
    if outcome.booking is None:
        raise NotFound(N_("This booking does not exist."))
    message, kind = outcome_message(language_of(request), outcome, decided)
    return flash.redirect(request, _base(slug), message, kind=kind)


def outcome_message(language: str, outcome: Outcome, decided: Decisions) -> tuple[str, str]:
    """What became of one decision, in words, and the flash kind."""
    booking = outcome.booking
    if booking is None:
        return translate(language, N_("This booking does not exist.")), "error"
    params = {
        "title": booking.title,
        "association": decided.names.associations.get(booking.association_id, ""),
    }
    if outcome.applied and booking.status == "approved":
        return translate(language, N_("Approved: “%(title)s” (%(association)s)."), **params), "ok"
    if outcome.applied:
        return translate(language, N_("Rejected: “%(title)s” (%(association)s)."), **params), "ok"
    status = translations(language).gettext(STATUS_LABELS[str(booking.status)])
    message = N_(
        "Nothing changed: “%(title)s” is no longer awaiting approval. It is now: %(status)s."
    )
    return translate(language, message, status=status, **params), "error"


async def _refused(
    request: Request, slug: str, booking_id: int, reason: str, exc: Invalid, page: int
) -> Template:
    """The request again with the reason's error next to its field (the row for htmx)."""
    principal, language = principal_of(request), language_of(request)
    message = translate(language, exc.message, **exc.params)
    errors = {booking_id: message}
    if is_fragment(request, ROW, f"request-{booking_id}"):
        found = await approvals.entry(principal, slug, booking_id, language)
        return render(
            request,
            ROW,
            fragment=ROW,
            target=f"request-{booking_id}",
            status_code=422,
            hub=named(found.hub, language),
            found=found,
            rows=Rows(found, language, errors, {booking_id: reason}),
            target_id=f"request-{booking_id}",
        )
    found = await approvals.queue(principal, slug, language, page)
    summary = [FieldError(f"reason-{booking_id}", message)]
    return _page(
        request,
        found,
        summary=summary,
        errors=errors,
        reasons={booking_id: reason},
        status_code=422,
    )


HANDLERS = [queue, approve, reject, approve_selected]
