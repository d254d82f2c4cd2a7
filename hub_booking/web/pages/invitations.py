"""The public page of a one-time link: choose a password (an invitation, a reset) or accept
joining an association; then signed in, or sent to the login page."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from hub_booking.domain.errors import N_, Invalid
from hub_booking.domain.model import display_name
from hub_booking.i18n import translate
from hub_booking.services import accounts, invitations
from hub_booking.web import flash
from hub_booking.web.auth import client_ip, fresh_csrf_cookie, session_cookie
from hub_booking.web.forms import FormData, text
from hub_booking.web.htmx import render
from hub_booking.web.language import language_of
from hub_booking.web.pages.admin_invitations import shown
from hub_booking.zones import get_zone

WELCOME = N_("Your password is set and you are signed in. Welcome!")
JOINED = N_("You have joined %(association)s.")
SIGN_IN = N_("You have joined %(association)s. Sign in with your password.")


@get("/invitations/{token:str}", include_in_schema=False)
async def accept_form(request: Request, token: FromPath[str]) -> Template:
    """What the link is for, and its form (404 for a link that no longer works)."""
    link = await invitations.opened(token, request.app.state.clock())
    return _page(request, token, link, [])


@post("/invitations/{token:str}", include_in_schema=False)
async def accept(request: Request, token: FromPath[str], data: FormData) -> Template | Redirect:
    """Use the link: signed in when a password was set, else back to where one signs in."""
    settings, now = request.app.state.settings, request.app.state.clock()
    password = text(data, "password", accounts.MAX_PASSWORD + 1)
    ip = client_ip(request.scope, settings.trusted_proxies)
    try:
        done = await invitations.accept(token, password, ip, now, settings.secret_key)
    except Invalid as exc:
        link = await invitations.opened(token, now)
        language = language_of(request)
        errors = [
            {"field": v.field, "message": translate(language, v.message, **v.params)}
            for v in exc.violations
        ]
        return _page(request, token, link, errors, status=422)
    return _after(request, done)


def _after(request: Request, done: invitations.Accepted) -> Redirect:
    settings, language = request.app.state.settings, language_of(request)
    joined = shown_name(done.association, language)
    if done.session_token is not None:
        redirect = flash.redirect(request, "/hubs", translate(language, WELCOME))
        redirect.cookies.append(session_cookie(done.session_token, secure=settings.secure_cookies))
        redirect.cookies.append(fresh_csrf_cookie(settings))
        return redirect
    user = request.scope.get("user")
    if user is not None and user.user_id == done.user_id:
        return flash.redirect(request, "/bookings", translate(language, JOINED, association=joined))
    return flash.redirect(request, "/login", translate(language, SIGN_IN, association=joined))


def shown_name(pair: tuple[str, str] | None, language: str) -> str:
    return display_name(*pair, language) if pair else ""


def _page(
    request: Request, token: str, link: Any, errors: list[dict[str, Any]], status: int = 200
) -> Template:
    language = language_of(request)
    page = render(
        request,
        "pages/invitation_accept.html",
        link=shown([link], language)[0],
        token=token,
        errors=errors,
        zone=get_zone(request.app.state.settings.timezone),
        status_code=status,
    )
    page.headers["Cache-Control"] = "no-store"  # the page is reached through a secret link
    return page


HANDLERS = [accept_form, accept]
