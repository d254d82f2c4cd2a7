"""One-time links: invitations (set a first password), password resets and invitations to
join an association.

A link's token is 256 random bits, shown once (to the admin who made it) and mailed through
the outbox; only its SHA-256 digest is stored with the link (a key adds nothing to 256
random bits, and without one the outbox's letters and the associations' service, which hold
no secret, can make and check links too). A link works once, for
``LIFETIME``, and can be revoked. Using it sets the password (same rules as the account
page), ends the user's other sessions, grants what it carries (an association with a role,
a hub to manage) and signs the user in.

The outbox row of the mail is the only other place the token is written: it is removed
from there as soon as the mail is sent, and the unsent mail is withdrawn when its link is
used or revoked first (``db.invitations.withdraw_mail``, ``db.claims.mark_sent``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from hub_booking.db import accounts, associations, catalogue, invitations, tokens, users
from hub_booking.db.engine import transaction
from hub_booking.db.invitations import (
    MAIL_KINDS,
    InvitationView,
    NewInvitation,
    Purpose,
    State,
)
from hub_booking.domain.catalogue import check_email, normalise_email
from hub_booking.domain.errors import N_, Forbidden, Invalid, NotFound, Violation
from hub_booking.domain.model import MemberRole, Principal
from hub_booking.domain.text import NOT_IN_LINE
from hub_booking.services import accounts as account_service
from hub_booking.services import audit, notifications, passwords
from hub_booking.services.tokens import hash_secret

LIFETIME = timedelta(days=7)
PAGE_SIZE = 25
MAX_PAGE = 10_000
NAME_MAX = 200
TOKEN_MAX = 100  # longer path segments are no token of ours (404 without a query)
LANGUAGES = ("ar", "fr", "en")


@dataclass(frozen=True)
class Site:
    """What making a link needs of the settings: the base URL it starts with, and the zone
    its mail gives its expiry in."""

    base_url: str
    timezone: str = "UTC"


@dataclass(frozen=True)
class InviteRequest:
    """What the invitation form asks: the person, and optionally what they will get."""

    email: str
    name: str = ""
    language: str = ""
    association_id: int | None = None
    role: str = MemberRole.MEMBER
    hub_id: int | None = None


@dataclass(frozen=True)
class Issued:
    """A link just made: its URL is shown this once (and mailed)."""

    invitation_id: int
    user_id: int
    email: str
    purpose: Purpose
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class Listing:
    items: list[InvitationView]
    total: int
    page: int
    pages: int
    state: State | None


@dataclass(frozen=True)
class Accepted:
    user_id: int
    purpose: Purpose
    session_token: str | None  # the new session when a password was set
    association: tuple[str, str] | None


async def invite(principal: Principal, request: InviteRequest, now: datetime, site: Site) -> Issued:
    """Invite a person by email (platform admins): their account is made when there is none
    (without a password), and a link to set one is mailed and returned. For someone who
    already has a password the link only grants what it carries (``join``)."""
    _admin_only(principal)
    await _check_invite(request)
    email = normalise_email(request.email)
    async with transaction():
        user_id, created = await _person(email, request, now)
        summary = await accounts.credentials_of(user_id)
        assert summary is not None
        if not summary.is_active:
            raise _invalid("email", N_("This account is deactivated: reactivate it first."))
        has_password = bool(summary.password_hash)
        if has_password and request.association_id is None and request.hub_id is None:
            raise _invalid(
                "email",
                N_(
                    "This person already has a password. Change their roles on their page, or reset their password."  # noqa: E501
                ),
            )
        purpose = Purpose.JOIN if has_password else Purpose.INVITE
        issued = await _issue(principal, user_id, email, purpose, request, now, site)
        await audit.record(
            principal.user_id, "invitation.created", "user", user_id, now,
            invitation=issued.invitation_id, purpose=purpose, created=created,
        )  # fmt: skip
    return issued


async def reset_password(
    principal: Principal,
    user_id: int,
    now: datetime,
    site: Site,
    *,
    revoke_tokens: bool = False,
) -> Issued:
    """A link for the user to set a new password (platform admins): the old password stops
    working and every session of the user ends at once; their API tokens too when asked."""
    _admin_only(principal)
    async with transaction():
        user = await accounts.credentials_of(user_id)
        if user is None:
            raise NotFound(N_("No such user."))
        if not user.is_active:
            raise _invalid("user", N_("This account is deactivated: reactivate it first."))
        await accounts.end_sessions(user_id)
        await users.clear_password(user_id)
        if revoke_tokens:
            await tokens.revoke_all(user_id, now)
        request = InviteRequest(email=user.email)
        issued = await _issue(principal, user_id, user.email, Purpose.RESET, request, now, site)
        await audit.record(
            principal.user_id, "password.reset", "user", user_id, now,
            invitation=issued.invitation_id, tokens_revoked=revoke_tokens,
        )  # fmt: skip
    return issued


async def invite_to_association(
    principal: Principal, association_id: int, email: str, role: MemberRole, now: datetime
) -> bool:
    """A representative invites the active account of ``email`` to join their association:
    a link is mailed to its owner (never shown to the representative), and using it
    attaches them. False, and nothing done, when the email has no active account. Runs in
    the caller's transaction (``services.associations.add_member``, which checked the rights)."""
    found = await accounts.credentials(email)
    if found is None or not found.is_active:
        return False
    purpose = Purpose.JOIN if found.password_hash else Purpose.INVITE
    request = InviteRequest(email=email, association_id=association_id, role=role)
    issued = await _issue(
        principal, found.user_id, email, purpose, request, now, Site(""), same_association_only=True
    )
    await audit.record(
        principal.user_id, "membership.invited", "association", association_id, now,
        invitation=issued.invitation_id, email=email, role=role,
    )  # fmt: skip
    return True


async def withdraw_made_by(user_id: int, association_id: int, now: datetime) -> None:
    """The links to join this association that ``user_id`` made and that could still be used
    are revoked and their mails withdrawn: they no longer represent it (runs in the caller's
    transaction, ``services.associations``)."""
    revoked = await invitations.revoke_made_by(user_id, association_id, now)
    if revoked:
        await invitations.withdraw_mail(revoked)


async def revoke(principal: Principal, invitation_id: int, now: datetime) -> None:
    """Revoke a link that can still be used (platform admins); its mail is withdrawn."""
    _admin_only(principal)
    async with transaction():
        if not await invitations.revoke(invitation_id, now):
            raise NotFound(N_("There is no pending invitation with this number."))
        await invitations.withdraw_mail([invitation_id])
        await audit.record(
            principal.user_id, "invitation.revoked", "invitation", invitation_id, now
        )


async def listing(principal: Principal, state: State | None, page: int, now: datetime) -> Listing:
    """A page of links, newest first, optionally in one state (platform admins)."""
    _admin_only(principal)
    page = max(1, min(page, MAX_PAGE))
    found = await invitations.page(state, now, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return Listing(found.items, found.total, page, max(1, ceil(found.total / PAGE_SIZE)), state)


async def of_user(principal: Principal, user_id: int, now: datetime) -> list[InvitationView]:
    """The user's latest links (platform admins)."""
    _admin_only(principal)
    return await invitations.of_user(user_id, now)


async def opened(token: str, now: datetime) -> InvitationView:
    """The link of ``token`` if it can still be used (404 otherwise: unknown, used, expired,
    revoked, or its account deactivated, all alike)."""
    return await _usable(token, now)


async def accept(token: str, password: str, ip: str, now: datetime, secret_key: str) -> Accepted:
    """Use a link: set the password (``invite``, ``reset``), grant what it carries, end the
    user's sessions and open a new one. Twice at once, one wins; the other gets a 404."""
    link = await _usable(token, now)
    new_hash = None
    if link.purpose != Purpose.JOIN:
        problems = account_service.password_problems(password, "password")
        if problems:
            raise Invalid(problems)
        new_hash = await passwords.hash_password(password)
    async with transaction():
        used = await invitations.use(digest(token), now)
        if used is None:
            raise _gone()
        session = None
        if new_hash is not None:
            await accounts.set_password(used.user_id, new_hash)
            await accounts.end_sessions(used.user_id)
            session = secrets.token_urlsafe(32)
            expires = now + account_service.SESSION_LIFETIME
            await accounts.open_session(
                used.user_id, hash_secret(secret_key, session), ip, now, expires
            )
        await _grant(used)
        await invitations.withdraw_mail([used.id])
        await audit.record(
            used.user_id, "invitation.accepted", "invitation", used.id, now,
            purpose=used.purpose, association=used.association_id, role=used.role, hub=used.hub_id,
        )  # fmt: skip
    return Accepted(used.user_id, used.purpose, session, used.association)


def digest(token: str) -> str:
    """What is stored of a link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def _usable(token: str, now: datetime) -> InvitationView:
    if not token or len(token) > TOKEN_MAX:
        raise _gone()
    found = await invitations.by_hash(digest(token), now)
    if found is None:
        raise _gone()
    return found


def _gone() -> NotFound:
    return NotFound(N_("This link is unknown, already used, expired or withdrawn."))


async def _grant(link: InvitationView) -> None:
    """What the link carries: a membership (an existing one is left as it is) and a hub."""
    if link.association_id is not None:
        role = MemberRole(link.role or MemberRole.MEMBER)
        await associations.add_member(link.association_id, link.user_id, role)
    if link.hub_id is not None:
        await accounts.grant_hub(link.user_id, link.hub_id)


async def _issue(
    principal: Principal,
    user_id: int,
    email: str,
    purpose: Purpose,
    request: InviteRequest,
    now: datetime,
    site: Site,
    *,
    same_association_only: bool = False,
) -> Issued:
    """Make the link and queue its mail, in the caller's transaction. The user's earlier
    links of the same kind stop working (only those for the same association, for a
    representative's invitation: an admin's invitation is not theirs to withdraw)."""
    same_kind = (Purpose.RESET,) if purpose == Purpose.RESET else (Purpose.INVITE, Purpose.JOIN)
    scope = request.association_id if same_association_only else None
    older = await invitations.revoke_pending(user_id, same_kind, now, scope)
    await invitations.withdraw_mail(older)
    token = secrets.token_urlsafe(32)
    expires_at = now + LIFETIME
    role = request.role if request.association_id is not None else ""
    invitation_id = await invitations.insert(
        NewInvitation(
            user_id=user_id,
            token_hash=digest(token),
            purpose=purpose,
            created_by=principal.user_id,
            expires_at=expires_at,
            association_id=request.association_id,
            role=role,
            hub_id=request.hub_id,
        ),
        now,
    )
    url = f"{site.base_url.rstrip('/')}/invitations/{token}"
    payload = {
        "invitation_id": invitation_id,
        "purpose": purpose,
        "token": token,
        "expires_at": expires_at.isoformat(),
        "timezone": site.timezone,
        "by": principal.user_id,
        **await _grant_names(request),
    }
    key = invitations.mail_key(invitation_id)
    await notifications.enqueue(user_id, MAIL_KINDS[purpose], payload, key, now)
    return Issued(invitation_id, user_id, email, purpose, url, expires_at)


async def _grant_names(request: InviteRequest) -> dict[str, str]:
    """The names the mail shows for what the link grants (as they are when it is sent)."""
    names: dict[str, str] = {}
    if request.association_id is not None:
        found = await associations.names([request.association_id])
        if found:
            names.update(association_fr=found[0][0], association_ar=found[0][1], role=request.role)
    if request.hub_id is not None:
        hub = await catalogue.hub(request.hub_id)
        if hub is not None:
            names.update(hub_fr=hub.name_fr, hub_ar=hub.name_ar)
    return names


async def _person(email: str, request: InviteRequest, now: datetime) -> tuple[int, bool]:
    """The account of ``email``, made (without a password) when there is none; and whether
    it was made now (then the name and language asked for are set)."""
    existing = await accounts.id_of(email)
    if existing is not None:
        return existing, False
    user_id = await associations.person(email, now, create=True)
    assert user_id is not None
    changes = accounts.UserChanges(name=request.name or None, language=request.language or None)
    await accounts.save_user(email, changes, now)
    return user_id, True


async def _check_invite(request: InviteRequest) -> None:
    problems = check_email(request.email)
    if len(request.name) > NAME_MAX or NOT_IN_LINE.search(request.name):
        message = N_("A name has at most %(max)s characters, on one line.")
        problems.append(Violation("invalid_text", message, "name", {"max": NAME_MAX}))
    if request.language not in ("", *LANGUAGES):
        problems.append(
            Violation("invalid_choice", N_("Choose a language from the list."), "language")
        )
    if request.role not in tuple(MemberRole):
        message = N_("Role must be member or representative.")
        problems.append(Violation("invalid_role", message, "role"))
    if request.association_id is not None and not await associations.status(request.association_id):
        message = N_("Choose an association from the list.")
        problems.append(Violation("invalid_choice", message, "association_id"))
    if request.hub_id is not None and await catalogue.hub(request.hub_id) is None:
        problems.append(Violation("invalid_choice", N_("Choose a hub from the list."), "hub_id"))
    if problems:
        raise Invalid(problems)


def _invalid(field: str, message: str) -> Invalid:
    return Invalid([Violation("invalid", message, field)])


def _admin_only(principal: Principal) -> None:
    if not principal.is_platform_admin:
        raise Forbidden(N_("Only a platform administrator can do this."))
