"""Hub pages: the list of hubs, and one hub's spaces and equipment with live filters."""

from __future__ import annotations

from litestar import Request, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from hub_booking.services import resources
from hub_booking.web.api.shapes import named
from hub_booking.web.auth import signed_in
from hub_booking.web.forms import optional_int
from hub_booking.web.htmx import render


@get("/hubs", guards=[signed_in], include_in_schema=False)
async def hub_list(request: Request) -> Template:
    hubs = [named(request, hub) for hub in await resources.list_hubs()]
    return render(request, "pages/hub_list.html", hubs=hubs)


@get("/hubs/{slug:str}", guards=[signed_in], include_in_schema=False)
async def hub_detail(
    request: Request,
    slug: FromPath[str],
    kind: FromQuery[str | None] = None,
    min_capacity: FromQuery[str | None] = None,
) -> Template:
    hub = named(request, await resources.get_hub(slug=slug))
    capacity = optional_int(min_capacity)
    chosen_kind = kind if kind in ("space", "equipment") else ""
    rows = await resources.list_resources(
        hub["id"], kind=chosen_kind or None, min_capacity=capacity
    )
    return render(
        request,
        "pages/hub_detail.html",
        fragment="partials/resource_list.html",
        target="resource-list",
        hub=hub,
        resources=[named(request, row) for row in rows],
        filters={"kind": chosen_kind, "min_capacity": capacity or ""},
    )


HANDLERS = [hub_list, hub_detail]
