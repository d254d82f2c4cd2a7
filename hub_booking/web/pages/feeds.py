"""Calendar feeds page (``/account/feeds``): the reader's feeds, creating one, and rotating
or revoking one after a confirmation. A new or rotated feed's URL is shown once, with the
links that subscribe Apple Calendar, Google Calendar and Outlook to it; so creating and
rotating answer with the page itself (no redirect: the URL is never shown again)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from hub_booking.domain.errors import N_, Invalid
from hub_booking.i18n import translate
from hub_booking.services import feeds
from hub_booking.web import flash
from hub_booking.web.auth import principal_of, signed_in
from hub_booking.web.forms import FormData, text
from hub_booking.web.htmx import render
from hub_booking.web.language import language_of
from hub_booking.zones import get_zone

# Ids end where PostgreSQL's integer column does: a larger one is simply not found (404).
FeedId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
ACTIONS = ("rotate", "revoke")
UNKNOWN_TARGET = N_("Choose what the calendar shows.")


@get("/account/feeds", guards=[signed_in], include_in_schema=False)
async def feed_list(request: Request) -> Template:
    return await _page(request)


@post("/account/feeds", guards=[signed_in], include_in_schema=False)
async def feed_create(request: Request, data: FormData) -> Template:
    """Create a feed of the chosen scope, and show its URL this once; a scope the reader may
    not follow is not found (404), like one that does not exist."""
    form = {"target": text(data, "target", 40), "label": text(data, "label", 500)}
    chosen = feeds.read_target(form["target"])
    if chosen is None:
        error = {"field": "target", "message": translate(language_of(request), UNKNOWN_TARGET)}
        return await _page(request, errors=[error], form=form, status_code=422)
    settings = request.app.state.settings
    try:
        issued = await feeds.create_feed(
            principal_of(request),
            *chosen,
            request.app.state.clock(),
            settings.secret_key,
            settings.base_url,
            label=form["label"],
        )
    except Invalid as exc:
        return await _page(request, errors=_errors(request, exc), form=form, status_code=422)
    new = feeds.subscribe(issued, language_of(request))
    return await _page(request, new=new, status_code=201)


@get(
    [f"/account/feeds/{{feed_id:int}}/{action}" for action in ACTIONS],
    guards=[signed_in],
    include_in_schema=False,
)
async def feed_confirm(request: Request, feed_id: FeedId) -> Template:
    """The confirmation step of rotating or revoking (nothing changes on a GET)."""
    found = await feeds.get_entry(principal_of(request), feed_id, language_of(request))
    action = request.url.path.rsplit("/", 1)[-1]
    return render(request, "pages/feed_confirm.html", entry=found, action=action)


@post("/account/feeds/{feed_id:int}/rotate", guards=[signed_in], include_in_schema=False)
async def feed_rotate(request: Request, feed_id: FeedId) -> Template:
    """A new URL for one of the reader's feeds, shown once; the old one stops at once."""
    settings = request.app.state.settings
    issued = await feeds.rotate_feed(
        principal_of(request),
        feed_id,
        request.app.state.clock(),
        settings.secret_key,
        settings.base_url,
    )
    return await _page(request, new=feeds.subscribe(issued, language_of(request)), rotated=True)


@post("/account/feeds/{feed_id:int}/revoke", guards=[signed_in], include_in_schema=False)
async def feed_revoke(request: Request, feed_id: FeedId) -> Redirect:
    await feeds.revoke_feed(principal_of(request), feed_id, request.app.state.clock())
    message = translate(language_of(request), N_("The calendar feed was revoked."))
    return flash.redirect(request, "/account/feeds", message)


async def _page(request: Request, *, status_code: int = 200, **context: Any) -> Template:
    language = language_of(request)
    found = await feeds.overview(principal_of(request), language)
    return render(
        request,
        "pages/feed_list.html",
        found=found,
        zone=get_zone(request.app.state.settings.timezone),
        status_code=status_code,
        **{"errors": [], "form": {}, "new": None, "rotated": False, **context},
    )


def _errors(request: Request, exc: Invalid) -> list[dict[str, Any]]:
    language = language_of(request)
    return [
        {"field": v.field, "message": translate(language, v.message, **v.params)}
        for v in exc.violations
    ]


HANDLERS = [feed_list, feed_create, feed_confirm, feed_rotate, feed_revoke]
