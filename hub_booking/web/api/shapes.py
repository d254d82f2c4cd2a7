"""JSON shapes of the API: names in the caller's language, lists with totals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Request

from hub_booking.domain.errors import N_, invalid
from hub_booking.domain.model import display_name
from hub_booking.web.errors import language_of

MAX_LIMIT = 500


def named(request: Request, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with ``name`` in the caller's language, falling back to the other."""
    return {
        **row,
        "name": display_name(
            row.get("name_fr") or "", row.get("name_ar") or "", language_of(request)
        ),
    }


def hub(request: Request, row: dict[str, Any]) -> dict[str, Any]:
    return named(request, row)


def resource(request: Request, row: dict[str, Any]) -> dict[str, Any]:
    shaped = named(request, row)
    shaped["hub_id"] = shaped.pop("hub")
    return shaped


def page(items: list[dict[str, Any]], limit: int, offset: int) -> dict[str, Any]:
    """``{"items", "total"}`` for one page of an already filtered list."""
    if limit < 1 or limit > MAX_LIMIT:
        raise invalid(
            "limit", "invalid_number", N_("limit must be between 1 and %(max)s."), max=MAX_LIMIT
        )
    if offset < 0:
        raise invalid("offset", "invalid_number", N_("offset must be 0 or more."))
    return {"items": items[offset : offset + limit], "total": len(items)}


def instant(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with its offset written out (``+00:00``), as CONTRACT.md shows."""
    return value.astimezone(UTC).isoformat() if value is not None else None


def booking(row: dict[str, Any]) -> dict[str, Any]:
    decided = row.get("decided_at")
    return {
        "id": row["id"],
        "uid": row["uid"],
        "association_id": row["association"],
        "hub_id": row["hub"],
        "series_id": row["series"],
        "title": row["title"],
        "purpose": row["purpose"],
        "attendees": row["attendees"],
        "starts_at": instant(row["starts_at"]),
        "ends_at": instant(row["ends_at"]),
        "timezone": row["timezone"],
        "local_start": row["local_start"].isoformat(timespec="minutes"),
        "local_end": row["local_end"].isoformat(timespec="minutes"),
        "status": row["status"],
        "revision": row["revision"],
        "override": row["override"],
        "items": row["items"],
        "decision": (
            {"by": row["decided_by"], "at": instant(decided), "reason": row["decision_reason"]}
            if decided
            else None
        ),
        "created_at": instant(row["created_at"]),
        "updated_at": instant(row["updated_at"]),
    }
