"""Calendar files: the subscribed feeds (``/feeds/{token}.ics``) and one booking's download.

Feeds are read by calendar clients without a session: the secret in the URL is the only
credential. They answer 304 when the client's ETag (or date) is current, before the feed
is built, and gzip when the client accepts it (with the ETag of that representation and
a fixed gzip header, so that the same data always gives the same bytes).
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from litestar import Request, Response, get, route
from litestar.datastructures import Headers
from litestar.enums import HttpMethod
from litestar.params import FromPath

from hub_booking.domain.errors import N_
from hub_booking.i18n import translate
from hub_booking.services import feed_content as feeds
from hub_booking.web import recent
from hub_booking.web.api.fields import IdParam
from hub_booking.web.auth import principal_of, signed_in
from hub_booking.web.language import language_of

CALENDAR = "text/calendar"
# Clients may keep a feed 5 minutes without asking, then ask again cheaply (ETag → 304);
# "private": the URL is a personal secret, no shared cache may keep what it answers.
CACHE_CONTROL = "private, max-age=300"
GZIP_SUFFIX = "-gz"
GZIP_LEVEL = 5  # most of level 9's gain on calendar text for a fraction of its time
MAX_CONDITION = 4096  # longer If-None-Match / If-Modified-Since values are ignored
BUILT_BYTES = 16 * 2**20  # feed answers kept for reuse, per app (process)


@route(
    "/feeds/{name:path}",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    # A GET without a session has nothing to protect; the answer is gzipped here, not by
    # the app's compression (which would zip it twice and share one ETag across encodings).
    opt={"exclude_from_csrf": True, "skip_compression": True},
    include_in_schema=False,
)
async def feed(request: Request, name: FromPath[str]) -> Response:
    settings, now = request.app.state.settings, request.app.state.clock()
    token = name.lstrip("/").removesuffix(".ics") if name.endswith(".ics") else ""
    opened = await feeds.open_feed(token, now, settings.secret_key, settings.language)
    if opened is None:
        return _not_found(request)
    zipped = _accepts_gzip(request.headers)
    headers = _validators(opened.version, zipped)
    if _not_modified(request.headers, opened.version, now):
        return Response(b"", status_code=304, headers=headers)
    body = await _body(request, opened, zipped)
    if zipped:
        headers["Content-Encoding"] = "gzip"
    return _calendar(request, body, headers)


@get(
    "/bookings/{booking_id:int}/calendar.ics",
    guards=[signed_in],
    include_in_schema=False,
)
async def booking_calendar(request: Request, booking_id: IdParam) -> Response:
    """One booking (a series: all its occurrences) as a file to import."""
    filename, body = await feeds.booking_file(
        principal_of(request),
        booking_id,
        request.app.state.clock(),
        language_of(request),
        request.app.state.settings.base_url,
    )
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
    }
    return _calendar(request, body, headers)


async def _body(request: Request, opened: feeds.OpenFeed, zipped: bool) -> bytes:
    """The feed's bytes in the encoding asked for: built (and zipped) once per ETag."""
    built = recent.kept(request.app.state, "feed_answers", BUILT_BYTES, len)
    key = (opened.version.etag, zipped)
    body = built.get(key)
    if body is None:
        body = await feeds.build_feed(opened, request.app.state.settings.base_url)
        if zipped:
            body = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        built.put(key, body)
    return body


def _calendar(request: Request, body: bytes, headers: dict[str, str]) -> Response:
    if request.method == HttpMethod.HEAD:  # the headers of the GET, without its body
        headers["Content-Length"] = str(len(body))
        body = b""
    return Response(body, media_type=CALENDAR, headers=headers)


def _not_found(request: Request) -> Response:
    """One answer for unknown, revoked, malformed and no longer visible feeds alike."""
    detail = translate(language_of(request), N_("Not found."))
    return Response(
        {"status_code": 404, "detail": detail, "extra": {}},
        status_code=404,
        headers={"Cache-Control": "no-store"},
    )


def _validators(version: feeds.Version, zipped: bool) -> dict[str, str]:
    return {
        "ETag": f'"{version.etag}{GZIP_SUFFIX if zipped else ""}"',
        "Last-Modified": format_datetime(version.last_modified.astimezone(UTC), usegmt=True),
        "Cache-Control": CACHE_CONTROL,
        "Vary": "Accept-Encoding",
    }


def _not_modified(headers: Headers, version: feeds.Version, now: datetime) -> bool:
    """RFC 9110 §13.1: If-None-Match when sent (weak comparison, either encoding), else
    If-Modified-Since; a value too long or not a date is ignored."""
    tags = headers.get("if-none-match")
    if tags is not None:
        return len(tags) <= MAX_CONDITION and _matches(tags, version.etag)
    since = headers.get("if-modified-since")
    if since is None or len(since) > MAX_CONDITION:
        return False
    try:
        date = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    date = date if date.tzinfo else date.replace(tzinfo=UTC)
    if date > now:  # a date from the future proves nothing
        return False
    return version.last_modified.replace(microsecond=0) <= date


def _matches(tags: str, etag: str) -> bool:
    for tag in tags.split(","):
        tag = tag.strip()
        if tag == "*":
            return True
        opaque = tag.removeprefix("W/").strip('"').removesuffix(GZIP_SUFFIX)
        if opaque == etag:
            return True
    return False


def _accepts_gzip(headers: Headers) -> bool:
    for coding in headers.get("accept-encoding", "")[:MAX_CONDITION].split(","):
        name, _, params = coding.strip().partition(";")
        if name.strip().lower() in ("gzip", "x-gzip", "*"):
            quality = params.strip().removeprefix("q=").strip()
            return not quality or _positive(quality)
    return False


def _positive(quality: str) -> bool:
    try:
        return float(quality) > 0
    except ValueError:
        return False


HANDLERS = [feed, booking_calendar]
