"""JSON API for hubs, resources, associations and memberships (CONTRACT.md).

Hubs, resources and associations answer with their fields and ``name`` in the caller's
language (``web/names.py``, shared with the pages); memberships and pages of lists are
shaped in ``shapes.py``.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, delete, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, JSONBody, QueryParameter
from msgspec import UNSET, Struct, UnsetType

from hub_booking.db.catalogue import ResourceFilters
from hub_booking.domain.model import AssociationStatus, Invitation, MemberRole, ResourceKind
from hub_booking.services import associations, resources
from hub_booking.web.api import shapes
from hub_booking.web.api.fields import (
    Address,
    AdvanceDays,
    BookingLimit,
    BufferMinutes,
    Count,
    Email,
    GranularityMinutes,
    Id,
    IdParam,
    Limit,
    Name,
    Offset,
    OpeningHours,
    Phone,
    QuotaHours,
    RegistrationNumber,
    RuleMinutes,
    SlugText,
    Text,
    Zone,
)
from hub_booking.web.auth import principal_of
from hub_booking.web.language import language_of
from hub_booking.web.names import named

MinCapacity = Annotated[int | None, QueryParameter(ge=1, le=100_000)]


class Body(Struct, forbid_unknown_fields=True):
    """A request body: unknown fields are refused, unsent ones stay unset."""

    def sent(self) -> dict[str, Any]:
        """The fields the caller sent, as plain values."""
        return msgspec.to_builtins(self)


class Rules(Body):
    """Booking rules (every key optional); on a hub the defaults, on a resource overrides."""

    min_minutes: RuleMinutes | UnsetType = UNSET
    max_minutes: RuleMinutes | UnsetType = UNSET
    granularity_minutes: GranularityMinutes | UnsetType = UNSET
    min_notice_minutes: RuleMinutes | UnsetType = UNSET
    max_advance_days: AdvanceDays | UnsetType = UNSET
    buffer_before_minutes: BufferMinutes | UnsetType = UNSET
    buffer_after_minutes: BufferMinutes | UnsetType = UNSET
    cancel_deadline_minutes: RuleMinutes | UnsetType = UNSET
    weekly_quota_hours: QuotaHours | UnsetType = UNSET
    monthly_quota_hours: QuotaHours | UnsetType = UNSET
    max_future_bookings: BookingLimit | UnsetType = UNSET
    requires_check_in: bool | UnsetType = UNSET
    opening_hours: OpeningHours | UnsetType = UNSET


class NewHub(Body):
    slug: SlugText
    timezone: Zone
    region: SlugText
    name_fr: Name | UnsetType = UNSET
    name_ar: Name | UnsetType = UNSET
    address: Address | UnsetType = UNSET
    opening_hours: OpeningHours | UnsetType = UNSET
    rules: Rules | UnsetType = UNSET


class HubChanges(Body):
    name_fr: Name | UnsetType = UNSET
    name_ar: Name | UnsetType = UNSET
    timezone: Zone | UnsetType = UNSET
    address: Address | UnsetType = UNSET
    opening_hours: OpeningHours | UnsetType = UNSET
    rules: Rules | UnsetType = UNSET
    feed_titles_public: bool | UnsetType = UNSET  # every calendar feed shows the titles


class ResourceFields(Body, kw_only=True):
    name_fr: Name | UnsetType = UNSET
    name_ar: Name | UnsetType = UNSET
    description: Text | UnsetType = UNSET
    capacity: Count | UnsetType = UNSET
    quantity: Count | UnsetType = UNSET
    requires_approval: bool | UnsetType = UNSET
    rules: Rules | UnsetType = UNSET


class NewResource(ResourceFields, kw_only=True):
    hub_id: Id
    kind: ResourceKind


class ResourceChanges(ResourceFields, kw_only=True):
    active: bool | UnsetType = UNSET


class NewAssociation(Body):
    slug: SlugText
    region: SlugText
    name_fr: Name | UnsetType = UNSET
    name_ar: Name | UnsetType = UNSET
    status: AssociationStatus | UnsetType = UNSET
    registration_number: RegistrationNumber | UnsetType = UNSET
    contact_email: Email | UnsetType = UNSET
    contact_phone: Phone | UnsetType = UNSET


class NewMember(Body):
    email: Email
    role: MemberRole = MemberRole.MEMBER


@get("/hubs", summary="List hubs")
async def list_hubs(request: Request, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    found, language = await resources.list_hubs(limit, offset), language_of(request)
    return shapes.page_of(found, lambda hub: named(hub, language))


@post("/hubs", summary="Create a hub (platform admin)")
async def create_hub(request: Request, data: JSONBody[NewHub]) -> dict[str, Any]:
    hub = await resources.create_hub(principal_of(request), data.sent(), request.app.state.clock())
    return named(hub, language_of(request))


@patch("/hubs/{hub_id:int}", summary="Update a hub (its managers, platform admin)")
async def update_hub(
    request: Request, hub_id: IdParam, data: JSONBody[HubChanges]
) -> dict[str, Any]:
    hub = await resources.update_hub(
        principal_of(request), hub_id, data.sent(), request.app.state.clock()
    )
    titles = (
        {} if data.feed_titles_public is UNSET else {"feed_titles_public": data.feed_titles_public}
    )
    return {**named(hub, language_of(request)), **titles}


@get("/hubs/{hub_id:int}/resources", summary="List a hub's resources")
async def list_resources(
    request: Request,
    hub_id: IdParam,
    kind: FromQuery[ResourceKind | None] = None,
    min_capacity: MinCapacity = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    filters = ResourceFilters(kind=kind, min_capacity=min_capacity)
    found = await resources.list_resources(hub_id, filters, limit, offset)
    language = language_of(request)
    return shapes.page_of(found, lambda item: named(item, language))


@get("/resources/{resource_id:int}", summary="One resource")
async def get_resource(request: Request, resource_id: IdParam) -> dict[str, Any]:
    return named(await resources.get_resource(resource_id), language_of(request))


@post("/resources", summary="Create a resource (manager of its hub)")
async def create_resource(request: Request, data: JSONBody[NewResource]) -> dict[str, Any]:
    created = await resources.create_resource(
        principal_of(request), data.sent(), request.app.state.clock()
    )
    return named(created, language_of(request))


@patch("/resources/{resource_id:int}", summary="Update a resource (manager of its hub)")
async def update_resource(
    request: Request, resource_id: IdParam, data: JSONBody[ResourceChanges]
) -> dict[str, Any]:
    updated = await resources.update_resource(
        principal_of(request), resource_id, data.sent(), request.app.state.clock()
    )
    return named(updated, language_of(request))


@get("/associations", summary="Associations the caller may see")
async def list_associations(
    request: Request, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    found = await associations.list_associations(principal_of(request), limit, offset)
    language = language_of(request)
    return shapes.page_of(found, lambda item: named(item, language))


@get("/associations/{association_id:int}", summary="One association")
async def get_association(request: Request, association_id: IdParam) -> dict[str, Any]:
    found = await associations.get_association(principal_of(request), association_id)
    return named(found, language_of(request))


@post("/associations", summary="Register an association (platform admin)")
async def create_association(request: Request, data: JSONBody[NewAssociation]) -> dict[str, Any]:
    created = await associations.create_association(
        principal_of(request), data.sent(), request.app.state.clock()
    )
    return named(created, language_of(request))


@post(
    "/associations/{association_id:int}/members",
    summary="Add a member or change a member's role",
    description=(
        "201 with the membership when a platform admin attaches a person or a member's role "
        "changes; 202 with status `invited` when a representative asks for someone who is "
        "not a member yet (nothing is attached, whether or not the email has an account)."
    ),
    responses={
        202: ResponseSpec(
            dict[str, Any],
            description="Request recorded for the platform admins; nobody attached",
            generate_examples=False,
        )
    },
)
async def add_member(
    request: Request, association_id: IdParam, data: JSONBody[NewMember]
) -> Response[dict[str, Any]]:
    saved = await associations.add_member(
        principal_of(request), association_id, data.sent(), request.app.state.clock()
    )
    status = 202 if isinstance(saved, Invitation) else 201
    return Response(shapes.member(saved), status_code=status)


@delete(
    "/associations/{association_id:int}/members/{user_id:int}",
    status_code=204,
    summary="Remove a member (platform admin, representative)",
)
async def remove_member(request: Request, association_id: IdParam, user_id: IdParam) -> None:
    await associations.remove_member(
        principal_of(request), association_id, user_id, request.app.state.clock()
    )


@get("/me", summary="The caller, with their hubs and associations")
async def me(request: Request) -> dict[str, Any]:
    principal = principal_of(request)
    return {
        "id": principal.user_id,
        "email": principal.email,
        "name": principal.name,
        "language": principal.language,
        "is_platform_admin": principal.is_platform_admin,
        "managed_hub_ids": sorted(principal.managed_hubs),
        "memberships": [
            {"association_id": a, "role": r} for a, r in sorted(principal.memberships.items())
        ],
    }


HANDLERS = [
    list_hubs,
    create_hub,
    update_hub,
    list_resources,
    get_resource,
    create_resource,
    update_resource,
    list_associations,
    get_association,
    create_association,
    add_member,
    remove_member,
    me,
]
