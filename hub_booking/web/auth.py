"""Who is asking (session cookie or Bearer token), CSRF, language, and the guards."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from hub_booking.domain.errors import N_, Forbidden, Unauthenticated
from hub_booking.domain.model import Principal
from hub_booking.i18n import pick_language
from hub_booking.services import accounts

SESSION_COOKIE = "hb_session"
LANGUAGE_COOKIE = "hb_lang"
current_language: ContextVar[str] = ContextVar("current_language", default="fr")


class LoginRequired(Exception):
    """A page needs a signed-in user; answered with a redirect to the login page."""


def bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                return token.strip()
    return None


def is_api(scope: Scope) -> bool:
    return scope["path"].startswith("/api/")


class AuthMiddleware(ASGIMiddleware):
    """Put the principal (or None) in ``scope["user"]`` and the reader's language in state.

    A Bearer token, when sent, is the only credential considered: the session cookie is then
    ignored, which is what makes such requests safe to exempt from CSRF checks.
    """

    scopes = ("http",)  # type: ignore[assignment]

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        app = scope["litestar_app"]
        settings, now = app.state.settings, app.state.clock()
        scope["user"] = None
        token = bearer_token(scope)
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        if token is not None:
            principal = await accounts.principal_for_token(token, now, settings.secret_key)
            scope["auth"] = "bearer"
        else:
            cookie = connection.cookies.get(SESSION_COOKIE)
            principal = (
                await accounts.principal_for_session(cookie, now, settings.secret_key)
                if cookie
                else None
            )
            scope["auth"] = "session" if principal else None
        scope["user"] = principal
        language = _language(scope, connection, principal, settings.language)
        scope.setdefault("state", {})["language"] = language
        reset = current_language.set(language)
        try:
            if token is not None and principal is None:
                raise Unauthenticated(N_("This API token is invalid or revoked."))
            await next_app(scope, receive, send)
        finally:
            current_language.reset(reset)


def _language(
    scope: Scope, connection: ASGIConnection, principal: Principal | None, default: str
) -> str:
    accept = connection.headers.get("accept-language")
    if is_api(scope):  # the API follows Accept-Language first (CONTRACT)
        return pick_language(
            accept_language=accept, default=principal.language if principal else default
        )
    return pick_language(
        connection.cookies.get(LANGUAGE_COOKIE),
        principal.language if principal else None,
        accept_language=accept,
        default=default,
    )


class CSRFUnlessBearer(CSRFMiddleware):
    """Litestar's double-submit CSRF check, skipped where no ambient credential is sent.

    A Bearer request is exempt (CONTRACT), and so is an API request without the session
    cookie: it is anonymous and answered 401. Pages always check, login included.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            bearer_token(scope) is not None
            or (is_api(scope) and SESSION_COOKIE not in ASGIConnection(scope).cookies)
        ):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def session_cookie(token: str, *, secure: bool) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
    )


def principal_of(connection: ASGIConnection) -> Principal:
    principal = connection.scope.get("user")
    if principal is None:
        raise Unauthenticated(N_("Sign in first."))
    return principal


def signed_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: a signed-in user (API: 401, pages: redirect to the login page)."""
    if connection.scope.get("user") is None:
        if is_api(connection.scope):
            raise Unauthenticated(N_("Sign in or send an API token."))
        raise LoginRequired()


def platform_admin(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    signed_in(connection, handler)
    if not principal_of(connection).is_platform_admin:
        raise Forbidden(N_("Only a platform administrator can do this."))
