"""The JSON API under /api/v1; every route needs a signed-in caller (session or Bearer)."""

from litestar import Router

from hub_booking.web.api import answers, bookings, catalogue, closures, feeds, tokens
from hub_booking.web.auth import signed_in
from hub_booking.web.validation import strict_body


def router() -> Router:
    return Router(
        path="/api/v1",
        route_handlers=answers.documented(
            [
                *catalogue.HANDLERS,
                *bookings.HANDLERS,
                *closures.HANDLERS,
                *tokens.HANDLERS,
                *feeds.HANDLERS,
            ]
        ),
        guards=[signed_in],
        before_request=strict_body,
        tags=["api"],
    )
