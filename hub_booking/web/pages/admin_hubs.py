"""Regions and hubs (platform admin): the list, a new region, a new hub, a hub's names and
its managers (added by email, removed; the managers' list is an htmx partial)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import FromPath, PathParameter
from litestar.response import Redirect, Template

from hub_booking.domain.errors import N_, Conflict, Invalid
from hub_booking.i18n import translate
from hub_booking.services import admin_catalogue
from hub_booking.web import flash
from hub_booking.web.auth import principal_of
from hub_booking.web.forms import FormData
from hub_booking.web.htmx import is_fragment, render
from hub_booking.web.language import language_of
from hub_booking.web.names import named
from hub_booking.web.pages.admin import GUARDS, Errors, field_errors, form_values

UserId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
REGION_FIELDS = ("slug", "name_fr", "name_ar")
HUB_FIELDS = ("slug", "name_fr", "name_ar", "region", "timezone", "address")
MANAGERS = "partials/admin_hub_managers.html"


@get("/admin/hubs", guards=GUARDS, include_in_schema=False)
async def hub_overview(request: Request) -> Template:
    return await _overview(request)


@post("/admin/regions", guards=GUARDS, include_in_schema=False)
async def region_create(request: Request, data: FormData) -> Template | Redirect:
    values = form_values(data, REGION_FIELDS)
    try:
        region = await admin_catalogue.create_region(
            principal_of(request), values, request.app.state.clock()
        )
    except (Invalid, Conflict) as exc:
        errors = field_errors(language_of(request), exc, "region-")
        return await _overview(request, region=values, errors=errors, status_code=exc.status_code)
    message = translate(
        language_of(request), N_("The region %(slug)s was created."), slug=region.slug
    )
    return flash.redirect(request, "/admin/hubs", message)


@post("/admin/hubs", guards=GUARDS, include_in_schema=False)
async def hub_create(request: Request, data: FormData) -> Template | Redirect:
    values = form_values(data, HUB_FIELDS, 600)
    try:
        hub = await admin_catalogue.create_hub(
            principal_of(request), values, request.app.state.clock()
        )
    except (Invalid, Conflict) as exc:
        errors = field_errors(language_of(request), exc, "hub-")
        return await _overview(request, hub=values, errors=errors, status_code=exc.status_code)
    message = translate(language_of(request), N_("The hub %(slug)s was created."), slug=hub.slug)
    return flash.redirect(request, f"/admin/hubs/{hub.slug}", message)


@get("/admin/hubs/{slug:str}", guards=GUARDS, include_in_schema=False)
async def hub_detail(request: Request, slug: FromPath[str]) -> Template:
    return await _detail(request, slug)


@post("/admin/hubs/{slug:str}/names", guards=GUARDS, include_in_schema=False)
async def hub_rename(request: Request, slug: FromPath[str], data: FormData) -> Template | Redirect:
    """New names, through the same ``update_hub`` as ``PATCH /api/v1/hubs/{id}``."""
    values = form_values(data, ("name_fr", "name_ar"))
    try:
        await admin_catalogue.rename_hub(
            principal_of(request), slug, values, request.app.state.clock()
        )
    except Invalid as exc:
        errors = field_errors(language_of(request), exc, "names-")
        return await _detail(request, slug, names=values, errors=errors, status_code=422)
    message = translate(language_of(request), N_("The names were saved."))
    return flash.redirect(request, f"/admin/hubs/{slug}", message)


@post("/admin/hubs/{slug:str}/managers", guards=GUARDS, include_in_schema=False)
async def manager_add(request: Request, slug: FromPath[str], data: FormData) -> Template | Redirect:
    email = form_values(data, ("email",))["email"]
    language = language_of(request)
    try:
        added = await admin_catalogue.assign_manager(
            principal_of(request), slug, email, request.app.state.clock()
        )
    except Invalid as exc:
        errors = field_errors(language, exc, "manager-")
        return await _detail(request, slug, email=email, errors=errors, status_code=422)
    text = (
        N_("%(email)s now manages this hub.")
        if added
        else N_("%(email)s already manages this hub.")
    )
    return await _managers_changed(request, slug, translate(language, text, email=email))


@post(
    "/admin/hubs/{slug:str}/managers/{user_id:int}/remove",
    guards=GUARDS,
    include_in_schema=False,
)
async def manager_remove(
    request: Request, slug: FromPath[str], user_id: UserId
) -> Template | Redirect:
    await admin_catalogue.unassign_manager(
        principal_of(request), slug, user_id, request.app.state.clock()
    )
    message = translate(language_of(request), N_("The manager was removed from this hub."))
    return await _managers_changed(request, slug, message)


async def _managers_changed(request: Request, slug: str, message: str) -> Template | Redirect:
    """htmx: the managers' list again, with the message; otherwise back to the hub's page."""
    if is_fragment(request, MANAGERS, "hub-managers"):
        return await _detail(request, slug, done=message)
    return flash.redirect(request, f"/admin/hubs/{slug}", message)


async def _overview(request: Request, *, status_code: int = 200, **context: Any) -> Template:
    principal, language = principal_of(request), language_of(request)
    entries = await admin_catalogue.overview(principal)
    context = {
        "region": {},
        "hub": {"timezone": request.app.state.settings.timezone},
        "errors": [],
        **context,
    }
    return render(
        request,
        "pages/admin_hubs.html",
        entries=[(e.region, [named(h, language) for h in e.hubs]) for e in entries],
        regions=[e.region for e in entries],
        status_code=status_code,
        **context,
    )


async def _detail(
    request: Request,
    slug: str,
    *,
    status_code: int = 200,
    errors: Errors | None = None,
    **more: Any,
) -> Template:
    entry = await admin_catalogue.hub_entry(principal_of(request), slug)
    hub = named(entry.hub, language_of(request))
    names = {"name_fr": hub["name_fr"], "name_ar": hub["name_ar"]}
    context = {"names": names, "email": "", "done": None, **more}
    return render(
        request,
        "pages/admin_hub.html",
        fragment=MANAGERS,
        target="hub-managers",
        hub=hub,
        managers=entry.managers,
        errors=errors or [],
        status_code=status_code,
        **context,
    )


HANDLERS = [
    hub_overview,
    region_create,
    hub_create,
    hub_detail,
    hub_rename,
    manager_add,
    manager_remove,
]
