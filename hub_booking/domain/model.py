"""Small frozen dataclasses the domain reasons about."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ResourceKind(StrEnum):
    SPACE = "space"
    EQUIPMENT = "equipment"


class AssociationStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"


class MemberRole(StrEnum):
    MEMBER = "member"
    REPRESENTATIVE = "representative"


@dataclass(frozen=True)
class Principal:
    """Who is asking: the signed-in user and what they may act for."""

    user_id: int
    email: str
    name: str
    language: str
    is_platform_admin: bool = False
    managed_hubs: frozenset[int] = frozenset()
    memberships: dict[int, MemberRole] = field(default_factory=dict)

    def manages(self, hub_id: int) -> bool:
        return self.is_platform_admin or hub_id in self.managed_hubs

    def is_member_of(self, association_id: int) -> bool:
        return association_id in self.memberships

    def represents(self, association_id: int) -> bool:
        return self.memberships.get(association_id) == MemberRole.REPRESENTATIVE


def display_name(name_fr: str, name_ar: str, language: str) -> str:
    """The name in the reader's language, falling back to the other one."""
    if language == "ar":
        return name_ar or name_fr
    return name_fr or name_ar
