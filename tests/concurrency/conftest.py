"""Real servers for the race tests: ``hub-booking serve`` subprocesses on a fresh database.

SQLite: one server process on a fresh temporary file (SQLite is one process by design).
PostgreSQL: two server processes on two ports sharing one fresh database (the
``fresh_database_url`` fixture of ``tests/conftest.py`` creates and drops it), so requests
spread across both race through the database, not through one process's memory.

The database is seeded with ``hub-booking seed-demo`` and the tokens come from
``hub-booking create-token``, both run as subprocesses (``tests/servers.py``), exactly as an
operator would.
Every server is terminated by the fixture's finaliser, whatever happens in the test; a server
that fails to start makes the test fail with the server's own output.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub_booking.zones import get_zone
from tests.servers import Server, create_tokens, run_cli, server_env

ENGINE = os.environ.get("HUB_BOOKING_TEST_DATABASE", "sqlite")
STARTUP_TIMEOUT_S = 40.0
REQUEST_TIMEOUT_S = 45.0
RACE_TIMEOUT_S = 90.0
DEMO = "demo.hub-booking.ma"
MANAGER = f"manager@{DEMO}"
ADMIN = f"admin@{DEMO}"
BOOKERS = tuple(f"{who}{n}@{DEMO}" for n in (1, 2, 3) for who in ("member", "rep"))
ZONE = get_zone("Africa/Casablanca")
ROOM = "Salle de formation Atlas"
PROJECTORS = "Vidéoprojecteur"
LAPTOPS = "Ordinateur portable"


@dataclass
class Booker:
    email: str
    token: str
    association_id: int


@dataclass
class Stack:
    """The running servers, the demo ids and the tokens of the demo users."""

    urls: list[str]
    manager_token: str
    bookers: list[Booker]
    hub_id: int
    resources: dict[str, int]  # French name -> id
    logs: list[Path] = field(default_factory=list)
    admin_token: str = ""

    @property
    def room(self) -> int:
        return self.resources[ROOM]

    @property
    def projectors(self) -> int:
        return self.resources[PROJECTORS]

    def url(self, index: int) -> str:
        """Requests are spread over every server in turn."""
        return self.urls[index % len(self.urls)]

    def booker(self, index: int) -> Booker:
        return self.bookers[index % len(self.bookers)]

    def manager(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.manager_token}"}

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}

    def server_logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in self.logs
        )


def _discover(base_url: str, tokens: dict[str, str]) -> tuple[int, dict[str, int], list[Booker]]:
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as client:
        manager = {"Authorization": f"Bearer {tokens[MANAGER]}"}
        hubs = client.get("/api/v1/hubs", headers=manager).raise_for_status().json()["items"]
        hub_id = next(h["id"] for h in hubs if h["slug"] == "fes-meknes")
        listed = client.get(f"/api/v1/hubs/{hub_id}/resources", headers=manager)
        resources = {r["name_fr"]: r["id"] for r in listed.raise_for_status().json()["items"]}
        bookers = []
        for email in BOOKERS:
            me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens[email]}"})
            memberships = me.raise_for_status().json()["memberships"]
            assert memberships, f"{email} belongs to no association"
            bookers.append(Booker(email, tokens[email], memberships[0]["association_id"]))
    return hub_id, resources, bookers


@pytest.fixture
def stack(fresh_database_url: str, tmp_path: Path) -> Iterator[Stack]:
    """Seeded fresh database, servers up (1 on SQLite, 2 on PostgreSQL), tokens made."""
    env = server_env(fresh_database_url, tmp_path / "var", {"HUB_BOOKING_LANGUAGE": "en"})
    run_cli(["seed-demo"], env)
    tokens = create_tokens([MANAGER, ADMIN, *BOOKERS], env, name="race")
    count = 2 if ENGINE == "postgres" else 1
    logs = [tmp_path / f"server-{i}.log" for i in range(count)]
    with ExitStack() as cleanup:
        servers = [
            cleanup.enter_context(Server(env, log, timeout=STARTUP_TIMEOUT_S)) for log in logs
        ]
        urls = [server.url for server in servers]
        hub_id, resources, bookers = _discover(urls[0], tokens)
        yield Stack(urls, tokens[MANAGER], bookers, hub_id, resources, logs, tokens[ADMIN])


# --- firing requests together -------------------------------------------------------------


@dataclass(frozen=True)
class Shot:
    """One request of a race: who sends what to which server."""

    server: str
    token: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Answer:
    shot: Shot
    status: int  # 0 when no answer came (the error is in ``error``)
    body: Any
    error: str = ""


async def race(shots: Sequence[Shot]) -> list[Answer]:
    """POST every booking at once: connections opened first, then released by one event."""
    limits = httpx.Limits(
        max_connections=len(shots) + 10,
        max_keepalive_connections=len(shots) + 10,
        keepalive_expiry=60,
    )
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
        # Warm up: as many open keep-alive connections to each server as it will get shots.
        await asyncio.gather(*(client.get(f"{shot.server}/healthz") for shot in shots))
        go = asyncio.Event()
        ready = 0

        async def fire(shot: Shot) -> Answer:
            nonlocal ready
            ready += 1
            await go.wait()
            try:
                response = await client.post(
                    f"{shot.server}/api/v1/bookings",
                    json=shot.body,
                    headers={"Authorization": f"Bearer {shot.token}"},
                )
            except httpx.HTTPError as exc:
                return Answer(shot, 0, None, f"{type(exc).__name__}: {exc}")
            try:
                body = response.json()
            except ValueError:
                body = response.text
            return Answer(shot, response.status_code, body)

        tasks = [asyncio.create_task(fire(shot)) for shot in shots]
        for _ in range(100):  # bounded: let every task reach the starting line
            if ready == len(shots):
                break
            await asyncio.sleep(0.01)
        go.set()
        return list(await asyncio.wait_for(asyncio.gather(*tasks), RACE_TIMEOUT_S))


def booking_body(
    booker: Booker,
    start: datetime,
    end: datetime,
    items: dict[int, int],
    title: str = "Course",
) -> dict[str, Any]:
    return {
        "association_id": booker.association_id,
        "title": title,
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
        "attendees": 10,
        "items": [{"resource_id": rid, "quantity": q} for rid, q in items.items()],
    }


def future_monday(weeks_ahead: int = 10) -> date:
    """A Monday about ``weeks_ahead`` weeks from today (in 2027 when written), so the slots
    stay within the hub's notice and advance limits whenever the suite runs."""
    today = datetime.now(ZONE).date() + timedelta(weeks=weeks_ahead)
    return today + timedelta(days=(7 - today.weekday()) % 7)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time of the hub (Africa/Casablanca, from the pinned zone data)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


async def list_bookings(
    stack: Stack, resource_id: int, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Every booking holding ``resource_id`` and overlapping [start, end), as the manager."""
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S) as client:
        response = await client.get(
            f"{stack.url(0)}/api/v1/bookings",
            params={
                "resource_id": resource_id,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "limit": 500,
            },
            headers=stack.manager(),
        )
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["total"] == len(payload["items"]), payload["total"]
    return payload["items"]
