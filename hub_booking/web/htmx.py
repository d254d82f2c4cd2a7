"""The one place that decides between a whole page and an htmx fragment."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from hub_booking.i18n import LANGUAGE_NAMES, direction
from hub_booking.web.errors import language_of


def page_context(request: Request, **context: Any) -> dict[str, Any]:
    lang = language_of(request)
    return {
        "user": request.scope.get("user"),
        "lang": lang,
        "dir": direction(lang),
        "languages": LANGUAGE_NAMES,
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
    same fragment, so both paths render the same markup.
    """
    wanted = request.headers.get("hx-target")
    partial = bool(request.headers.get("hx-request")) and fragment is not None and wanted == target
    headers = {"Vary": "HX-Request, HX-Target"}
    return Template(
        fragment if partial and fragment else page,
        context=page_context(request, **context),
        status_code=status_code,
        headers=headers,
    )
