"""Small frozen dataclasses the domain reasons about."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

T = TypeVar("T")


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


class FeedScope(StrEnum):
    """What a calendar feed shows: one resource, one hub, one association, or "my bookings"."""

    RESOURCE = "resource"
    HUB = "hub"
    ASSOCIATION = "association"
    ME = "me"


class BookingStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    # A waitlist's hold: the slot kept for the association it is offered to (its items hold,
    # so the one conflict guarantee covers it) until it confirms or the hold lapses.
    OFFERED = "offered"


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


# Catalogue: what the hub, resource, association, member and closure services return.


@dataclass(frozen=True)
class Region:
    id: int
    slug: str
    name_fr: str
    name_ar: str


@dataclass(frozen=True)
class Hub:
    """A competency hub; ``region`` is its region's slug, ``rules`` the defaults it sets."""

    id: int
    slug: str
    name_fr: str
    name_ar: str
    region: str
    timezone: str
    address: str
    opening_hours: dict[str, list[list[str]]]
    rules: dict[str, Any]


@dataclass(frozen=True)
class Resource:
    """A space or an equipment pool as stored, with its own rule overrides (not merged)."""

    id: int
    hub_id: int
    kind: ResourceKind
    name_fr: str
    name_ar: str
    description: str
    capacity: int | None
    quantity: int
    requires_approval: bool
    active: bool
    rules: dict[str, Any]


@dataclass(frozen=True)
class Association:
    id: int
    slug: str
    name_fr: str
    name_ar: str
    status: AssociationStatus
    registration_number: str
    region: str


@dataclass(frozen=True)
class Member:
    """A person's membership of an association."""

    association_id: int
    user_id: int
    email: str
    role: MemberRole


@dataclass(frozen=True)
class Invitation:
    """A request to add someone to an association, recorded without attaching anyone."""

    association_id: int
    email: str
    role: MemberRole


@dataclass(frozen=True)
class ClosureView:
    """A recorded closure with its identity, UTC instants and the hub's wall-clock times."""

    id: int
    hub_id: int
    resource_id: int | None
    starts_at: datetime
    ends_at: datetime
    local_start: datetime
    local_end: datetime
    timezone: str
    reason: str


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the total number of items across all pages."""

    items: list[T]
    total: int
