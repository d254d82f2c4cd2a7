"""Who is asking (session cookie or Bearer token), CSRF, language, and the guards."""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar
from functools import cache
from secrets import compare_digest
from typing import Any
from urllib.parse import urlsplit

from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.middleware.csrf import CSRFMiddleware, generate_csrf_hash, generate_csrf_token
from litestar.types import ASGIApp, Empty, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from hub_booking.domain.errors import N_, Forbidden, Unauthenticated
from hub_booking.domain.model import Principal
from hub_booking.i18n import pick_language
from hub_booking.services import accounts
from hub_booking.settings import Settings

SESSION_COOKIE = "hb_session"
LANGUAGE_COOKIE = "hb_lang"
CSRF_COOKIE = "hb_csrf"
ORIGIN_FAILED = "Origin check failed"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
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
        language = negotiate_language(scope, principal, settings.language)
        scope.setdefault("state", {})["language"] = language
        reset = current_language.set(language)
        try:
            if token is not None and principal is None:
                raise Unauthenticated(N_("This API token is invalid or revoked."))
            await next_app(scope, receive, send)
        finally:
            current_language.reset(reset)


def negotiate_language(scope: Scope, principal: Principal | None, default: str) -> str:
    """The reader's language: the API follows Accept-Language, pages the chosen language."""
    connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
    accept = connection.headers.get("accept-language")
    if is_api(scope):  # the API follows Accept-Language first (CONTRACT)
        chosen = principal.language if principal else None
        return pick_language(accept_language=accept, default=chosen or default)
    return pick_language(
        connection.cookies.get(LANGUAGE_COOKIE),
        principal.language if principal else None,
        accept_language=accept,
        default=default,
    )


def csrf_config(settings: Settings) -> CSRFConfig:
    return CSRFConfig(
        secret=settings.secret_key,
        cookie_name=CSRF_COOKIE,
        cookie_secure=settings.secure_cookies,
        cookie_samesite="lax",
        header_name="x-csrftoken",
    )


def fresh_csrf_cookie(settings: Settings) -> Cookie:
    """A new CSRF token, set when the user's privileges change (sign-in, new password)."""
    config = csrf_config(settings)
    return Cookie(
        key=config.cookie_name,
        value=generate_csrf_token(config.secret),
        path=config.cookie_path,
        secure=config.cookie_secure,
        httponly=config.cookie_httponly,
        samesite=config.cookie_samesite,
    )


def ensure_csrf_token(scope: Scope, settings: Settings) -> Cookie | None:
    """A CSRF token for a page rendered where the CSRF middleware did not run (an error page):
    the browser's own when valid, else a new one, whose cookie is returned to be set."""
    state = ScopeState.from_scope(scope)
    if state.csrf_token is not Empty:
        return None
    existing = ASGIConnection(scope).cookies.get(CSRF_COOKIE, "")
    token, signature = existing[:64], existing[64:]
    if len(existing) > 64 and compare_digest(
        signature, generate_csrf_hash(token, settings.secret_key)
    ):
        state.csrf_token = existing
        return None
    cookie = fresh_csrf_cookie(settings)
    state.csrf_token = cookie.value or ""
    return cookie


class CSRFUnlessBearer(CSRFMiddleware):
    """Litestar's double-submit CSRF check, skipped where no ambient credential is sent.

    A Bearer request is exempt (CONTRACT), and so is an API request without the session
    cookie: it is anonymous and answered 401. Pages always check, login included, and an
    unsafe request must also come from our own origin when the browser says where from.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            bearer_token(scope) is not None
            or (is_api(scope) and SESSION_COOKIE not in ASGIConnection(scope).cookies)
        ):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and scope.get("method") in UNSAFE_METHODS:
            _check_origin(scope)
        await super().__call__(scope, receive, send)


def _check_origin(scope: Scope) -> None:
    """Refuse a cross-site unsafe request: ``Origin`` (else ``Referer``) must be ours if sent."""
    headers = ASGIConnection(scope).headers
    claimed = headers.get("origin") or headers.get("referer")
    if claimed is None:  # old browsers and privacy settings send neither: CSRF token decides
        return
    ours = _origin(scope["litestar_app"].state.settings.base_url)
    if _origin(claimed) != ours:
        raise PermissionDeniedException(ORIGIN_FAILED)


def _origin(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of a URL, default ports written out; None when it has none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname or port is None:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


def client_ip(scope: Scope, trusted: tuple[str, ...]) -> str:
    """The client's address: the peer, or behind trusted proxies the right-most address
    in ``X-Forwarded-For`` that is not one of them (the left part is the client's to forge)."""
    client = scope.get("client")
    peer = client[0] if client else ""
    networks = _networks(trusted)
    if not networks or not _within(peer, networks):
        return peer
    forwarded = ASGIConnection(scope).headers.getall("x-forwarded-for", [])
    hops = [hop.strip() for value in forwarded for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _within(hop, networks):
            return hop[:64]
    return hops[0][:64] if hops else peer


@cache
def _networks(
    trusted: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in trusted)


def _within(
    address: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # not an address (a forged "unknown"): never trusted, used as is
    return any(ip in network for network in networks)


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
