"""Users as platform admins manage them: search, roles (platform admin, hub manager,
association memberships), activation. Every change is audited.

Hub managers are assigned through the hub pages' own service functions
(``admin_catalogue.assign_manager``/``unassign_manager``), so both pages share one path.

The platform keeps at least one active platform admin: the last one can be neither
deactivated nor demoted (the active admins are locked while this is checked, so two admins
demoting each other at once cannot both succeed). Nobody deactivates or demotes themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from math import ceil

from hub_booking.db import accounts, associations, catalogue, invitations, tokens, users
from hub_booking.db.engine import transaction
from hub_booking.db.invitations import Purpose
from hub_booking.db.users import UserDetail, UserSummary
from hub_booking.domain.errors import N_, Conflict, Forbidden, NotFound
from hub_booking.domain.model import Association, Hub, Member, Principal
from hub_booking.services import admin_catalogue, audit
from hub_booking.services import associations as association_service

PAGE_SIZE = 25
MAX_PAGE = 10_000
QUERY_MAX = 100


@dataclass(frozen=True)
class UserList:
    items: list[UserSummary]
    total: int
    page: int
    pages: int
    query: str


async def search(principal: Principal, query: str, page: int) -> UserList:
    """Users whose email or name contains ``query``, by email, a page at a time."""
    _admin_only(principal)
    query, page = query.strip()[:QUERY_MAX], max(1, min(page, MAX_PAGE))
    found = await users.search(query, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    pages = max(1, ceil(found.total / PAGE_SIZE))
    return UserList(found.items, found.total, page, pages, query)


async def user(principal: Principal, user_id: int) -> UserDetail:
    """One user with their associations and hubs (404 for an unknown id)."""
    _admin_only(principal)
    found = await users.detail(user_id)
    if found is None:
        raise NotFound(N_("No such user."))
    return found


async def set_hub_manager(
    principal: Principal, user_id: int, hub_id: int, manages: bool, now: datetime
) -> None:
    """Make the user a manager of the hub, or stop it (platform admins). The change itself
    is the hub pages' own (``admin_catalogue.assign_manager``/``unassign_manager``): one
    path, one audit trail; here the user and the hub are checked first (404)."""
    _admin_only(principal)
    target = await users.summary(user_id)
    if target is None:
        raise NotFound(N_("No such user."))
    hub = await catalogue.hub(hub_id)
    if hub is None:
        raise NotFound(N_("No such hub."), field="hub_id")
    if manages:
        await admin_catalogue.assign_manager(principal, hub.slug, target.email, now)
    else:
        await admin_catalogue.unassign_manager(principal, hub.slug, user_id, now)


async def set_platform_admin(
    principal: Principal, user_id: int, admin: bool, now: datetime
) -> None:
    """Grant or take away the platform admin role; never from the last active admin."""
    _admin_only(principal)
    async with transaction():
        admins, target = await _locked(principal, user_id)
        if target.is_platform_admin == admin:
            return
        if not admin:
            _keep_an_admin(principal, target, admins)
        await users.set_platform_admin(user_id, admin)
        action = "user.admin_granted" if admin else "user.admin_revoked"
        await audit.record(principal.user_id, action, "user", user_id, now)


async def set_active(principal: Principal, user_id: int, active: bool, now: datetime) -> None:
    """Deactivate a user (they cannot sign in; their sessions end, their API tokens and
    pending links are revoked, all at once) or reactivate them."""
    _admin_only(principal)
    async with transaction():
        admins, target = await _locked(principal, user_id)
        if target.is_active == active:
            return
        if not active:
            if target.is_platform_admin:
                _keep_an_admin(principal, target, admins)
            elif target.id == principal.user_id:
                raise Conflict(N_("You cannot deactivate your own account."))
            await accounts.end_sessions(user_id)
            await tokens.revoke_all(user_id, now)
            purposes = (Purpose.INVITE, Purpose.RESET, Purpose.JOIN)
            revoked = await invitations.revoke_pending(user_id, purposes, now)
            await invitations.withdraw_mail(revoked)
        await users.set_active(user_id, active)
        action = "user.activated" if active else "user.deactivated"
        await audit.record(principal.user_id, action, "user", user_id, now)


async def set_membership(
    principal: Principal, user_id: int, association_id: int, role: str, now: datetime
) -> Member:
    """Attach the user to an association with ``role``, or change their role there (the
    associations' own rules apply: never demote the last representative)."""
    _admin_only(principal)
    target = await users.summary(user_id)
    if target is None:
        raise NotFound(N_("No such user."))
    if await associations.status(association_id) is None:
        raise NotFound(N_("This association does not exist."), field="association_id")
    data = {"email": target.email, "role": role}
    found = await association_service.add_member(principal, association_id, data, now)
    assert isinstance(found, Member)  # a platform admin attaches
    return found


async def remove_membership(
    principal: Principal, user_id: int, association_id: int, now: datetime
) -> None:
    """Take the user out of the association (never its last representative)."""
    _admin_only(principal)
    await association_service.remove_member(principal, association_id, user_id, now)


async def _locked(principal: Principal, user_id: int) -> tuple[list[int], UserSummary]:
    """The active admins, then the user, locked in that order (always the same order, so
    two such changes never wait on each other in a circle). The caller must still be one of
    those admins: another admin may have demoted them a moment ago."""
    admins = await users.lock_active_admins()
    if principal.user_id not in admins:
        raise Forbidden(N_("Only a platform administrator can do this."))
    found = await users.lock_user(user_id)
    if found is None:
        raise NotFound(N_("No such user."))
    return admins, found


def _keep_an_admin(principal: Principal, target: UserSummary, admins: list[int]) -> None:
    """Refuse to take away the last active platform admin, or one's own admin rights."""
    if target.is_active and admins == [target.id]:
        raise Conflict(N_("This is the last active platform administrator: name another first."))
    if target.id == principal.user_id:
        raise Conflict(N_("Ask another platform administrator to change your own account."))


def _admin_only(principal: Principal) -> None:
    if not principal.is_platform_admin:
        raise Forbidden(N_("Only a platform administrator can do this."))


@dataclass(frozen=True)
class Choices:
    """What the forms of a user's page offer: every hub and every association."""

    hubs: list[Hub]
    associations: list[Association]


MAX_CHOICES = 5_000


async def choices(principal: Principal) -> Choices:
    _admin_only(principal)
    hubs = await catalogue.hubs(MAX_CHOICES, 0)
    found = await associations.page(principal, MAX_CHOICES, 0)
    return Choices(hubs.items, found.items)
