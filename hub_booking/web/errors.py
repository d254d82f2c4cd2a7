"""Exceptions to responses: JSON ``{status_code, detail, extra}`` for the API, pages otherwise.

Every message is translated into the reader's language here, at the edge.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from hub_booking.db.engine import refusal
from hub_booking.domain.errors import (
    N_,
    BookingConflict,
    DomainError,
    Invalid,
    NotFound,
    Violation,
)
from hub_booking.i18n import translate
from hub_booking.web import validation
from hub_booking.web.api import shapes
from hub_booking.web.auth import (
    ORIGIN_FAILED,
    LoginRequired,
    current_language,
    ensure_csrf_token,
    is_api,
    negotiate_language,
)
from hub_booking.web.htmx import page_context

log = logging.getLogger("hub_booking")

GENERIC = {
    400: N_("The request is malformed."),
    401: N_("Sign in or send an API token."),
    403: N_("You are not allowed to do this."),
    404: N_("Not found."),
    405: N_("This method is not allowed here."),
    409: N_("This conflicts with the current state."),
    413: N_("The request is too large."),
    415: N_("Unsupported content type."),
    422: N_("Some fields are invalid."),
    429: N_("Too many requests. Try again later."),
    500: N_("Something went wrong on our side. Nothing was changed; please try again."),
}
CSRF_FAILED = "CSRF token verification failed"


def language_of(request: Request) -> str:
    """The reader's language, also for errors answered before the auth middleware ran (an
    unknown path or method, a CSRF failure): then from the cookie or Accept-Language, and
    kept in the request's state so every later reader of it agrees."""
    state = request.scope.setdefault("state", {})
    if not state.get("language"):
        settings = request.app.state.settings
        state["language"] = negotiate_language(request.scope, None, settings.language)
    return str(state["language"])


def on_domain_error(request: Request, exc: DomainError) -> Response:
    lang = language_of(request)
    detail = translate(lang, exc.message, **exc.params)
    extra: dict[str, Any] = {"field": exc.field} if exc.field else {}
    if isinstance(exc, Invalid):
        extra["violations"] = shapes.violations(exc.violations, lang)
    if isinstance(exc, BookingConflict):
        extra.update(
            conflicts=shapes.conflicts(exc.clashes), suggestions=shapes.suggestions(exc.suggestions)
        )
    return _respond(request, exc.status_code, detail, extra)


def on_http_error(request: Request, exc: HTTPException) -> Response:
    lang = language_of(request)
    status = exc.status_code
    # Litestar's own messages are English only: answer with ours, in the reader's language.
    message = GENERIC.get(status, GENERIC[400])
    if exc.detail == CSRF_FAILED:
        message = N_("The CSRF token is missing or wrong. Reload the page and try again.")
    elif exc.detail == ORIGIN_FAILED:
        message = N_("This form was sent from another site. Reload the page and try again.")
    detail = translate(lang, message)
    extra: Any = None
    if isinstance(exc, ValidationException):
        status, violations = validation.answer(exc.extra)
        if status != 400 or violations:
            return on_domain_error(request, _refusal(status, violations))
        detail = translate(lang, GENERIC[400])
    response = _respond(request, status, detail, extra)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _refusal(status: int, violations: list[Violation]) -> DomainError:
    """A validation failure as the domain's own refusal, so both answer alike."""
    if status == 404:
        return NotFound(GENERIC[404])
    if not violations:
        return DomainError(GENERIC[400])
    error = Invalid(violations)
    error.status_code = status
    return error


def on_login_required(request: Request, _: LoginRequired) -> Response:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/login?next={quote(here, safe='/')}", status_code=303)


def on_unexpected(request: Request, exc: Exception) -> Response:
    refused = refusal(exc)  # the database refused a write: the caller's 4xx, not our fault
    if isinstance(exc, RecursionError):  # a JSON body nested deeper than the decoder goes
        refused = DomainError(GENERIC[400])
    if refused is not None:
        return on_domain_error(request, refused)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _respond(
        request, HTTP_500_INTERNAL_SERVER_ERROR, translate(language_of(request), GENERIC[500]), None
    )


def _respond(request: Request, status: int, detail: str, extra: Any) -> Response:
    if is_api(request.scope) or not _wants_html(request):
        body = {"status_code": status, "detail": detail, "extra": extra or {}}
        for key in ("violations", "conflicts", "suggestions"):  # also at the top (CONTRACT.md)
            if isinstance(extra, dict) and key in extra:
                body[key] = extra[key]
        return Response(body, status_code=status)
    if request.headers.get("hx-request"):
        # htmx swaps only 2xx by default: show the error in the page's flash area instead.
        return Template(
            "partials/flash.html",
            context={"message": detail, "kind": "error"},
            status_code=status,
            headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"},
        )
    return _error_page(request, status, detail)


def _error_page(request: Request, status: int, detail: str) -> Response:
    """The error as a whole page, like any other: the reader's language, their forms working."""
    lang = language_of(request)
    # The auth middleware has already restored the language of its caller (or never ran):
    # the template, rendered after this returns, must speak the reader's language.
    current_language.set(lang)
    cookie = ensure_csrf_token(request.scope, request.app.state.settings)
    context = page_context(request, status=status, message=detail)
    return Template(
        "pages/error.html",
        context=context,
        status_code=status,
        cookies=[cookie] if cookie else [],
    )


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") or bool(
        request.headers.get("hx-request")
    )


EXCEPTION_HANDLERS = {
    DomainError: on_domain_error,
    HTTPException: on_http_error,
    LoginRequired: on_login_required,
    Exception: on_unexpected,
}
