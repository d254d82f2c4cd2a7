"""Associations and their members: reads and writes, rows in, domain types out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.custom_types import Combinable

from hub_booking.db.engine import is_sqlite
from hub_booking.db.tables import AppUser, Association, Booking, Hub, Membership
from hub_booking.domain import model
from hub_booking.domain.model import AssociationStatus, MemberRole, Page, Principal

_FIELDS = (
    Association.id,
    Association.slug,
    Association.name_fr,
    Association.name_ar,
    Association.status,
    Association.registration_number,
    Association.region.slug.as_alias("region"),
)
_MEMBER_FIELDS = (
    Membership.association,
    Membership.user,
    Membership.user.email.as_alias("email"),
    Membership.role,
)


@dataclass(frozen=True)
class NewAssociation:
    slug: str
    name_fr: str
    name_ar: str
    region_id: int
    status: AssociationStatus
    registration_number: str = ""
    contact_email: str = ""
    contact_phone: str = ""


def visible_to(principal: Principal) -> Combinable:
    """The associations a caller may see: all for an admin, those in the regions of their
    hubs for a manager, and their own."""
    if principal.is_platform_admin:
        return Association.id > 0
    where: Combinable = Association.id.is_in(list(principal.memberships) or [-1])
    if principal.managed_hubs:
        regions = Hub.select(Hub.region).where(Hub.id.is_in(list(principal.managed_hubs)))
        where |= Association.region.is_in(regions)
    return where


async def association(principal: Principal, association_id: int) -> model.Association | None:
    """One association, if the caller may see it."""
    where = (Association.id == association_id) & visible_to(principal)
    row = await Association.select(*_FIELDS).where(where).first()
    return _association(row) if row else None


async def page(principal: Principal, limit: int, offset: int) -> Page[model.Association]:
    """A page of the associations the caller may see, in slug order, with the total."""
    where = visible_to(principal)
    query = Association.select(*_FIELDS).where(where).order_by(Association.slug)
    rows = await query.limit(limit).offset(offset)
    return Page([_association(row) for row in rows], await Association.count().where(where))


async def of_hub_region(principal: Principal, hub_id: int, limit: int) -> list[model.Association]:
    """The active associations of the hub's region that the caller may see, by French name:
    those a manager may book for, on their behalf, in that hub (calendar helper)."""
    region = Hub.select(Hub.region).where(Hub.id == hub_id)
    where = (
        visible_to(principal)
        & Association.region.is_in(region)
        & (Association.status == AssociationStatus.ACTIVE)
    )
    query = Association.select(*_FIELDS).where(where).order_by(Association.name_fr)
    return [_association(row) for row in await query.limit(limit)]


async def insert_association(new: NewAssociation, now: datetime) -> int | None:
    """The new association's id, or None when the slug is taken (the database decides)."""
    row = Association(
        slug=new.slug,
        name_fr=new.name_fr,
        name_ar=new.name_ar,
        region=new.region_id,
        status=new.status,
        registration_number=new.registration_number,
        contact_email=new.contact_email,
        contact_phone=new.contact_phone,
        created_at=now,
    )
    query = Association.insert(row).on_conflict(Association.slug, "DO NOTHING")
    rows = await query.returning(Association.id)
    return rows[0]["id"] if rows else None


async def status(association_id: int) -> str | None:
    """The association's status, or None when it does not exist."""
    row = await Association.select(Association.status).where(Association.id == association_id)
    return row[0]["status"] if row else None


async def lock(association_id: int) -> str | None:
    """Hold the association until the transaction ends (its membership changes and its
    bookings wait) and give its status; None when it does not exist. SQLite's IMMEDIATE
    transaction already excludes writers. A plain query: it is on the booking hot path."""
    sql = "SELECT status FROM association WHERE id = {}" + ("" if is_sqlite() else " FOR UPDATE")
    rows = await Association.raw(sql, association_id)
    return rows[0]["status"] if rows else None


# Members


async def member(association_id: int, user_id: int) -> model.Member | None:
    return await _one_member(Membership.user == user_id, association_id)


async def member_by_email(association_id: int, email: str) -> model.Member | None:
    return await _one_member(Membership.user.email == email, association_id)


async def representatives(association_id: int) -> int:
    """How many representatives the association has."""
    return await Membership.count().where(
        (Membership.association == association_id) & (Membership.role == MemberRole.REPRESENTATIVE)
    )


async def person(email: str, now: datetime, *, create: bool) -> int | None:
    """The account of that (normalised) email; with ``create``, one without a password is
    made when there is none (it cannot sign in until an administrator sets a password)."""
    if create:
        row = AppUser(email=email, name=email.split("@")[0], created_at=now)
        await AppUser.insert(row).on_conflict(AppUser.email, "DO NOTHING")
    found = await AppUser.select(AppUser.id).where(AppUser.email == email).first()
    return found["id"] if found else None


async def add_member(association_id: int, user_id: int, role: MemberRole) -> bool:
    """Attach the user with ``role``; False (and nothing changed) when already a member."""
    row = Membership(user=user_id, association=association_id, role=role)
    query = Membership.insert(row).on_conflict(
        (Membership.user, Membership.association), "DO NOTHING"
    )
    return bool(await query.returning(Membership.id))


async def set_role(association_id: int, user_id: int, role: MemberRole) -> None:
    await Membership.update({Membership.role: role}).where(_membership(association_id, user_id))


async def remove_member(association_id: int, user_id: int) -> None:
    await Membership.delete().where(_membership(association_id, user_id))


def _membership(association_id: int, user_id: int) -> Combinable:
    return (Membership.association == association_id) & (Membership.user == user_id)


async def _one_member(where: Combinable, association_id: int) -> model.Member | None:
    query = Membership.select(*_MEMBER_FIELDS).where(
        where & (Membership.association == association_id)
    )
    row = await query.first()
    if row is None:
        return None
    return model.Member(row["association"], row["user"], row["email"], MemberRole(row["role"]))


def _association(row: dict[str, Any]) -> model.Association:
    return model.Association(
        id=row["id"],
        slug=row["slug"],
        name_fr=row["name_fr"],
        name_ar=row["name_ar"],
        status=AssociationStatus(row["status"]),
        registration_number=row["registration_number"],
        region=row["region"],
    )


async def id_by_slug(slug: str) -> int | None:
    """The id of the association of that slug, None when there is none."""
    row = await Association.select(Association.id).where(Association.slug == slug).first()
    return row["id"] if row else None


async def names(association_ids: list[int]) -> list[tuple[str, str]]:
    """(name_fr, name_ar) of these associations, in one query."""
    if not association_ids:
        return []
    rows = await Association.select(Association.name_fr, Association.name_ar).where(
        Association.id.is_in(association_ids)
    )
    return [(row["name_fr"], row["name_ar"]) for row in rows]


# The platform admin's pages: search, status, bulk import, bookings held (admin helper)


_TEXT_SEARCH = (
    "("
    + " OR ".join(
        f"lower(association.{column}) LIKE {{}} ESCAPE '\\'"
        for column in ("slug", "name_fr", "name_ar", "registration_number")
    )
    + ")"
)


@dataclass(frozen=True)
class AssociationFilters:
    text: str = ""  # part of the slug, a name or the registration number
    status: AssociationStatus | None = None
    region: str = ""  # a region's slug


@dataclass(frozen=True)
class HeldBooking:
    """A booking of the association that still holds its resources."""

    id: int
    title: str
    hub_name_fr: str
    hub_name_ar: str
    local_start: datetime
    local_end: datetime
    status: str
    series_id: int | None


async def search(
    principal: Principal, filters: AssociationFilters, limit: int, offset: int
) -> Page[model.Association]:
    """A page of the associations the caller may see that match ``filters``, by slug."""
    where = visible_to(principal)
    if filters.text:  # a part of any of these, in any case; "%" and "_" are themselves
        escaped = filters.text.lower().replace("\\", "\\\\")
        pattern = "%" + escaped.replace("%", "\\%").replace("_", "\\_") + "%"
        where &= WhereRaw(_TEXT_SEARCH, *[pattern] * 4)
    if filters.status is not None:
        where &= Association.status == filters.status
    if filters.region:
        where &= Association.region.slug == filters.region
    query = Association.select(*_FIELDS).where(where).order_by(Association.slug)
    rows = await query.limit(limit).offset(offset)
    return Page([_association(row) for row in rows], await Association.count().where(where))


async def set_status(association_id: int, status: AssociationStatus) -> None:
    await Association.update({Association.status: status}).where(Association.id == association_id)


async def taken(slugs: list[str], registration_numbers: list[str]) -> tuple[set[str], set[str]]:
    """Which of these slugs, and of these registration numbers, associations already have."""
    found_slugs: set[str] = set()
    found_numbers: set[str] = set()
    for column, values, found in (
        (Association.slug, slugs, found_slugs),
        (Association.registration_number, registration_numbers, found_numbers),
    ):
        for start in range(0, len(values), _BATCH):
            rows = await Association.select(column.as_alias("value")).where(
                column.is_in(values[start : start + _BATCH])
            )
            found.update(row["value"] for row in rows)
    return found_slugs, found_numbers


async def insert_associations(new: list[NewAssociation], now: datetime) -> dict[str, int]:
    """Insert these associations; their ids by slug. A slug already taken is left out of
    the answer (the caller compares and rolls back). Plain SQL, a batch per statement: an
    import of thousands must not hold the write lock for long."""
    ids: dict[str, int] = {}
    for start in range(0, len(new), _BATCH):
        batch = new[start : start + _BATCH]
        args = [
            value
            for item in batch
            for value in (
                item.slug,
                item.name_fr,
                item.name_ar,
                item.region_id,
                str(item.status),
                item.registration_number,
                item.contact_email,
                item.contact_phone,
                now.astimezone(UTC),
            )
        ]
        rows = await Association.raw(
            "INSERT INTO association (slug, name_fr, name_ar, region, status,"
            " registration_number, contact_email, contact_phone, created_at) VALUES "
            + ", ".join(["({}, {}, {}, {}, {}, {}, {}, {}, {})"] * len(batch))
            + " ON CONFLICT (slug) DO NOTHING RETURNING id, slug",
            *args,
        )
        ids.update({row["slug"]: row["id"] for row in rows})
    return ids


async def add_members_in_bulk(pairs: list[tuple[int, int]], role: MemberRole) -> None:
    """Attach each (association, user) with ``role`` (pairs already attached are left)."""
    for start in range(0, len(pairs), _BATCH):
        batch = pairs[start : start + _BATCH]
        args = [value for association, user in batch for value in (user, association, str(role))]
        await Membership.raw(
            'INSERT INTO membership ("user", association, role) VALUES '
            + ", ".join(["({}, {}, {})"] * len(batch))
            + ' ON CONFLICT ("user", association) DO NOTHING',
            *args,
        )


async def held_bookings(association_id: int, now: datetime) -> list[HeldBooking]:
    """The association's bookings that still hold resources and have not ended, by start."""
    where = (
        (Booking.association == association_id)
        & Booking.status.is_in(["pending", "approved"])
        & (Booking.ends_at > now)
    )
    query = Booking.select(
        Booking.id,
        Booking.title,
        Booking.hub.name_fr.as_alias("hub_name_fr"),
        Booking.hub.name_ar.as_alias("hub_name_ar"),
        Booking.local_start,
        Booking.local_end,
        Booking.status,
        Booking.series.as_alias("series_id"),
    ).where(where)
    rows = await query.order_by(Booking.starts_at, Booking.id)
    return [HeldBooking(**row) for row in rows]


_BATCH = 500  # rows per statement: well under SQLite's limit of bound variables
