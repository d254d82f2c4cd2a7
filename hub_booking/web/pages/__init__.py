"""The pages: every handler sits under one router whose hook loads the header's parts."""

from litestar import Router

from hub_booking.web.htmx import load_layout
from hub_booking.web.pages import (
    accounts,
    admin,
    admin_associations,
    admin_hubs,
    admin_import,
    admin_invitations,
    admin_users,
    booking_form,
    feeds,
    find,
    hubs,
    invitations,
    manage,
    manage_audit,
    manage_calendar,
    manage_closures,
    manage_requests,
    manage_resources,
    manage_settings,
    manage_today,
    my_bookings,
    notifications,
    waitlist,
)

HANDLERS = [
    *accounts.HANDLERS,
    *hubs.HANDLERS,
    *booking_form.HANDLERS,
    *find.HANDLERS,
    *my_bookings.HANDLERS,
    *feeds.HANDLERS,
    *manage.HANDLERS,
    *manage_calendar.HANDLERS,
    *manage_settings.HANDLERS,
    *manage_resources.HANDLERS,
    *manage_closures.HANDLERS,
    *manage_requests.HANDLERS,
    *manage_today.HANDLERS,
    *manage_audit.HANDLERS,
    *admin_users.HANDLERS,
    *admin_invitations.HANDLERS,
    *invitations.HANDLERS,
    *admin.HANDLERS,
    *admin_hubs.HANDLERS,
    *admin_associations.HANDLERS,
    *admin_import.HANDLERS,
    *notifications.HANDLERS,
    *waitlist.HANDLERS,
]


def router() -> Router:
    return Router(path="/", route_handlers=HANDLERS, before_request=load_layout)
