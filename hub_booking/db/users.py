"""Users as platform admins see and change them: search, one user with their roles,
activation and the platform admin flag. Rows in, frozen dataclasses out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub_booking.db.engine import is_sqlite
from hub_booking.db.tables import AppUser, HubManager, Membership
from hub_booking.domain.model import MemberRole, Page


@dataclass(frozen=True)
class UserSummary:
    id: int
    email: str
    name: str
    is_active: bool
    is_platform_admin: bool
    has_password: bool
    created_at: datetime


@dataclass(frozen=True)
class Affiliation:
    association_id: int
    slug: str
    name_fr: str
    name_ar: str
    role: MemberRole


@dataclass(frozen=True)
class ManagedHub:
    hub_id: int
    slug: str
    name_fr: str
    name_ar: str


@dataclass(frozen=True)
class UserDetail:
    user: UserSummary
    memberships: list[Affiliation]
    hubs: list[ManagedHub]


_COLUMNS = (
    "id, email, name, is_active, is_platform_admin, "
    "(password_hash IS NOT NULL AND password_hash <> '') AS has_password, created_at"
)
# Case-insensitive containment; the caller's text is matched literally (``\\`` escapes).
_MATCH = "(lower(email) LIKE {} ESCAPE '\\' OR lower(name) LIKE {} ESCAPE '\\')"


async def search(text: str, limit: int, offset: int) -> Page[UserSummary]:
    """Users whose email or name contains ``text`` (all when empty), by email, with the total."""
    where, args = ("", []) if not text else (f"WHERE {_MATCH}", [_pattern(text)] * 2)
    rows = await AppUser.raw(
        f"SELECT {_COLUMNS} FROM app_user {where} ORDER BY email LIMIT {{}} OFFSET {{}}",
        *args,
        limit,
        offset,
    )
    total = await AppUser.raw(f"SELECT COUNT(*) AS n FROM app_user {where}", *args)
    return Page([_summary(row) for row in rows], int(total[0]["n"]))


async def summary(user_id: int) -> UserSummary | None:
    rows = await AppUser.raw(f"SELECT {_COLUMNS} FROM app_user WHERE id = {{}}", user_id)
    return _summary(rows[0]) if rows else None


async def detail(user_id: int) -> UserDetail | None:
    """The user with their associations (and roles there) and the hubs they manage."""
    found = await summary(user_id)
    if found is None:
        return None
    members = await Membership.select(
        Membership.association,
        Membership.association.slug.as_alias("slug"),
        Membership.association.name_fr.as_alias("name_fr"),
        Membership.association.name_ar.as_alias("name_ar"),
        Membership.role,
    ).where(Membership.user == user_id)
    hubs = await HubManager.select(
        HubManager.hub,
        HubManager.hub.slug.as_alias("slug"),
        HubManager.hub.name_fr.as_alias("name_fr"),
        HubManager.hub.name_ar.as_alias("name_ar"),
    ).where(HubManager.user == user_id)
    return UserDetail(
        found,
        sorted(
            (
                Affiliation(
                    m["association"], m["slug"], m["name_fr"], m["name_ar"], MemberRole(m["role"])
                )
                for m in members
            ),
            key=lambda m: m.slug,
        ),
        sorted(
            (ManagedHub(h["hub"], h["slug"], h["name_fr"], h["name_ar"]) for h in hubs),
            key=lambda h: h.slug,
        ),
    )


async def lock_user(user_id: int) -> UserSummary | None:
    """The user, held until the transaction ends (SQLite's IMMEDIATE transaction already
    excludes other writers)."""
    if not is_sqlite():
        await AppUser.raw("SELECT id FROM app_user WHERE id = {} FOR UPDATE", user_id)
    return await summary(user_id)


async def lock_active_admins() -> list[int]:
    """The active platform admins, held until the transaction ends: two admins demoting
    each other at once take turns, and the second sees the first's change."""
    sql = "SELECT id FROM app_user WHERE is_platform_admin AND is_active ORDER BY id"
    rows = await AppUser.raw(sql if is_sqlite() else sql + " FOR UPDATE")
    return [row["id"] for row in rows]


async def set_active(user_id: int, active: bool) -> None:
    await AppUser.update({AppUser.is_active: active}).where(AppUser.id == user_id)


async def set_platform_admin(user_id: int, admin: bool) -> None:
    await AppUser.update({AppUser.is_platform_admin: admin}).where(AppUser.id == user_id)


async def clear_password(user_id: int) -> None:
    """The old password stops working (a reset link sets the next one)."""
    await AppUser.update({AppUser.password_hash: None}).where(AppUser.id == user_id)


async def set_name(user_id: int, name: str) -> None:
    await AppUser.update({AppUser.name: name}).where(AppUser.id == user_id)


def _pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _summary(row: dict[str, Any]) -> UserSummary:
    return UserSummary(
        id=row["id"],
        email=row["email"],
        name=row["name"] or "",
        is_active=bool(row["is_active"]),
        is_platform_admin=bool(row["is_platform_admin"]),
        has_password=bool(row["has_password"]),
        created_at=_aware(row["created_at"]),
    )


def _aware(value: Any) -> datetime:
    """Raw SQLite rows give text or naive times; they are UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
