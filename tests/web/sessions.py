"""Browser-like sessions for page tests: a cast member signed in through the login form."""

from __future__ import annotations

import re
from functools import cache

from hub_booking.db.tables import AppUser
from hub_booking.services import accounts
from tests.factories import PASSWORD, Cast
from tests.web.test_accounts import log_in

HTML = {"Accept": "text/html,application/xhtml+xml"}
HTMX_CALENDAR = {"HX-Request": "true", "HX-Target": "calendar"}


@cache
def _password_hash() -> str:
    return accounts.hash_password(PASSWORD)  # hashed once per run: it is slow on purpose


async def sign_in(client, cast: Cast, role: str) -> None:
    """Give the cast member of ``role`` a password and sign in with it (session cookie)."""
    user_id = cast.users[role]
    await AppUser.update({AppUser.password_hash: _password_hash()}).where(AppUser.id == user_id)
    email = (await AppUser.select(AppUser.email).where(AppUser.id == user_id).first())["email"]
    response = await log_in(client, email)
    assert response.status_code == 303, response.text


def csrf_of(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)
