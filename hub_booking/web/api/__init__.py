"""The JSON API under /api/v1; every route needs a signed-in caller (session or Bearer)."""

from litestar import Router

from hub_booking.web.api import bookings, catalogue, closures
from hub_booking.web.auth import signed_in


def router() -> Router:
    return Router(
        path="/api/v1",
        route_handlers=[*catalogue.HANDLERS, *bookings.HANDLERS, *closures.HANDLERS],
        guards=[signed_in],
        tags=["api"],
    )
