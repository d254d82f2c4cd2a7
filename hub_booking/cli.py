"""The ``hub-booking`` command: migrate, seed-demo, create-user, create-token, retime, serve,
worker."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from hub_booking.clock import utc_now
from hub_booking.db import engine as db
from hub_booking.domain.errors import DomainError
from hub_booking.i18n import translate
from hub_booking.settings import LANGUAGES, Settings, SettingsError


async def migrate(settings: Settings, *, quiet: bool = False) -> None:
    """Apply every migration not applied yet (safe to run twice)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    out = io.StringIO()
    async with db.open_database(settings.database_url), db.migration_lock(settings.database_url):
        with contextlib.redirect_stdout(out):  # Piccolo narrates each step with emoji
            result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}\n{out.getvalue()}")
    if not quiet:
        print("database is up to date")


async def _seed(settings: Settings, args: argparse.Namespace) -> None:
    from hub_booking.services import demo

    await migrate(settings, quiet=True)
    async with db.open_database(settings.database_url):
        lines = await demo.seed(utc_now())
    for line in lines:
        print(line)


async def _create_user(settings: Settings, args: argparse.Namespace) -> None:
    from hub_booking.services import accounts

    async with db.open_database(settings.database_url):
        user_id = await accounts.save_user(
            args.email,
            args.password,
            utc_now(),
            name=args.name,
            language=args.language,
            platform_admin=(args.role == "platform_admin") if args.role else None,
            hub_slug=args.hub,
            association_slug=args.association,
            representative=args.representative,
        )
    print(user_id)


async def _create_token(settings: Settings, args: argparse.Namespace) -> None:
    from hub_booking.services import accounts

    async with db.open_database(settings.database_url):
        token = await accounts.create_token(
            args.email, args.name or "cli", utc_now(), settings.secret_key
        )
    print("Personal API token (shown once; send it as 'Authorization: Bearer <token>'):")
    print(token)


async def _retime(
    settings: Settings, args: argparse.Namespace | None, *, only_if_changed: bool = False
) -> None:
    from hub_booking.services import retime

    async with (
        db.open_database(settings.database_url),
        db.migration_lock(settings.database_url),  # one instance at a time
    ):
        if only_if_changed:
            report = await retime.retime_if_zone_data_changed(utc_now())
        else:
            report = await retime.retime(utc_now())
    for line in report.lines() if report else []:
        print(line)


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    asyncio.run(migrate(settings))
    asyncio.run(_retime(settings, None, only_if_changed=True))
    uvicorn.run(
        "hub_booking.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,  # HUB_BOOKING_TRUSTED_PROXIES is the only switch
        log_level="info",
    )


def _worker(settings: Settings, args: argparse.Namespace) -> None:
    asyncio.run(migrate(settings, quiet=True))
    asyncio.run(_run_worker(settings, args))


async def _run_worker(settings: Settings, args: argparse.Namespace) -> None:
    """The scheduled jobs without HTTP, until SIGTERM or SIGINT (then a clean stop)."""
    import logging
    import signal
    from datetime import timedelta

    from hub_booking import zones
    from hub_booking.scheduler import Worker

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per tick is noise
    zones.self_check()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with db.open_database(settings.database_url):
        worker = Worker(
            settings,
            utc_now,
            dispatch_every=args.dispatch_every,
            lease=timedelta(seconds=args.claim_lease),
        )
        worker.start()
        print("hub-booking worker: running; SIGTERM or Ctrl-C stops it", flush=True)
        await stop.wait()
        await worker.stop()
    print("hub-booking worker: stopped", flush=True)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hub-booking", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply all migrations (safe to run twice)")
    sub.add_parser(
        "seed-demo", help="load the demo Fès-Meknès hub (idempotent) and print the logins"
    )
    sub.add_parser("retime", help="recompute future bookings' UTC times from their wall clock")
    user = sub.add_parser("create-user", help="create or update a user; prints its id")
    user.add_argument("--email", required=True)
    user.add_argument("--password", required=True)
    user.add_argument("--name")
    user.add_argument("--role", choices=("platform_admin", "hub_manager", "member"))
    user.add_argument("--hub", help="slug of the hub this user manages")
    user.add_argument("--association", help="slug of the association this user belongs to")
    user.add_argument("--representative", action="store_true", help="represents the association")
    user.add_argument("--language", choices=LANGUAGES)
    token = sub.add_parser("create-token", help="print a new personal API token as the last line")
    token.add_argument("--email", required=True)
    token.add_argument("--name", help="a label for the token")
    serve = sub.add_parser("serve", help="migrate, then serve HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    worker = sub.add_parser(
        "worker", help="run the scheduled jobs (mail, reminders, expiry, digests) without HTTP"
    )
    worker.add_argument(
        "--dispatch-every", type=float, default=30.0, help="seconds between sends (default 30)"
    )
    worker.add_argument(
        "--claim-lease",
        type=float,
        default=600.0,
        help="seconds before a message claimed by a dead worker is sent by another (default 600)",
    )
    return p


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, None]]] = {
    "seed-demo": _seed,
    "create-user": _create_user,
    "create-token": _create_token,
    "retime": _retime,
}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command == "serve":
            _serve(settings, args)
        elif args.command == "worker":
            _worker(settings, args)
        elif args.command == "migrate":
            asyncio.run(migrate(settings))
        else:
            if args.command == "create-user" and args.role == "hub_manager" and not args.hub:
                raise SettingsError("--role hub_manager needs --hub SLUG")
            asyncio.run(COMMANDS[args.command](settings, args))
    except (SettingsError, DomainError) as exc:
        message = (
            translate("en", exc.message, **exc.params) if isinstance(exc, DomainError) else str(exc)
        )
        field = f" ({exc.field})" if isinstance(exc, DomainError) and exc.field else ""
        print(f"hub-booking: error: {message}{field}", file=sys.stderr)
        return 2
    except Exception as exc:
        print(f"hub-booking: error: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
