"""JSON shapes of the API: names in the caller's language, lists with totals."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from hub_booking.domain.bookings import BookingView
from hub_booking.domain.conflicts import Clash
from hub_booking.domain.errors import Violation
from hub_booking.domain.model import ClosureView, Invitation, Member, Page
from hub_booking.domain.verdict import Occurrence
from hub_booking.i18n import translate
from hub_booking.services.availability import Availability
from hub_booking.services.bookings import Assessment, Created
from hub_booking.services.suggestions import Suggestions
from hub_booking.services.tokens import TokenInfo

T = TypeVar("T")


def member(item: Member | Invitation) -> dict[str, Any]:
    """A membership; an invitation has no ``user_id`` and the status ``invited``."""
    if isinstance(item, Invitation):
        return {
            "association_id": item.association_id,
            "email": item.email,
            "role": item.role,
            "status": "invited",
        }
    return {
        "association_id": item.association_id,
        "user_id": item.user_id,
        "email": item.email,
        "role": item.role,
        "status": "member",
    }


def closure(item: ClosureView) -> dict[str, Any]:
    return {
        "id": item.id,
        "hub_id": item.hub_id,
        "resource_id": item.resource_id,
        "starts_at": instant(item.starts_at),
        "ends_at": instant(item.ends_at),
        "local_start": item.local_start.isoformat(timespec="minutes"),
        "local_end": item.local_end.isoformat(timespec="minutes"),
        "timezone": item.timezone,
        "reason": item.reason,
    }


def page_of(result: Page[T], shape: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    """``{"items", "total"}`` for one page read from the database."""
    return {"items": [shape(item) for item in result.items], "total": result.total}


def instant(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with its offset written out (``+00:00``), as CONTRACT.md shows."""
    return value.astimezone(UTC).isoformat() if value is not None else None


def booking(view: BookingView) -> dict[str, Any]:
    decision = view.decision
    return {
        "id": view.id,
        "uid": view.uid,
        "association_id": view.association_id,
        "hub_id": view.hub_id,
        "series_id": view.series_id,
        "title": view.title,
        "purpose": view.purpose,
        "attendees": view.attendees,
        "starts_at": instant(view.starts_at),
        "ends_at": instant(view.ends_at),
        "timezone": view.timezone,
        "local_start": view.local_start.isoformat(timespec="minutes"),
        "local_end": view.local_end.isoformat(timespec="minutes"),
        "status": str(view.status),
        "revision": view.revision,
        "override": view.override,
        "items": [{"resource_id": i.resource_id, "quantity": i.quantity} for i in view.items],
        "decision": (
            {"by": decision.by, "at": instant(decision.at), "reason": decision.reason}
            if decision
            else None
        ),
        "created_at": instant(view.created_at),
        "updated_at": instant(view.updated_at),
        "checked_in_at": instant(view.checked_in_at),
    }


def created(result: Created, language: str) -> dict[str, Any]:
    """A new booking; for a series, every occurrence made or skipped (with why)."""
    first = booking(result.first)
    if result.first.series_id is None:
        return first
    made = [
        {
            "id": b.id,
            "starts_at": instant(b.starts_at),
            "ends_at": instant(b.ends_at),
            "status": str(b.status),
            "skipped": False,
        }
        for b in result.bookings
    ]
    skipped = [
        {
            "id": None,
            "starts_at": instant(s.slot.start),
            "ends_at": instant(s.slot.end),
            "status": "skipped",
            "skipped": True,
            "code": s.code,
            "reason": translate(language, s.message, **s.params),
        }
        for s in result.assessment.verdict.skipped
    ]
    return {**first, "occurrences": sorted(made + skipped, key=lambda o: o["starts_at"] or "")}


def violations(found: Iterable[Violation], language: str) -> list[dict[str, Any]]:
    return [
        {"code": v.code, "field": v.field, "message": translate(language, v.message, **v.params)}
        for v in found
    ]


def conflicts(clashes: Iterable[Clash]) -> list[dict[str, Any]]:
    """The clashing periods (never who holds them), at most 50."""
    periods = sorted({(c.resource_id, c.start, c.end) for c in clashes}, key=lambda c: (c[1], c[0]))
    return [
        {"resource_id": rid, "starts_at": instant(start), "ends_at": instant(end)}
        for rid, start, end in periods[:50]
    ]


def suggestions(found: Suggestions | None) -> dict[str, Any]:
    if found is None:
        return {"next_slots": [], "alternatives": []}
    return {
        "next_slots": [
            {"starts_at": instant(f.start), "ends_at": instant(f.end)} for f in found.next_slots
        ],
        "alternatives": [
            {
                "replaces": a.replaces,
                "resource_id": a.resource_id,
                "name": a.name,
                "kind": str(a.kind),
            }
            for a in found.alternatives
        ],
    }


def assessment(result: Assessment, language: str) -> dict[str, Any]:
    """The dry-run check: what creating would answer, occurrence by occurrence."""
    verdict = result.verdict
    return {
        "ok": verdict.ok,
        "status": str(result.status),
        "timezone": result.timezone,
        "violations": violations(verdict.violations, language),
        "conflicts": conflicts(verdict.clashes),
        "suggestions": suggestions(result.suggestions),
        "occurrences": [_occurrence(o, language) for o in verdict.occurrences],
    }


def _occurrence(occurrence: Occurrence, language: str) -> dict[str, Any]:
    slot = occurrence.slot
    return {
        "starts_at": instant(slot.start),
        "ends_at": instant(slot.end),
        "local_start": slot.local_start.isoformat(timespec="minutes"),
        "local_end": slot.local_end.isoformat(timespec="minutes"),
        "ok": occurrence.ok,
        "violations": violations(occurrence.violations, language),
        "conflicts": conflicts(occurrence.clashes),
    }


def availability(found: Availability) -> dict[str, Any]:
    return {
        "hub_id": found.hub_id,
        "timezone": found.timezone,
        "resources": [
            {
                "resource_id": f.resource.id,
                "name": f.resource.name,
                "kind": str(f.resource.kind),
                "capacity": f.resource.capacity,
                "quantity": f.resource.quantity,
                "free": [
                    {"starts_at": instant(p.start), "ends_at": instant(p.end)} for p in f.free
                ],
            }
            for f in found.resources
        ],
    }


def token(info: TokenInfo) -> dict[str, Any]:
    """A personal API token as its owner sees it (the secret only in the answer that made it)."""
    return {
        "id": info.id,
        "label": info.label,
        "created_at": instant(info.created_at),
        "last_used_at": instant(info.last_used_at),
    }
