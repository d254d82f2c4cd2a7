"""JSON API for the caller's calendar feeds: create, list, rotate, revoke (CONTRACT.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, delete, get, post
from litestar.params import JSONBody

from hub_booking.db.feed_tokens import Listed
from hub_booking.domain.model import FeedScope, Page
from hub_booking.services import feeds
from hub_booking.web.api import shapes
from hub_booking.web.api.fields import Id, IdParam, Limit, Offset, line
from hub_booking.web.auth import principal_of


class FeedBody(msgspec.Struct, forbid_unknown_fields=True):
    """A feed of one resource, hub or association (``id``), or of the caller's bookings
    (``me``, no id); optionally a label, and a language other than the caller's."""

    scope: Literal["resource", "hub", "association", "me"]
    id: Id | None = None
    label: Annotated[str, line(feeds.MAX_LABEL)] = ""
    language: Literal["ar", "fr", "en"] | None = None


@post("/feeds", summary="Create a calendar feed; its URL is in this answer only")
async def create_feed(request: Request, data: JSONBody[FeedBody]) -> dict[str, Any]:
    settings = request.app.state.settings
    issued = await feeds.create_feed(
        principal_of(request),
        FeedScope(data.scope),
        data.id,
        request.app.state.clock(),
        settings.secret_key,
        settings.base_url,
        label=data.label,
        language=data.language,
    )
    return {**_shape(issued.feed), "url": issued.url}


@get("/feeds", summary="The caller's calendar feeds (never their URLs)")
async def list_feeds(request: Request, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    found: Page[Listed] = await feeds.list_feeds(principal_of(request), limit, offset)
    return shapes.page_of(found, lambda listed: _shape(listed.feed))


@post("/feeds/{feed_id:int}/rotate", status_code=200, summary="Give a feed a new secret URL")
async def rotate_feed(request: Request, feed_id: IdParam) -> dict[str, Any]:
    settings = request.app.state.settings
    issued = await feeds.rotate_feed(
        principal_of(request),
        feed_id,
        request.app.state.clock(),
        settings.secret_key,
        settings.base_url,
    )
    return {**_shape(issued.feed), "url": issued.url}


@delete("/feeds/{feed_id:int}", status_code=204, summary="Revoke one of the caller's feeds")
async def revoke_feed(request: Request, feed_id: IdParam) -> None:
    await feeds.revoke_feed(principal_of(request), feed_id, request.app.state.clock())


def _shape(feed: feeds.Feed) -> dict[str, Any]:
    return {
        "id": feed.id,
        "scope": str(feed.scope),
        "scope_id": feed.scope_id,
        "label": feed.label,
        "language": feed.language,
        "created_at": shapes.instant(feed.created_at),
        "last_used_at": shapes.instant(feed.last_used_at),
    }


HANDLERS = [create_feed, list_feeds, rotate_feed, revoke_feed]
