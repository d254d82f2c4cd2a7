"""Platform admin pages for users: search, one user's roles and memberships, a password
reset (a one-time link, shown once), deactivation. Every change is a plain form post
answered by a redirect (or the page again with its errors)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import FromQuery, PathParameter
from litestar.response import Redirect, Template

from hub_booking.domain.errors import N_, Conflict, DomainError, Invalid, NotFound
from hub_booking.domain.model import MemberRole, display_name
from hub_booking.i18n import translate
from hub_booking.services import admin_users, invitations
from hub_booking.web import flash
from hub_booking.web.auth import platform_admin, principal_of
from hub_booking.web.forms import NOT_A_CHOICE, FormData, optional_int, read_id, text
from hub_booking.web.htmx import render
from hub_booking.web.language import language_of
from hub_booking.web.pages.admin_invitations import shown, site
from hub_booking.zones import get_zone

Id = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
SAVED = N_("The change was saved.")
REFUSED = (Conflict, Invalid, NotFound)
YES_NO = {"yes": True, "no": False}


@get("/admin/users", guards=[platform_admin], include_in_schema=False)
async def user_list(
    request: Request, q: FromQuery[str | None] = None, page: FromQuery[str | None] = None
) -> Template:
    """Users whose email or name contains ``q``, a page at a time (htmx: the results)."""
    found = await admin_users.search(principal_of(request), q or "", optional_int(page) or 1)
    return render(
        request,
        "pages/admin_users.html",
        fragment="partials/admin_user_results.html",
        target="user-results",
        found=found,
    )


@get("/admin/users/{user_id:int}", guards=[platform_admin], include_in_schema=False)
async def user_detail(request: Request, user_id: Id) -> Template:
    return await _user_page(request, user_id)


@post("/admin/users/{user_id:int}/admin", guards=[platform_admin], include_in_schema=False)
async def set_admin(request: Request, user_id: Id, data: FormData) -> Template | Redirect:
    """Grant or take away the platform admin role (``admin`` = yes/no)."""
    flag = YES_NO.get(text(data, "admin", 3))
    if flag is None:
        return await _user_page(request, user_id, errors=[_not_a_choice(request)], status=422)
    change = admin_users.set_platform_admin(principal_of(request), user_id, flag, _now(request))
    return await _done(request, user_id, change)


@post("/admin/users/{user_id:int}/active", guards=[platform_admin], include_in_schema=False)
async def set_active(request: Request, user_id: Id, data: FormData) -> Template | Redirect:
    """Deactivate (``active`` = no) or reactivate (yes) the account."""
    flag = YES_NO.get(text(data, "active", 3))
    if flag is None:
        return await _user_page(request, user_id, errors=[_not_a_choice(request)], status=422)
    change = admin_users.set_active(principal_of(request), user_id, flag, _now(request))
    return await _done(request, user_id, change)


@post("/admin/users/{user_id:int}/hubs", guards=[platform_admin], include_in_schema=False)
async def add_hub(request: Request, user_id: Id, data: FormData) -> Template | Redirect:
    hub_id = read_id(text(data, "hub_id", 12))
    if hub_id is None:
        return await _user_page(request, user_id, errors=[_choose("hub_id", request)], status=422)
    change = admin_users.set_hub_manager(
        principal_of(request), user_id, hub_id, True, _now(request)
    )
    return await _done(request, user_id, change)


@post(
    "/admin/users/{user_id:int}/hubs/{hub_id:int}/remove",
    guards=[platform_admin],
    include_in_schema=False,
)
async def remove_hub(request: Request, user_id: Id, hub_id: Id) -> Template | Redirect:
    change = admin_users.set_hub_manager(
        principal_of(request), user_id, hub_id, False, _now(request)
    )
    return await _done(request, user_id, change)


@post("/admin/users/{user_id:int}/memberships", guards=[platform_admin], include_in_schema=False)
async def set_membership(request: Request, user_id: Id, data: FormData) -> Template | Redirect:
    """Attach to an association with a role, or change the role there."""
    association_id = read_id(text(data, "association_id", 12))
    if association_id is None:
        errors = [_choose("association_id", request)]
        return await _user_page(request, user_id, errors=errors, status=422)
    change = admin_users.set_membership(
        principal_of(request), user_id, association_id, text(data, "role", 16), _now(request)
    )
    return await _done(request, user_id, change)


@post(
    "/admin/users/{user_id:int}/memberships/{association_id:int}/remove",
    guards=[platform_admin],
    include_in_schema=False,
)
async def remove_membership(
    request: Request, user_id: Id, association_id: Id
) -> Template | Redirect:
    change = admin_users.remove_membership(
        principal_of(request), user_id, association_id, _now(request)
    )
    return await _done(request, user_id, change)


@post("/admin/users/{user_id:int}/reset", guards=[platform_admin], include_in_schema=False)
async def reset_password(request: Request, user_id: Id, data: FormData) -> Template:
    """Make a one-time link to set a new password and show it, this once (no redirect)."""
    try:
        issued = await invitations.reset_password(
            principal_of(request),
            user_id,
            _now(request),
            site(request),
            revoke_tokens=text(data, "revoke_tokens", 3) == "yes",
        )
    except REFUSED as exc:
        return await _user_page(
            request, user_id, errors=_errors(request, exc), status=exc.status_code
        )
    return await _user_page(request, user_id, issued=issued, status=201)


async def _done(request: Request, user_id: int, change: Any) -> Template | Redirect:
    """Await the change: back to the user's page with a message, or the page with why not."""
    try:
        await change
    except REFUSED as exc:
        status = 422 if isinstance(exc, NotFound) and exc.field else exc.status_code
        return await _user_page(request, user_id, errors=_errors(request, exc), status=status)
    message = translate(language_of(request), SAVED)
    return flash.redirect(request, f"/admin/users/{user_id}", message)


async def _user_page(
    request: Request,
    user_id: int,
    *,
    errors: list[dict[str, Any]] | None = None,
    issued: invitations.Issued | None = None,
    status: int = 200,
) -> Template:
    principal, language = principal_of(request), language_of(request)
    found = await admin_users.user(principal, user_id)
    choices = await admin_users.choices(principal)
    links = await invitations.of_user(principal, user_id, _now(request))
    return render(
        request,
        "pages/admin_user.html",
        found=found,
        links=shown(links, language),
        hubs=[(h.id, display_name(h.name_fr, h.name_ar, language)) for h in choices.hubs],
        associations=[
            (a.id, display_name(a.name_fr, a.name_ar, language)) for a in choices.associations
        ],
        roles=list(MemberRole),
        issued=issued,
        errors=errors or [],
        zone=get_zone(request.app.state.settings.timezone),
        status_code=status,
    )


def _choose(field: str, request: Request) -> dict[str, Any]:
    message = N_("Choose a hub from the list.") if field == "hub_id" else None
    message = message or N_("Choose an association from the list.")
    return {"field": field, "message": translate(language_of(request), message)}


def _not_a_choice(request: Request) -> dict[str, Any]:
    return {"field": None, "message": translate(language_of(request), NOT_A_CHOICE)}


def _errors(request: Request, exc: DomainError) -> list[dict[str, Any]]:
    language = language_of(request)
    if isinstance(exc, Invalid):
        found = [(v.field, v.message, v.params) for v in exc.violations]
    else:
        found = [(exc.field, exc.message, exc.params)]
    return [{"field": f, "message": translate(language, m, **p)} for f, m, p in found]


def _now(request: Request) -> Any:
    return request.app.state.clock()


HANDLERS = [
    user_list,
    user_detail,
    set_admin,
    set_active,
    add_hub,
    remove_hub,
    set_membership,
    remove_membership,
    reset_password,
]
