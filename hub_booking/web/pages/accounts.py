"""Sign-in, sign-out, the password, personal API tokens and the language switch."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery, Parameter
from litestar.response import Redirect, Template

from hub_booking.domain.errors import DomainError, Invalid, TooManyAttempts, Unauthenticated
from hub_booking.i18n import translate
from hub_booking.services import accounts, tokens
from hub_booking.settings import LANGUAGES
from hub_booking.web import forms
from hub_booking.web.auth import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    client_ip,
    fresh_csrf_cookie,
    principal_of,
    session_cookie,
    signed_in,
)
from hub_booking.web.htmx import render
from hub_booking.web.language import language_of
from hub_booking.zones import get_zone

# Ids end where PostgreSQL's integer column does: a larger one is simply not found.
TokenId = Annotated[int, Parameter(ge=1, le=2**31 - 1)]


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
    try:
        token = await accounts.log_in(
            email,
            forms.text(data, "password", accounts.MAX_PASSWORD),
            client_ip(request.scope, settings.trusted_proxies),
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
    redirect.cookies.append(fresh_csrf_cookie(settings))  # a token seen before sign-in dies
    return redirect


@get("/account/password", guards=[signed_in], include_in_schema=False)
async def password_form(request: Request, changed: FromQuery[bool] = False) -> Template:
    return render(request, "pages/password_edit.html", errors=[], changed=changed)


@post("/account/password", guards=[signed_in], include_in_schema=False)
async def change_password(request: Request, data: forms.FormData) -> Template | Redirect:
    """Check the current password, set the new one, end the user's other sessions."""
    settings = request.app.state.settings
    change = accounts.PasswordChange(
        current=forms.text(data, "current_password", accounts.MAX_PASSWORD),
        new=forms.text(data, "new_password", accounts.MAX_PASSWORD + 1),
        revoke_tokens=forms.text(data, "revoke_tokens") == "yes",
    )
    try:
        await accounts.change_password(
            principal_of(request).user_id,
            change,
            request.cookies.get(SESSION_COOKIE, ""),
            client_ip(request.scope, settings.trusted_proxies),
            request.app.state.clock(),
            settings.secret_key,
        )
    except (Invalid, TooManyAttempts) as exc:
        errors = _errors(language_of(request), exc)
        return render(
            request, "pages/password_edit.html", errors=errors, status_code=exc.status_code
        )
    redirect = Redirect("/account/password?changed=true", status_code=303)
    redirect.cookies.append(fresh_csrf_cookie(settings))
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


@get("/account/tokens", guards=[signed_in], include_in_schema=False)
async def token_list(request: Request) -> Template:
    return _tokens_page(request, await tokens.list_tokens(principal_of(request).user_id))


@post("/account/tokens", guards=[signed_in], include_in_schema=False)
async def token_create(request: Request, data: forms.FormData) -> Template:
    """Issue a token and show its secret, this once (no redirect: it is never shown again)."""
    user_id, now = principal_of(request).user_id, request.app.state.clock()
    label = forms.text(data, "label", tokens.MAX_LABEL + 1)
    try:
        _, secret = await tokens.issue_token(
            user_id, label, now, request.app.state.settings.secret_key
        )
    except Invalid as exc:
        mine = await tokens.list_tokens(user_id)
        errors = _errors(language_of(request), exc)
        return _tokens_page(request, mine, errors=errors, label=label, status_code=422)
    return _tokens_page(request, await tokens.list_tokens(user_id), secret=secret, status_code=201)


@post("/account/tokens/{token_id:int}/revoke", guards=[signed_in], include_in_schema=False)
async def token_revoke(request: Request, token_id: TokenId) -> Redirect:
    await tokens.revoke_token(principal_of(request).user_id, token_id, request.app.state.clock())
    return Redirect("/account/tokens?revoked=true", status_code=303)


def _tokens_page(
    request: Request, mine: list[tokens.TokenInfo], *, status_code: int = 200, **context: Any
) -> Template:
    context = {"errors": [], "label": "", "secret": None, **context}
    return render(
        request,
        "pages/token_list.html",
        tokens=mine,
        revoked=request.query_params.get("revoked") == "true",
        zone=get_zone(request.app.state.settings.timezone),
        status_code=status_code,
        **context,
    )


def _errors(language: str, exc: DomainError) -> list[dict[str, str | None]]:
    """The fields at fault and their messages, for the error summary and beside each field."""
    if isinstance(exc, Invalid):
        found = [(v.field, v.message, v.params) for v in exc.violations]
    else:
        found = [(exc.field, exc.message, exc.params)]
    return [
        {"field": field, "message": translate(language, message, **params)}
        for field, message, params in found
    ]


HANDLERS = [
    home,
    login_form,
    login,
    password_form,
    change_password,
    token_list,
    token_create,
    token_revoke,
    logout,
    switch_language,
]
