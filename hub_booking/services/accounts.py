"""Accounts: users, passwords, sessions, API tokens and who a request acts as."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub_booking.db.engine import transaction
from hub_booking.db.tables import (
    ApiToken,
    AppUser,
    Association,
    Hub,
    HubManager,
    LoginAttempt,
    Membership,
    UserSession,
)
from hub_booking.domain.catalogue import check_email, normalise_email
from hub_booking.domain.errors import (
    N_,
    Invalid,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
    Violation,
)
from hub_booking.domain.model import MemberRole, Principal
from hub_booking.domain.throttle import WINDOW, login_allowed
from hub_booking.services import audit

SESSION_LIFETIME = timedelta(days=14)
_hasher = PasswordHasher()
# Verified when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")


def hash_secret(secret_key: str, token: str) -> str:
    """Tokens are kept only as a keyed hash: a database leak alone cannot forge or use them."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def save_user(
    email: str,
    password: str | None,
    now: datetime,
    *,
    name: str | None = None,
    language: str | None = None,
    platform_admin: bool | None = None,
    hub_slug: str | None = None,
    association_slug: str | None = None,
    representative: bool = False,
    actor_id: int | None = None,
) -> int:
    """Create or update a user (the ``create-user`` command); returns its id."""
    problems = check_email(email)
    if password is not None and len(password) < 8:
        problems.append(
            Violation("too_short", N_("A password needs at least 8 characters."), "password")
        )
    if problems:
        raise Invalid(problems)
    email = normalise_email(email)
    async with transaction():
        user = await AppUser.objects().where(AppUser.email == email).first()
        if user is None:
            user = AppUser(email=email, created_at=now, name=name or email.split("@")[0])
        if name is not None:
            user.name = name
        if language is not None:
            user.language = language
        if password is not None:
            user.password_hash = hash_password(password)
        if platform_admin is not None:
            user.is_platform_admin = platform_admin
        await user.save()
        if hub_slug:
            await _grant_hub(user.id, hub_slug)
        if association_slug:
            role = MemberRole.REPRESENTATIVE if representative else MemberRole.MEMBER
            await _grant_membership(user.id, association_slug, role)
        await audit.record(actor_id, "user.saved", "user", user.id, now, email=email)
    return user.id


async def _grant_hub(user_id: int, hub_slug: str) -> None:
    hub = await Hub.select(Hub.id).where(Hub.slug == hub_slug).first()
    if hub is None:
        raise NotFound(N_("No hub with this slug."), field="hub")
    if not await HubManager.exists().where(
        (HubManager.user == user_id) & (HubManager.hub == hub["id"])
    ):
        await HubManager.insert(HubManager(user=user_id, hub=hub["id"]))


async def _grant_membership(user_id: int, association_slug: str, role: MemberRole) -> None:
    association = (
        await Association.select(Association.id).where(Association.slug == association_slug).first()
    )
    if association is None:
        raise NotFound(N_("No association with this slug."), field="association")
    await set_membership(user_id, association["id"], role)


async def set_membership(user_id: int, association_id: int, role: MemberRole) -> None:
    """Add the user to the association, or change their role there."""
    where = (Membership.user == user_id) & (Membership.association == association_id)
    if await Membership.exists().where(where):
        await Membership.update({Membership.role: role}).where(where)
    else:
        await Membership.insert(Membership(user=user_id, association=association_id, role=role))


async def log_in(email: str, password: str, ip: str, now: datetime, secret_key: str) -> str:
    """Check a password and open a session; returns the session token for the cookie."""
    email = normalise_email(email)
    since = now - WINDOW
    failed = LoginAttempt.succeeded.eq(False) & (LoginAttempt.at >= since)
    account_failures = await LoginAttempt.count().where(failed & (LoginAttempt.email == email))
    address_failures = await LoginAttempt.count().where(failed & (LoginAttempt.ip == ip))
    if not login_allowed(account_failures, address_failures):
        raise TooManyAttempts(N_("Too many failed attempts. Wait 15 minutes and try again."))
    user = await AppUser.objects().where(AppUser.email == email).first()
    ok = _password_matches(user.password_hash if user else None, password) and bool(
        user and user.is_active
    )
    if not ok or user is None:
        await LoginAttempt.insert(LoginAttempt(email=email, ip=ip, succeeded=False, at=now))
        raise _bad_login()
    async with transaction():
        await LoginAttempt.insert(LoginAttempt(email=email, ip=ip, succeeded=True, at=now))
        token = secrets.token_urlsafe(32)
        await UserSession.insert(
            UserSession(
                user=user.id,
                token_hash=hash_secret(secret_key, token),
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
                ip=ip[:64],
            )
        )
        await audit.record(user.id, "session.opened", "user", user.id, now, ip=ip)
    return token


def _bad_login() -> Unauthenticated:
    return Unauthenticated(N_("Wrong email or password."))


def _password_matches(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def log_out(token: str, secret_key: str) -> None:
    await UserSession.delete().where(UserSession.token_hash == hash_secret(secret_key, token))


async def create_token(email: str, label: str, now: datetime, secret_key: str) -> str:
    """A new personal API token for the user; only its keyed hash is stored."""
    user = await AppUser.select(AppUser.id).where(AppUser.email == normalise_email(email)).first()
    if user is None:
        raise NotFound(N_("No user with this email."), field="email")
    token = "hb_" + secrets.token_urlsafe(32)
    async with transaction():
        await ApiToken.insert(
            ApiToken(
                user=user["id"],
                label=label[:100],
                token_hash=hash_secret(secret_key, token),
                created_at=now,
            )
        )
        await audit.record(user["id"], "token.created", "user", user["id"], now, label=label)
    return token


USER_FIELDS = ("id", "email", "name", "language", "is_platform_admin", "is_active")
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


async def principal_for_session(token: str, now: datetime, secret_key: str) -> Principal | None:
    """The signed-in user of a session cookie (None when unknown or expired)."""
    rows = await AppUser.raw(_SESSION_USER, hash_secret(secret_key, token), now.astimezone(UTC))
    return await _principal(rows[0] if rows else None)


async def principal_for_token(token: str, now: datetime, secret_key: str) -> Principal | None:
    """The user of a personal API token (None when unknown or revoked)."""
    rows = await AppUser.raw(_TOKEN_USER, hash_secret(secret_key, token))
    if not rows:
        return None
    row = rows[0]
    # Recorded at most once a minute: a busy integration must not write on every call.
    if row["last_used_at"] is None or now - row["last_used_at"] > timedelta(minutes=1):
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["token_id"])
    return await _principal(row)


async def load_principal(user_id: int) -> Principal | None:
    fields = [getattr(AppUser, f) for f in USER_FIELDS]
    return await _principal(await AppUser.select(*fields).where(AppUser.id == user_id).first())


async def _principal(user: dict | None) -> Principal | None:
    """The active user with the hubs they manage and the associations they belong to."""
    if user is None or not user["is_active"]:
        return None
    roles = await AppUser.raw(
        'SELECT hub AS id, NULL AS role FROM hub_manager WHERE "user" = {} '
        'UNION ALL SELECT association AS id, role FROM membership WHERE "user" = {}',
        user["id"],
        user["id"],
    )
    return Principal(
        user_id=user["id"],
        email=user["email"],
        name=user["name"],
        language=user["language"],
        is_platform_admin=user["is_platform_admin"],
        managed_hubs=frozenset(r["id"] for r in roles if r["role"] is None),
        memberships={r["id"]: MemberRole(r["role"]) for r in roles if r["role"] is not None},
    )


async def set_language(user_id: int, language: str) -> None:
    await AppUser.update({AppUser.language: language}).where(AppUser.id == user_id)
