"""Two managers decide on the same request at the same moment, through the approval queue's
inline forms, against real ``hub-booking serve`` processes (two on PostgreSQL, sharing the
database): exactly one decision wins; the other manager is told, with a 409, what the request
now is; the booking holds the winner's decision and nothing else. The same holds when one
of the requests is in a bulk approval (one transaction for the whole batch).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from tests.concurrency.conftest import (
    REQUEST_TIMEOUT_S,
    Stack,
    booking_body,
    future_monday,
    local,
)

pytestmark = pytest.mark.concurrency

HALL = "Grande salle polyvalente"  # needs a manager's approval in the demo hub
ROUNDS = 8
QUEUE = "/manage/hubs/fes-meknes/requests"


async def _pending_requests(stack: Stack, client: httpx.AsyncClient) -> list[int]:
    """One pending request a day for ROUNDS days, made through the API by a demo booker."""
    booker, first = stack.booker(0), future_monday(9)
    ids = []
    for day in range(ROUNDS):
        date = first + timedelta(days=day + day // 6)  # Monday to Saturday
        body = booking_body(booker, local(date, 9), local(date, 11), {stack.resources[HALL]: 1})
        response = await client.post(
            f"{stack.url(0)}/api/v1/bookings",
            json=body,
            headers={"Authorization": f"Bearer {booker.token}"},
        )
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "pending"
        ids.append(response.json()["id"])
    return ids


async def _user_id(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> int:
    response = await client.get(f"{url}/api/v1/me", headers=headers)
    return int(response.raise_for_status().json()["id"])


async def test_two_managers_deciding_at_once_one_wins_and_the_other_sees_it(stack: Stack):
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
        ids = await _pending_requests(stack, client)
        deciders = {
            "approved": (stack.url(0), stack.manager()),
            "rejected": (stack.url(1), stack.admin()),
        }
        who = {
            status: await _user_id(client, url, headers)
            for status, (url, headers) in deciders.items()
        }
        for url, _ in deciders.values():  # warm keep-alive connections to each server
            await client.get(f"{url}/healthz")
        for booking_id in ids:
            answers = await _race(client, deciders, booking_id)
            codes = sorted(status for status, _ in answers.values())
            assert codes == [200, 409], (booking_id, answers, stack.server_logs())
            winner = next(s for s, (code, _) in answers.items() if code == 200)
            loser = "rejected" if winner == "approved" else "approved"
            # the loser's row says nothing changed and shows the winner's state
            assert f'id="request-{booking_id}"' in answers[loser][1]
            assert f"status-{winner}" in answers[loser][1]
            booking = await client.get(
                f"{stack.url(0)}/api/v1/bookings/{booking_id}", headers=stack.manager()
            )
            shown = booking.raise_for_status().json()
            assert shown["status"] == winner
            assert shown["decision"]["by"] == who[winner]
            assert shown["revision"] == 1  # one decision written, not two


async def _race(
    client: httpx.AsyncClient,
    deciders: dict[str, tuple[str, dict[str, str]]],
    booking_id: int,
) -> dict[str, tuple[int, str]]:
    """Approve and reject one request at the same instant, inline (the row's htmx post)."""
    go = asyncio.Event()

    async def decide(action: str, url: str, headers: dict[str, str]) -> tuple[int, str]:
        await go.wait()
        verb = "approve" if action == "approved" else "reject"
        response = await client.post(
            f"{url}{QUEUE}/{booking_id}/{verb}",
            data={"reason": "Salle réservée à un autre événement"},
            headers={
                **headers,
                "Accept": "text/html",
                "HX-Request": "true",
                "HX-Target": f"request-{booking_id}",
            },
        )
        return response.status_code, response.text

    tasks = {
        action: asyncio.create_task(decide(action, url, headers))
        for action, (url, headers) in deciders.items()
    }
    await asyncio.sleep(0.05)
    go.set()
    return {action: await task for action, task in tasks.items()}


async def test_a_bulk_approval_racing_an_inline_rejection_decides_each_request_once(
    stack: Stack,
):
    """The manager approves a batch while the admin rejects one of its requests inline, at
    the same instant: the contested request gets exactly one decision, and the batch's
    report says which; the rest of the batch is approved."""
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
        ids = await _pending_requests(stack, client)
        for url in (stack.url(0), stack.url(1)):
            await client.get(f"{url}/healthz")
        for first in range(0, ROUNDS, 2):
            batch = ids[first : first + 2]
            contested = batch[(first // 2) % 2]  # the batch's first, then its last
            approved, rejected = await _race_bulk(client, stack, batch, contested)
            assert approved[0] == 200, (approved, stack.server_logs())
            assert rejected[0] in (200, 409), (rejected, stack.server_logs())
            winner = "rejected" if rejected[0] == 200 else "approved"
            for booking_id in batch:
                response = await client.get(
                    f"{stack.url(0)}/api/v1/bookings/{booking_id}", headers=stack.manager()
                )
                shown = response.raise_for_status().json()
                expected = winner if booking_id == contested else "approved"
                assert shown["status"] == expected, (booking_id, shown, approved, rejected)
                assert shown["revision"] == 1  # one decision written, not two
            report = approved[1].split('class="bulk-report"', 1)[1].split("</div>", 1)[0]
            assert report.count('<li class="ok">') == (1 if winner == "rejected" else 2)


async def _race_bulk(
    client: httpx.AsyncClient, stack: Stack, batch: list[int], contested: int
) -> tuple[tuple[int, str], tuple[int, str]]:
    """The manager's bulk approval of ``batch`` (the queue's form, on the first server) and
    the admin's inline rejection of ``contested`` (on the other), released together."""
    go = asyncio.Event()

    async def approve() -> tuple[int, str]:
        await go.wait()
        response = await client.post(
            f"{stack.url(0)}{QUEUE}/approve",
            data={"ids": [str(i) for i in batch]},
            headers={**stack.manager(), "Accept": "text/html"},
        )
        return response.status_code, response.text

    async def reject() -> tuple[int, str]:
        await go.wait()
        response = await client.post(
            f"{stack.url(1)}{QUEUE}/{contested}/reject",
            data={"reason": "Salle réservée à un autre événement"},
            headers={
                **stack.admin(),
                "Accept": "text/html",
                "HX-Request": "true",
                "HX-Target": f"request-{contested}",
            },
        )
        return response.status_code, response.text

    tasks = asyncio.create_task(approve()), asyncio.create_task(reject())
    await asyncio.sleep(0.05)
    go.set()
    return await tasks[0], await tasks[1]
