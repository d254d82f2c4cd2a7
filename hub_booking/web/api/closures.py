"""JSON API for closures (blackouts): Eid, maintenance, a broken projector."""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, post
from litestar.params import JSONBody
from msgspec import Struct

from hub_booking.services import closures
from hub_booking.web.api import shapes
from hub_booking.web.api.fields import Id, IdParam, Instant, Limit, Note, Offset
from hub_booking.web.auth import principal_of


class NewClosure(Struct, forbid_unknown_fields=True):
    starts_at: Instant
    ends_at: Instant
    reason: Note = ""
    resource_id: Id | None = None  # None: the whole hub
    cancel_bookings: bool = False  # False: a closure that falls on bookings is refused (409)


@post("/hubs/{hub_id:int}/blackouts", summary="Record a closure of the hub or of one resource")
async def add_closure(
    request: Request, hub_id: IdParam, data: JSONBody[NewClosure]
) -> dict[str, Any]:
    added = await closures.add(
        principal_of(request),
        hub_id,
        data.starts_at,
        data.ends_at,
        data.reason,
        data.resource_id,
        request.app.state.clock(),
        cancel_bookings=data.cancel_bookings,
    )
    return shapes.closure(added)


@get("/hubs/{hub_id:int}/blackouts", summary="Closures of a hub")
async def list_closures(hub_id: IdParam, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    return shapes.page_of(await closures.listed(hub_id, limit, offset), shapes.closure)


@delete("/blackouts/{closure_id:int}", status_code=204, summary="Remove a closure")
async def remove_closure(request: Request, closure_id: IdParam) -> None:
    await closures.remove(principal_of(request), closure_id, request.app.state.clock())


HANDLERS = [add_closure, list_closures, remove_closure]
