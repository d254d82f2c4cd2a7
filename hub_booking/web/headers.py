"""Security headers on every response: pages, API, static files and errors alike.

Installed as the app's ``before_send`` hook rather than as a middleware: Litestar answers an
unknown path (404) or method (405) before any middleware runs, and those answers need the
headers too. A header a handler set itself is left as it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.types import Message, Scope

from hub_booking.settings import Settings

# Only our own scripts and styles: htmx is served from /static and told not to inject its
# indicator <style> nor to evaluate code (see base.html and PITFALLS.md).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(settings: Settings) -> Callable[[Message, Scope], Awaitable[None]]:
    """The ``before_send`` hook adding the headers; HSTS only when served over https."""
    headers = [
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
    ]
    if settings.base_url.startswith("https://"):
        headers.append((b"strict-transport-security", HSTS.encode()))

    async def add_headers(message: Message, _: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        present = {bytes(name).lower() for name, _ in message.get("headers", [])}
        message["headers"] = [
            *message.get("headers", []),
            *(header for header in headers if header[0] not in present),
        ]

    return add_headers
