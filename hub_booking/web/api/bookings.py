"""JSON API for bookings and availability (CONTRACT.md)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from hub_booking.domain.errors import N_, Invalid, Violation
from hub_booking.domain.requests import parse_booking, parse_change, parse_instant
from hub_booking.i18n import translate
from hub_booking.services import availability, booking_views, bookings, lifecycle
from hub_booking.web.api import shapes
from hub_booking.web.auth import principal_of
from hub_booking.web.errors import language_of

Body = JSONBody[Any]
Limit = Annotated[int, QueryParameter(ge=1, le=shapes.MAX_LIMIT)]
Offset = Annotated[int, QueryParameter(ge=0)]
STATUSES = ("pending", "approved", "rejected", "cancelled", "expired")


@post("/bookings", summary="Book resources, once or as a series")
async def create_booking(request: Request, data: Body) -> dict[str, Any]:
    principal, now = principal_of(request), request.app.state.clock()
    created = await bookings.create_booking(
        principal, parse_booking(data), now, language=language_of(request)
    )
    first = shapes.booking(created.first)
    if created.series_id is None:
        return first
    return {**first, "occurrences": _occurrences(request, created)}


def _occurrences(request: Request, created: bookings.Created) -> list[dict[str, Any]]:
    lang = language_of(request)
    made = [
        {
            "id": i,
            "starts_at": shapes.instant(s.start),
            "ends_at": shapes.instant(s.end),
            "status": created.status,
            "skipped": False,
        }
        for i, s in zip(created.booking_ids, created.slots, strict=True)
    ]
    skipped = [
        {
            "id": None,
            "starts_at": shapes.instant(s.slot.start),
            "ends_at": shapes.instant(s.slot.end),
            "status": "skipped",
            "skipped": True,
            "code": s.code,
            "reason": translate(lang, s.message, **s.params),
        }
        for s in created.skipped
    ]
    return sorted(made + skipped, key=lambda o: o["starts_at"] or "")


@get("/bookings", summary="Bookings the caller may see, filtered")
async def list_bookings(
    request: Request,
    hub_id: FromQuery[int | None] = None,
    resource_id: FromQuery[int | None] = None,
    association_id: FromQuery[int | None] = None,
    status: FromQuery[str | None] = None,
    from_: Annotated[str | None, QueryParameter(name="from")] = None,
    to: FromQuery[str | None] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    found: list[Violation] = []
    start = parse_instant(from_, "from", found) if from_ is not None else None
    end = parse_instant(to, "to", found) if to is not None else None
    if status is not None and status not in STATUSES:
        found.append(Violation("invalid_status", N_("Unknown status."), "status"))
    if found:
        raise Invalid(found)
    rows, total = await booking_views.list_bookings(
        principal_of(request),
        hub_id=hub_id,
        resource_id=resource_id,
        association_id=association_id,
        status=status,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )
    return {"items": [shapes.booking(row) for row in rows], "total": total}


@get("/bookings/{booking_id:int}", summary="One booking")
async def get_booking(request: Request, booking_id: FromPath[int]) -> dict[str, Any]:
    return shapes.booking(await booking_views.get_booking(principal_of(request), booking_id))


@patch("/bookings/{booking_id:int}", summary="Edit or move one booking (or occurrence)")
async def edit_booking(request: Request, booking_id: FromPath[int], data: Body) -> dict[str, Any]:
    principal = principal_of(request)
    await lifecycle.edit(principal, booking_id, parse_change(data), request.app.state.clock())
    return shapes.booking(await booking_views.get_booking(principal, booking_id))


@post("/bookings/{booking_id:int}/approve", status_code=200, summary="Approve a pending booking")
async def approve(request: Request, booking_id: FromPath[int]) -> dict[str, Any]:
    principal = principal_of(request)
    await lifecycle.approve(principal, booking_id, request.app.state.clock())
    return shapes.booking(await booking_views.get_booking(principal, booking_id))


@post("/bookings/{booking_id:int}/reject", status_code=200, summary="Reject a pending booking")
async def reject(request: Request, booking_id: FromPath[int], data: Body) -> dict[str, Any]:
    principal = principal_of(request)
    await lifecycle.reject(
        principal, booking_id, lifecycle.require_reason(data), request.app.state.clock()
    )
    return shapes.booking(await booking_views.get_booking(principal, booking_id))


@post(
    "/bookings/{booking_id:int}/cancel",
    status_code=200,
    summary="Cancel a booking or part of its series",
)
async def cancel(
    request: Request, booking_id: FromPath[int], data: JSONBody[Any] = None
) -> dict[str, Any]:
    principal = principal_of(request)
    if data is not None and not isinstance(data, dict):
        raise Invalid([Violation("invalid_body", N_("The body must be a JSON object."), None)])
    scope = (data or {}).get("scope", "this")
    await lifecycle.cancel(principal, booking_id, scope, request.app.state.clock())
    return shapes.booking(await booking_views.get_booking(principal, booking_id))


@get("/availability", summary="Free resources and periods of a hub")
async def find_availability(
    request: Request,
    hub_id: FromQuery[int],
    from_: Annotated[str, QueryParameter(name="from")],
    to: FromQuery[str],
    kind: FromQuery[str | None] = None,
    min_capacity: Annotated[int | None, QueryParameter(ge=1)] = None,
    duration_minutes: Annotated[int | None, QueryParameter(ge=1, le=24 * 60)] = None,
) -> dict[str, Any]:
    principal_of(request)
    found: list[Violation] = []
    start, end = parse_instant(from_, "from", found), parse_instant(to, "to", found)
    if found or start is None or end is None:
        raise Invalid(found)
    return await availability.find_free(
        hub_id,
        start,
        end,
        kind=kind,
        min_capacity=min_capacity,
        duration_minutes=duration_minutes,
        language=language_of(request),
    )


HANDLERS = [
    create_booking,
    list_bookings,
    get_booking,
    edit_booking,
    approve,
    reject,
    cancel,
    find_availability,
]
