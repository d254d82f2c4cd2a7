"""Personal API tokens: their reads and writes, rows in, domain types out (never a secret:
only its keyed hash is stored)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.custom_types import Combinable

from hub_booking.db.tables import ApiToken
from hub_booking.domain.model import Page

_FIELDS = (ApiToken.id, ApiToken.label, ApiToken.created_at, ApiToken.last_used_at)


@dataclass(frozen=True)
class TokenInfo:
    """A personal API token as its owner sees it: never the secret."""

    id: int
    label: str
    created_at: datetime
    last_used_at: datetime | None


async def listed(user_id: int) -> list[TokenInfo]:
    """The user's tokens that still work, newest first."""
    return [_info(row) for row in await _newest_first(user_id)]


async def page(user_id: int, limit: int, offset: int) -> Page[TokenInfo]:
    """A page of the user's tokens that still work, newest first, with their total."""
    rows = await _newest_first(user_id).limit(limit).offset(offset)
    return Page([_info(row) for row in rows], await ApiToken.count().where(_working(user_id)))


async def insert(user_id: int, label: str, token_hash: str, now: datetime) -> int:
    """The new token's id."""
    row = ApiToken(user=user_id, label=label, token_hash=token_hash, created_at=now)
    return (await ApiToken.insert(row).returning(ApiToken.id))[0]["id"]


async def revoke(user_id: int, token_id: int, now: datetime) -> bool:
    """Revoke one of the user's working tokens; False when there is no such token."""
    query = ApiToken.update({ApiToken.revoked_at: now}).where(
        (ApiToken.id == token_id) & _working(user_id)
    )
    return bool(await query.returning(ApiToken.id))


async def revoke_all(user_id: int, now: datetime) -> None:
    """Revoke every working token of the user."""
    await ApiToken.update({ApiToken.revoked_at: now}).where(_working(user_id))


async def touch(token_id: int, now: datetime) -> None:
    """Record that the token was used at ``now``."""
    await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == token_id)


def _working(user_id: int) -> Combinable:
    return (ApiToken.user == user_id) & ApiToken.revoked_at.is_null()


def _newest_first(user_id: int) -> Any:
    query = ApiToken.select(*_FIELDS).where(_working(user_id))
    return query.order_by(ApiToken.id, ascending=False)


def _info(row: dict[str, Any]) -> TokenInfo:
    return TokenInfo(row["id"], row["label"], row["created_at"], row["last_used_at"])
