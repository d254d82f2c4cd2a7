"""SQLite with long-lived connections and a fair writer queue.

Piccolo's SQLiteEngine opens a new aiosqlite connection (a new thread) for every query and
closes it afterwards, which costs milliseconds per query. This engine keeps a few open
connections and lends them out; write transactions of one process wait their turn on an
asyncio lock (first come, first served) before ``BEGIN IMMEDIATE``, instead of polling
SQLite's busy handler, which favours no one. Other processes are still kept out by SQLite's
own lock and the busy timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

POOL_SIZE = 8


class _Lent:
    """A pooled connection as Piccolo's transaction sees it: closing it gives it back."""

    def __init__(self, engine: PooledSQLiteEngine, connection: aiosqlite.Connection) -> None:
        object.__setattr__(self, "_engine", engine)
        object.__setattr__(self, "_connection", connection)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._connection, name, value)

    async def close(self) -> None:
        await self._engine._give_back(self._connection)


class PooledSQLiteEngine(SQLiteEngine):
    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._idle: list[aiosqlite.Connection] = []
        self._all: list[aiosqlite.Connection] = []
        self._available: asyncio.Semaphore | None = None
        self.writer_lock: asyncio.Lock | None = None

    async def _take(self) -> aiosqlite.Connection:
        if self._available is None:
            self._available = asyncio.Semaphore(POOL_SIZE)
        await self._available.acquire()
        if self._idle:
            return self._idle.pop()
        try:
            connection = await aiosqlite.connect(**self.connection_kwargs)
        except BaseException:
            self._available.release()
            raise
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        # WAL with synchronous=NORMAL: no fsync per commit (a power cut may lose the last
        # commits, never corrupt the file); the setting SQLite documents for WAL.
        await connection.execute("PRAGMA synchronous = NORMAL")
        await connection.execute(
            f"PRAGMA busy_timeout = {int(self.connection_kwargs['timeout'] * 1000)}"
        )
        self._all.append(connection)
        return connection

    async def _give_back(self, connection: aiosqlite.Connection) -> None:
        try:
            if connection.in_transaction:  # never lend out a half-finished transaction
                await connection.rollback()
            self._idle.append(connection)
        except Exception:  # a broken connection is dropped, not reused
            self._all.remove(connection)
            with contextlib.suppress(Exception):
                await connection.close()
        finally:
            assert self._available is not None
            self._available.release()

    async def get_connection(self) -> Any:
        return _Lent(self, await self._take())

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        # Autocommit (isolation_level None): one hop to the connection's thread, no COMMIT.
        connection = await self._take()
        try:
            return list(await connection.execute_fetchall(query, args or []))
        finally:
            await self._give_back(connection)

    async def _run_in_existing_connection(
        self,
        connection: Any,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        # The pragmas and row factory were set once, when the connection was opened.
        return list(await connection.execute_fetchall(query, args or []))

    async def close_pool(self) -> None:
        for connection in self._all:
            with contextlib.suppress(Exception):
                await connection.close()
        self._all, self._idle = [], []

    @contextlib.asynccontextmanager
    async def write_transaction(self) -> AsyncIterator[SQLiteTransaction]:
        """``BEGIN IMMEDIATE``, after the writers of this process that came first."""
        if self.current_transaction.get() is not None:  # nested: join the outer one
            async with self.transaction() as txn:
                yield txn
            return
        if self.writer_lock is None:
            self.writer_lock = asyncio.Lock()
        async with (
            self.writer_lock,
            self.transaction(transaction_type=TransactionType.immediate) as txn,
        ):
            yield txn
