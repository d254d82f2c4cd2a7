"""Fixtures: a fresh database per run (SQLite or PostgreSQL), emptied before each test.

The engine is chosen by ``HUB_BOOKING_TEST_DATABASE`` (``sqlite``, the default, or
``postgres``); ``HUB_BOOKING_TEST_POSTGRES_URL`` points at the server
(default ``postgresql://postgres@127.0.0.1:5432/postgres``). ``make test`` runs both.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from litestar import Litestar
from piccolo.engine.base import Engine

from hub_booking.app import create_app
from hub_booking.cli import migrate
from hub_booking.db import engine as db
from hub_booking.db.tables import TABLES
from hub_booking.settings import Settings
from tests import factories

ENGINE = os.environ.get("HUB_BOOKING_TEST_DATABASE", "sqlite")
PG_SERVER = os.environ.get(
    "HUB_BOOKING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SECRET = "test-secret-key-" + "x" * 32
NOW = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)


def pytest_report_header() -> str:
    return f"hub-booking database engine: {ENGINE}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ENGINE != "postgres":
        skip = pytest.mark.skip(reason="PostgreSQL-only behaviour; runs in the PostgreSQL pass")
        for item in items:
            if "postgres_only" in item.keywords:
                item.add_marker(skip)


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A brand-new database for this run, migrated once."""
    if ENGINE == "postgres":
        name = f"hub_booking_test_{os.getpid()}_{secrets.token_hex(3)}"
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        url = _with_db(PG_SERVER, name)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    asyncio.run(migrate(make_settings(url), quiet=True))
    yield url
    if ENGINE == "postgres":
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty, unmigrated database of the engine under test, dropped afterwards."""
    if ENGINE != "postgres":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    name = f"hub_booking_fresh_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    yield _with_db(PG_SERVER, name)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_SERVER)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def make_settings(url: str, **overrides: object) -> Settings:
    return Settings(database_url=url, secret_key=SECRET, var_dir=Path("var/test"), **overrides)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Engine]:
    """The run's database, emptied: every test starts from nothing."""
    engine = db.use_database(database_url)
    await db.start(engine)
    names = [table._meta.tablename for table in reversed(TABLES)]
    if db.is_sqlite(engine):
        for name in names:
            await engine.run_ddl(f'DELETE FROM "{name}"')
    else:
        await engine.run_ddl(
            "TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"
        )
    yield engine
    await db.stop(engine)


class Client(httpx.AsyncClient):
    """An httpx client calling the app in this event loop (Litestar's own test client runs
    the app in a thread with another loop, where the database pool cannot follow)."""

    app: Litestar


@asynccontextmanager
async def serve_in_loop(app: Litestar) -> AsyncIterator[Client]:
    # No lifespan here: its task group cannot span pytest's setup and teardown tasks, and
    # with an injected engine it only runs the zone self-check (tested on its own; the
    # browser tests run the real server with its full lifespan).
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4321))
    async with Client(transport=transport, base_url="http://testserver.local") as test_client:
        test_client.app = app
        yield test_client


_APPS: dict[str, Litestar] = {}


def shared_app(settings: Settings, engine: Engine) -> Litestar:
    """One app per database for the whole run, its clock at ``NOW``: building one (hundreds
    of routes) costs more than most tests. Nothing of a test stays in it: the data is in the
    database, emptied before each test, the caches the app keeps in its state are dropped, and
    the engine is the module-level one each test starts (the app keeps ``engine`` only for a
    lifespan these tests do not run)."""
    if settings.database_url not in _APPS:
        _APPS[settings.database_url] = create_app(settings, clock=lambda: NOW, engine=engine)
    app = _APPS[settings.database_url]
    for key in set(app.state.dict()) - {"settings", "clock"}:  # caches of an earlier test
        app.state.pop(key, None)
    return app


@pytest.fixture
async def client(database: Engine, settings: Settings) -> AsyncIterator[Client]:
    async with serve_in_loop(shared_app(settings, database)) as test_client:
        yield test_client


@pytest.fixture
async def cast(database: Engine) -> factories.Cast:
    """The fixed cast: two hubs, associations A and B, and one user for every role."""
    return await factories.make_cast(SECRET, NOW)
