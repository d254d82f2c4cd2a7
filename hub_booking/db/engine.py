"""Database engines: one place that knows SQLite from PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from hub_booking.db.sqlite_pool import PooledSQLiteEngine
from hub_booking.db.tables import TABLES
from hub_booking.domain.errors import N_, Conflict, DomainError

SQLITE_BUSY_TIMEOUT_S = 30
MIGRATION_LOCK_KEY = 0x6875625F62  # any constant shared by every instance


def make_engine(url: str, *, pooled: bool = True) -> Engine:
    """A Piccolo engine for a ``sqlite:///`` or ``postgresql://`` URL (nothing is opened yet).

    ``pooled=False`` gives Piccolo's plain SQLite engine, for its own command-line tools."""
    if url.startswith("sqlite:///"):
        path = str(Path(url.removeprefix("sqlite:///")))
        if not pooled:
            return SQLiteEngine(path=path, timeout=SQLITE_BUSY_TIMEOUT_S)
        return PooledSQLiteEngine(path=path, timeout=SQLITE_BUSY_TIMEOUT_S)
    return PostgresEngine(config={"dsn": url.replace("postgres://", "postgresql://", 1)})


def use_database(url: str) -> Engine:
    """Point every table (and Piccolo's migration machinery) at the database of ``url``."""
    from hub_booking import piccolo_conf

    engine = make_engine(url)
    if isinstance(engine, SQLiteEngine):
        _prepare_sqlite_file(Path(engine.path))
    piccolo_conf.DB = engine
    tables: tuple[type[Table], ...] = (*TABLES, Migration)
    for table in tables:
        table._meta.db = engine
    return engine


def current() -> Engine:
    return TABLES[0]._meta.db


def is_sqlite(engine: Engine | None = None) -> bool:
    return (engine or current()).engine_type == "sqlite"


def among(ids: list[int]) -> tuple[str, list[int]]:
    """SQL ``(…)`` of one parameter per id, and the ids: the statement's text (and the server's
    prepared plan, PostgreSQL's estimates knowing how many) is the same for as many ids,
    whichever they are (ids written into the text make a statement per set of ids)."""
    if not ids:
        return "(NULL)", []
    return "(" + ", ".join("{}" for _ in ids) + ")", [int(i) for i in ids]


def _prepare_sqlite_file(path: Path) -> None:
    """WAL lets readers go on while one writer holds the lock; it persists in the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


@contextlib.asynccontextmanager
async def transaction() -> AsyncIterator[Any]:
    """One write transaction; IMMEDIATE on SQLite so a check-then-write cannot interleave."""
    engine = current()
    if isinstance(engine, PooledSQLiteEngine):
        async with engine.write_transaction() as txn:
            yield txn
    elif isinstance(engine, SQLiteEngine):
        async with engine.transaction(transaction_type=TransactionType.immediate) as txn:
            yield txn
    else:
        async with engine.transaction() as txn:
            yield txn


@contextlib.asynccontextmanager
async def migration_lock(url: str) -> AsyncIterator[None]:
    """On PostgreSQL, one migrating process at a time (several instances may start together)."""
    if url.startswith("sqlite:"):
        # Piccolo checks what ran, then migrates in separate statements: a file lock beside
        # the database keeps two processes from both creating the tables.
        lock_path = Path(url.removeprefix("sqlite:///") + ".migrate-lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as lock_file:  # noqa: ASYNC230 - opening a lock file is instant
            await asyncio.to_thread(fcntl.flock, lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
        return
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        yield
    finally:
        await conn.close()  # closing the session releases the lock


async def start(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=2, max_size=10)


async def stop(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()
    elif isinstance(engine, PooledSQLiteEngine):
        await engine.close_pool()


@contextlib.asynccontextmanager
async def open_database(url: str) -> AsyncIterator[Engine]:
    """Point the tables at ``url`` and open its engine for the block; always closed after."""
    engine = use_database(url)
    await start(engine)
    try:
        yield engine
    finally:
        await stop(engine)


async def ping() -> bool:
    try:
        await TABLES[0].raw("SELECT 1").run()
    except Exception:
        return False
    return True


def refusal(exc: BaseException) -> DomainError | None:
    """What the caller is told when the database itself refuses a write: the one place where
    its refusals become 4xx answers (None for a real fault)."""
    import asyncpg

    raced = (
        asyncpg.ExclusionViolationError,
        asyncpg.SerializationError,
        asyncpg.DeadlockDetectedError,
    )
    if isinstance(exc, raced):
        return Conflict(
            N_("Someone booked this time a moment ago. Look again and choose another time.")
        )
    if isinstance(exc, asyncpg.UniqueViolationError):
        return _duplicate(exc.column_name or _column(exc.constraint_name or ""))
    if isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc):
        return _duplicate(str(exc).rsplit(".", 1)[-1])
    if isinstance(exc, asyncpg.DataError | asyncpg.CharacterNotInRepertoireError):
        return DomainError(N_("The request is malformed."))
    return None


def _duplicate(column: str | None) -> Conflict:
    return Conflict(N_("This already exists."), field=column or None)


def _column(constraint: str) -> str | None:
    """``hub_slug_key`` or ``ix_hub_slug`` → ``slug`` (best effort, for the field name)."""
    parts = constraint.removesuffix("_key").split("_")
    return parts[-1] if len(parts) > 1 else None
