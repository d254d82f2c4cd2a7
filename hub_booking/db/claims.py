"""The worker's side of the outbox: due rows claimed with a lease, and what becomes of them.

Claiming is atomic: PostgreSQL picks due rows ``FOR UPDATE SKIP LOCKED`` and marks them in
one statement; SQLite runs the same conditional ``UPDATE`` inside its single writer's
``BEGIN IMMEDIATE``. A claim is a lease: a row claimed longer ago than the lease is due
again (its worker died). Every later change of a claimed row names the claim's token, so a
worker whose lease was taken over changes nothing.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.custom_types import Combinable
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from hub_booking.db.engine import current, is_sqlite, transaction
from hub_booking.db.outbox import Claimed, load_payload
from hub_booking.db.tables import Notification

MarkSent = Callable[[Claimed, datetime], Awaitable[bool]]
Run = Callable[[str, list[Any]], Awaitable[Any]]  # a compiled statement and its arguments


def _due(now: datetime, lease: timedelta) -> Combinable:
    return (
        Notification.sent_at.is_null()
        & Notification.failed_at.is_null()
        & (Notification.send_after.is_null() | (Notification.send_after <= now))
        & (Notification.claimed_at.is_null() | (Notification.claimed_at < now - lease))
    )


_CLAIMED = (
    Notification.id,
    Notification.user,
    Notification.kind,
    Notification.payload,
    Notification.idempotency_key,
    Notification.attempts,
    Notification.booking,
)


async def claim(now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
    """Claim up to ``limit`` due rows, oldest due first, for this worker alone."""
    now = now.astimezone(UTC)
    token = secrets.token_hex(8)
    pick = (
        Notification.select(Notification.id)
        .where(_due(now, lease))
        .order_by(Notification.send_after)
        .order_by(Notification.id)
        .limit(limit)
    )
    if not is_sqlite():
        pick = pick.lock_rows(skip_locked=True)
    async with transaction():
        # The outer condition is checked again on each row: a row another worker claimed
        # between the pick and the update is left alone.
        rows = (
            await Notification.update(
                {Notification.claimed_at: now, Notification.claimed_by: token}
            )
            .where(Notification.id.is_in(pick) & _due(now, lease))
            .returning(*_CLAIMED)
        )
    return sorted((_claimed(row, now, token) for row in rows), key=lambda c: c.id)


def _claimed(row: dict[str, Any], now: datetime, token: str) -> Claimed:
    return Claimed(
        id=row["id"],
        user_id=row["user"],
        kind=row["kind"],
        payload=load_payload(row["payload"]),
        key=row["idempotency_key"],
        attempts=row["attempts"],
        booking_id=row["booking"],
        claimed_at=now,
        token=token,
    )


def _mine(claimed: Claimed) -> Combinable:
    return (Notification.id == claimed.id) & (Notification.claimed_by == claimed.token)


@contextlib.asynccontextmanager
async def sent_marks() -> AsyncIterator[MarkSent]:
    """Record deliveries on one connection held for a batch: each mark still commits on its
    own, but skips a pool round per mail (PostgreSQL's pool resets each connection it takes
    back: one more round trip) and Piccolo's query machinery."""
    engine_type = current().engine_type
    async with _connection() as run:

        async def mark(claimed: Claimed, now: datetime) -> bool:
            statement = QueryString(*_sent(claimed, now, engine_type))
            return bool(await run(*statement.compile_string(engine_type=engine_type)))

        yield mark


async def mark_sent(claimed: Claimed, now: datetime) -> bool:
    """Record the delivery; False if the claim was lost (another worker took it over)."""
    async with sent_marks() as mark:
        return await mark(claimed, now)


def _sent(claimed: Claimed, now: datetime, engine_type: str) -> tuple[Any, ...]:
    """The statement that marks a row sent, with its arguments. A one-time link's token
    (invitations) is not kept once its mail is sent."""
    args: list[Any] = [now.astimezone(UTC)]
    payload = ""
    if "token" in claimed.payload:
        payload = ", payload = {}"
        args.append(json.dumps({k: v for k, v in claimed.payload.items() if k != "token"}))
    where = " WHERE id = {} AND claimed_by = {} AND sent_at IS NULL RETURNING notification.id"
    if engine_type == "sqlite":
        sql = f"UPDATE notification SET sent_at = {{}}{payload}" + where
    else:
        # PostgreSQL commits this one asynchronously (no wait for the disk, a few
        # milliseconds per mail): only a crash of the database server itself in the next
        # fraction of a second could lose the mark and send that mail again; a crash of the
        # worker loses nothing.
        sql = (
            "WITH quick AS (SELECT set_config('synchronous_commit', 'off', true))"
            f" UPDATE notification SET sent_at = {{}}{payload} FROM quick" + where
        )
    return sql, *args, claimed.id, claimed.token


@contextlib.asynccontextmanager
async def _connection() -> AsyncIterator[Run]:
    """One connection of the current engine, in autocommit, held for the block."""
    engine = current()
    if isinstance(engine, SQLiteEngine):  # the pooled engine lends one of its connections
        connection = await engine.get_connection()
        try:
            yield lambda sql, args: connection.execute_fetchall(sql, args)
        finally:
            await connection.close()
    elif isinstance(engine, PostgresEngine) and engine.pool is not None:
        async with engine.pool.acquire() as lent:
            yield lambda sql, args: lent.fetch(sql, *args)
    else:
        assert isinstance(engine, PostgresEngine)
        connection = await engine.get_new_connection()
        try:
            yield lambda sql, args: connection.fetch(sql, *args)
        finally:
            await connection.close()


async def mark_failed(
    claimed: Claimed, error: str, now: datetime, retry_at: datetime | None
) -> None:
    """Count an attempt and keep its error; retry at ``retry_at``, or give up when None."""
    values: dict[Any, Any] = {
        Notification.attempts: claimed.attempts + 1,
        Notification.last_error: error[:1000],
        Notification.claimed_at: None,
        Notification.claimed_by: None,
    }
    if retry_at is None:
        values[Notification.failed_at] = now.astimezone(UTC)
    else:
        values[Notification.send_after] = retry_at.astimezone(UTC)
    await Notification.update(values).where(_mine(claimed))


async def release(claims: list[Claimed], send_after: datetime | None = None) -> None:
    """Give rows back unsent, without counting an attempt (optionally due later)."""
    for claimed in claims:
        values: dict[Any, Any] = {Notification.claimed_at: None, Notification.claimed_by: None}
        if send_after is not None:
            values[Notification.send_after] = send_after.astimezone(UTC)
        await Notification.update(values).where(_mine(claimed))


async def drop(claimed: Claimed) -> None:
    """Forget a claimed row that must not be sent (a withdrawn reminder)."""
    await Notification.delete().where(_mine(claimed))
