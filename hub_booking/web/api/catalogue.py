"""JSON API for hubs, resources, associations and memberships (CONTRACT.md)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from hub_booking.services import associations, resources
from hub_booking.web.api import shapes
from hub_booking.web.auth import principal_of

Body = JSONBody[dict[str, Any]]
Limit = Annotated[int, QueryParameter(ge=1, le=shapes.MAX_LIMIT)]
Offset = Annotated[int, QueryParameter(ge=0)]


@get("/hubs", summary="List hubs")
async def list_hubs(request: Request, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    rows = await resources.list_hubs()
    return shapes.page([shapes.hub(request, row) for row in rows], limit, offset)


@post("/hubs", summary="Create a hub (platform admin)")
async def create_hub(request: Request, data: Body) -> dict[str, Any]:
    hub_id = await resources.create_hub(principal_of(request), data, request.app.state.clock())
    return shapes.hub(request, await resources.get_hub(hub_id))


@get("/hubs/{hub_id:int}/resources", summary="List a hub's resources")
async def list_resources(
    request: Request,
    hub_id: FromPath[int],
    kind: FromQuery[str | None] = None,
    min_capacity: Annotated[int | None, QueryParameter(ge=1)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows = await resources.list_resources(hub_id, kind=kind, min_capacity=min_capacity)
    return shapes.page([shapes.resource(request, row) for row in rows], limit, offset)


@get("/resources/{resource_id:int}", summary="One resource")
async def get_resource(request: Request, resource_id: FromPath[int]) -> dict[str, Any]:
    return shapes.resource(request, await resources.get_resource(resource_id))


@post("/resources", summary="Create a resource (manager of its hub)")
async def create_resource(request: Request, data: Body) -> dict[str, Any]:
    resource_id = await resources.create_resource(
        principal_of(request), data, request.app.state.clock()
    )
    return shapes.resource(request, await resources.get_resource(resource_id))


@patch("/resources/{resource_id:int}", summary="Update a resource (manager of its hub)")
async def update_resource(
    request: Request, resource_id: FromPath[int], data: Body
) -> dict[str, Any]:
    await resources.update_resource(
        principal_of(request), resource_id, data, request.app.state.clock()
    )
    return shapes.resource(request, await resources.get_resource(resource_id))


@get("/associations", summary="Associations the caller may see")
async def list_associations(
    request: Request, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    rows = await associations.list_associations(principal_of(request))
    return shapes.page([shapes.named(request, row) for row in rows], limit, offset)


@get("/associations/{association_id:int}", summary="One association")
async def get_association(request: Request, association_id: FromPath[int]) -> dict[str, Any]:
    return shapes.named(
        request, await associations.get_association(principal_of(request), association_id)
    )


@post("/associations", summary="Register an association (platform admin)")
async def create_association(request: Request, data: Body) -> dict[str, Any]:
    principal = principal_of(request)
    association_id = await associations.create_association(
        principal, data, request.app.state.clock()
    )
    return shapes.named(request, await associations.get_association(principal, association_id))


@post("/associations/{association_id:int}/members", summary="Add or update a member")
async def add_member(request: Request, association_id: FromPath[int], data: Body) -> dict[str, Any]:
    return await associations.add_member(
        principal_of(request), association_id, data, request.app.state.clock()
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
    list_resources,
    get_resource,
    create_resource,
    update_resource,
    list_associations,
    get_association,
    create_association,
    add_member,
    me,
]
