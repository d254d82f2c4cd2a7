"""Accounts: users, passwords, sessions, API tokens and who a request acts as."""

from __future__ import annotations

import asyncio
import secrets
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub_booking.db import accounts, associations, catalogue, tokens
from hub_booking.db.accounts import UserChanges
from hub_booking.db.engine import transaction
from hub_booking.domain import throttle
from hub_booking.domain.catalogue import check_email, normalise_email
from hub_booking.domain.errors import (
    N_,
    Invalid,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
    Violation,
    invalid,
)
from hub_booking.domain.model import MemberRole, Principal
from hub_booking.services import audit, passwords
from hub_booking.services.tokens import MAX_LABEL, hash_secret, issue_token

SESSION_LIFETIME = timedelta(days=14)
# A token's last use is recorded at most this often: a busy integration must not write on
# every call.
TOKEN_USE_PRECISION = timedelta(minutes=1)
MIN_PASSWORD = 8
MAX_PASSWORD = 1024


def hash_password(password: str) -> str:
    """Hash on the calling thread: for the command line and tests, never a request."""
    return passwords.hash_now(password)


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
    """Create or update a user (the ``create-user`` command); returns its id.

    Setting the password of an existing user is a reset: all their sessions end.
    """
    problems = check_email(email) + _password_problems(password, "password")
    if problems:
        raise Invalid(problems)
    email = normalise_email(email)
    password_hash = await passwords.hash_password(password) if password is not None else None
    changes = UserChanges(name, language, password_hash, platform_admin)
    async with transaction():
        user_id = await accounts.save_user(email, changes, now)
        if password_hash is not None:
            await accounts.end_sessions(user_id)
        if hub_slug:
            await _grant_hub(user_id, hub_slug)
        if association_slug:
            role = MemberRole.REPRESENTATIVE if representative else MemberRole.MEMBER
            await _grant_membership(user_id, association_slug, role)
        await audit.record(actor_id, "user.saved", "user", user_id, now, email=email)
    return user_id


def password_problems(password: str | None, field: str) -> list[Violation]:
    """What is wrong with a new password (the one rule of every page that sets one)."""
    return _password_problems(password, field)


def _password_problems(password: str | None, field: str) -> list[Violation]:
    if password is None or MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return []
    if len(password) > MAX_PASSWORD:
        message = N_("A password can have at most %(max)s characters.")
        return [Violation("too_long", message, field, {"max": MAX_PASSWORD})]
    message = N_("A password needs at least 8 characters.")
    return [Violation("too_short", message, field)]


async def _grant_hub(user_id: int, hub_slug: str) -> None:
    hub = await catalogue.hub_by_slug(hub_slug)
    if hub is None:
        raise NotFound(N_("No hub with this slug."), field="hub")
    await accounts.grant_hub(user_id, hub.id)


async def _grant_membership(user_id: int, association_slug: str, role: MemberRole) -> None:
    """Add the user to the association, or change their role there."""
    association_id = await associations.id_by_slug(association_slug)
    if association_id is None:
        raise NotFound(N_("No association with this slug."), field="association")
    if not await associations.add_member(association_id, user_id, role):
        await associations.set_role(association_id, user_id, role)


async def log_in(email: str, password: str, ip: str, now: datetime, secret_key: str) -> str:
    """Check a password and open a session; returns the session token for the cookie.

    The attempt is recorded (as a failure) and counted before the password is checked, so
    concurrent attempts cannot get past the throttle; a good password turns it into a success.
    """
    email = normalise_email(email)
    attempt = await _claim_attempt(email, ip, now)
    user = await accounts.credentials(email)
    ok = await _checked(attempt, user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        raise Unauthenticated(N_("Wrong email or password."))
    async with transaction():
        await accounts.attempt_succeeded(attempt)
        token = secrets.token_urlsafe(32)
        await accounts.open_session(
            user.user_id, hash_secret(secret_key, token), ip, now, now + SESSION_LIFETIME
        )
        await audit.record(user.user_id, "session.opened", "user", user.user_id, now, ip=ip)
    return token


async def _claim_attempt(email: str, ip: str, now: datetime) -> int:
    """Record an attempt and count the recent ones, atomically; refused past the limits."""
    async with _claim_slot(), transaction():
        attempt = await accounts.record_attempt(email, ip, now, now - throttle.WINDOW)
        reason = throttle.refusal(attempt.recent)
        if reason:
            raise TooManyAttempts(reason)  # rolls the attempt back: it checked nothing
    return attempt.id


async def _checked(attempt: int, stored: str | None, password: str) -> bool:
    """The password check in the hashing pool; an attempt the pool turned away is forgotten."""
    try:
        return await passwords.verify(stored, password)
    except TooManyAttempts:
        await accounts.forget_attempt(attempt)
        raise


# A burst of sign-ins must not take every pooled database connection (and keep the other
# requests waiting for one): a few bookkeeping transactions at a time, the others queue here.
CLAIMS_AT_ONCE = 3
_claim_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _claim_slot() -> asyncio.Semaphore:
    """This event loop's semaphore (an asyncio semaphore belongs to one loop)."""
    loop = asyncio.get_running_loop()
    slot = _claim_slots.get(loop)
    if slot is None:
        slot = _claim_slots[loop] = asyncio.Semaphore(CLAIMS_AT_ONCE)
    return slot


async def log_out(token: str, secret_key: str) -> None:
    await accounts.close_session(hash_secret(secret_key, token))


@dataclass(frozen=True)
class PasswordChange:
    current: str
    new: str
    revoke_tokens: bool = False


async def change_password(
    user_id: int,
    change: PasswordChange,
    session_token: str,
    ip: str,
    now: datetime,
    secret_key: str,
) -> None:
    """Change a password after checking the current one (throttled like a sign-in).

    Every other session of the user ends; their API tokens too when asked.
    """
    problems = _password_problems(change.new, "new_password")
    if problems:
        raise Invalid(problems)
    user = await accounts.credentials_of(user_id)
    if user is None:
        raise Unauthenticated(N_("Sign in first."))
    attempt = await _claim_attempt(user.email, ip, now)
    if not await _checked(attempt, user.password_hash, change.current):
        raise invalid("current_password", "wrong_password", N_("The current password is wrong."))
    new_hash = await passwords.hash_password(change.new)
    async with transaction():
        await accounts.attempt_succeeded(attempt)
        await accounts.set_password(user_id, new_hash)
        await accounts.end_sessions(user_id, keeping=hash_secret(secret_key, session_token))
        if change.revoke_tokens:
            await tokens.revoke_all(user_id, now)
        await audit.record(
            user_id, "password.changed", "user", user_id, now, tokens_revoked=change.revoke_tokens
        )


async def create_token(email: str, label: str, now: datetime, secret_key: str) -> str:
    """A new personal API token for the user of ``email`` (the ``create-token`` command)."""
    user_id = await accounts.id_of(normalise_email(email))
    if user_id is None:
        raise NotFound(N_("No user with this email."), field="email")
    return (await issue_token(user_id, label[:MAX_LABEL], now, secret_key))[1]


async def principal_for_session(token: str, now: datetime, secret_key: str) -> Principal | None:
    """The signed-in user of a session cookie (None when unknown or expired)."""
    return await accounts.session_principal(hash_secret(secret_key, token), now)


async def principal_for_token(token: str, now: datetime, secret_key: str) -> Principal | None:
    """The user of a personal API token (None when unknown or revoked)."""
    holder = await accounts.token_holder(hash_secret(secret_key, token))
    if holder is None:
        return None
    last_used = holder.last_used_at
    if last_used is None or now - last_used > TOKEN_USE_PRECISION:
        await tokens.touch(holder.token_id, now)
    return holder.principal


async def load_principal(user_id: int) -> Principal | None:
    """The active user of that id with their rights (None when unknown or inactive)."""
    return await accounts.principal(user_id)


async def set_language(user_id: int, language: str) -> None:
    await accounts.set_language(user_id, language)
