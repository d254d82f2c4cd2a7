"""The booker's lock on PostgreSQL (one statement): the association, then its resources.

While a first writer holds its lock, a second writer of the same association, or of one of
the same resources, must wait (here: its lock_timeout runs out); a writer of other rows does
not; no association locks nothing.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from hub_booking.db import holds
from hub_booking.db.engine import transaction
from hub_booking.db.tables import Resource

pytestmark = pytest.mark.postgres_only


async def hold_lock(association_id: int, resources: list[int], locked, release) -> None:
    async with transaction():
        await holds.lock_booker(association_id, resources)
        locked.set()
        await release.wait()


async def waits(association_id: int, resources: list[int], first: tuple[int, list[int]]) -> bool:
    """Whether ``lock_booker`` must wait while another transaction holds ``first``'s lock."""
    locked, release = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(hold_lock(*first, locked, release))
    await locked.wait()
    try:
        async with transaction():
            await Resource.raw("SET LOCAL lock_timeout = '100ms'")
            await holds.lock_booker(association_id, resources)
    except asyncpg.LockNotAvailableError:
        return True
    finally:
        release.set()
        await holder
    return False


async def test_the_same_association_waits(database, cast):
    assert await waits(cast.association_a, [cast.projectors], (cast.association_a, [cast.room]))


async def test_the_same_resource_waits(database, cast):
    assert await waits(cast.association_b, [cast.room], (cast.association_a, [cast.room]))


async def test_other_rows_do_not_wait(database, cast):
    assert not await waits(cast.association_b, [cast.projectors], (cast.association_a, [cast.room]))


async def test_an_unknown_association_gives_none_and_locks_no_resource(database, cast):
    async with transaction():
        assert await holds.lock_booker(10**6, [cast.room]) is None
    assert not await waits(cast.association_b, [cast.room], (10**6, [cast.room]))


async def test_the_status_is_given(database, cast):
    async with transaction():
        assert await holds.lock_booker(cast.association_a, [cast.room, cast.room]) == "active"
