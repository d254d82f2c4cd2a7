"""Associations and their members."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from hub_booking.db import associations, catalogue
from hub_booking.db.associations import NewAssociation
from hub_booking.db.engine import transaction
from hub_booking.domain.catalogue import check_association, check_membership, normalise_email
from hub_booking.domain.errors import N_, Conflict, Forbidden, NotFound
from hub_booking.domain.model import (
    Association,
    AssociationStatus,
    Invitation,
    Member,
    MemberRole,
    Page,
    Principal,
)
from hub_booking.services import audit, invitations, notifications


async def create_association(
    principal: Principal, data: dict[str, Any], now: datetime
) -> Association:
    """Register an association (platform admins), ``active`` unless told otherwise."""
    if not principal.is_platform_admin:
        raise Forbidden(N_("Only a platform administrator can register associations."))
    check_association(data)
    async with transaction():
        association_id = await associations.insert_association(
            NewAssociation(
                slug=data["slug"],
                name_fr=(data.get("name_fr") or "").strip(),
                name_ar=(data.get("name_ar") or "").strip(),
                region_id=await catalogue.region_id(data["region"]),
                status=AssociationStatus(data.get("status") or AssociationStatus.ACTIVE),
                registration_number=(data.get("registration_number") or "").strip(),
                contact_email=normalise_email(data.get("contact_email") or ""),
                contact_phone=(data.get("contact_phone") or "").strip(),
            ),
            now,
        )
        if association_id is None:
            raise Conflict(N_("An association with this slug already exists."), field="slug")
        await audit.record(
            principal.user_id, "association.created", "association", association_id, now
        )
    return await get_association(principal, association_id)


async def list_associations(principal: Principal, limit: int, offset: int) -> Page[Association]:
    """A page of the associations the caller may see: all for an admin, those of their hubs'
    regions for a manager, their own for a member."""
    return await associations.page(principal, limit, offset)


async def get_association(principal: Principal, association_id: int) -> Association:
    """One association, if the caller may see it (404 otherwise, never the data)."""
    found = await associations.association(principal, association_id)
    if found is None:
        raise NotFound(N_("This association does not exist."))
    return found


async def add_member(
    principal: Principal, association_id: int, data: dict[str, Any], now: datetime
) -> Member | Invitation:
    """Add a person to an association by email, or change a member's role.

    A platform admin attaches the account of that email (made without a password when
    there is none: it cannot sign in until an administrator sets one). A representative
    changes the role of a current member, but cannot attach anyone else: the owner of an
    existing account is mailed an invitation that attaches them once they accept it; for
    an email without an account the request is recorded (audit trail, and a message to
    the platform admins, who can invite the person). The answer is an ``Invitation``, the
    same whether or not the email has an account, so the answer never tells who is
    registered. The last representative cannot be demoted (409).
    """
    _check_may_manage_members(principal, association_id)
    check_membership(data)
    email = normalise_email(data["email"])
    role = MemberRole(data.get("role") or MemberRole.MEMBER)
    async with transaction():
        if not await associations.lock(association_id):
            raise NotFound(N_("This association does not exist."))
        current = await associations.member_by_email(association_id, email)
        if current is not None:
            return await _change_role(principal, current, role, now)
        if not principal.is_platform_admin:
            return await _invite(principal, Invitation(association_id, email, role), now)
        user_id = await associations.person(email, now, create=True)
        assert user_id is not None
        await associations.add_member(association_id, user_id, role)
        await _audit_membership(principal, "membership.added", association_id, email, role, now)
    return Member(association_id, user_id, email, role)


async def remove_member(
    principal: Principal, association_id: int, user_id: int, now: datetime
) -> None:
    """Remove a member (platform admins, the association's representatives); never the
    last representative (409)."""
    _check_may_manage_members(principal, association_id)
    async with transaction():
        if not await associations.lock(association_id):
            raise NotFound(N_("This association does not exist."))
        current = await associations.member(association_id, user_id)
        if current is None:
            raise NotFound(N_("This person is not a member of this association."))
        if current.role == MemberRole.REPRESENTATIVE:
            await _keep_a_representative(association_id)
            await invitations.withdraw_made_by(user_id, association_id, now)
        await associations.remove_member(association_id, user_id)
        await _audit_membership(
            principal, "membership.removed", association_id, current.email, current.role, now
        )


def _check_may_manage_members(principal: Principal, association_id: int) -> None:
    """Outsiders get a 404 (they may not know the association), members a 403."""
    if not (principal.is_platform_admin or principal.is_member_of(association_id)):
        raise NotFound(N_("This association does not exist."))
    if not principal.is_platform_admin and not principal.represents(association_id):
        raise Forbidden(N_("Only a representative of this association can manage its members."))


async def _change_role(
    principal: Principal, current: Member, role: MemberRole, now: datetime
) -> Member:
    if current.role == role:
        return current
    if current.role == MemberRole.REPRESENTATIVE:
        await _keep_a_representative(current.association_id)
        await invitations.withdraw_made_by(current.user_id, current.association_id, now)
    await associations.set_role(current.association_id, current.user_id, role)
    await _audit_membership(
        principal, "membership.role_changed", current.association_id, current.email, role, now
    )
    return Member(current.association_id, current.user_id, current.email, role)


async def _keep_a_representative(association_id: int) -> None:
    """Refuse to take away the association's only representative (callers hold its lock)."""
    if await associations.representatives(association_id) <= 1:
        raise Conflict(
            N_("This is the association's last representative: name another representative first.")
        )


async def _invite(principal: Principal, invitation: Invitation, now: datetime) -> Invitation:
    """A representative's invitation: the owner of an existing account is mailed a link
    (accepting it attaches them: ``services.invitations``); for an email without an
    account the platform admins are asked. The answer is the same either way."""
    if await invitations.invite_to_association(
        principal, invitation.association_id, invitation.email, invitation.role, now
    ):
        return invitation
    return await _record_invitation(principal, invitation, now)


async def _record_invitation(
    principal: Principal, invitation: Invitation, now: datetime
) -> Invitation:
    """Nothing is attached: the platform admins are asked (once per email and role)."""
    digest = hashlib.sha256(invitation.email.encode()).hexdigest()[:32]
    key = f"membership-request:{invitation.association_id}:{digest}:{invitation.role}"
    payload = {
        "association_id": invitation.association_id,
        "email": invitation.email,
        "role": invitation.role,
        "requested_by": principal.user_id,
    }
    await notifications.to_platform_admins("membership.requested", payload, key, now)
    await _audit_membership(
        principal,
        "membership.requested",
        invitation.association_id,
        invitation.email,
        invitation.role,
        now,
    )
    return invitation


async def _audit_membership(
    principal: Principal,
    action: str,
    association_id: int,
    email: str,
    role: MemberRole,
    now: datetime,
) -> None:
    await audit.record(
        principal.user_id, action, "association", association_id, now, email=email, role=role
    )
