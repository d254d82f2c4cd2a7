"""JSON API for bookings and availability (CONTRACT.md): parse, call one service, shape."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, get, patch, post
from litestar.params import FromQuery, HeaderParameter, JSONBody, QueryParameter

from hub_booking.db.bookings import Filters
from hub_booking.domain.bookings import BookingRequest, Change, items_from
from hub_booking.domain.model import BookingStatus, ResourceKind
from hub_booking.services import availability, booking_changes, bookings, idempotency, today
from hub_booking.web.api import shapes
from hub_booking.web.api.fields import (
    MAX_ID,
    Count,
    Id,
    IdParam,
    Instant,
    Limit,
    Offset,
    OptionalIdQuery,
    Reason,
    Text,
    Title,
    line,
)
from hub_booking.web.auth import principal_of
from hub_booking.web.language import language_of


class ItemBody(msgspec.Struct, forbid_unknown_fields=True):
    resource_id: Id
    quantity: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1


class RecurrenceBody(msgspec.Struct, forbid_unknown_fields=True):
    rrule: Annotated[str, line(255, min_length=1)]
    on_conflict: Literal["fail", "skip"] = "fail"


Items = Annotated[list[ItemBody], msgspec.Meta(min_length=1, max_length=20)]


class BookingBody(msgspec.Struct, forbid_unknown_fields=True):
    """A booking asked for: once, or with ``recurrence`` as a series."""

    association_id: Id
    title: Title
    starts_at: Instant
    ends_at: Instant
    items: Items
    attendees: Count = 1
    purpose: Text = ""
    recurrence: RecurrenceBody | None = None
    override: bool = False
    override_reason: Text = ""  # kept in the audit log with ``override``


class ChangeBody(msgspec.Struct, forbid_unknown_fields=True):
    """A move or an edit of one booking: only the fields given change."""

    title: Title | None = None
    purpose: Text | None = None
    attendees: Count | None = None
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    items: Items | None = None


class RejectBody(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class CancelBody(msgspec.Struct, forbid_unknown_fields=True):
    scope: Literal["this", "following", "series"] = "this"


def _request(body: BookingBody) -> BookingRequest:
    recurrence = body.recurrence
    return BookingRequest(
        association_id=body.association_id,
        title=body.title,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        attendees=body.attendees,
        items=items_from([(i.resource_id, i.quantity) for i in body.items]),
        purpose=body.purpose,
        rrule=recurrence.rrule if recurrence else None,
        on_conflict=recurrence.on_conflict if recurrence else "fail",
        override=body.override,
        override_reason=body.override_reason if body.override else "",
    )


def _change(body: ChangeBody) -> Change:
    items = body.items
    return Change(
        title=body.title,
        purpose=body.purpose,
        attendees=body.attendees,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        items=items_from([(i.resource_id, i.quantity) for i in items]) if items else None,
    )


@post("/bookings", summary="Book resources, once or as a series")
async def create_booking(
    request: Request,
    data: JSONBody[BookingBody],
    idempotency_key: Annotated[
        str | None,
        HeaderParameter(
            name="Idempotency-Key",
            required=False,
            description="Send the same key again to get the first answer, never a 2nd booking",
        ),
    ] = None,
) -> dict[str, Any]:
    lang = language_of(request)
    outcome = await idempotency.create_once(
        principal_of(request),
        idempotency_key,
        _request(data),
        request.app.state.clock(),
        language=lang,
        answer=lambda created: shapes.created(created, lang),
    )
    return outcome.answer


@post("/bookings/check", status_code=200, summary="Check a booking without making it")
async def check_booking(request: Request, data: JSONBody[BookingBody]) -> dict[str, Any]:
    lang = language_of(request)
    assessment = await bookings.assess(
        principal_of(request), _request(data), request.app.state.clock(), language=lang
    )
    return shapes.assessment(assessment, lang)


@get("/bookings", summary="Bookings the caller may see, filtered")
async def list_bookings(
    request: Request,
    hub_id: OptionalIdQuery = None,
    resource_id: OptionalIdQuery = None,
    association_id: OptionalIdQuery = None,
    status: FromQuery[BookingStatus | None] = None,
    from_: Annotated[datetime | None, QueryParameter(name="from")] = None,
    to: FromQuery[datetime | None] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    filters = Filters(hub_id, resource_id, association_id, status, from_, to)
    found = await bookings.list_bookings(principal_of(request), filters, limit, offset)
    return shapes.page_of(found, shapes.booking)


@get("/bookings/{booking_id:int}", summary="One booking")
async def get_booking(request: Request, booking_id: IdParam) -> dict[str, Any]:
    return shapes.booking(await bookings.get_booking(principal_of(request), booking_id))


@patch("/bookings/{booking_id:int}", summary="Edit or move one booking (or occurrence)")
async def edit_booking(
    request: Request, booking_id: IdParam, data: JSONBody[ChangeBody]
) -> dict[str, Any]:
    edited = await booking_changes.edit(
        principal_of(request),
        booking_id,
        _change(data),
        request.app.state.clock(),
        language=language_of(request),
    )
    return shapes.booking(edited)


@post("/bookings/{booking_id:int}/approve", status_code=200, summary="Approve a pending booking")
async def approve(request: Request, booking_id: IdParam) -> dict[str, Any]:
    approved = await booking_changes.approve(
        principal_of(request), booking_id, request.app.state.clock()
    )
    return shapes.booking(approved)


@post("/bookings/{booking_id:int}/reject", status_code=200, summary="Reject a pending booking")
async def reject(
    request: Request, booking_id: IdParam, data: JSONBody[RejectBody]
) -> dict[str, Any]:
    rejected = await booking_changes.reject(
        principal_of(request), booking_id, data.reason, request.app.state.clock()
    )
    return shapes.booking(rejected)


@post(
    "/bookings/{booking_id:int}/cancel",
    status_code=200,
    summary="Cancel a booking or part of its series",
)
async def cancel(
    request: Request, booking_id: IdParam, data: JSONBody[CancelBody | None] = None
) -> dict[str, Any]:
    scope = data.scope if data else "this"
    cancelled, _ = await booking_changes.cancel(
        principal_of(request), booking_id, scope, request.app.state.clock()
    )
    return shapes.booking(cancelled)


@post(
    "/bookings/{booking_id:int}/check-in",
    status_code=200,
    summary="Check an approved booking in at the front desk (its hub's managers)",
)
async def check_in(request: Request, booking_id: IdParam) -> dict[str, Any]:
    checked = await today.check_in(principal_of(request), booking_id, request.app.state.clock())
    return shapes.booking(checked)


@get("/availability", summary="Free resources and periods of a hub")
async def find_availability(
    request: Request,
    hub_id: Annotated[int, QueryParameter(ge=1, le=MAX_ID)],
    from_: Annotated[datetime, QueryParameter(name="from")],
    to: FromQuery[datetime],
    kind: FromQuery[Literal["space", "equipment"] | None] = None,
    min_capacity: Annotated[int | None, QueryParameter(ge=1, le=100_000)] = None,
    duration_minutes: Annotated[int | None, QueryParameter(ge=1, le=24 * 60)] = None,
) -> dict[str, Any]:
    principal_of(request)
    wanted = availability.Wanted(
        ResourceKind(kind) if kind else None, min_capacity, duration_minutes
    )
    found = await availability.find_free(hub_id, from_, to, wanted, language=language_of(request))
    return shapes.availability(found)


HANDLERS = [
    create_booking,
    check_booking,
    list_bookings,
    get_booking,
    edit_booking,
    approve,
    reject,
    cancel,
    check_in,
    find_availability,
]
