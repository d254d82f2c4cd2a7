"""Associations (platform admin): a searchable list by pages (an htmx partial), registering
one, activating one, and suspending one after choosing which of its bookings to cancel."""

from __future__ import annotations

from math import ceil
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.params import FromQuery, PathParameter
from litestar.response import Redirect, Template

from hub_booking.db.associations import AssociationFilters
from hub_booking.domain.catalogue import SLUG
from hub_booking.domain.errors import N_, Conflict, Invalid
from hub_booking.domain.model import AssociationStatus
from hub_booking.domain.text import NOT_IN_LINE
from hub_booking.i18n import translate, translations
from hub_booking.services import admin_catalogue
from hub_booking.web import flash
from hub_booking.web.auth import principal_of
from hub_booking.web.forms import FormData, every, optional_int, read_id
from hub_booking.web.htmx import render
from hub_booking.web.language import language_of
from hub_booking.web.names import named
from hub_booking.web.pages.admin import GUARDS, Errors, field_errors, form_values

AssociationId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
PAGE_SIZE = 50
MAX_PAGE = 10_000
FIELDS = (
    "slug",
    "name_fr",
    "name_ar",
    "region",
    "registration_number",
    "contact_email",
    "contact_phone",
)


@get("/admin/associations", guards=GUARDS, include_in_schema=False)
async def association_list(
    request: Request,
    q: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    region: FromQuery[str | None] = None,
    page: FromQuery[str | None] = None,
) -> Template:
    """The associations matching the search, by pages of 50 in slug order."""
    principal, language = principal_of(request), language_of(request)
    filters = _filters(q, status, region)
    number = min(optional_int(page) or 1, MAX_PAGE)
    found = await admin_catalogue.find_associations(
        principal, filters, PAGE_SIZE, (number - 1) * PAGE_SIZE
    )
    query = {"q": filters.text, "status": filters.status or "", "region": filters.region}
    return render(
        request,
        "pages/admin_associations.html",
        fragment="partials/admin_association_rows.html",
        target="association-list",
        associations=[named(a, language) for a in found.items],
        total=found.total,
        page_number=number,
        pages=max(1, ceil(found.total / PAGE_SIZE)),
        filters=query,
        query=urlencode({k: v for k, v in query.items() if v}),
        regions=await admin_catalogue.regions(principal),
    )


@get("/admin/associations/new", guards=GUARDS, include_in_schema=False)
async def association_form(request: Request) -> Template:
    return await _form(request, {}, [])


@post("/admin/associations", guards=GUARDS, include_in_schema=False)
async def association_create(request: Request, data: FormData) -> Template | Redirect:
    """Register the association (active), then back to the list showing it."""
    values = form_values(data, FIELDS)
    try:
        created = await admin_catalogue.register_association(
            principal_of(request), values, request.app.state.clock()
        )
    except (Invalid, Conflict) as exc:
        errors = field_errors(language_of(request), exc)
        return await _form(request, values, errors, status_code=exc.status_code)
    message = translate(
        language_of(request), N_("The association %(slug)s was registered."), slug=created.slug
    )
    return flash.redirect(request, f"/admin/associations?q={created.slug}", message)


@post("/admin/associations/{association_id:int}/activate", guards=GUARDS, include_in_schema=False)
async def association_activate(request: Request, association_id: AssociationId) -> Redirect:
    found = await admin_catalogue.activate(
        principal_of(request), association_id, request.app.state.clock()
    )
    message = translate(
        language_of(request),
        N_("%(name)s is active: it can book again."),
        name=_name(request, found),
    )
    return flash.redirect(request, f"/admin/associations?q={found.slug}", message)


@get("/admin/associations/{association_id:int}/suspend", guards=GUARDS, include_in_schema=False)
async def suspend_form(request: Request, association_id: AssociationId) -> Template:
    """The confirmation step: the bookings still held, each to keep or cancel."""
    return await _suspension(request, association_id, [], set(), "")


@post("/admin/associations/{association_id:int}/suspend", guards=GUARDS, include_in_schema=False)
async def suspend(
    request: Request, association_id: AssociationId, data: FormData
) -> Template | Redirect:
    """Suspend; cancel the ticked bookings (or all of them), keep the others."""
    ticked = {i for text in every(data, "cancel")[:5000] if (i := read_id(text))}
    everything = form_values(data, ("which",))["which"] == "all"
    reason = form_values(data, ("reason",), 2000)["reason"]
    principal, now, language = (
        principal_of(request),
        request.app.state.clock(),
        language_of(request),
    )
    try:
        cancelled = await admin_catalogue.suspend(
            principal, association_id, None if everything else ticked, reason, now
        )
    except Invalid as exc:
        errors = field_errors(language, exc)
        return await _suspension(request, association_id, errors, ticked, reason, status_code=422)
    found = await admin_catalogue.suspension(principal, association_id, now)
    text = translations(language).ngettext(
        "%(name)s is suspended; %(num)d booking was cancelled.",
        "%(name)s is suspended; %(num)d bookings were cancelled.",
        len(cancelled),
    ) % {"name": _name(request, found.association), "num": len(cancelled)}
    return flash.redirect(request, f"/admin/associations?q={found.association.slug}", text)


async def _suspension(
    request: Request,
    association_id: int,
    errors: Errors,
    ticked: set[int],
    reason: str,
    *,
    status_code: int = 200,
) -> Template:
    found = await admin_catalogue.suspension(
        principal_of(request), association_id, request.app.state.clock()
    )
    return render(
        request,
        "pages/admin_association_suspend.html",
        association=named(found.association, language_of(request)),
        bookings=found.bookings,
        errors=errors,
        ticked=ticked,
        reason=reason,
        status_code=status_code,
    )


async def _form(
    request: Request, values: dict[str, str], errors: Errors, *, status_code: int = 200
) -> Template:
    regions = await admin_catalogue.regions(principal_of(request))
    return render(
        request,
        "pages/admin_association_new.html",
        values=values,
        errors=errors,
        regions=regions,
        status_code=status_code,
    )


def _filters(q: str | None, status: str | None, region: str | None) -> AssociationFilters:
    """The search as typed, bounded; a status or region that cannot be one is no filter."""
    chosen = status if status in tuple(AssociationStatus) else None
    return AssociationFilters(
        text=NOT_IN_LINE.sub("", q or "").strip()[:100],
        status=AssociationStatus(chosen) if chosen else None,
        region=region if region and SLUG.match(region) else "",
    )


def _name(request: Request, association: Any) -> str:
    return str(named(association, language_of(request))["name"])


HANDLERS = [
    association_list,
    association_form,
    association_create,
    association_activate,
    suspend_form,
    suspend,
]
