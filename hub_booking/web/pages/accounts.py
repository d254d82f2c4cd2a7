"""Sign-in, sign-out and the language switch."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from hub_booking.domain.errors import TooManyAttempts, Unauthenticated
from hub_booking.i18n import translate
from hub_booking.services import accounts
from hub_booking.settings import LANGUAGES
from hub_booking.web import forms
from hub_booking.web.auth import LANGUAGE_COOKIE, SESSION_COOKIE, session_cookie
from hub_booking.web.errors import language_of
from hub_booking.web.htmx import render


@get("/", include_in_schema=False)
async def home(request: Request) -> Redirect:
    return Redirect("/hubs" if request.scope.get("user") else "/login", status_code=303)


@get("/login", include_in_schema=False)
async def login_form(request: Request, next: FromQuery[str | None] = None) -> Template:
    return render(request, "pages/login.html", next=forms.safe_next(next), email="", error=None)


@post("/login", include_in_schema=False)
async def login(request: Request, data: forms.FormData) -> Template | Redirect:
    settings, email = request.app.state.settings, forms.text(data, "email", 254)
    target = forms.safe_next(forms.text(data, "next"))
    ip = request.client.host if request.client else ""
    try:
        token = await accounts.log_in(
            email,
            forms.text(data, "password", 1024),
            ip,
            request.app.state.clock(),
            settings.secret_key,
        )
    except (Unauthenticated, TooManyAttempts) as exc:
        error = translate(language_of(request), exc.message)
        return render(
            request,
            "pages/login.html",
            next=target,
            email=email,
            error=error,
            status_code=exc.status_code,
        )
    redirect = Redirect(target, status_code=303)
    redirect.cookies.append(session_cookie(token, secure=settings.secure_cookies))
    return redirect


@post("/logout", include_in_schema=False)
async def logout(request: Request) -> Redirect:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await accounts.log_out(token, request.app.state.settings.secret_key)
    redirect = Redirect("/login", status_code=303)
    redirect.cookies.append(
        Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/", httponly=True)
    )
    return redirect


@post("/language", include_in_schema=False)
async def switch_language(request: Request, data: forms.FormData) -> Redirect:
    """Remember the chosen language (cookie, and the account when signed in)."""
    language = forms.text(data, "language", 2)
    redirect = Redirect(forms.safe_next(forms.text(data, "next")), status_code=303)
    if language in LANGUAGES:
        if request.scope.get("user"):
            await accounts.set_language(request.scope["user"].user_id, language)
        redirect.cookies.append(
            Cookie(
                key=LANGUAGE_COOKIE,
                value=language,
                max_age=365 * 24 * 3600,
                path="/",
                samesite="lax",
            )
        )
    return redirect


HANDLERS = [home, login_form, login, logout, switch_language]
