"""Manager pages: the hubs a manager runs. Each hub's own pages (requests, calendar, today,
settings, resources, closures, history) extend ``pages/manage_base.html`` and load their hub
with ``managed`` (a 404 for a hub the reader does not manage)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from hub_booking.services import manage
from hub_booking.web.auth import principal_of, signed_in
from hub_booking.web.htmx import page_context, render
from hub_booking.web.language import language_of
from hub_booking.web.names import named


async def managed(request: Request, slug: str) -> dict[str, Any]:
    """The hub ``slug`` as the manager pages show it, if the reader manages it (else 404)."""
    hub = await manage.managed_hub(principal_of(request), slug)
    return named(hub, language_of(request))


@get("/manage", guards=[signed_in], include_in_schema=False)
async def managed_hubs(request: Request) -> Template:
    """The hubs the reader manages (none for a member: the page says so)."""
    found = await manage.managed_hubs(principal_of(request))
    language = language_of(request)
    return render(request, "pages/manage_hubs.html", hubs=[named(h, language) for h in found])


@get("/manage/pending", guards=[signed_in], include_in_schema=False)
async def pending_count(request: Request) -> Template:
    """The header's count of requests waiting, alone (htmx asks for it after a decision)."""
    count = await manage.pending_count(principal_of(request))
    # Never a whole page: it must not take the flash message meant for the next page.
    return Template(PENDING, context=page_context(request, pending=count))


PENDING = "partials/pending_count.html"
DECIDED = "requests-decided"  # the event that tells the header's count to refresh

HANDLERS = [managed_hubs, pending_count]
