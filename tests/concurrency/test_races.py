"""Races through HTTP against real ``hub-booking serve`` processes (see conftest.py).

Many clients ask for the same thing at the same instant; the database must end up with what
the rules allow and no more, and every loser must get a clean 409 (never a 500, never a
half-written booking). On PostgreSQL the requests are spread over two server processes that
share the database, so only the database's locks and constraints can keep them apart.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import timedelta

import httpx
import pytest

from tests.concurrency.conftest import (
    REQUEST_TIMEOUT_S,
    Answer,
    Shot,
    Stack,
    booking_body,
    future_monday,
    list_bookings,
    local,
    race,
)

pytestmark = pytest.mark.concurrency

HOLDING = ("pending", "approved")


def statuses(answers: list[Answer]) -> Counter[int]:
    return Counter(a.status for a in answers)


def explain(answers: list[Answer], stack: Stack) -> str:
    """What went wrong, for the assertion message: unexpected answers and the server logs."""
    odd = [a for a in answers if a.status not in (201, 409)]
    lines = [f"{a.status} {a.error or a.body}" for a in odd[:5]]
    return "\n".join([f"statuses: {dict(statuses(answers))}", *lines, stack.server_logs()])


async def test_fifty_clients_want_one_room_at_one_time_and_one_gets_it(stack: Stack) -> None:
    day = future_monday(9) + timedelta(days=1)  # a Tuesday
    start, end = local(day, 14), local(day, 16)
    shots = [
        Shot(
            stack.url(i),
            stack.booker(i).token,
            booking_body(stack.booker(i), start, end, {stack.room: 1}, f"Race {i}"),
        )
        for i in range(50)
    ]

    answers = await race(shots)

    assert statuses(answers) == Counter({201: 1, 409: 49}), explain(answers, stack)
    winner = next(a for a in answers if a.status == 201)
    held = await list_bookings(stack, stack.room, start, end)
    assert [b["id"] for b in held] == [winner.body["id"]]
    assert held[0]["status"] == "approved"
    assert held[0]["items"] == [{"resource_id": stack.room, "quantity": 1}]
    assert held[0]["title"] == winner.shot.body["title"]


async def test_twenty_clients_want_one_of_three_projectors_and_three_get_one(
    stack: Stack,
) -> None:
    day = future_monday(9) + timedelta(days=2)  # a Wednesday
    start, end = local(day, 10), local(day, 12)
    shots = [
        Shot(
            stack.url(i),
            stack.booker(i).token,
            booking_body(stack.booker(i), start, end, {stack.projectors: 1}, f"Projector {i}"),
        )
        for i in range(20)
    ]

    answers = await race(shots)

    assert statuses(answers) == Counter({201: 3, 409: 17}), explain(answers, stack)
    held = await list_bookings(stack, stack.projectors, start, end)
    assert sorted(b["id"] for b in held) == sorted(a.body["id"] for a in answers if a.status == 201)
    assert all(b["status"] in HOLDING for b in held)
    assert sum(i["quantity"] for b in held for i in b["items"]) == 3


async def test_a_room_with_projectors_never_gets_half_booked_against_projector_bookings(
    stack: Stack,
) -> None:
    """Each round: room + all 3 projectors against 3 × one projector, all at once. Only two
    outcomes are right: the combined booking wins everything (the 3 others get 409), or one
    single gets in first, the combined one gets 409 and holds nothing, and all 3 singles win.
    """
    shuffle = random.Random(20270301)
    first = future_monday(10)
    days = [
        first + timedelta(days=d) for d in range(12) if (first + timedelta(days=d)).weekday() < 6
    ]
    outcomes: Counter[str] = Counter()
    created: dict[int, dict[int, int]] = {}  # booking id -> the items it asked for
    for round_, day in enumerate(days[:10]):
        start, end = local(day, 9), local(day, 11)
        combined_items = {stack.room: 1, stack.projectors: 3}
        entries = [("combined", combined_items)] + [("single", {stack.projectors: 1})] * 3
        shuffle.shuffle(entries)  # who is created (and so sent) first varies by round
        shots = [
            Shot(
                stack.url(round_ + i),
                stack.booker(round_ + i).token,
                booking_body(stack.booker(round_ + i), start, end, items, f"{kind} {round_}"),
            )
            for i, (kind, items) in enumerate(entries)
        ]

        answers = await race(shots)

        assert set(statuses(answers)) <= {201, 409}, explain(answers, stack)
        combined = next(a for a in answers if stack.room in _items(a.shot.body))
        singles = sorted(a.status for a in answers if a is not combined)
        if combined.status == 201:
            assert singles == [409, 409, 409], f"round {round_}: projectors over-booked"
            outcomes["combined won"] += 1
        else:
            assert singles == [201, 201, 201], (
                f"round {round_}: combined refused but singles got {singles}: "
                + explain(answers, stack)
            )
            outcomes["singles won"] += 1
        for answer in answers:
            if answer.status == 201:
                created[answer.body["id"]] = _items(answer.shot.body)

        room_held = await list_bookings(stack, stack.room, start, end)
        projectors_held = await list_bookings(stack, stack.projectors, start, end)
        units = sum(
            i["quantity"]
            for b in projectors_held
            if b["status"] in HOLDING
            for i in b["items"]
            if i["resource_id"] == stack.projectors
        )
        assert units <= 3, f"round {round_}: {units} projectors held at once"
        if combined.status == 201:
            assert [b["id"] for b in room_held] == [combined.body["id"]]
        else:
            assert room_held == [], f"round {round_}: refused booking left a room hold"

    # Every created booking holds all of what it asked for, read back one by one.
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S) as client:
        for booking_id, asked in created.items():
            response = await client.get(
                f"{stack.url(booking_id)}/api/v1/bookings/{booking_id}", headers=stack.manager()
            )
            assert response.status_code == 200, response.text
            got = {i["resource_id"]: i["quantity"] for i in response.json()["items"]}
            assert got == asked, f"booking {booking_id} holds {got}, asked {asked}"
    assert sum(outcomes.values()) == 10


def _items(body: dict) -> dict[int, int]:
    return {i["resource_id"]: i["quantity"] for i in body["items"]}


async def test_an_association_racing_itself_cannot_pass_its_quota(stack: Stack) -> None:
    """Ten bookings on ten different rooms at once, with max_future_bookings = 1: the quota
    counts across resources, so locking the rooms alone would let several through."""
    async with httpx.AsyncClient(base_url=stack.url(0), timeout=REQUEST_TIMEOUT_S) as client:
        hub = await client.post(
            "/api/v1/hubs",
            headers=stack.admin(),
            json={
                "slug": "quota-hub",
                "name_fr": "Pôle quota",
                "timezone": "Africa/Casablanca",
                "region": "fes-meknes",
                "rules": {"max_future_bookings": 1},
            },
        )
        rooms = []
        for i in range(10):
            room = await client.post(
                "/api/v1/resources",
                headers=stack.admin(),
                json={
                    "hub_id": hub.json()["id"],
                    "kind": "space",
                    "name_fr": f"Salle {i}",
                    "capacity": 20,
                },
            )
            rooms.append(room.json()["id"])
    booker = stack.booker(0)
    day = future_monday(9) + timedelta(days=3)
    start, end = local(day, 14), local(day, 15)
    shots = [
        Shot(stack.url(i), booker.token, booking_body(booker, start, end, {room: 1}, f"Quota {i}"))
        for i, room in enumerate(rooms)
    ]

    answers = await race(shots)

    assert statuses(answers) == Counter({201: 1, 422: 9}), explain(answers, stack)
    codes = {v["code"] for a in answers if a.status == 422 for v in a.body["violations"]}
    assert codes == {"quota_exceeded"}


async def test_approval_racing_a_cancellation_never_revives_the_booking(stack: Stack) -> None:
    """The manager approves (on one server) while the association cancels (on the other):
    whatever the order, a cancellation that answered 200 is final."""
    hall = stack.resources["Grande salle polyvalente"]  # requires approval
    booker = stack.booker(0)
    member = {"Authorization": f"Bearer {booker.token}"}
    day = future_monday(10)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S) as client:
        for round_ in range(8):
            start = local(day + timedelta(days=round_ % 6), 8 + 2 * (round_ // 6))
            body = booking_body(
                booker, start, start + timedelta(hours=1), {hall: 1}, f"Round {round_}"
            )
            created = await client.post(
                f"{stack.url(0)}/api/v1/bookings", json=body, headers=member
            )
            assert created.json()["status"] == "pending", created.text
            booking_id = created.json()["id"]
            go = asyncio.Event()

            async def send(
                url: str, headers: dict[str, str], go: asyncio.Event = go
            ) -> httpx.Response:
                await go.wait()
                return await client.post(url, json={}, headers=headers)

            approve = asyncio.create_task(
                send(f"{stack.url(0)}/api/v1/bookings/{booking_id}/approve", stack.manager())
            )
            cancel = asyncio.create_task(
                send(f"{stack.url(1)}/api/v1/bookings/{booking_id}/cancel", member)
            )
            await asyncio.sleep(0.01)
            go.set()
            approved, cancelled = await asyncio.wait_for(asyncio.gather(approve, cancel), 60)
            assert {approved.status_code, cancelled.status_code} <= {200, 409}, (
                approved.text,
                cancelled.text,
            )
            final = (
                await client.get(f"{stack.url(0)}/api/v1/bookings/{booking_id}", headers=member)
            ).json()
            if cancelled.status_code == 200:
                assert final["status"] == "cancelled", (round_, approved.status_code, final)
            else:
                assert (approved.status_code, final["status"]) == (200, "approved")
