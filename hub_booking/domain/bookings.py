"""Bookings as the services hand them around: what is asked, what changes, what is shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hub_booking.domain.errors import N_, Invalid, Violation
from hub_booking.domain.model import BookingStatus
from hub_booking.domain.wallclock import out_of_range

MAX_ITEMS = 20


@dataclass(frozen=True)
class BookingRequest:
    """A booking asked for: once, or as a series when ``rrule`` is given."""

    association_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    attendees: int
    items: dict[int, int]  # resource id -> units
    purpose: str = ""
    rrule: str | None = None
    on_conflict: str = "fail"
    override: bool = False
    override_reason: str = ""  # why a manager set the rules aside (kept in the audit log)


@dataclass(frozen=True)
class Change:
    """An edit of one booking (or occurrence): only the fields given change."""

    title: str | None = None
    purpose: str | None = None
    attendees: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    items: dict[int, int] | None = None


@dataclass(frozen=True)
class Item:
    resource_id: int
    quantity: int


@dataclass(frozen=True)
class Decision:
    by: int | None
    at: datetime
    reason: str


@dataclass(frozen=True)
class BookingView:
    """One booking (or occurrence) as its association and its hub's managers see it."""

    id: int
    uid: str
    association_id: int
    hub_id: int
    series_id: int | None
    title: str
    purpose: str
    attendees: int
    starts_at: datetime
    ends_at: datetime
    local_start: datetime
    local_end: datetime
    timezone: str
    status: BookingStatus
    revision: int
    override: bool
    created_at: datetime
    updated_at: datetime
    decision: Decision | None = None
    items: tuple[Item, ...] = field(default_factory=tuple)
    checked_in_at: datetime | None = None  # front-desk check-in (None: not checked in)
    checked_in_by: int | None = None


def request_violations(request: BookingRequest) -> list[Violation]:
    """What a well-typed request can still get wrong before any rule is read."""
    found = [
        v
        for v in (
            out_of_range(request.starts_at, "starts_at"),
            out_of_range(request.ends_at, "ends_at"),
        )
        if v is not None
    ]
    if not request.title.strip():
        found.append(Violation("required", N_("This field is required."), "title"))
    if not request.items:
        found.append(Violation("required", N_("Book at least one resource."), "items"))
    return found


def change_violations(change: Change) -> list[Violation]:
    """What an edit can get wrong on its own: half a move, an empty title, a date typo."""
    found = [
        v
        for v in (
            out_of_range(change.starts_at, "starts_at"),
            out_of_range(change.ends_at, "ends_at"),
        )
        if v
    ]
    if (change.starts_at is None) != (change.ends_at is None):
        found.append(
            Violation("required", N_("Move a booking with both starts_at and ends_at."), "ends_at")
        )
    if change.title is not None and not change.title.strip():
        found.append(Violation("required", N_("This field is required."), "title"))
    if change.items is not None and not change.items:
        found.append(Violation("required", N_("Book at least one resource."), "items"))
    return found


def items_from(pairs: list[tuple[int, int]]) -> dict[int, int]:
    """Resource id -> units; each resource appears once per booking."""
    items: dict[int, int] = {}
    for index, (resource_id, quantity) in enumerate(pairs):
        if resource_id in items:
            raise Invalid(
                [
                    Violation(
                        "duplicate_resource",
                        N_("Each resource appears once per booking."),
                        f"items[{index}].resource_id",
                    )
                ]
            )
        items[resource_id] = quantity
    return items


def raise_if(found: list[Violation]) -> None:
    if found:
        raise Invalid(found)
