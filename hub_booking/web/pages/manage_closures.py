"""Closures of a hub, for its managers: the coming ones (each can be removed), a new one
for the hub or one resource, and Morocco's public holidays of a year to tick (an estimated
religious date may be shifted by a day). Before saving, the bookings a closure hits are
listed; on confirmation they are cancelled with its reason and their associations told."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, PathParameter
from litestar.response import Redirect, Template

from hub_booking import zones
from hub_booking.db.catalogue import ResourceFilters
from hub_booking.db.closures import NewClosure
from hub_booking.domain.errors import N_, Conflict, Invalid, Violation
from hub_booking.domain.holidays import FIRST_YEAR, LAST_YEAR, closures_for, of_year, reason_of
from hub_booking.domain.model import Hub
from hub_booking.domain.wallclock import to_local
from hub_booking.i18n import formats, translate, translations
from hub_booking.services import closures, hub_settings, manage, resources
from hub_booking.web import flash
from hub_booking.web import manage_forms as forms
from hub_booking.web.auth import principal_of, signed_in
from hub_booking.web.forms import FieldError, FormData, one, read_number
from hub_booking.web.htmx import render
from hub_booking.web.language import language_of
from hub_booking.web.names import named
from hub_booking.web.pages.manage_settings import impact_rows

ClosureId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
PAGE = "pages/manage_closures.html"
LIST = "partials/manage_closure_list.html"
BASE = "/manage/hubs/{slug:str}/closures"
MAX_SHOWN = 200


@get(BASE, guards=[signed_in], include_in_schema=False)
async def closure_page(
    request: Request, slug: FromPath[str], year: FromQuery[str | None] = None
) -> Template:
    """The coming closures, the form for a new one, and the public holidays of ``year``."""
    hub = await manage.managed_hub(principal_of(request), slug)
    return await _page(request, hub, {}, year=read_number(year or "", LAST_YEAR, FIRST_YEAR))


@post(BASE, guards=[signed_in], include_in_schema=False)
async def closure_add(request: Request, slug: FromPath[str], data: FormData) -> Template | Redirect:
    """List the bookings the closure hits (unless confirmed), then close and cancel them."""
    principal = principal_of(request)
    hub = await manage.managed_hub(principal, slug)
    values, asked, errors = forms.parse_closure(data)
    if asked is None:
        return await _page(request, hub, values, errors=errors, status_code=422)
    period = (asked.local_start, asked.local_end, asked.resource_id, asked.reason)
    try:
        news = await hub_settings.prepare_closures(principal, hub, [period])
    except Invalid as exc:
        return await _page(request, hub, values, errors=exc.violations, status_code=422)
    return await _close(request, hub, news, data, values=values)


@post(BASE + "/holidays", guards=[signed_in], include_in_schema=False)
async def holidays_close(
    request: Request, slug: FromPath[str], data: FormData
) -> Template | Redirect:
    """Close the hub on the ticked public holidays, each over whole days."""
    principal = principal_of(request)
    hub = await manage.managed_hub(principal, slug)
    year = read_number(one(data, "year"), LAST_YEAR, FIRST_YEAR)
    chosen = forms.chosen_holidays(data)
    periods = [(s, e, None, reason_of(h)) for h, s, e in closures_for(year or 0, chosen)]
    if not periods:
        nothing = FieldError("holidays", N_("Tick at least one holiday."))
        return await _page(
            request, hub, {}, year=year, chosen=chosen, errors=[nothing], status_code=422
        )
    try:
        news = await hub_settings.prepare_closures(principal, hub, periods)
    except Invalid as exc:
        return await _page(
            request, hub, {}, year=year, chosen=chosen, errors=exc.violations, status_code=422
        )
    return await _close(request, hub, news, data, year=year, chosen=chosen)


@post(BASE + "/{closure_id:int}/delete", guards=[signed_in], include_in_schema=False)
async def closure_remove(
    request: Request, slug: FromPath[str], closure_id: ClosureId
) -> Template | Redirect:
    """Reopen; htmx swaps the list in place, a plain form comes back to the page."""
    principal, now = principal_of(request), request.app.state.clock()
    hub = await manage.managed_hub(principal, slug)
    await closures.remove(principal, closure_id, now, hub_id=hub.id)
    if request.headers.get("hx-target") == "closure-list":
        return await _page(request, hub, {})
    text = translate(
        language_of(request), N_("The closure is removed; cancelled bookings stay cancelled.")
    )
    return flash.redirect(request, f"/manage/hubs/{hub.slug}/closures", text)


async def _close(
    request: Request, hub: Hub, news: list[NewClosure], data: FormData, **shown: Any
) -> Template | Redirect:
    """The listing step, or the closing itself once confirmed (listed again when other
    bookings were made since the list was shown)."""
    principal, now, language = (
        principal_of(request),
        request.app.state.clock(),
        language_of(request),
    )
    values = shown.pop("values", {})
    if not forms.confirmed(data):
        affected = await hub_settings.closure_impact(news, now, language)
        if affected:
            return await _page(request, hub, values, affected=affected, **shown)
    try:
        closed = await closures.close_and_cancel(principal, news, forms.listed_ids(data), now)
    except Conflict as exc:
        affected = await hub_settings.closure_impact(news, now, language)
        stale = [FieldError(None, exc.message)]
        return await _page(
            request, hub, values, affected=affected, errors=stale, status_code=409, **shown
        )
    return flash.redirect(
        request,
        f"/manage/hubs/{hub.slug}/closures",
        _closed(language, len(news), len(closed.cancelled)),
    )


async def _page(
    request: Request,
    hub: Hub,
    values: dict[str, Any],
    *,
    year: int | None = None,
    chosen: dict[str, int] | None = None,
    errors: Iterable[FieldError | Violation] = (),
    affected: list[hub_settings.Affected] | None = None,
    status_code: int = 200,
) -> Template:
    language, now = language_of(request), request.app.state.clock()
    zone = zones.get_zone(hub.timezone)
    today = to_local(now, zone).date()
    year = year or _default_year(today, language)
    found = forms.problems(errors, language)
    every = ResourceFilters(include_inactive=True)
    listed = await resources.list_resources(hub.id, every, 1_000, 0)
    names = {r.id: named(r, language)["name"] for r in listed.items}
    coming = await closures.listed(hub.id, MAX_SHOWN, 0, ending_after=now)
    offered = await hub_settings.offered_holidays(hub, year, language)
    return render(
        request,
        PAGE,
        fragment=LIST,
        target="closure-list",
        status_code=status_code,
        hub=named(hub, language),
        tab="closures",
        closures=[_closure(c, names, language) for c in coming.items],
        resources=[(r.id, names[r.id]) for r in listed.items if r.active],
        values=values,
        year=year,
        years=[today.year, today.year + 1],
        holidays=[_holiday(o, today, language) for o in offered],
        chosen=chosen or {},
        holiday_form=chosen is not None,
        errors=found,
        field_errors=forms.by_field(found),
        affected=impact_rows(affected, language) if affected is not None else None,
    )


def _default_year(today: date, language: str) -> int:
    """This year while some of its holidays are still to come, else the next one."""
    coming = any(h.last >= today for h in of_year(today.year, language))
    return today.year if coming else today.year + 1


def _closure(closure: Any, names: dict[int, str], language: str) -> dict[str, Any]:
    fmt = formats(language)
    return {
        "id": closure.id,
        "when": fmt.when(closure.local_start, closure.local_end),
        "what": names.get(closure.resource_id, "") if closure.resource_id else "",
        "reason": closure.reason,
    }


def _holiday(offered: hub_settings.Offered, today: date, language: str) -> dict[str, Any]:
    holiday, fmt = offered.holiday, formats(language)
    first = datetime.combine(holiday.first, datetime.min.time())
    last = datetime.combine(holiday.last, datetime.min.time())
    return {
        "key": holiday.key,
        "name": holiday.name,
        "days": fmt.date(first) if first == last else f"{fmt.date(first)} – {fmt.date(last)}",
        "estimated": holiday.estimated,
        "closed": offered.closed,
        "past": holiday.last < today,
    }


def _closed(language: str, closed: int, cancelled: int) -> str:
    catalog = translations(language)
    parts = [
        catalog.ngettext("%(num)d closure is saved.", "%(num)d closures are saved.", closed)
        % {"num": closed}
    ]
    if cancelled:
        text = catalog.ngettext(
            "%(num)d booking was cancelled; its association is told why.",
            "%(num)d bookings were cancelled; their associations are told why.",
            cancelled,
        )
        parts.append(text % {"num": cancelled})
    return " ".join(parts)


HANDLERS = [closure_page, closure_add, holidays_close, closure_remove]
