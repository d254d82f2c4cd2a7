"""Waitlist races against real ``hub-booking serve`` processes (two on PostgreSQL sharing the
database, one on SQLite; see conftest.py), and two job runs racing in one process.

A held slot never has two holders: a cancellation offers it to the waiting association in
its own transaction, so bookers racing for the freed time all lose; racing confirmations of
one offer give one booking; two sweeps at once make one offer."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from hub_booking.db.tables import BookingItem, WaitlistEntry
from hub_booking.services import waitlist
from tests import factories
from tests.concurrency.conftest import (
    RACE_TIMEOUT_S,
    REQUEST_TIMEOUT_S,
    Booker,
    Stack,
    booking_body,
    future_monday,
    list_bookings,
    local,
)
from tests.conftest import NOW

pytestmark = pytest.mark.concurrency


async def fire(requests: list[tuple[str, str, str, Any]]) -> list[int]:
    """(server, path, token, JSON body or None) all sent at once; their status codes."""
    limits = httpx.Limits(max_connections=len(requests) + 10)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
        await asyncio.gather(*(client.get(f"{server}/healthz") for server, *_ in requests))
        go = asyncio.Event()

        async def one(server: str, path: str, token: str, body: Any) -> int:
            await go.wait()
            response = await client.post(
                f"{server}{path}",
                json=body,
                headers={"Authorization": f"Bearer {token}", "Accept": "text/html"},
                follow_redirects=False,
            )
            return response.status_code

        tasks = [asyncio.create_task(one(*request)) for request in requests]
        await asyncio.sleep(0.2)
        go.set()
        return list(await asyncio.wait_for(asyncio.gather(*tasks), RACE_TIMEOUT_S))


def booker_of(stack: Stack, association: int) -> list[Booker]:
    return [b for b in stack.bookers if b.association_id == association]


async def hold_and_wait(stack: Stack, weeks: int) -> tuple[int, int, datetime, datetime]:
    """The room booked by the first association; the second joins its waitlist (from the
    booking form, as a page). (booking, entry, start, end)."""
    day = future_monday(weeks) + timedelta(days=2)
    start, end = local(day, 10), local(day, 11)
    holder, waiting = stack.bookers[0], stack.bookers[2]
    assert holder.association_id != waiting.association_id
    async with httpx.AsyncClient(base_url=stack.url(0), timeout=REQUEST_TIMEOUT_S) as client:
        body = booking_body(holder, start, end, {stack.room: 1}, "Tenue")
        made = await client.post(
            "/api/v1/bookings", json=body, headers={"Authorization": f"Bearer {holder.token}"}
        )
        assert made.status_code == 201, made.text
        form = {
            "hub": "fes-meknes",
            "association_id": str(waiting.association_id),
            "resource_id": str(stack.room),
            "date": day.isoformat(),
            "start": "10:00",
            "end": "11:00",
            "title": "En attente",
            "attendees": "5",
        }
        joined = await client.post(
            "/waitlist/join",
            data=form,
            headers={"Authorization": f"Bearer {waiting.token}", "Accept": "text/html"},
        )
        assert joined.status_code == 303, joined.text[-2000:]
        entry = int(re.fullmatch(r"/waitlist/(\d+)", joined.headers["location"]).group(1))
    return made.json()["id"], entry, start, end


async def test_bookers_racing_a_cancellation_never_take_the_offered_slot(stack: Stack) -> None:
    booking, _, start, end = await hold_and_wait(stack, 11)
    holder, others = stack.bookers[0], booker_of(stack, stack.bookers[4].association_id)
    requests = [(stack.url(0), f"/api/v1/bookings/{booking}/cancel", holder.token, {})]
    requests += [
        (
            stack.url(i),
            "/api/v1/bookings",
            others[i % len(others)].token,
            booking_body(others[i % len(others)], start, end, {stack.room: 1}, f"Race {i}"),
        )
        for i in range(20)
    ]
    statuses = await fire(requests)
    assert statuses[0] == 200, (statuses, stack.server_logs())
    assert Counter(statuses[1:]) == Counter({409: 20}), (statuses, stack.server_logs())
    held = await list_bookings(stack, stack.room, start, end)
    assert [(b["status"], b["association_id"]) for b in held if b["status"] != "cancelled"] == [
        ("offered", stack.bookers[2].association_id)
    ]


async def test_racing_confirmations_of_one_offer_give_one_booking(stack: Stack) -> None:
    booking, entry, start, end = await hold_and_wait(stack, 12)
    async with httpx.AsyncClient(base_url=stack.url(0), timeout=REQUEST_TIMEOUT_S) as client:
        cancelled = await client.post(
            f"/api/v1/bookings/{booking}/cancel",
            json={},
            headers={"Authorization": f"Bearer {stack.bookers[0].token}"},
        )
        assert cancelled.status_code == 200, cancelled.text
    members = booker_of(stack, stack.bookers[2].association_id)
    assert len(members) >= 2  # a member and a representative race each other
    requests = [
        (stack.url(i), f"/waitlist/{entry}/confirm", members[i % len(members)].token, None)
        for i in range(12)
    ]
    statuses = await fire(requests)
    assert Counter(statuses) == Counter({303: 1, 409: 11}), (statuses, stack.server_logs())
    held = [
        b for b in await list_bookings(stack, stack.room, start, end) if b["status"] != "cancelled"
    ]
    assert [(b["status"], b["association_id"]) for b in held] == [
        ("approved", stack.bookers[2].association_id)
    ]


async def test_two_sweeps_at_once_make_one_offer(database, cast) -> None:
    """Two schedulers' job runs, at the same moment, for two waiting associations and one
    freed room: one offer, to the first."""
    start = datetime(2027, 1, 20, 10, tzinfo=UTC)
    c = await factories.make_association(NOW, "assoc-c")
    for association, user in ((cast.association_b, "member_b"), (c, "member_a")):
        await WaitlistEntry.insert(
            WaitlistEntry(
                association=association,
                user=cast.users[user],
                hub=cast.hub,
                title="Attente",
                attendees=3,
                items={str(cast.room): 1},
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                status="waiting",
                created_at=NOW,
                updated_at=NOW,
            )
        )
    reports = await asyncio.gather(*(waitlist.tick(NOW) for _ in range(4)))
    assert sum(r["offered"] for r in reports) == 1
    holders = await BookingItem.select(BookingItem.booking).where(
        (BookingItem.resource == cast.room) & BookingItem.holding.eq(True)
    )
    assert len(holders) == 1
    offered = await WaitlistEntry.select(WaitlistEntry.association).where(
        WaitlistEntry.status == "offered"
    )
    assert offered == [{"association": cast.association_b}]
