"""The booking form: prefilled from a link, checked live (htmx) with the same service as the
API's dry run, booked once per form token, redirected to the new booking with a message.

The same form serves a hub's managers booking on behalf of an association of the hub's
region, with an explicit override of the rules and its reason (``FormMode``: where the form
is sent and what it offers; ``web/pages/manage_calendar.py`` serves that mode)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template

from hub_booking.domain.errors import N_, BookingConflict, Invalid
from hub_booking.domain.model import BookingStatus, Hub
from hub_booking.i18n import formats, translate, translations
from hub_booking.services import booking_options, bookings, idempotency, suggestions
from hub_booking.services.booking_options import ChosenHub
from hub_booking.services.bookings import Created
from hub_booking.web import bounds, check_view, flash, forms
from hub_booking.web.auth import principal_of, signed_in
from hub_booking.web.check_view import CHECK_ANCHOR, CheckView, Problem
from hub_booking.web.forms import REQUIRED, BookingForm, FieldError, FormInput, one
from hub_booking.web.htmx import is_fragment, load_layout, render
from hub_booking.web.language import language_of
from hub_booking.web.names import named
from hub_booking.zones import get_zone

PAGE = "pages/booking_new.html"
CHECK = "partials/booking_check.html"
REASON_MAX = 500
_REASON = re.compile(bounds.MULTILINE_PATTERN)


@dataclass(frozen=True)
class FormMode:
    """Where the form is sent, and whether a manager books on behalf of an association (the
    region's associations to choose from, the override of the rules, the way back to the
    manager's calendar)."""

    action: str = "/bookings/new"
    check: str = "/bookings/check"
    on_behalf: bool = False
    calendar: str = ""


MEMBER = FormMode()


def on_behalf(slug: str) -> FormMode:
    """The form of the manager's calendar of the hub ``slug``."""
    base = f"/manage/hubs/{slug}"
    return FormMode(f"{base}/bookings/new", f"{base}/bookings/check", True, f"{base}/calendar")


@get("/bookings/new", guards=[signed_in], include_in_schema=False)
async def booking_new(request: Request) -> Template:
    """The empty form, or prefilled from a link (``resource_id``, ``starts_at``, ``ends_at``,
    ``hub``); what a link gets wrong falls back to a choice, with a note."""
    query = forms.query_of(request)
    chosen = await booking_options.choose_hub(
        principal_of(request),
        slug=one(query, "hub"),
        resource_id=forms.read_id(one(query, "resource_id")),
    )
    return await new_form(request, chosen, MEMBER)


async def new_form(request: Request, chosen: ChosenHub, mode: FormMode) -> Template:
    """The form for ``chosen``'s hub, prefilled from the address (see ``booking_new``)."""
    query = forms.query_of(request)
    values, notes = forms.prefill(query, get_zone(chosen.hub.timezone), pool=chosen.pool)
    unreadable = one(query, "resource_id") and forms.read_id(one(query, "resource_id")) is None
    if chosen.fallback or unreadable:
        values["resource_id"] = ""
        notes.append(FieldError(None, N_("The hub or room in the link was not found; choose one.")))
    ready = bool(values["date"] and values["start"] and (values["resource_id"] or chosen.pool))
    notices = check_view.problems(notes, language_of(request))
    return await _page(
        request, chosen.hub, values, CheckView(), mode, notices=notices, auto_check=ready
    )


@post("/bookings/check", guards=[signed_in], include_in_schema=False)
async def booking_check(request: Request, data: forms.FormData) -> Template:
    """The live check (htmx swaps ``#booking-check``); without htmx, the whole form with it."""
    hub = await booking_options.hub_by_slug(one(data, "hub"))
    return await check_form(request, data, hub, MEMBER)


async def check_form(request: Request, data: FormInput, hub: Hub, mode: FormMode) -> Template:
    """The check of the form as sent. As the user types, a clash is shown without its
    suggestions (finding them costs more than the rest of the check): the check's button
    "Show suggestions" (``suggest``) asks for them, and a refused booking always has them."""
    form = read_form(data, hub, draft=True)
    if one(data, "suggest"):
        check = await _check(request, hub, form)
    else:
        with suggestions.deferred():
            check = await _check(request, hub, form)
    if is_fragment(request, CHECK, CHECK_ANCHOR):  # the options of the whole form are not read
        return render(
            request,
            PAGE,
            fragment=CHECK,
            target=CHECK_ANCHOR,
            values=form.values,
            check=check,
            mode=mode,
        )
    await load_layout(request)
    return await _page(request, hub, form.values, check, mode)


@post("/bookings/new", guards=[signed_in], include_in_schema=False)
async def booking_create(request: Request, data: forms.FormData) -> Template | Redirect:
    """Book and go to the booking (see ``create_from_form``)."""
    hub = await booking_options.hub_by_slug(one(data, "hub"))
    return await create_from_form(request, data, hub, MEMBER)


async def create_from_form(
    request: Request, data: FormInput, hub: Hub, mode: FormMode
) -> Template | Redirect:
    """Book and go to the booking; a refusal shows the form again, values kept, with every
    problem, the conflicts and the suggestions (a click on one books it)."""
    zone, language = get_zone(hub.timezone), language_of(request)
    form = read_form(forms.apply_suggestion(data, zone), hub)
    checking = one(data, "action") == "check"
    if form.request is None or checking:
        check = await _check(request, hub, form)
        code = 200 if checking else 422
        return await _page(request, hub, form.values, check, mode, status_code=code)
    try:
        outcome = await idempotency.create_once(
            principal_of(request),
            form.values["form_token"] or None,  # a second submit of this form: the same booking
            form.request,
            request.app.state.clock(),
            language=language,
            answer=_kept,
        )
    except (Invalid, BookingConflict) as exc:  # e.g. the slot was taken since the page opened
        check = await _check(request, hub, form)
        summary = check.problems or check_view.refusal(exc, language)
        return await _page(
            request, hub, form.values, check, mode, summary=summary, status_code=exc.status_code
        )
    return flash.redirect(
        request, f"/bookings/{outcome.booking_id}", _booked(language, outcome.answer)
    )


def read_form(data: FormInput, hub: Hub, *, draft: bool = False) -> BookingForm:
    """The booking form as sent, with the override of the rules and its reason when ticked
    (read whoever sends them: the service refuses an override by anyone but the hub's
    managers, so a forged field books nothing)."""
    form = forms.parse_booking(data, get_zone(hub.timezone), draft=draft)
    override, reason = one(data, "override") == "on", one(data, "override_reason")
    values = {**form.values, "override": override, "override_reason": reason[: REASON_MAX + 1]}
    errors = list(form.errors)
    if override and not reason:
        errors.append(FieldError("override_reason", REQUIRED))
    elif override and len(reason) > REASON_MAX:
        errors.append(FieldError("override_reason", N_("This text is too long.")))
    elif override and not _REASON.match(reason):
        message = N_("This text has characters that are not allowed.")
        errors.append(FieldError("override_reason", message))
    if errors or form.request is None:
        return BookingForm(values, None, tuple(errors))
    wanted = replace(form.request, override=override, override_reason=reason if override else "")
    return BookingForm(values, wanted)


async def _check(request: Request, hub: Hub, form: BookingForm) -> CheckView:
    """The one booking check (``bookings.assess``) of what the form asks; problems of the
    form itself when it cannot be read."""
    language = language_of(request)
    if form.request is None:
        return CheckView(problems=check_view.problems(form.errors, language))
    try:
        assessment = await bookings.assess(
            principal_of(request), form.request, request.app.state.clock(), language=language
        )
    except Invalid as exc:
        return CheckView(problems=check_view.refusal(exc, language))
    if assessment.hub_id != hub.id:  # a resource of another hub than the form's
        wrong = FieldError("resource_id", N_("No resource with this id."))
        return CheckView(problems=check_view.problems([wrong], language))
    return check_view.view(assessment, language)


async def _page(
    request: Request,
    hub: Hub,
    values: dict[str, Any],
    check: CheckView,
    mode: FormMode,
    *,
    notices: list[Problem] | None = None,
    summary: list[Problem] | None = None,
    status_code: int = 200,
    auto_check: bool = False,
) -> Template:
    """The whole form with its choices, a fresh one-time token, the check and the errors
    (in the summary only once the form was sent)."""
    language = language_of(request)
    options = await booking_options.options(principal_of(request), hub, on_behalf=mode.on_behalf)
    if summary is None:
        summary = check.problems if status_code != 200 else []
    return render(
        request,
        PAGE,
        status_code=status_code,
        hub=named(hub, language),
        hubs=[named(h, language) for h in options.hubs],
        spaces=[named(r, language) for r in options.spaces],
        equipment=[named(r, language) for r in options.equipment],
        associations=[named(a, language) for a in options.associations],
        errors=summary,
        field_errors=check.by_field(),
        notices=notices or [],
        weekdays=check_view.weekday_names(language),
        auto_check=auto_check,  # a prefilled form is checked as soon as it is shown
        values={**values, "form_token": secrets.token_urlsafe(24)},
        check=check,
        mode=mode,
    )


def _kept(created: Created) -> dict[str, Any]:
    """What the form token keeps of a booking made, so that a second submit says the same."""
    return {
        "series": created.first.series_id is not None,
        "booked": len(created.bookings),
        "pending": created.first.status == BookingStatus.PENDING,
        "skipped": [
            [s.slot.local_start.isoformat(), s.slot.local_end.isoformat()]
            for s in created.assessment.verdict.skipped
        ],
    }


def _booked(language: str, kept: dict[str, Any]) -> str:
    """The message shown on the booking's page: what was booked, skipped, and what next."""
    catalog, fmt, count = translations(language), formats(language), int(kept.get("booked", 1))
    parts = [translate(language, N_("Your booking is made."))]
    if kept.get("series"):
        text = catalog.ngettext("%(num)d date is booked.", "%(num)d dates are booked.", count)
        parts = [text % {"num": count}]
    wall = datetime.fromisoformat  # the hub's wall-clock times, kept as ISO text
    skipped = [fmt.when(wall(start), wall(end)) for start, end in kept.get("skipped", [])]
    if skipped:
        parts.append(translate(language, N_("Skipped: %(dates)s."), dates="; ".join(skipped)))
    if kept.get("pending"):
        parts.append(translate(language, N_("A manager of the hub will have to approve it.")))
    return " ".join(parts)


HANDLERS = [booking_new, booking_check, booking_create]
