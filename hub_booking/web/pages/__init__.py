from hub_booking.web.pages import accounts, hubs

HANDLERS = [*accounts.HANDLERS, *hubs.HANDLERS]
