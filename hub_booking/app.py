"""create_app(settings) -> Litestar: routes, templates, static files, middleware, lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, get
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.logging import LoggingConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Response
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from piccolo.engine.base import Engine

from hub_booking import zones
from hub_booking.clock import utc_now
from hub_booking.db import engine as db
from hub_booking.i18n import format_datetime, translations
from hub_booking.services import waitlist
from hub_booking.settings import Settings
from hub_booking.web import api, feeds, logs, pages
from hub_booking.web.auth import AuthMiddleware, CSRFUnlessBearer, csrf_config, current_language
from hub_booking.web.errors import EXCEPTION_HANDLERS
from hub_booking.web.headers import security_headers

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("hub_booking")


@get("/healthz", include_in_schema=True, summary="Liveness and database check")
async def healthz() -> Response:
    if await db.ping():
        return Response({"status": "ok"})
    return Response({"status": "unavailable"}, status_code=503)


def template_environment() -> Environment:
    """Autoescaped Jinja with gettext bound to the language of the request being served."""
    env = Environment(
        loader=FileSystemLoader(ROOT / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: translations(current_language.get()).gettext(message),
        ngettext=lambda s, p, n: translations(current_language.get()).ngettext(s, p, n),
        newstyle=True,
    )
    env.globals["format_datetime"] = format_datetime
    return env


def create_app(
    settings: Settings, clock: Callable[[], datetime] = utc_now, engine: Engine | None = None
) -> Litestar:
    """The app; it opens and closes its own database engine unless given a started one."""
    owned = engine is None
    engine = engine or db.use_database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        zones.self_check()
        log.info("zone data: IANA %s (tzdata package)", zones.IANA_VERSION)
        if owned:
            await db.start(engine)
        worker = None
        if settings.scheduler:  # otherwise `hub-booking worker` runs the jobs
            from hub_booking.scheduler import Worker

            worker = Worker(settings, clock)
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                await worker.stop()
            if owned:
                await db.stop(engine)

    logs.install()
    waitlist.configure(settings)  # how long a freed slot is held for the waitlist
    return Litestar(
        route_handlers=[
            healthz,
            api.router(),
            pages.router(),
            *feeds.HANDLERS,
            create_static_files_router(path="/static", directories=[ROOT / "static"]),
        ],
        middleware=[
            DefineMiddleware(CSRFUnlessBearer, config=csrf_config(settings)),
            AuthMiddleware(),
        ],
        before_send=[security_headers(settings)],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        template_config=TemplateConfig(
            instance=JinjaTemplateEngine.from_environment(template_environment())
        ),
        plugins=[HTMXPlugin()],
        # Feeds gzip themselves (an ETag per encoding, bytes kept for reuse): they opt out.
        # Level 6 (zlib's own default): pages about as small as at 9, for less CPU per page.
        compression_config=CompressionConfig(
            backend="gzip", exclude_opt_key="skip_compression", gzip_compress_level=6
        ),
        openapi_config=OpenAPIConfig(
            title="hub-booking", version="1", path="/schema", render_plugins=[JsonRenderPlugin()]
        ),
        state=State({"settings": settings, "clock": clock}),
        lifespan=[lifespan],
        logging_config=LoggingConfig(
            log_exceptions="debug", loggers={"hub_booking": {"level": "INFO"}}
        ),
        request_max_body_size=1_000_000,
    )
