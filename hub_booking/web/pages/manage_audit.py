"""The history of a hub: every change in it (who, when on the hub's clock, what, before →
after), filtered by action, actor, dates and booking, by pages; read only."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template

from hub_booking.domain.errors import N_
from hub_booking.i18n import translate
from hub_booking.services import history
from hub_booking.web import bounds
from hub_booking.web.auth import principal_of, signed_in
from hub_booking.web.forms import (
    NOT_A_CHOICE,
    FieldError,
    optional_int,
    query_of,
    read_date,
    read_id,
)
from hub_booking.web.forms import one as first
from hub_booking.web.htmx import render
from hub_booking.web.language import language_of
from hub_booking.web.names import named
from hub_booking.web.pages.manage_requests import STATUS_LABELS

MAX_PAGE = 10_000
_ACTION = re.compile(r"^[a-z_]{1,30}(\.[a-z_]{1,30}){0,2}$")
_LINE = re.compile(bounds.LINE_PATTERN)
FIELDS = ("action", "actor", "from", "to", "booking")
# The changes a hub's history holds, in the order of the filter's choices.
ACTIONS = {
    "booking.created": N_("Booking made or requested"),
    "booking.approved": N_("Request approved"),
    "booking.rejected": N_("Request rejected"),
    "booking.cancelled": N_("Booking cancelled"),
    "booking.edited": N_("Booking changed"),
    "booking.expired": N_("Requests expired"),
    "booking.checked_in": N_("Checked in"),
    "booking.check_in_undone": N_("Check-in undone"),
    "hub.created": N_("Hub created"),
    "hub.updated": N_("Hub settings changed"),
    "resource.created": N_("Room or equipment added"),
    "resource.updated": N_("Room or equipment changed"),
    "closure.added": N_("Closure added"),
    "closure.removed": N_("Closure removed"),
}
ENTER_A_DATE = N_("Enter a date such as 2027-02-09.")
# Names of the details the changes carry (others are shown as they are written).
DETAILS = {
    "status": N_("Status"),
    "reason": N_("Reason"),
    "scope": N_("Which dates"),
    "occurrences": N_("Dates"),
    "skipped": N_("Dates skipped"),
    "series_id": N_("Repeated booking"),
    "ids": N_("Bookings"),
    "fields": N_("Fields changed"),
    "override": N_("Rules overridden"),
}


@get("/manage/hubs/{slug:str}/audit", guards=[signed_in], include_in_schema=False)
async def audit(request: Request, slug: FromPath[str]) -> Template:
    """The hub's changes, latest first; filters that cannot be read are shown with their
    error next to them and left out."""
    language, query = language_of(request), query_of(request)
    wanted, values, errors = read_filters(query)
    number = min(optional_int(first(query, "page")[:6]) or 1, MAX_PAGE)
    found = await history.history(principal_of(request), slug, wanted, number)
    kept = {k: v for k, v in values.items() if v and k not in {e.field for e in errors}}
    return render(
        request,
        "pages/manage_audit.html",
        status_code=422 if errors else 200,
        hub=named(found.hub, language),
        tab="audit",
        found=found,
        values=values,
        actions=ACTIONS,
        details=DETAILS,
        statuses=STATUS_LABELS,
        query=urlencode(kept),
        errors=[FieldError(e.field, translate(language, e.message)) for e in errors],
        field_errors={e.field: translate(language, e.message) for e in errors},
    )


def read_filters(query: dict[str, Any]) -> tuple[history.Wanted, dict[str, str], list[FieldError]]:
    """The filters of the address: what could be read, the values as typed, the errors."""
    values = {name: first(query, name)[:254] for name in FIELDS}
    errors: list[FieldError] = []
    action = values["action"] or None
    if action and not _ACTION.match(action):
        errors.append(FieldError("action", NOT_A_CHOICE))
        action = None
    actor = values["actor"] or None
    if actor and not _LINE.match(actor):
        errors.append(FieldError("actor", N_("This text has characters that are not allowed.")))
        actor = None
    day_from, day_to = _day(values, "from", errors), _day(values, "to", errors)
    if day_from and day_to and day_to < day_from:
        errors.append(FieldError("to", N_("The last date must not come before the first.")))
        day_to = None
    booking = read_id(values["booking"]) if values["booking"] else None
    if values["booking"] and booking is None:
        errors.append(FieldError("booking", N_("Enter a booking number, such as 125.")))
    return history.Wanted(action, actor, day_from, day_to, booking), values, errors


def _day(values: dict[str, str], name: str, errors: list[FieldError]) -> Any:
    if not values[name]:
        return None
    day = read_date(values[name])
    if day is None:
        errors.append(FieldError(name, ENTER_A_DATE))
    return day


HANDLERS = [audit]
