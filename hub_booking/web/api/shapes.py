"""JSON shapes of the API: names in the caller's language, lists with totals."""

from __future__ import annotations

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
