"""Hub settings for its managers: names, zone, opening hours (several periods a day) and the
hub-wide booking rules. Saving asks first: the future bookings the new settings would break
are listed (they are kept), and a second submit with ``confirm`` saves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from hub_booking.domain.errors import N_, Invalid, Violation
from hub_booking.domain.model import Hub
from hub_booking.domain.rules import RULE_BOUNDS, WEEKDAYS
from hub_booking.i18n import formats, translate
from hub_booking.services import hub_settings, manage, resources
from hub_booking.services.hub_settings import Affected
from hub_booking.web import flash
from hub_booking.web import manage_forms as forms
from hub_booking.web.auth import principal_of, signed_in
from hub_booking.web.check_view import weekday_names
from hub_booking.web.forms import FieldError, FormData
from hub_booking.web.htmx import render
from hub_booking.web.language import language_of
from hub_booking.web.names import named

PAGE = "pages/manage_settings.html"


@get("/manage/hubs/{slug:str}/settings", guards=[signed_in], include_in_schema=False)
async def settings_form(request: Request, slug: FromPath[str]) -> Template:
    hub = await manage.managed_hub(principal_of(request), slug)
    return _page(request, hub, forms.settings_values(hub))


@post("/manage/hubs/{slug:str}/settings", guards=[signed_in], include_in_schema=False)
async def settings_save(
    request: Request, slug: FromPath[str], data: FormData
) -> Template | Redirect:
    """Check; list the bookings the change would break (unless confirmed); save."""
    principal, language = principal_of(request), language_of(request)
    now = request.app.state.clock()
    hub = await manage.managed_hub(principal, slug)
    parsed = forms.parse_settings(data, hub)
    if parsed.errors:
        return _page(request, hub, parsed.values, errors=parsed.errors, status_code=422)
    try:
        if not forms.confirmed(data):
            affected = await hub_settings.hub_impact(principal, hub.id, parsed.data, now, language)
            if affected:
                return _page(request, hub, parsed.values, affected=affected)
        await resources.update_hub(principal, hub.id, parsed.data, now)
    except Invalid as exc:
        return _page(request, hub, parsed.values, errors=exc.violations, status_code=422)
    saved = translate(language, N_("The settings of the hub are saved."))
    return flash.redirect(request, f"/manage/hubs/{hub.slug}/settings", saved)


def _page(
    request: Request,
    hub: Hub,
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
        PAGE,
        status_code=status_code,
        hub=named(hub, language),
        tab="settings",
        values=values,
        rows=forms.hours_rows(values),
        days=day_names(language),
        bounds=RULE_BOUNDS,
        errors=found,
        field_errors=forms.by_field(found),
        affected=impact_rows(affected, language) if affected is not None else None,
    )


def day_names(language: str) -> list[tuple[str, str]]:
    """(opening hours key, weekday name) from Monday, in the reader's language."""
    return [(key, name) for key, (_, name) in zip(WEEKDAYS, weekday_names(language), strict=True)]


def impact_rows(affected: list[Affected], language: str) -> list[dict[str, Any]]:
    """The listed bookings as the pages show them: times on the hub's clock, reasons
    translated."""
    fmt = formats(language)
    return [
        {
            "id": a.booking_id,
            "title": a.title,
            "association": a.association,
            "when": fmt.when(a.local_start, a.local_end),
            "status": str(a.status),
            "resources": ", ".join(name for name in a.resources if name),
            "reasons": [translate(language, v.message, **v.params) for v in a.problems],
        }
        for a in affected
    ]


HANDLERS = [settings_form, settings_save]
