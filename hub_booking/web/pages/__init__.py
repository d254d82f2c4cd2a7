from hub_booking.web.pages import accounts, booking_form, find, hubs

HANDLERS = [*accounts.HANDLERS, *hubs.HANDLERS, *booking_form.HANDLERS, *find.HANDLERS]

# My bookings (list, detail, cancel)
from hub_booking.web.pages import my_bookings  # noqa: E402

HANDLERS += my_bookings.HANDLERS
