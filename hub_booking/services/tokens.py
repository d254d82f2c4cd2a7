"""Personal API tokens: issued, listed and revoked by their owner."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from hub_booking.db import tokens
from hub_booking.db.engine import transaction
from hub_booking.db.tokens import TokenInfo
from hub_booking.domain.errors import N_, NotFound, invalid
from hub_booking.domain.model import Page
from hub_booking.domain.text import NOT_IN_LINE
from hub_booking.services import audit

MAX_LABEL = 100


def hash_secret(secret_key: str, token: str) -> str:
    """Tokens are kept only as a keyed hash: a database leak alone cannot forge or use them."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


async def list_tokens(user_id: int) -> list[TokenInfo]:
    """The user's tokens that still work, newest first."""
    return await tokens.listed(user_id)


async def tokens_page(user_id: int, limit: int, offset: int) -> Page[TokenInfo]:
    """A page of the user's tokens that still work, newest first, with their total."""
    return await tokens.page(user_id, limit, offset)


async def issue_token(
    user_id: int, label: str, now: datetime, secret_key: str
) -> tuple[TokenInfo, str]:
    """A new personal API token; the secret is returned once and only its keyed hash kept."""
    label = label.strip()
    if len(label) > MAX_LABEL or NOT_IN_LINE.search(label):
        raise invalid(
            "label",
            "invalid_text",
            N_("A label has at most %(max)s characters, on one line."),
            max=MAX_LABEL,
        )
    token = "hb_" + secrets.token_urlsafe(32)
    async with transaction():
        token_id = await tokens.insert(user_id, label, hash_secret(secret_key, token), now)
        await audit.record(user_id, "token.created", "user", user_id, now, label=label)
    return TokenInfo(token_id, label, now, None), token


async def revoke_token(user_id: int, token_id: int, now: datetime) -> None:
    """Revoke one of the user's tokens; anyone else's, or an unknown one, is not found."""
    async with transaction():
        if not await tokens.revoke(user_id, token_id, now):
            raise NotFound(N_("No such API token."))
        await audit.record(user_id, "token.revoked", "api_token", token_id, now)
