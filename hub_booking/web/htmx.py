"""The one place that decides between a whole page and an htmx fragment."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template
from markupsafe import Markup

from hub_booking.i18n import LANGUAGE_NAMES, direction, formats
from hub_booking.services import layout
from hub_booking.web import flash
from hub_booking.web.language import language_of

LAYOUT = "layout"  # request state key: what the header shows besides the user (see ``layout``)


def page_context(request: Request, **context: Any) -> dict[str, Any]:
    lang = language_of(request)
    return {
        "user": request.scope.get("user"),
        "lang": lang,
        "dir": direction(lang),
        "languages": LANGUAGE_NAMES,
        "fmt": formats(lang),
        "layout": request.scope.get("state", {}).get(LAYOUT),
        "flash": None,
        **context,
    }


def render(
    request: Request,
    page: str,
    *,
    fragment: str | None = None,
    target: str | None = None,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """The full ``page``, or only ``fragment`` when htmx asks for its target.

    A fragment template has one root element whose id is ``target``; the page includes the
    same fragment, so both paths render the same markup. A whole page also shows (and
    deletes) the flash message an earlier action left for it, unless the handler gives one.
    """
    headers = {"Vary": "HX-Request, HX-Target"}
    if is_fragment(request, fragment, target):
        context = page_context(request, **context)
        return Template(str(fragment), context=context, status_code=status_code, headers=headers)
    waiting, gone = flash.take(request)
    if context.get("flash") is None:
        context["flash"] = waiting
    return Template(
        page,
        context=page_context(request, **context),
        status_code=status_code,
        headers=headers,
        cookies=[gone] if gone else None,
    )


def render_part(request: Request, template: str, **context: Any) -> Markup:
    """``template`` rendered for ``request`` (with the page's context), to be kept and shown
    inside pages and fragments that say ``{{ section }}``."""
    engine = request.app.template_engine
    assert engine is not None
    return Markup(engine.get_template(template).render(**page_context(request, **context)))


def is_fragment(request: Request, fragment: str | None, target: str | None) -> bool:
    """Whether htmx asked for ``target`` alone (a history restore wants the whole page)."""
    headers = request.headers
    return (
        fragment is not None
        and bool(headers.get("hx-request"))
        and not headers.get("hx-history-restore-request")
        and headers.get("hx-target") == target
    )


async def load_layout(request: Request) -> None:
    """``before_request`` hook of every page: the header's parts for a signed-in reader
    (``services.layout.header``); nothing for a visitor or for an htmx request of one part
    (a handler that answers such a request with a whole page calls it again)."""
    principal, state = request.scope.get("user"), request.scope.setdefault("state", {})
    headers = request.headers
    wants_part = headers.get("hx-target") and not headers.get("hx-history-restore-request")
    if principal is None or LAYOUT in state or wants_part:  # a fragment has no header
        return
    parts = await layout.header(principal, language_of(request), request.app.state.clock())
    state[LAYOUT] = parts


async def reload_layout(request: Request) -> None:
    """The header's parts again, for a whole page answering an action that changed what the
    header counts (``load_layout`` ran before it)."""
    request.scope.setdefault("state", {}).pop(LAYOUT, None)
    await load_layout(request)
