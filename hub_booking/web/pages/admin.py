"""The platform admin's home, and what the admin pages share.

Every admin page is guarded by ``platform_admin`` (a visitor is sent to the login page,
anyone else gets the 403 page, as the admin-only API routes answer 403), and the services
check again.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from hub_booking.domain.errors import DomainError, Invalid
from hub_booking.i18n import translate
from hub_booking.web.auth import platform_admin
from hub_booking.web.htmx import render

GUARDS = [platform_admin]
Errors = list[dict[str, Any]]


def field_errors(language: str, exc: DomainError, prefix: str = "") -> Errors:
    """The fields at fault (ids ``prefix`` + field, as the form names them) and their
    messages, for the error summary and beside each field."""
    if isinstance(exc, Invalid):
        found = [(v.field, v.message, v.params) for v in exc.violations]
    else:
        found = [(exc.field, exc.message, exc.params)]
    return [
        {"field": f"{prefix}{field}" if field else None, "message": translate(language, m, **p)}
        for field, m, p in found
    ]


def form_values(data: dict[str, Any], names: tuple[str, ...], limit: int = 300) -> dict[str, str]:
    """The named fields of a posted form as stripped text (bounded; lists give their first)."""
    values = {}
    for name in names:
        value = data.get(name, "")
        if isinstance(value, list):
            value = value[0] if value else ""
        values[name] = str(value).strip()[:limit]
    return values


@get("/admin", guards=GUARDS, include_in_schema=False)
async def admin_home(request: Request) -> Template:
    """Links to every admin section."""
    return render(request, "pages/admin_home.html")


HANDLERS = [admin_home]
