"""Flash messages: one line shown on the next page after an action (a redirect after a POST).

The message, already in the reader's language (translated where the action happened, so
plurals are ``ngettext``'s as usual), travels in a short-lived cookie signed with the secret
key, so that nobody else can make the site say anything; the cookie is deleted as it is read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Redirect

from hub_booking.i18n import translate

COOKIE = "hb_flash"
LIFETIME_S = 120
MAX_COOKIE = 2000
KINDS = ("ok", "error", "info")


@dataclass(frozen=True)
class Flash:
    """A message ready to show: translated text and its kind (``ok``, ``error``, ``info``)."""

    message: str
    kind: str = "ok"


def message(language: str, msgid: str, *, kind: str = "ok", **params: Any) -> Flash:
    """A message for this very page (e.g. about a query parameter that was ignored)."""
    return Flash(translate(language, msgid, **params), kind if kind in KINDS else "ok")


def redirect(request: Request, url: str, text: str, *, kind: str = "ok") -> Redirect:
    """A 303 to a local ``url`` whose page will show ``text`` (already translated)."""
    settings = request.app.state.settings
    expires = int(request.app.state.clock().timestamp()) + LIFETIME_S
    payload = {"t": text[:500], "k": kind, "e": expires}
    response = Redirect(url, status_code=303)
    response.cookies.append(
        Cookie(
            key=COOKIE,
            value=_sign(settings.secret_key, payload),
            max_age=LIFETIME_S,
            path="/",
            httponly=True,
            secure=settings.secure_cookies,
            samesite="lax",
        )
    )
    return response


def take(request: Request) -> tuple[Flash | None, Cookie | None]:
    """The flash waiting for this page, if any, and the cookie that deletes it."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None, None
    gone = Cookie(key=COOKIE, value="", max_age=0, path="/", httponly=True, samesite="lax")
    payload = _verified(request.app.state.settings.secret_key, raw)
    now: datetime = request.app.state.clock()
    if payload is None or not isinstance(payload.get("e"), int) or payload["e"] < now.timestamp():
        return None, gone
    kind = payload.get("k")
    return Flash(str(payload.get("t", "")), kind if kind in KINDS else "ok"), gone


def _sign(secret: str, payload: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
    text = body.decode().rstrip("=")
    return f"{text}.{_mac(secret, text)}"


def _verified(secret: str, raw: str) -> dict[str, Any] | None:
    text, _, mac = raw[:MAX_COOKIE].rpartition(".")
    if not text or not hmac.compare_digest(mac, _mac(secret, text)):
        return None
    try:
        found = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _mac(secret: str, text: str) -> str:
    key = hashlib.sha256(b"hub-booking flash " + secret.encode()).digest()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]
