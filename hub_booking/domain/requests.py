"""Booking requests as they arrive (JSON bodies): types and shapes checked, every problem listed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub_booking.domain.errors import N_, Invalid, Violation

TITLE_MAX = 200
PURPOSE_MAX = 2000
MAX_ITEMS = 20


@dataclass(frozen=True)
class BookingRequest:
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


@dataclass(frozen=True)
class Change:
    """An edit of one booking (or occurrence): only the fields given change."""

    title: str | None = None
    purpose: str | None = None
    attendees: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


def parse_booking(body: Any) -> BookingRequest:
    """A ``BookingRequest`` from a JSON body, or ``Invalid`` naming every bad field."""
    if not isinstance(body, dict):
        raise Invalid([Violation("invalid_body", N_("The body must be a JSON object."), None)])
    found: list[Violation] = []
    association_id = _positive_int(body, "association_id", found, required=True)
    title = _text(body, "title", TITLE_MAX, found, required=True)
    purpose = _text(body, "purpose", PURPOSE_MAX, found) or ""
    starts_at = parse_instant(body.get("starts_at"), "starts_at", found)
    ends_at = parse_instant(body.get("ends_at"), "ends_at", found)
    attendees = _positive_int(body, "attendees", found) or 1
    items = _items(body.get("items"), found)
    rrule, on_conflict = _recurrence(body.get("recurrence"), found)
    override = body.get("override", False)
    if not isinstance(override, bool):
        found.append(Violation("invalid_boolean", N_("Must be true or false."), "override"))
    if found:
        raise Invalid(found)
    return BookingRequest(
        association_id=association_id or 0,
        title=title or "",
        starts_at=starts_at,  # type: ignore[arg-type]
        ends_at=ends_at,  # type: ignore[arg-type]
        attendees=attendees,
        items=items,
        purpose=purpose,
        rrule=rrule,
        on_conflict=on_conflict,
        override=bool(override),
    )


def parse_change(body: Any) -> Change:
    if not isinstance(body, dict):
        raise Invalid([Violation("invalid_body", N_("The body must be a JSON object."), None)])
    found: list[Violation] = []
    change = Change(
        title=_text(body, "title", TITLE_MAX, found) if "title" in body else None,
        purpose=_text(body, "purpose", PURPOSE_MAX, found) if "purpose" in body else None,
        attendees=_positive_int(body, "attendees", found) if "attendees" in body else None,
        starts_at=parse_instant(body["starts_at"], "starts_at", found)
        if "starts_at" in body
        else None,
        ends_at=parse_instant(body["ends_at"], "ends_at", found) if "ends_at" in body else None,
    )
    if (change.starts_at is None) != (change.ends_at is None) and not found:
        found.append(
            Violation("required", N_("Move a booking with both starts_at and ends_at."), "ends_at")
        )
    if found:
        raise Invalid(found)
    return change


def parse_instant(value: Any, field: str, found: list[Violation]) -> datetime | None:
    """An ISO 8601 time that carries its offset; a naive time is refused (whose clock?)."""
    if value is None:
        found.append(Violation("required", N_("This field is required."), field))
        return None
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None:
        found.append(
            Violation(
                "invalid_datetime",
                N_("Use an ISO 8601 time such as 2027-02-09T14:00:00+00:00."),
                field,
            )
        )
        return None
    if when.tzinfo is None or when.utcoffset() is None:
        found.append(
            Violation(
                "naive_datetime",
                N_("Give the time with its offset, e.g. 2027-02-09T14:00:00+00:00."),
                field,
            )
        )
        return None
    return when


def _text(
    body: dict, field: str, limit: int, found: list[Violation], *, required: bool = False
) -> str | None:
    value = body.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            found.append(Violation("required", N_("This field is required."), field))
        return None
    if not isinstance(value, str):
        found.append(Violation("invalid_text", N_("Must be text."), field))
        return None
    if len(value) > limit:
        found.append(
            Violation("too_long_text", N_("At most %(max)s characters."), field, {"max": limit})
        )
        return None
    return value.strip()


def _positive_int(
    body: dict, field: str, found: list[Violation], *, required: bool = False
) -> int | None:
    value = body.get(field)
    if value is None:
        if required:
            found.append(Violation("required", N_("This field is required."), field))
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        found.append(
            Violation("invalid_number", N_("Must be a whole number of at least 1."), field)
        )
        return None
    return value


def _items(value: Any, found: list[Violation]) -> dict[int, int]:
    if not isinstance(value, list) or not value:
        found.append(Violation("required", N_("Book at least one resource."), "items"))
        return {}
    if len(value) > MAX_ITEMS:
        found.append(
            Violation(
                "too_many_items",
                N_("At most %(max)s resources in one booking."),
                "items",
                {"max": MAX_ITEMS},
            )
        )
        return {}
    items: dict[int, int] = {}
    for index, item in enumerate(value):
        field = f"items[{index}]"
        resource_id = item.get("resource_id") if isinstance(item, dict) else None
        quantity = item.get("quantity", 1) if isinstance(item, dict) else None
        if isinstance(resource_id, bool) or not isinstance(resource_id, int) or resource_id < 1:
            found.append(
                Violation("invalid_resource", N_("Give a resource_id."), f"{field}.resource_id")
            )
        elif isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            found.append(
                Violation(
                    "invalid_quantity", N_("The quantity must be at least 1."), f"{field}.quantity"
                )
            )
        elif resource_id in items:
            found.append(
                Violation(
                    "duplicate_resource",
                    N_("Each resource appears once per booking."),
                    f"{field}.resource_id",
                )
            )
        else:
            items[resource_id] = quantity
    return items


def _recurrence(value: Any, found: list[Violation]) -> tuple[str | None, str]:
    if value is None:
        return None, "fail"
    if not isinstance(value, dict) or not isinstance(value.get("rrule"), str):
        found.append(
            Violation(
                "invalid_rrule",
                N_("recurrence needs an rrule such as FREQ=WEEKLY;BYDAY=TU;COUNT=10."),
                "recurrence.rrule",
            )
        )
        return None, "fail"
    on_conflict = value.get("on_conflict", "fail")
    if on_conflict not in ("fail", "skip"):
        found.append(
            Violation(
                "invalid_choice", N_("on_conflict is fail or skip."), "recurrence.on_conflict"
            )
        )
    return value["rrule"], on_conflict
