"""The pages: every handler sits under one router whose hook loads the header's parts."""

from litestar import Router

from hub_booking.web.htmx import load_layout
from hub_booking.web.pages import accounts, booking_form, find, hubs, manage, my_bookings

HANDLERS = [
    *accounts.HANDLERS,
    *hubs.HANDLERS,
    *booking_form.HANDLERS,
    *find.HANDLERS,
    *my_bookings.HANDLERS,
    *manage.HANDLERS,
]


def router() -> Router:
    return Router(path="/", route_handlers=HANDLERS, before_request=load_layout)
