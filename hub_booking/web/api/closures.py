"""JSON API for closures (blackouts): Eid, maintenance, a broken projector."""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, post
from litestar.params import FromPath, JSONBody

from hub_booking.domain.errors import N_, Invalid, Violation
from hub_booking.domain.requests import parse_instant
from hub_booking.services import closures
from hub_booking.services.resources import get_hub
from hub_booking.web.api import shapes
from hub_booking.web.auth import principal_of


@post("/hubs/{hub_id:int}/blackouts", summary="Record a closure of the hub or of one resource")
async def add_closure(
    request: Request, hub_id: FromPath[int], data: JSONBody[Any]
) -> dict[str, Any]:
    body = data if isinstance(data, dict) else {}
    found: list[Violation] = []
    start = parse_instant(body.get("starts_at"), "starts_at", found)
    end = parse_instant(body.get("ends_at"), "ends_at", found)
    resource_id, reason = body.get("resource_id"), body.get("reason", "")
    if resource_id is not None and (
        isinstance(resource_id, bool) or not isinstance(resource_id, int)
    ):
        found.append(Violation("invalid_resource", N_("Give a resource_id."), "resource_id"))
    if not isinstance(reason, str):
        found.append(Violation("invalid_text", N_("Must be text."), "reason"))
    if found or start is None or end is None:
        raise Invalid(found)
    principal = principal_of(request)
    closure_id = await closures.add(
        principal, hub_id, start, end, reason, resource_id, request.app.state.clock()
    )
    return next(_shape(c) for c in await closures.listed(hub_id) if c["id"] == closure_id)


@get("/hubs/{hub_id:int}/blackouts", summary="Closures of a hub")
async def list_closures(request: Request, hub_id: FromPath[int]) -> dict[str, Any]:
    principal_of(request)
    await get_hub(hub_id)
    rows = [_shape(c) for c in await closures.listed(hub_id)]
    return {"items": rows, "total": len(rows)}


@delete("/blackouts/{closure_id:int}", status_code=204, summary="Remove a closure")
async def remove_closure(request: Request, closure_id: FromPath[int]) -> None:
    await closures.remove(principal_of(request), closure_id, request.app.state.clock())


def _shape(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "hub_id": row["hub"],
        "resource_id": row["resource"],
        "starts_at": shapes.instant(row["starts_at"]),
        "ends_at": shapes.instant(row["ends_at"]),
        "local_start": row["local_start"].isoformat(timespec="minutes"),
        "local_end": row["local_end"].isoformat(timespec="minutes"),
        "timezone": row["timezone"],
        "reason": row["reason"],
    }


HANDLERS = [add_closure, list_closures, remove_closure]
