"""In-app notifications (the list, marking read, the header's counter), the reader's
notification preferences, and the platform admin's page of failed mails."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery, PathParameter
from litestar.response import Redirect, Template

from hub_booking.domain.errors import N_, Invalid
from hub_booking.i18n import translate, translations
from hub_booking.services import deliveries, inbox, preferences
from hub_booking.web import flash, forms
from hub_booking.web.auth import LANGUAGE_COOKIE, platform_admin, principal_of, signed_in
from hub_booking.web.forms import FormData, optional_int
from hub_booking.web.htmx import is_fragment, page_context, render
from hub_booking.web.language import language_of

NotificationId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
MAX_PAGE = 10_000
LIST, COUNTER = "partials/notification_list.html", "partials/unread_count.html"


@get("/notifications", guards=[signed_in], include_in_schema=False)
async def notification_list(request: Request, page: FromQuery[str | None] = None) -> Template:
    """The reader's notifications, newest first, by pages."""
    found = await _inbox(request, min(optional_int(page) or 1, MAX_PAGE))
    return render(
        request, "pages/notifications.html", fragment=LIST, target="notification-list", found=found
    )


@get("/notifications/unread", guards=[signed_in], include_in_schema=False)
async def unread_count(request: Request) -> Template:
    """The header's counter alone (htmx polls it): one indexed count."""
    count = await inbox.unread(principal_of(request), request.app.state.clock())
    # Never a whole page: a poll must not take the flash message meant for the next page.
    return Template(COUNTER, context=page_context(request, unread=count))


@post("/notifications/{notification_id:int}/read", guards=[signed_in], include_in_schema=False)
async def mark_read(request: Request, notification_id: NotificationId) -> Template | Redirect:
    await inbox.mark_read(principal_of(request), notification_id, request.app.state.clock())
    return await _after_marking(request, N_("Marked as read."))


@post("/notifications/read", guards=[signed_in], include_in_schema=False)
async def mark_all_read(request: Request) -> Template | Redirect:
    await inbox.mark_all_read(principal_of(request), request.app.state.clock())
    return await _after_marking(request, N_("All your notifications are marked as read."))


async def _after_marking(request: Request, message: str) -> Template | Redirect:
    """htmx: the list again (and the counter told to refresh); otherwise back to the list."""
    if is_fragment(request, LIST, "notification-list"):
        found = await _inbox(request, 1)
        response = render(request, LIST, fragment=LIST, target="notification-list", found=found)
        response.headers["HX-Trigger"] = "notifications-read"
        return response
    return flash.redirect(request, "/notifications", translate(language_of(request), message))


async def _inbox(request: Request, page: int) -> inbox.Inbox:
    settings = request.app.state.settings
    return await inbox.listing(
        principal_of(request),
        request.app.state.clock(),
        language_of(request),
        page,
        settings.timezone,
    )


@get("/account/notifications", guards=[signed_in], include_in_schema=False)
async def preferences_form(request: Request) -> Template:
    """What the reader is told, and when: reminder times, mails, language."""
    chosen = await preferences.of(principal_of(request))
    return _preferences_page(request, chosen, [])


@post("/account/notifications", guards=[signed_in], include_in_schema=False)
async def preferences_save(request: Request, data: FormData) -> Template | Redirect:
    principal = principal_of(request)
    chosen = _read_preferences(data, principal.language)
    try:
        await preferences.save(principal, chosen, request.app.state.clock())
    except Invalid as exc:
        language = language_of(request)
        errors = [
            forms.FieldError(v.field, translate(language, v.message, **v.params))
            for v in exc.violations
        ]
        return _preferences_page(request, chosen, errors, status_code=422)
    language = chosen.language or language_of(request)
    response = flash.redirect(
        request, "/account/notifications", translate(language, N_("Your choices are saved."))
    )
    if chosen.language:  # pages follow the language cookie first: keep it in step
        response.cookies.append(
            Cookie(
                key=LANGUAGE_COOKIE,
                value=chosen.language,
                max_age=365 * 24 * 3600,
                path="/",
                samesite="lax",
            )
        )
    return response


def _read_preferences(data: dict, current: str) -> preferences.Preferences:
    """The form as asked (anything unexpected is kept, for the service to refuse)."""
    minutes = []
    for value in forms.every(data, "reminders"):
        number = forms.read_number(value, 100_000, 0)
        minutes.append(number if number is not None else -1)
    wanted = set(forms.every(data, "mails"))
    return preferences.Preferences(
        reminder_minutes=tuple(dict.fromkeys(minutes)),
        mail_off=frozenset(g for g in preferences.MAIL_GROUPS if g not in wanted)
        | frozenset(g for g in wanted if g not in preferences.MAIL_GROUPS),
        association_reminders=forms.one(data, "association_reminders") == "yes",
        language=forms.text(data, "language", 2) or current,
    )


def _preferences_page(
    request: Request,
    chosen: preferences.Preferences,
    errors: list[forms.FieldError],
    status_code: int = 200,
) -> Template:
    return render(
        request,
        "pages/notification_preferences.html",
        status_code=status_code,
        chosen=chosen,
        errors=errors,
        reminder_choices=preferences.REMINDER_CHOICES,
        groups=preferences.GROUP_LABELS,
    )


@get("/admin/notifications", guards=[platform_admin], include_in_schema=False)
async def failed_list(request: Request, page: FromQuery[str | None] = None) -> Template:
    """Mails that failed for good, with their last error; retry one or all."""
    number = min(optional_int(page) or 1, MAX_PAGE)
    found = await deliveries.failed(principal_of(request), number)
    pages = max(1, -(-found.total // deliveries.PAGE_SIZE))
    return render(
        request, "pages/admin_notifications.html", found=found, at_page=number, pages=pages
    )


@post(
    "/admin/notifications/{notification_id:int}/retry",
    guards=[platform_admin],
    include_in_schema=False,
)
async def retry_one(request: Request, notification_id: NotificationId) -> Redirect:
    now = request.app.state.clock()
    count = await deliveries.retry(principal_of(request), notification_id, now)
    return flash.redirect(request, "/admin/notifications", _retried(language_of(request), count))


@post("/admin/notifications/retry", guards=[platform_admin], include_in_schema=False)
async def retry_all(request: Request) -> Redirect:
    count = await deliveries.retry(principal_of(request), None, request.app.state.clock())
    return flash.redirect(request, "/admin/notifications", _retried(language_of(request), count))


def _retried(language: str, count: int) -> str:
    text = translations(language).ngettext(
        "%(num)d mail will be sent again.", "%(num)d mails will be sent again.", count
    )
    return text % {"num": count}


HANDLERS = [
    notification_list,
    unread_count,
    mark_read,
    mark_all_read,
    preferences_form,
    preferences_save,
    failed_list,
    retry_one,
    retry_all,
]
