"""Platform admin pages for invitations: the list (pending, used, expired, revoked), the
form to invite someone (the one-time link is shown once, and mailed), and revoking a link."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import FromQuery, PathParameter, QueryParameter
from litestar.response import Redirect, Template

from hub_booking.db.invitations import InvitationView, State
from hub_booking.domain.errors import N_, Invalid
from hub_booking.domain.model import MemberRole, display_name
from hub_booking.i18n import translate
from hub_booking.services import admin_users, invitations
from hub_booking.web import flash
from hub_booking.web.auth import platform_admin, principal_of
from hub_booking.web.forms import FormData, optional_int, read_id, text
from hub_booking.web.htmx import render
from hub_booking.web.language import language_of
from hub_booking.zones import get_zone

Id = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
FIELDS = ("email", "name", "language", "association_id", "role", "hub_id")
REVOKED = N_("The invitation was revoked: its link no longer works.")


@get("/admin/invitations", guards=[platform_admin], include_in_schema=False)
async def invitation_list(
    request: Request,
    shown_state: Annotated[str | None, QueryParameter(name="state")] = None,
    page: FromQuery[str | None] = None,
) -> Template:
    """The links made, optionally in one state (``?state=pending``), a page at a time."""
    return await _page(request, state=shown_state, page=optional_int(page) or 1)


@post("/admin/invitations", guards=[platform_admin], include_in_schema=False)
async def invite(request: Request, data: FormData) -> Template:
    """Invite someone; the link is shown on the answer, this once (no redirect)."""
    values = {name: text(data, name, 300) for name in FIELDS}
    try:
        issued = await invitations.invite(
            principal_of(request), _request(values), request.app.state.clock(), site(request)
        )
    except Invalid as exc:
        errors = _errors(request, exc)
        return await _page(request, values=values, errors=errors, status=422)
    return await _page(request, issued=issued, status=201)


@post(
    "/admin/invitations/{invitation_id:int}/revoke",
    guards=[platform_admin],
    include_in_schema=False,
)
async def revoke(request: Request, invitation_id: Id) -> Redirect:
    """Revoke a pending link (404 for one that is not pending)."""
    await invitations.revoke(principal_of(request), invitation_id, request.app.state.clock())
    message = translate(language_of(request), REVOKED)
    return flash.redirect(request, "/admin/invitations", message)


def site(request: Request) -> invitations.Site:
    """What making a link needs of the settings."""
    settings = request.app.state.settings
    return invitations.Site(settings.base_url, settings.timezone)


def _request(values: dict[str, str]) -> invitations.InviteRequest:
    """The form as the service takes it; an id that cannot be read is refused there."""
    return invitations.InviteRequest(
        email=values["email"],
        name=values["name"],
        language=values["language"],
        association_id=_id_or_bad(values["association_id"]),
        role=values["role"] or MemberRole.MEMBER,
        hub_id=_id_or_bad(values["hub_id"]),
    )


def _id_or_bad(value: str) -> int | None:
    """None when the field is empty; an id no row has (0) when it is not a number."""
    if not value:
        return None
    found = read_id(value)
    return found if found is not None else 0


async def _page(
    request: Request,
    *,
    state: str | None = None,
    page: int = 1,
    values: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
    issued: invitations.Issued | None = None,
    status: int = 200,
) -> Template:
    principal, language = principal_of(request), language_of(request)
    chosen = State(state) if state in tuple(State) else None
    found = await invitations.listing(principal, chosen, page, request.app.state.clock())
    choices = await admin_users.choices(principal)
    return render(
        request,
        "pages/admin_invitations.html",
        fragment="partials/admin_invitation_list.html",
        target="invitation-list",
        found=found,
        rows=shown(found.items, language),
        states=list(State),
        hubs=[(h.id, display_name(h.name_fr, h.name_ar, language)) for h in choices.hubs],
        associations=[
            (a.id, display_name(a.name_fr, a.name_ar, language)) for a in choices.associations
        ],
        roles=list(MemberRole),
        values=values or dict.fromkeys(FIELDS, ""),
        errors=errors or [],
        issued=issued,
        zone=get_zone(request.app.state.settings.timezone),
        status_code=status,
    )


def _errors(request: Request, exc: Invalid) -> list[dict[str, Any]]:
    language = language_of(request)
    return [
        {"field": v.field, "message": translate(language, v.message, **v.params)}
        for v in exc.violations
    ]


def shown(links: list[InvitationView], language: str) -> list[dict[str, Any]]:
    """Links with the names of what they grant in the reader's language."""
    return [
        {
            **asdict(link),
            "association_name": display_name(*link.association, language)
            if link.association
            else "",
            "hub_name": display_name(*link.hub, language) if link.hub else "",
        }
        for link in links
    ]


HANDLERS = [invitation_list, invite, revoke]
