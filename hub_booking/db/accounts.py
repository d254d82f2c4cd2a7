"""Users, their sessions and sign-in attempts, and who a request acts as: rows in, domain
types out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.columns import Column
from piccolo.custom_types import Combinable

from hub_booking.db.engine import is_sqlite
from hub_booking.db.tables import AppUser, HubManager, LoginAttempt, UserSession
from hub_booking.domain.model import MemberRole, Principal
from hub_booking.domain.throttle import RecentAttempts


@dataclass(frozen=True)
class Credentials:
    """What checking a password needs of an account."""

    user_id: int
    email: str
    password_hash: str | None
    is_active: bool


@dataclass(frozen=True)
class UserChanges:
    """What the ``create-user`` command sets on an account; None leaves a field as it is."""

    name: str | None = None
    language: str | None = None
    password_hash: str | None = None
    is_platform_admin: bool | None = None


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt just recorded (as a failure) and those before it in the window."""

    id: int
    recent: RecentAttempts


@dataclass(frozen=True)
class TokenHolder:
    """The user of an API token (None when inactive) and when the token was last used."""

    token_id: int
    last_used_at: datetime | None
    principal: Principal | None


# Users


async def credentials(email: str) -> Credentials | None:
    """The account of that (normalised) email, if any."""
    return await _credentials(AppUser.email == email)


async def credentials_of(user_id: int) -> Credentials | None:
    return await _credentials(AppUser.id == user_id)


async def id_of(email: str) -> int | None:
    """The id of the account of that (normalised) email, if any."""
    row = await AppUser.select(AppUser.id).where(AppUser.email == email).first()
    return row["id"] if row else None


async def save_user(email: str, changes: UserChanges, now: datetime) -> int:
    """The id of the account of that (normalised) email, made when new (named after its
    email), with ``changes`` applied; two saves of a new email cannot both insert it."""
    row = AppUser(email=email, name=email.split("@")[0], created_at=now)
    await AppUser.insert(row).on_conflict(AppUser.email, "DO NOTHING")
    columns = {
        AppUser.name: changes.name,
        AppUser.language: changes.language,
        AppUser.password_hash: changes.password_hash,
        AppUser.is_platform_admin: changes.is_platform_admin,
    }
    values: dict[Column | str, Any] = {c: v for c, v in columns.items() if v is not None}
    if values:
        await AppUser.update(values).where(AppUser.email == email)
    found = await id_of(email)
    assert found is not None  # inserted just now, or by whoever won the race
    return found


async def set_password(user_id: int, password_hash: str) -> None:
    await AppUser.update({AppUser.password_hash: password_hash}).where(AppUser.id == user_id)


async def set_language(user_id: int, language: str) -> None:
    await AppUser.update({AppUser.language: language}).where(AppUser.id == user_id)


async def grant_hub(user_id: int, hub_id: int) -> None:
    """Make the user a manager of the hub (nothing changes when they already are one)."""
    row = HubManager(user=user_id, hub=hub_id)
    await HubManager.insert(row).on_conflict((HubManager.user, HubManager.hub), "DO NOTHING")


async def _credentials(where: Combinable) -> Credentials | None:
    fields = (AppUser.id, AppUser.email, AppUser.password_hash, AppUser.is_active)
    row = await AppUser.select(*fields).where(where).first()
    if row is None:
        return None
    return Credentials(row["id"], row["email"], row["password_hash"], row["is_active"])


# Sessions


async def open_session(
    user_id: int, token_hash: str, ip: str, now: datetime, expires_at: datetime
) -> None:
    row = UserSession(
        user=user_id, token_hash=token_hash, created_at=now, expires_at=expires_at, ip=ip[:64]
    )
    await UserSession.insert(row)


async def close_session(token_hash: str) -> None:
    await UserSession.delete().where(UserSession.token_hash == token_hash)


async def end_sessions(user_id: int, *, keeping: str | None = None) -> None:
    """End every session of the user, but the one of the token hash ``keeping``."""
    where: Combinable = UserSession.user == user_id
    if keeping is not None:
        where &= UserSession.token_hash != keeping
    await UserSession.delete().where(where)


# Sign-in attempts


async def record_attempt(email: str, ip: str, now: datetime, since: datetime) -> Attempt:
    """Record a failed attempt and count the others since ``since``, atomically when run in
    a write transaction: concurrent attempts for the same email or address take turns."""
    email, ip = email[:254], ip[:64]
    if not is_sqlite():  # SQLite's IMMEDIATE transaction already runs one at a time
        await LoginAttempt.raw(
            "SELECT pg_advisory_xact_lock({}, {}), pg_advisory_xact_lock({}, {})",
            *(_LOCK_EMAIL, _lock_key(email), _LOCK_IP, _lock_key(ip)),
        )
    row = LoginAttempt(email=email, ip=ip, succeeded=False, at=now)
    attempt = (await LoginAttempt.insert(row).returning(LoginAttempt.id))[0]["id"]
    counts = await LoginAttempt.raw(
        _RECENT_ATTEMPTS, *(email, ip, email, ip, since.astimezone(UTC), attempt, email, ip)
    )
    return Attempt(attempt, RecentAttempts(**_ints(counts[0])))


async def attempt_succeeded(attempt_id: int) -> None:
    await LoginAttempt.update({LoginAttempt.succeeded: True}).where(LoginAttempt.id == attempt_id)


async def forget_attempt(attempt_id: int) -> None:
    await LoginAttempt.delete().where(LoginAttempt.id == attempt_id)


# Advisory lock namespaces (PostgreSQL): one per kind of key, always taken email first.
_LOCK_EMAIL, _LOCK_IP = 0x6862_0001, 0x6862_0002
_RECENT_ATTEMPTS = (
    "SELECT "
    "SUM(CASE WHEN email = {} AND NOT succeeded THEN 1 ELSE 0 END) AS account_failures, "
    "SUM(CASE WHEN ip = {} AND NOT succeeded THEN 1 ELSE 0 END) AS address_failures, "
    "SUM(CASE WHEN email = {} AND succeeded THEN 1 ELSE 0 END) AS account_sign_ins, "
    "SUM(CASE WHEN ip = {} AND succeeded THEN 1 ELSE 0 END) AS address_sign_ins "
    "FROM login_attempt WHERE at >= {} AND id <> {} AND (email = {} OR ip = {})"
)


def _lock_key(value: str) -> int:
    return int.from_bytes(hashlib.sha256(value.encode()).digest()[:4], "big", signed=True)


def _ints(row: dict[str, int | None]) -> dict[str, int]:
    return {key: int(value or 0) for key, value in row.items()}


# Who a request acts as

_USER_FIELDS = (
    AppUser.id,
    AppUser.email,
    AppUser.name,
    AppUser.language,
    AppUser.is_platform_admin,
    AppUser.is_active,
)
# Hot path (every request): plain SQL, one round trip each; Piccolo's joins cost more here.
_SESSION_USER = (
    "SELECT u.id, u.email, u.name, u.language, u.is_platform_admin, u.is_active "
    'FROM user_session s JOIN app_user u ON u.id = s."user" '
    "WHERE s.token_hash = {} AND s.expires_at > {}"
)
_TOKEN_USER = (
    "SELECT t.id AS token_id, t.last_used_at, u.id, u.email, u.name, u.language, "
    'u.is_platform_admin, u.is_active FROM api_token t JOIN app_user u ON u.id = t."user" '
    "WHERE t.token_hash = {} AND t.revoked_at IS NULL"
)
_ROLES = (
    'SELECT hub AS id, NULL AS role FROM hub_manager WHERE "user" = {} '
    'UNION ALL SELECT association AS id, role FROM membership WHERE "user" = {}'
)


async def principal(user_id: int) -> Principal | None:
    """The active user of that id with their rights (None when unknown or inactive)."""
    return await _principal(
        await AppUser.select(*_USER_FIELDS).where(AppUser.id == user_id).first()
    )


async def session_principal(token_hash: str, now: datetime) -> Principal | None:
    """The active user of an unexpired session (None otherwise)."""
    rows = await AppUser.raw(_SESSION_USER, token_hash, now.astimezone(UTC))
    return await _principal(rows[0] if rows else None)


async def token_holder(token_hash: str) -> TokenHolder | None:
    """The token of that hash and its user, unless revoked (None when unknown)."""
    rows = await AppUser.raw(_TOKEN_USER, token_hash)
    if not rows:
        return None
    row = rows[0]
    return TokenHolder(row["token_id"], row["last_used_at"], await _principal(row))


async def _principal(user: dict[str, Any] | None) -> Principal | None:
    """The active user with the hubs they manage and the associations they belong to."""
    if user is None or not user["is_active"]:
        return None
    roles = await AppUser.raw(_ROLES, user["id"], user["id"])
    return Principal(
        user_id=user["id"],
        email=user["email"],
        name=user["name"],
        language=user["language"],
        is_platform_admin=user["is_platform_admin"],
        managed_hubs=frozenset(r["id"] for r in roles if r["role"] is None),
        memberships={r["id"]: MemberRole(r["role"]) for r in roles if r["role"] is not None},
    )


# Hub managers and accounts made in bulk, for the platform admin's pages (admin helper)


@dataclass(frozen=True)
class HubManagerInfo:
    hub_id: int
    user_id: int
    email: str
    name: str


async def hub_managers(hub_ids: list[int]) -> list[HubManagerInfo]:
    """The managers of these hubs, by email."""
    if not hub_ids:
        return []
    query = HubManager.select(
        HubManager.hub,
        HubManager.user,
        HubManager.user.email.as_alias("email"),
        HubManager.user.name.as_alias("name"),
    ).where(HubManager.hub.is_in(hub_ids))
    rows = await query.order_by(HubManager.user.email)
    return [HubManagerInfo(r["hub"], r["user"], r["email"], r["name"]) for r in rows]


async def add_hub_manager(user_id: int, hub_id: int) -> bool:
    """Make the user a manager of the hub; False (nothing changed) when already one."""
    query = HubManager.insert(HubManager(user=user_id, hub=hub_id)).on_conflict(
        (HubManager.user, HubManager.hub), "DO NOTHING"
    )
    return bool(await query.returning(HubManager.id))


async def remove_hub_manager(user_id: int, hub_id: int) -> bool:
    """The user no longer manages the hub; False when they did not."""
    where = (HubManager.user == user_id) & (HubManager.hub == hub_id)
    return bool(await HubManager.delete().where(where).returning(HubManager.id))


async def existing_emails(emails: list[str]) -> set[str]:
    """Which of these (normalised) emails have an account."""
    found: set[str] = set()
    for start in range(0, len(emails), _BATCH):
        batch = emails[start : start + _BATCH]
        rows = await AppUser.select(AppUser.email).where(AppUser.email.is_in(batch))
        found.update(row["email"] for row in rows)
    return found


async def ensure_people(names: dict[str, str], now: datetime) -> dict[str, int]:
    """The account ids of these (normalised) emails; an account without a password is made,
    named as given, for each email that has none (existing accounts are left as they are)."""
    emails = list(names)
    for start in range(0, len(emails), _BATCH):
        batch = emails[start : start + _BATCH]
        args = [
            value
            for email in batch
            for value in (email, names[email] or email.split("@")[0], now.astimezone(UTC))
        ]
        await AppUser.raw(  # plain SQL, a batch per statement (an import holds the lock)
            "INSERT INTO app_user (email, name, password_hash, language, is_active,"
            " is_platform_admin, created_at) VALUES "
            + ", ".join(["({}, {}, NULL, '', TRUE, FALSE, {})"] * len(batch))
            + " ON CONFLICT (email) DO NOTHING",
            *args,
        )
    ids: dict[str, int] = {}
    for start in range(0, len(emails), _BATCH):
        batch = emails[start : start + _BATCH]
        query = AppUser.select(AppUser.id, AppUser.email).where(AppUser.email.is_in(batch))
        ids.update({row["email"]: row["id"] for row in await query})
    return ids


_BATCH = 500  # rows per statement: well under SQLite's limit of bound variables
