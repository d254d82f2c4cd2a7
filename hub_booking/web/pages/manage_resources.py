"""Rooms and equipment of a hub, for its managers: the list, a new one, editing one (names,
capacity or quantity, approval, rule overrides, own opening hours), deactivating and
reactivating. A change that would break future bookings (fewer units than are booked, a
shorter longest booking, deactivation) lists them first; a second submit confirms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import FromPath, PathParameter
from litestar.response import Redirect, Template

from hub_booking.db.catalogue import ResourceFilters
from hub_booking.domain.errors import N_, Invalid, Violation
from hub_booking.domain.model import Hub, Resource
from hub_booking.domain.rules import DEFAULT_RULES
from hub_booking.i18n import translate
from hub_booking.services import hub_settings, manage, resources
from hub_booking.services.hub_settings import Affected
from hub_booking.web import flash
from hub_booking.web import manage_forms as forms
from hub_booking.web.auth import principal_of, signed_in
from hub_booking.web.forms import FieldError, FormData, one
from hub_booking.web.htmx import render
from hub_booking.web.language import language_of
from hub_booking.web.names import named
from hub_booking.web.pages.manage_settings import day_names, impact_rows

ResourceId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
LIST = "pages/manage_resources.html"
FORM = "pages/manage_resource_form.html"
MAX_LISTED = 1_000
BASE = "/manage/hubs/{slug:str}/resources"


@get(BASE, guards=[signed_in], include_in_schema=False)
async def resource_list(request: Request, slug: FromPath[str]) -> Template:
    hub = await manage.managed_hub(principal_of(request), slug)
    return await _list(request, hub)


@get(BASE + "/new", guards=[signed_in], include_in_schema=False)
async def resource_new(request: Request, slug: FromPath[str]) -> Template:
    hub = await manage.managed_hub(principal_of(request), slug)
    return _form(request, hub, None, forms.resource_values(None))


@post(BASE + "/new", guards=[signed_in], include_in_schema=False)
async def resource_create(
    request: Request, slug: FromPath[str], data: FormData
) -> Template | Redirect:
    principal, now = principal_of(request), request.app.state.clock()
    hub = await manage.managed_hub(principal, slug)
    parsed = forms.parse_resource(data, None)
    if parsed.errors:
        return _form(request, hub, None, parsed.values, errors=parsed.errors, status_code=422)
    try:
        await resources.create_resource(principal, {**parsed.data, "hub_id": hub.id}, now)
    except Invalid as exc:
        return _form(request, hub, None, parsed.values, errors=exc.violations, status_code=422)
    return _done(request, hub, N_("The resource is added."))


@get(BASE + "/{resource_id:int}/edit", guards=[signed_in], include_in_schema=False)
async def resource_edit(request: Request, slug: FromPath[str], resource_id: ResourceId) -> Template:
    hub, found = await hub_settings.managed_resource(principal_of(request), slug, resource_id)
    return _form(request, hub, found, forms.resource_values(found))


@post(BASE + "/{resource_id:int}/edit", guards=[signed_in], include_in_schema=False)
async def resource_update(
    request: Request, slug: FromPath[str], resource_id: ResourceId, data: FormData
) -> Template | Redirect:
    """Check; list the future bookings the change would break (unless confirmed); save."""
    principal, now, language = (
        principal_of(request),
        request.app.state.clock(),
        language_of(request),
    )
    hub, found = await hub_settings.managed_resource(principal, slug, resource_id)
    parsed = forms.parse_resource(data, found)
    if parsed.errors:
        return _form(request, hub, found, parsed.values, errors=parsed.errors, status_code=422)
    try:
        if not forms.confirmed(data):
            affected = await hub_settings.resource_impact(
                principal, found.id, parsed.data, now, language
            )
            if affected:
                return _form(request, hub, found, parsed.values, affected=affected)
        await resources.update_resource(principal, found.id, parsed.data, now)
    except Invalid as exc:
        return _form(request, hub, found, parsed.values, errors=exc.violations, status_code=422)
    return _done(request, hub, N_("The resource is saved."))


@post(BASE + "/{resource_id:int}/active", guards=[signed_in], include_in_schema=False)
async def resource_active(
    request: Request, slug: FromPath[str], resource_id: ResourceId, data: FormData
) -> Template | Redirect:
    """Deactivate (after listing its future bookings, which are kept) or reactivate."""
    principal, now, language = (
        principal_of(request),
        request.app.state.clock(),
        language_of(request),
    )
    hub, found = await hub_settings.managed_resource(principal, slug, resource_id)
    active = one(data, "active") == "1"
    if not active and not forms.confirmed(data):
        change = {"active": False}
        affected = await hub_settings.resource_impact(principal, found.id, change, now, language)
        if affected:
            return await _list(request, hub, confirming=found, affected=affected)
    await resources.update_resource(principal, found.id, {"active": active}, now)
    done = N_("The resource can be booked again.") if active else N_("The resource is deactivated.")
    return _done(request, hub, done)


async def _list(
    request: Request,
    hub: Hub,
    *,
    confirming: Resource | None = None,
    affected: list[Affected] | None = None,
) -> Template:
    language = language_of(request)
    every = ResourceFilters(include_inactive=True)
    found = await resources.list_resources(hub.id, every, MAX_LISTED, 0)
    return render(
        request,
        LIST,
        hub=named(hub, language),
        tab="resources",
        resources=[named(r, language) for r in found.items],
        confirming=named(confirming, language) if confirming else None,
        affected=impact_rows(affected or [], language),
    )


def _form(
    request: Request,
    hub: Hub,
    resource: Resource | None,
    values: dict[str, Any],
    *,
    errors: Iterable[FieldError | Violation] = (),
    affected: list[Affected] | None = None,
    status_code: int = 200,
) -> Template:
    language = language_of(request)
    found = forms.problems(errors, language)
    return render(
        request,
        FORM,
        status_code=status_code,
        hub=named(hub, language),
        tab="resources",
        resource=named(resource, language) if resource else None,
        values=values,
        hub_rules={**DEFAULT_RULES, **hub.rules},
        rows=forms.hours_rows(values),
        days=day_names(language),
        errors=found,
        field_errors=forms.by_field(found),
        affected=impact_rows(affected, language) if affected is not None else None,
    )


def _done(request: Request, hub: Hub, message: str) -> Redirect:
    text = translate(language_of(request), message)
    return flash.redirect(request, f"/manage/hubs/{hub.slug}/resources", text)


HANDLERS = [
    resource_list,
    resource_new,
    resource_create,
    resource_edit,
    resource_update,
    resource_active,
]
