"""The outbox stores a message once per idempotency key, however many callers race."""

from __future__ import annotations

import asyncio

from hub_booking.db.engine import transaction
from hub_booking.db.tables import Notification
from hub_booking.services import notifications
from tests.conftest import NOW


async def enqueue_in_a_transaction(user_id: int, key: str, pause: float) -> bool:
    """Enqueue, then hold the transaction open a moment so that the other caller's insert
    meets this one's uncommitted row."""
    async with transaction():
        stored = await notifications.enqueue(user_id, "test", {"n": 1}, key, NOW)
        await asyncio.sleep(pause)
    return stored


async def test_two_concurrent_enqueues_of_one_key_store_one_message(database, cast):
    user = cast.users["manager"]
    results = await asyncio.gather(
        enqueue_in_a_transaction(user, "booking:1:created", 0.2),
        enqueue_in_a_transaction(user, "booking:1:created", 0.0),
    )
    assert sorted(results) == [False, True]
    assert await Notification.count() == 1


async def test_many_concurrent_callers_store_each_key_once(database, cast):
    user = cast.users["manager"]
    keys = [f"reminder:{n % 3}" for n in range(12)]
    results = await asyncio.gather(
        *(notifications.enqueue(user, "reminder", {}, key, NOW) for key in keys)
    )
    assert sum(results) == 3
    assert await Notification.count() == 3


async def test_a_retried_enqueue_is_harmless(database, cast):
    user = cast.users["manager"]
    assert await notifications.enqueue(user, "test", {}, "once", NOW)
    assert not await notifications.enqueue(user, "test", {"other": True}, "once", NOW)
    row = await Notification.select(Notification.payload).first().output(load_json=True)
    assert row["payload"] == {}


async def test_long_keys_that_share_a_prefix_stay_distinct(database, cast):
    user = cast.users["manager"]
    prefix = "x" * 250
    assert await notifications.enqueue(user, "test", {}, prefix + "a", NOW)
    assert await notifications.enqueue(user, "test", {}, prefix + "b", NOW)
    assert not await notifications.enqueue(user, "test", {}, prefix + "a", NOW)
    keys = [row["idempotency_key"] for row in await Notification.select()]
    assert len(keys) == 2
    assert all(len(key) <= 200 for key in keys)


async def test_a_message_to_the_hub_managers_reaches_each_manager_once(database, cast):
    for _ in range(2):
        stored = await notifications.to_hub_managers(cast.hub, "test", {}, "hub-news", NOW)
    assert stored == 0  # the second time, everything was there already
    rows = await Notification.select(Notification.user)
    assert [row["user"] for row in rows] == [cast.users["manager"]]
