"""Associations and their members."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from piccolo.custom_types import Combinable

from hub_booking.db.engine import transaction
from hub_booking.db.tables import AppUser, Association, Hub, Membership
from hub_booking.domain.catalogue import check_association, check_membership, normalise_email
from hub_booking.domain.errors import N_, Conflict, Forbidden, NotFound
from hub_booking.domain.model import MemberRole, Principal
from hub_booking.services import audit
from hub_booking.services.accounts import set_membership
from hub_booking.services.resources import region_id

FIELDS = (
    Association.id,
    Association.slug,
    Association.name_fr,
    Association.name_ar,
    Association.status,
    Association.registration_number,
    Association.region.slug.as_alias("region"),
)


async def create_association(principal: Principal, data: dict[str, Any], now: datetime) -> int:
    if not principal.is_platform_admin:
        raise Forbidden(N_("Only a platform administrator can register associations."))
    check_association(data)
    async with transaction():
        if await Association.exists().where(Association.slug == data["slug"]):
            raise Conflict(N_("An association with this slug already exists."), field="slug")
        rows = await Association.insert(
            Association(
                slug=data["slug"],
                name_fr=(data.get("name_fr") or "").strip(),
                name_ar=(data.get("name_ar") or "").strip(),
                registration_number=data.get("registration_number") or "",
                region=await region_id(data["region"], now),
                status=data.get("status") or "active",
                contact_email=data.get("contact_email") or "",
                contact_phone=data.get("contact_phone") or "",
                created_at=now,
            )
        ).returning(Association.id)
        association_id = rows[0]["id"]
        await audit.record(
            principal.user_id, "association.created", "association", association_id, now
        )
    return association_id


async def list_associations(principal: Principal) -> list[dict[str, Any]]:
    """Associations the caller may see: all for an admin, those of their hubs' regions for a
    manager, their own for a member."""
    query = Association.select(*FIELDS).order_by(Association.slug)
    if principal.is_platform_admin:
        return await query
    where: Combinable = Association.id.is_in(list(principal.memberships) or [-1])
    if principal.managed_hubs:
        regions = await Hub.select(Hub.region).where(Hub.id.is_in(list(principal.managed_hubs)))
        where |= Association.region.is_in([row["region"] for row in regions])
    return await query.where(where)


async def get_association(principal: Principal, association_id: int) -> dict[str, Any]:
    """One association, if the caller may see it (404 otherwise, never the data)."""
    for row in await list_associations(principal):
        if row["id"] == association_id:
            return row
    raise NotFound(N_("This association does not exist."))


async def add_member(
    principal: Principal, association_id: int, data: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Add a person (by email) to an association, or change their role.

    A person without an account gets one without a password: they cannot sign in until an
    administrator sets one (``hub-booking create-user``).
    """
    if not (principal.is_platform_admin or principal.is_member_of(association_id)):
        raise NotFound(N_("This association does not exist."))
    if not principal.is_platform_admin and not principal.represents(association_id):
        raise Forbidden(N_("Only a representative of this association can add members."))
    if not await Association.exists().where(Association.id == association_id):
        raise NotFound(N_("This association does not exist."))
    check_membership(data)
    email = normalise_email(data["email"])
    role = MemberRole(data.get("role", MemberRole.MEMBER))
    async with transaction():
        user = await AppUser.select(AppUser.id).where(AppUser.email == email).first()
        if user is None:
            rows = await AppUser.insert(
                AppUser(email=email, name=email.split("@")[0], created_at=now)
            ).returning(AppUser.id)
            user = rows[0]
        await set_membership(user["id"], association_id, role)
        await audit.record(
            principal.user_id,
            "membership.saved",
            "association",
            association_id,
            now,
            email=email,
            role=role,
        )
    return {"association_id": association_id, "user_id": user["id"], "email": email, "role": role}


async def members(association_id: int) -> list[dict[str, Any]]:
    return await Membership.select(
        Membership.user.email.as_alias("email"),
        Membership.user.name.as_alias("name"),
        Membership.role,
    ).where(Membership.association == association_id)
