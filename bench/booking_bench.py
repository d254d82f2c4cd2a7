"""Booking benchmark: latency, throughput, availability over HTTP; the in-process ceiling.

    .venv/bin/python bench/booking_bench.py [--engine sqlite|postgres|both]

For each engine: a fresh database (a temporary SQLite file, or a new PostgreSQL database
``hub_booking_bench_<random>`` created and dropped on the ``postgres`` database), migrated and
seeded with ``hub-booking seed-demo``; then a bench hub of 50 resources and 20,000 approved
bookings spread over a year (written directly with ``db.booking_writes.insert_bookings``:
real rows, holds with buffers, ``exclusive`` for spaces). One ``hub-booking serve`` process
(1 worker) then answers:

  (a) creating bookings one at a time on free slots: median and p95 latency;
  (b) 8 concurrent clients creating bookings on distinct free slots for ~10 s: bookings/s;
  (c) ``GET /api/v1/availability`` for one week of the whole hub: median latency;
  (d) the ceiling: ``services.bookings.create_booking`` called in-process (no HTTP, server
      stopped) by 8 concurrent tasks for ~10 s: bookings/s; ratio = (b) / (d).

Figures go to ``bench/results/booking_<engine>.json`` with the machine's description.
Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import platform
import random
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from anywhere: the package is installed editable anyway

from hub_booking.db import booking_writes, catalogue  # noqa: E402
from hub_booking.db import engine as db  # noqa: E402
from hub_booking.db.tables import AppUser, Association, Booking, BookingItem, Hub, Region, Resource  # noqa: E402
from hub_booking.domain.bookings import BookingRequest  # noqa: E402
from hub_booking.domain.errors import DomainError  # noqa: E402
from hub_booking.domain.model import BookingStatus  # noqa: E402
from hub_booking.domain.rules import DEFAULT_OPENING_HOURS  # noqa: E402
from hub_booking.domain.wallclock import Slot  # noqa: E402
from hub_booking.services import accounts  # noqa: E402
from hub_booking.services import bookings as booking_service  # noqa: E402
from hub_booking.zones import get_zone  # noqa: E402
from tests.servers import Server, create_tokens, run_cli, server_env  # noqa: E402

PG_SERVER = os.environ.get(
    "HUB_BOOKING_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
RESULTS = ROOT / "bench" / "results"
ZONE_NAME = "Africa/Casablanca"
ZONE = get_zone(ZONE_NAME)
DEMO = "demo.hub-booking.ma"
CLIENT_EMAILS = [f"{who}{n}@{DEMO}" for n in (1, 2, 3) for who in ("member", "rep")]

RESOURCES = 50
SPACES = 40  # the other 10 are equipment pools of POOL_SIZE units
POOL_SIZE = 4
EXISTING = 20_000
DAYS = 365
FIRST_DAY_OFFSET = 2  # existing bookings start the day after tomorrow
HUB_RULES = {"min_minutes": 30, "min_notice_minutes": 60, "buffer_after_minutes": 15}
# New bookings go in the afternoons, which the existing ones (mornings) leave free:
# 30 minutes every 45 (the 15-minute buffer after each), 13:00 to 22:00.
NEW_FIRST_HOUR, NEW_MINUTES, NEW_STEP, NEW_PER_DAY = 13, 30, 45, 12
NEW_FIRST_DAY_OFFSET = 30

SEQUENTIAL = 300
CONCURRENCY = 8
SECONDS = 10.0
AVAILABILITY_REQUESTS = 50
HTTP_TIMEOUT_S = 30.0
STARTUP_TIMEOUT_S = 60.0
COMMAND_TIMEOUT_S = 120.0
MAX_PER_WORKER = 100_000  # every loop is bounded, whatever the clock says

TARGETS = {"median_ms": 10.0, "bookings_per_s": 170.0, "availability_median_ms": 30.0}


# --- the machine --------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def in_process(env: dict[str, str]) -> Any:
    """An HTTP client of the app run in-process on the current database, with the server's
    settings (its secret key: the one the bench's tokens were keyed with)."""
    import httpx

    from hub_booking.app import create_app
    from hub_booking.settings import Settings

    settings = Settings(
        database_url=env["HUB_BOOKING_DATABASE_URL"],
        secret_key=env["HUB_BOOKING_SECRET_KEY"],
        var_dir=Path(env["HUB_BOOKING_VAR_DIR"]),
    )
    transport = httpx.ASGITransport(app=create_app(settings, engine=db.current()))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench.local") as client:
        yield client


async def statements(client: Any, path: str, headers: dict[str, str]) -> int:
    """How many statements Piccolo sends while ``client`` GETs ``path`` (asserted 200)."""
    engine, seen = db.current(), []
    printer = type(engine).print_query  # PostgresEngine's instances have slots
    type(engine).print_query = lambda _, query_id, query: seen.append(query)
    engine.log_queries = True
    try:
        response = await client.get(path, headers=headers)
    finally:
        engine.log_queries = False
        type(engine).print_query = printer
    assert response.status_code == 200, (response.status_code, response.text[-600:])
    return len(seen)


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:
        available = os.cpu_count() or 0
    return {
        "nproc": available,
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
    }


# --- databases ----------------------------------------------------------------------------


def _with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_SERVER, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _pg_version() -> str:
    conn = await asyncpg.connect(PG_SERVER, timeout=10)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


# --- data ---------------------------------------------------------------------------------


@dataclass
class Dataset:
    hub_id: int
    resource_ids: list[int]
    association_ids: list[int]
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


def today() -> date:
    return datetime.now(ZONE).date()


def local_slot(day: date, hour: int, minute: int, minutes: int) -> Slot:
    """A slot from the hub's wall clock (naive local times, UTC instants)."""
    wall = datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).replace(tzinfo=None)
    local_start = wall + timedelta(minutes=minute)
    local_end = local_start + timedelta(minutes=minutes)
    start = local_start.replace(tzinfo=ZONE).astimezone(UTC)
    end = local_end.replace(tzinfo=ZONE).astimezone(UTC)
    return Slot(start, end, local_start, local_end)


async def build_dataset(now: datetime, rng: random.Random) -> Dataset:
    """The bench hub (50 resources) and 20,000 approved bookings over a year, in the mornings."""
    began = time.perf_counter()
    region = await Region.select(Region.id).where(Region.slug == "fes-meknes").first()
    assert region is not None, "seed-demo did not create the fes-meknes region"
    async with db.transaction():
        hub_id = (
            await Hub.insert(
                Hub(
                    slug="bench-hub",
                    name_fr="Pôle de banc d'essai",
                    name_ar="قطب الاختبار",
                    region=region["id"],
                    address="127.0.0.1",
                    timezone=ZONE_NAME,
                    opening_hours=DEFAULT_OPENING_HOURS,
                    rules=HUB_RULES,
                    created_at=now,
                )
            ).returning(Hub.id)
        )[0]["id"]
        rows = [
            Resource(
                hub=hub_id,
                kind="space" if i < SPACES else "equipment",
                name_fr=f"{'Salle' if i < SPACES else 'Équipement'} {i + 1:02d}",
                name_ar=f"مورد {i + 1:02d}",
                capacity=20 + (i % 5) * 10 if i < SPACES else None,
                quantity=1 if i < SPACES else POOL_SIZE,
                created_at=now,
            )
            for i in range(RESOURCES)
        ]
        resource_ids = [r["id"] for r in await Resource.insert(*rows).returning(Resource.id)]
    infos = await catalogue.resource_infos(resource_ids)
    associations = [r["id"] for r in await Association.select(Association.id)]
    admin = await AppUser.select(AppUser.id).where(AppUser.email == f"admin@{DEMO}").first()
    assert admin is not None
    # Each resource: one booking every morning (08:00-10:15 at the latest, buffer included)
    # and a second one late in the morning on some days (ending by 12:30 with its buffer).
    groups: dict[tuple[int, int, int], list[Slot]] = {}
    first_day = today() + timedelta(days=FIRST_DAY_OFFSET)
    per_resource = math.ceil(EXISTING / RESOURCES)
    made = 0
    for index, resource_id in enumerate(resource_ids):
        for k in range(per_resource):
            if made >= EXISTING:
                break
            day = first_day + timedelta(days=k % DAYS)
            if k < DAYS:
                slot = local_slot(day, 8, 15 * rng.randrange(4), 60 + 15 * rng.randrange(3))
            else:
                slot = local_slot(day, 10, 45 + 15 * rng.randrange(3), 30 + 15 * rng.randrange(3))
            quantity = 1 if index < SPACES else rng.randint(1, 2)
            groups.setdefault((resource_id, rng.choice(associations), quantity), []).append(slot)
            made += 1
    async with db.transaction():
        for (resource_id, association_id, quantity), slots in groups.items():
            new = booking_writes.NewBooking(
                association_id=association_id,
                requested_by=admin["id"],
                hub_id=hub_id,
                title="Formation existante",
                purpose="",
                attendees=10,
                timezone=ZONE_NAME,
                status=BookingStatus.APPROVED,
                override=False,
                items={resource_id: quantity},
            )
            for chunk in range(0, len(slots), 100):
                await booking_writes.insert_bookings(new, slots[chunk : chunk + 100], infos, now)
    counts = {
        "hub_bookings": await Booking.count().where(Booking.hub == hub_id),
        "hub_booking_items": await BookingItem.count().where(
            BookingItem.resource.is_in(resource_ids)
        ),
    }
    return Dataset(hub_id, resource_ids, associations, time.perf_counter() - began, counts)


class FreeSlots:
    """Distinct free afternoon slots; consecutive ones fall on different resources."""

    def __init__(self, resource_ids: list[int], offset_days: int) -> None:
        self.resource_ids = resource_ids
        self.first_day = today() + timedelta(days=NEW_FIRST_DAY_OFFSET + offset_days)
        self._counter = itertools.count()
        self.limit = len(resource_ids) * NEW_PER_DAY * (DAYS - NEW_FIRST_DAY_OFFSET - offset_days)

    def __iter__(self) -> Iterator[tuple[int, Slot]]:
        return self

    def __next__(self) -> tuple[int, Slot]:
        n = next(self._counter)
        if n >= self.limit:
            raise StopIteration
        resource = self.resource_ids[n % len(self.resource_ids)]
        m = n // len(self.resource_ids)
        day = self.first_day + timedelta(days=m // NEW_PER_DAY)
        return resource, local_slot(day, NEW_FIRST_HOUR, NEW_STEP * (m % NEW_PER_DAY), NEW_MINUTES)


# --- measures -----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary_ms(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values) * 1000, 2),
        "p95_ms": round(percentile(values, 0.95) * 1000, 2),
        "mean_ms": round(statistics.fmean(values) * 1000, 2),
        "min_ms": round(min(values) * 1000, 2),
        "max_ms": round(max(values) * 1000, 2),
    }


@dataclass
class Client:
    token: str
    association_id: int


class Wire:
    """A minimal keep-alive HTTP/1.1 client over one socket.

    The load generator shares the 2 cores with the server; httpx alone spends about a
    millisecond of CPU per request, which would be measured as the server's slowness. This
    client sends pre-encoded requests and reads ``Content-Length`` bodies, nothing more.
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Wire:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()

    async def request(
        self, method: str, path: str, token: str, payload: Any = None
    ) -> tuple[int, bytes]:
        assert self.reader is not None
        assert self.writer is not None
        data = json.dumps(payload).encode() if payload is not None else b""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        )
        self.writer.write(head.encode() + data)
        status_line = await asyncio.wait_for(self.reader.readline(), HTTP_TIMEOUT_S)
        status = int(status_line.split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)


def body(client: Client, resource_id: int, slot: Slot, title: str) -> dict[str, Any]:
    return {
        "association_id": client.association_id,
        "title": title,
        "starts_at": slot.start.isoformat(),
        "ends_at": slot.end.isoformat(),
        "attendees": 10,
        "items": [{"resource_id": resource_id, "quantity": 1}],
    }


async def sequential(url: str, clients: list[Client], slots: FreeSlots) -> dict[str, Any]:
    """(a) One booking at a time, each on a free slot."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    async with Wire(url) as wire:
        for _ in range(10):  # warm up the connection and the server's code paths
            await wire.request("GET", "/healthz", clients[0].token)
        for i in range(SEQUENTIAL):
            client = clients[i % len(clients)]
            resource_id, slot = next(slots)
            began = time.perf_counter()
            status, _ = await wire.request(
                "POST",
                "/api/v1/bookings",
                client.token,
                body(client, resource_id, slot, f"Séquentiel {i}"),
            )
            latencies.append(time.perf_counter() - began)
            statuses[status] += 1
    return {
        "requests": SEQUENTIAL,
        **summary_ms(latencies),
        "non_201": SEQUENTIAL - statuses[201],
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


async def throughput(url: str, clients: list[Client], slots: FreeSlots) -> dict[str, Any]:
    """(b) CONCURRENCY clients, each creating bookings back to back for SECONDS."""
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    wires = [Wire(url) for _ in range(CONCURRENCY)]
    async with contextlib.AsyncExitStack() as stack:
        for wire in wires:
            await stack.enter_async_context(wire)
            await wire.request("GET", "/healthz", clients[0].token)
        began = time.perf_counter()
        deadline = began + SECONDS

        async def worker(w: int) -> None:
            client, wire = clients[w % len(clients)], wires[w]
            for i in range(MAX_PER_WORKER):
                if time.perf_counter() >= deadline:
                    return
                resource_id, slot = next(slots)
                start = time.perf_counter()
                try:
                    status, _ = await wire.request(
                        "POST",
                        "/api/v1/bookings",
                        client.token,
                        body(client, resource_id, slot, f"Débit {w}-{i}"),
                    )
                except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                    errors[type(exc).__name__] += 1
                    return
                latencies.append(time.perf_counter() - start)
                statuses[status] += 1

        await asyncio.gather(*(worker(w) for w in range(CONCURRENCY)))
        elapsed = time.perf_counter() - began
    created = statuses[201]
    return {
        "clients": CONCURRENCY,
        "seconds": round(elapsed, 2),
        "created": created,
        "bookings_per_s": round(created / elapsed, 1),
        "non_201": sum(statuses.values()) - created + sum(errors.values()),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "transport_errors": dict(errors),
        **({"latency": summary_ms(latencies)} if latencies else {}),
    }


async def availability(url: str, client: Client, hub_id: int) -> dict[str, Any]:
    """(c) Free periods of every resource of the hub for one week, in the booked year."""
    monday = today() + timedelta(days=120)
    monday -= timedelta(days=monday.weekday())
    start = datetime(monday.year, monday.month, monday.day, tzinfo=ZONE)
    params: dict[str, str | int] = {
        "hub_id": hub_id,
        "from": start.isoformat(),
        "to": (start + timedelta(days=7)).isoformat(),
    }
    latencies: list[float] = []
    resources = periods = 0
    statuses: Counter[int] = Counter()
    query = urlencode(params)
    async with Wire(url) as wire:
        for i in range(AVAILABILITY_REQUESTS + 3):
            began = time.perf_counter()
            status, answer = await wire.request(
                "GET", f"/api/v1/availability?{query}", client.token
            )
            elapsed = time.perf_counter() - began
            if i < 3:
                continue  # warm-up
            latencies.append(elapsed)
            statuses[status] += 1
            if status == 200:
                found = json.loads(answer)["resources"]
                resources, periods = len(found), sum(len(r["free"]) for r in found)
    return {
        "requests": AVAILABILITY_REQUESTS,
        "window": f"{params['from']} .. {params['to']}",
        **summary_ms(latencies),
        "resources_in_answer": resources,
        "free_periods_in_answer": periods,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


async def ceiling(emails: list[str], slots: FreeSlots) -> dict[str, Any]:
    """(d) The same create_booking, in-process with 8 concurrent tasks: no HTTP, no auth."""
    principals = []
    for email in emails:
        user = await AppUser.select(AppUser.id).where(AppUser.email == email).first()
        assert user is not None
        principal = await accounts.load_principal(user["id"])
        assert principal is not None
        assert principal.memberships
        principals.append(principal)
    created = 0
    refused: Counter[str] = Counter()
    began = time.perf_counter()
    deadline = began + SECONDS

    async def worker(w: int) -> None:
        nonlocal created
        principal = principals[w % len(principals)]
        association_id = next(iter(principal.memberships))
        for i in range(MAX_PER_WORKER):
            if time.perf_counter() >= deadline:
                return
            resource_id, slot = next(slots)
            request = BookingRequest(
                association_id=association_id,
                title=f"Plafond {w}-{i}",
                starts_at=slot.start,
                ends_at=slot.end,
                attendees=10,
                items={resource_id: 1},
            )
            try:
                await booking_service.create_booking(principal, request, datetime.now(UTC))
            except DomainError as exc:
                refused[type(exc).__name__] += 1
                continue
            except Exception as exc:  # a crash is a figure too, not the end of the bench
                refused[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
                continue
            created += 1

    await asyncio.gather(*(worker(w) for w in range(CONCURRENCY)))
    elapsed = time.perf_counter() - began
    return {
        "tasks": CONCURRENCY,
        "seconds": round(elapsed, 2),
        "created": created,
        "bookings_per_s": round(created / elapsed, 1),
        "refused": dict(refused),
    }


# --- one engine ---------------------------------------------------------------------------


async def bench_engine(engine_name: str) -> dict[str, Any]:
    rng = random.Random(2027)
    workdir = Path(tempfile.mkdtemp(prefix=f"hub_booking_bench_{engine_name}_"))
    pg_name = None
    if engine_name == "postgres":
        pg_name = f"hub_booking_bench_{secrets.token_hex(4)}"
        await _pg_admin(f'CREATE DATABASE "{pg_name}"')
        url = _with_db(PG_SERVER, pg_name)
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = server_env(url, workdir / "var")
    server: Server | None = None
    engine = None
    result: dict[str, Any] = {"engine": engine_name, "machine": machine()}
    try:
        if engine_name == "postgres":
            result["machine"]["postgres"] = await _pg_version()
        print(f"[{engine_name}] migrate + seed-demo", flush=True)
        began = time.perf_counter()
        run_cli(["seed-demo"], env, timeout=COMMAND_TIMEOUT_S)
        seed_seconds = time.perf_counter() - began
        engine = db.use_database(url)
        await db.start(engine)
        now = datetime.now(UTC)
        print(f"[{engine_name}] bench hub: {RESOURCES} resources, {EXISTING} bookings", flush=True)
        data = await build_dataset(now, rng)
        print(f"[{engine_name}]   written in {data.seconds:.1f} s: {data.counts}", flush=True)
        if engine_name == "postgres":
            await Booking.raw("ANALYZE")
        tokens = create_tokens(CLIENT_EMAILS, env, name="bench")
        memberships = {}
        for email in CLIENT_EMAILS:
            user = await AppUser.select(AppUser.id).where(AppUser.email == email).first()
            assert user is not None
            principal = await accounts.load_principal(user["id"])
            assert principal is not None
            memberships[email] = next(iter(principal.memberships))
        clients = [Client(tokens[e], memberships[e]) for e in CLIENT_EMAILS]
        result["dataset"] = {
            "hub_id": data.hub_id,
            "resources": RESOURCES,
            "spaces": SPACES,
            "equipment_pools": RESOURCES - SPACES,
            "existing_bookings": data.counts["hub_bookings"],
            "existing_booking_items": data.counts["hub_booking_items"],
            "days": DAYS,
            "seed_demo_seconds": round(seed_seconds, 2),
            "insert_seconds": round(data.seconds, 2),
        }

        server = Server(env, workdir / "server.log", timeout=STARTUP_TIMEOUT_S)
        await asyncio.to_thread(server.start)
        # Separate slot ranges per phase: no phase can collide with another's bookings.
        print(f"[{engine_name}] (a) {SEQUENTIAL} bookings one at a time", flush=True)
        result["single"] = await sequential(server.url, clients, FreeSlots(data.resource_ids, 0))
        print(f"[{engine_name}] (b) {CONCURRENCY} clients for {SECONDS:.0f} s", flush=True)
        result["throughput"] = await throughput(
            server.url, clients, FreeSlots(data.resource_ids, 20)
        )
        print(f"[{engine_name}] (c) availability x{AVAILABILITY_REQUESTS}", flush=True)
        result["availability"] = await availability(server.url, clients[0], data.hub_id)
        server.stop()
        print(f"[{engine_name}] (d) in-process ceiling, {CONCURRENCY} tasks", flush=True)
        result["ceiling"] = await ceiling(CLIENT_EMAILS, FreeSlots(data.resource_ids, 150))
        http_rate = result["throughput"]["bookings_per_s"]
        ceiling_rate = result["ceiling"]["bookings_per_s"]
        result["ratio_http_to_ceiling"] = (
            round(http_rate / ceiling_rate, 3) if ceiling_rate else None
        )
        result["targets"] = TARGETS
        result["meets"] = {
            "median_ms": result["single"]["median_ms"] <= TARGETS["median_ms"],
            "bookings_per_s": http_rate >= TARGETS["bookings_per_s"],
            "availability_median_ms": result["availability"]["median_ms"]
            <= TARGETS["availability_median_ms"],
        }
        result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    finally:
        if server is not None:
            server.stop()
        if engine is not None:
            await db.stop(engine)
        if pg_name is not None:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"booking_{engine_name}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"[{engine_name}] written {out.relative_to(ROOT)}", flush=True)
    return result


def table(results: list[dict[str, Any]]) -> str:
    def mark(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    def row(name: str, target: str, cells: Iterator[str]) -> tuple[str, ...]:
        return (name, target, *cells)

    rows = [
        row("figure", "target", (r["engine"] for r in results)),
        row(
            "create, median ms",
            f"<= {TARGETS['median_ms']:g}",
            (f"{r['single']['median_ms']:.1f} {mark(r['meets']['median_ms'])}" for r in results),
        ),
        row("create, p95 ms", "", (f"{r['single']['p95_ms']:.1f}" for r in results)),
        row(
            "8 clients, bookings/s",
            f">= {TARGETS['bookings_per_s']:g}",
            (
                f"{r['throughput']['bookings_per_s']:.1f} {mark(r['meets']['bookings_per_s'])}"
                for r in results
            ),
        ),
        row("8 clients, non-201", "0", (str(r["throughput"]["non_201"]) for r in results)),
        row(
            "availability week, median ms",
            f"<= {TARGETS['availability_median_ms']:g}",
            (
                f"{r['availability']['median_ms']:.1f} {mark(r['meets']['availability_median_ms'])}"
                for r in results
            ),
        ),
        row(
            "in-process ceiling, bookings/s",
            "",
            (f"{r['ceiling']['bookings_per_s']:.1f}" for r in results),
        ),
        row("ratio HTTP / ceiling", "", (f"{r['ratio_http_to_ceiling']}" for r in results)),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


async def main_async(engines: list[str]) -> list[dict[str, Any]]:
    return [await bench_engine(name) for name in engines]


def main(argv: list[str] | None = None) -> int:
    global SECONDS, SEQUENTIAL
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="length of (b) and (d)")
    parser.add_argument("--sequential", type=int, default=SEQUENTIAL, help="requests of (a)")
    args = parser.parse_args(argv)
    SECONDS, SEQUENTIAL = max(1.0, min(args.seconds, 120.0)), max(10, min(args.sequential, 5000))
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    began = time.perf_counter()
    results = asyncio.run(main_async(engines))
    m = results[0]["machine"]
    print()
    print(f"nproc {m['nproc']}, Python {m['python']}, {m['cpu_model'] or m['platform']}")
    print(table(results))
    print(f"(whole bench: {time.perf_counter() - began:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
