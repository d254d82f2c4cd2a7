"""Small frozen dataclasses the domain reasons about."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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


class BookingStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


HOLDING = frozenset({BookingStatus.PENDING, BookingStatus.APPROVED})


@dataclass(frozen=True)
class ResourceInfo:
    """A resource as the rules see it, with its effective rules (defaults < hub < resource)."""

    id: int
    hub_id: int
    kind: ResourceKind
    quantity: int
    capacity: int | None = None
    requires_approval: bool = False
    active: bool = True
    rules: dict = field(default_factory=dict)
    name: str = ""

    @property
    def is_space(self) -> bool:
        return self.kind == ResourceKind.SPACE


@dataclass(frozen=True)
class Hold:
    """Units of a resource held by a booking over ``[start, end)`` (UTC, buffers included)."""

    resource_id: int
    quantity: int
    start: datetime
    end: datetime
    booking_id: int | None = None


@dataclass(frozen=True)
class Closure:
    """A blackout: the whole hub (``resource_id`` None) or one resource is closed."""

    start: datetime
    end: datetime
    reason: str = ""
    resource_id: int | None = None
