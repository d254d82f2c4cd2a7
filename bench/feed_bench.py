"""Calendar feed benchmark: one room's year, a hub of 5,000 events, and the 304 path.

    .venv/bin/python bench/feed_bench.py [--engine sqlite|postgres|both]

For each engine: the data of ``bench/booking_bench.py`` (a fresh database seeded with
``hub-booking seed-demo``, a bench hub of 50 resources and 20,000 bookings over a year, built
by its ``build_dataset``), plus a second hub of 13 rooms holding 5,000 bookings. The demo
admin manages both hubs, so its feeds carry titles, associations and links (the longer
texts). One ``hub-booking serve`` (1 worker) then answers ``GET /feeds/{token}.ics``:

  (a) one room over its year (~400 events): median latency when the feed changed since the
      last request (one booking is edited before each, so the feed is built again) and
      when it did not (answered from the built answers the app keeps);
  (b) the 5,000-event hub, the same way, and the extra memory of a build: Python's peak
      allocation while building it in-process (tracemalloc) and the server's peak RSS growth;
  (c) the 304 path (If-None-Match with the current ETag): median latency, then answers/s
      with 8 concurrent keep-alive clients;
  (d) for scale, the bench hub's own feed (20,000 events), built again.

Figures go to ``bench/results/feed_<engine>.json``. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from anywhere: the package is installed editable anyway

from bench.booking_bench import (  # noqa: E402
    COMMAND_TIMEOUT_S,
    DEMO,
    HTTP_TIMEOUT_S,
    MAX_PER_WORKER,
    PG_SERVER,
    STARTUP_TIMEOUT_S,
    ZONE_NAME,
    Wire,
    _pg_admin,
    _pg_version,
    _with_db,
    build_dataset,
    local_slot,
    machine,
    summary_ms,
    today,
)
from hub_booking.db import booking_writes, catalogue  # noqa: E402
from hub_booking.db import engine as db  # noqa: E402
from hub_booking.db.tables import (  # noqa: E402
    AppUser,
    Association,
    Booking,
    BookingItem,
    FeedScope,
    Hub,
    HubManager,
    Region,
    Resource,
)
from hub_booking.domain.model import BookingStatus, Principal  # noqa: E402
from hub_booking.domain.rules import DEFAULT_OPENING_HOURS  # noqa: E402
from hub_booking.services import accounts, feed_content, feeds  # noqa: E402
from tests.servers import Server, run_cli, server_env  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SMALL_HUB_ROOMS = 13
SMALL_HUB_BOOKINGS = 5_000
REBUILT = {"room": 40, "hub": 15, "big_hub": 5}  # requests after a change, per feed
CACHED = 40  # requests of an unchanged feed, per feed
NOT_MODIFIED = 300
CONCURRENCY = 8
SECONDS = 5.0
TARGETS = {
    "room_median_ms": 20.0,
    "hub_median_ms": 150.0,
    "hub_extra_mb": 60.0,
    "not_modified_median_ms": 5.0,
    "not_modified_per_s": 500.0,
}


class FeedWire(Wire):
    """The booking bench's keep-alive client, for feeds: no credentials, chosen headers."""

    async def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        assert self.reader is not None
        assert self.writer is not None
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        head = f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{extra}\r\n"
        self.writer.write(head.encode())
        status_line = await asyncio.wait_for(self.reader.readline(), HTTP_TIMEOUT_S)
        status = int(status_line.split()[1])
        length, etag = 0, ""
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
            elif name.strip().lower() == "etag":
                etag = value.strip()
        self.etag = etag
        return status, await self.reader.readexactly(length)


# --- data -----------------------------------------------------------------------------------


async def build_small_hub(now: datetime, rng: random.Random) -> tuple[int, list[int]]:
    """A hub of 13 rooms and 5,000 approved bookings over the coming year."""
    region = await Region.select(Region.id).where(Region.slug == "fes-meknes").first()
    assert region is not None
    async with db.transaction():
        row = Hub(
            slug="bench-hub-5k",
            name_fr="Pôle de 5 000 réservations",
            name_ar="قطب الخمسة آلاف",
            region=region["id"],
            timezone=ZONE_NAME,
            opening_hours=DEFAULT_OPENING_HOURS,
            created_at=now,
        )
        hub_id = (await Hub.insert(row).returning(Hub.id))[0]["id"]
        rooms = [
            Resource(hub=hub_id, kind="space", name_fr=f"Salle {i + 1:02d}", capacity=30)
            for i in range(SMALL_HUB_ROOMS)
        ]
        room_ids = [r["id"] for r in await Resource.insert(*rooms).returning(Resource.id)]
    infos = await catalogue.resource_infos(room_ids)
    associations = [r["id"] for r in await Association.select(Association.id)]
    admin = await _admin_id()
    first = today() + timedelta(days=2)
    per_room = -(-SMALL_HUB_BOOKINGS // SMALL_HUB_ROOMS)
    async with db.transaction():
        made = 0
        for room in room_ids:
            count = min(per_room, SMALL_HUB_BOOKINGS - made)
            slots = [
                local_slot(first + timedelta(days=k), 9 + rng.randrange(8), 0, 60)
                for k in range(count)
            ]
            made += count
            new = booking_writes.NewBooking(
                association_id=rng.choice(associations),
                requested_by=admin,
                hub_id=hub_id,
                title="Atelier de formation",
                purpose="",
                attendees=10,
                timezone=ZONE_NAME,
                status=BookingStatus.APPROVED,
                override=False,
                items={room: 1},
            )
            for chunk in range(0, len(slots), 100):
                await booking_writes.insert_bookings(new, slots[chunk : chunk + 100], infos, now)
    return hub_id, room_ids


async def _admin_id() -> int:
    admin = await AppUser.select(AppUser.id).where(AppUser.email == f"admin@{DEMO}").first()
    assert admin is not None
    return int(admin["id"])


async def _owner(hub_ids: list[int]) -> Principal:
    """The demo admin, made a manager of the bench hubs: feeds with every text."""
    admin = await _admin_id()
    await HubManager.insert(*[HubManager(user=admin, hub=hub) for hub in hub_ids])
    principal = await accounts.load_principal(admin)
    assert principal is not None
    return principal


async def _feed_path(owner: Principal, scope: FeedScope, scope_id: int, secret: str) -> str:
    issued = await feeds.create_feed(
        owner, scope, scope_id, datetime.now(UTC), secret, "http://127.0.0.1"
    )
    return "/feeds/" + issued.url.rsplit("/", 1)[1]


async def _touch(booking_id: int) -> None:
    """Edit one booking of a feed, as a change would: the next request builds it again."""
    await Booking.update(
        {Booking.revision: Booking.revision + 1, Booking.updated_at: datetime.now(UTC)}
    ).where(Booking.id == booking_id)


# --- measures -------------------------------------------------------------------------------


def _rss_kb(pid: int, field: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


async def one_feed(url: str, path: str, touched: int, rebuilt: int) -> dict[str, Any]:
    """Latency of a feed built again after a change, then of the same feed unchanged."""
    after_change: list[float] = []
    unchanged: list[float] = []
    size = events = 0
    async with FeedWire(url) as wire:
        for _ in range(3):  # warm up the connection and the code paths
            await wire.get(path)
        for _ in range(rebuilt):
            await _touch(touched)
            began = time.perf_counter()
            status, body = await wire.get(path)
            after_change.append(time.perf_counter() - began)
            assert status == 200, status
            size, events = len(body), body.count(b"BEGIN:VEVENT")
        for _ in range(CACHED):
            began = time.perf_counter()
            status, _ = await wire.get(path)
            unchanged.append(time.perf_counter() - began)
            assert status == 200, status
    return {
        "events": events,
        "bytes": size,
        "rebuilt_after_a_change": summary_ms(after_change),
        "unchanged": summary_ms(unchanged),
    }


async def in_process_build(path: str, secret: str) -> dict[str, Any]:
    """Time and Python's peak allocation of opening and building a feed in this process."""
    token = path.removeprefix("/feeds/").removesuffix(".ics")
    began = time.perf_counter()
    opened = await feed_content.open_feed(token, datetime.now(UTC), secret, "fr")
    assert opened is not None
    await feed_content.build_feed(
        opened, "http://127.0.0.1"
    )  # the first build: every event written
    first = time.perf_counter() - began
    tracemalloc.start()
    began = time.perf_counter()
    opened = await feed_content.open_feed(token, datetime.now(UTC), secret, "fr")
    assert opened is not None
    body = await feed_content.build_feed(opened, "http://127.0.0.1")
    seconds = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "first_build_ms": round(first * 1000, 1),
        "ms_under_tracemalloc": round(seconds * 1000, 1),
        "peak_mb": round(peak / 2**20, 1),
        "events": body.count(b"BEGIN:VEVENT"),
    }


async def not_modified(url: str, path: str) -> dict[str, Any]:
    """The 304 path: one client in a row, then CONCURRENCY clients for SECONDS."""
    async with FeedWire(url) as wire:
        await wire.get(path)
        condition = {"If-None-Match": wire.etag}
        latencies = []
        for _ in range(NOT_MODIFIED):
            began = time.perf_counter()
            status, body = await wire.get(path, condition)
            latencies.append(time.perf_counter() - began)
            assert status == 304, status
            assert body == b""
    answers = errors = 0
    async with contextlib.AsyncExitStack() as stack:
        wires = [await stack.enter_async_context(FeedWire(url)) for _ in range(CONCURRENCY)]
        began = time.perf_counter()
        deadline = began + SECONDS

        async def worker(wire: FeedWire) -> None:
            nonlocal answers, errors
            for _ in range(MAX_PER_WORKER):
                if time.perf_counter() >= deadline:
                    return
                status, _ = await wire.get(path, condition)
                if status == 304:
                    answers += 1
                else:
                    errors += 1

        await asyncio.gather(*(worker(w) for w in wires))
        elapsed = time.perf_counter() - began
    return {
        "requests": NOT_MODIFIED,
        **summary_ms(latencies),
        "clients": CONCURRENCY,
        "seconds": round(elapsed, 2),
        "answers_per_s": round(answers / elapsed, 1),
        "non_304": errors,
    }


# --- one engine -----------------------------------------------------------------------------


async def _setup(engine_name: str, workdir: Path) -> tuple[str, str | None]:
    if engine_name == "postgres":
        pg_name = f"hub_booking_bench_{secrets.token_hex(4)}"
        await _pg_admin(f'CREATE DATABASE "{pg_name}"')
        return _with_db(PG_SERVER, pg_name), pg_name
    return f"sqlite:///{workdir / 'bench.sqlite3'}", None


async def _data(engine_name: str, result: dict[str, Any]) -> dict[str, Any]:
    """Both hubs, their feeds' owner, and what the bench reads."""
    now = datetime.now(UTC)
    rng = random.Random(2027)
    began = time.perf_counter()
    data = await build_dataset(now, rng)
    small_hub, small_rooms = await build_small_hub(now, rng)
    if engine_name == "postgres":
        await Booking.raw("ANALYZE")
    room = data.resource_ids[0]
    result["dataset"] = {
        "bench_hub_bookings": data.counts["hub_bookings"],
        "bench_hub_resources": len(data.resource_ids),
        "small_hub_bookings": await Booking.count().where(Booking.hub == small_hub),
        "small_hub_rooms": len(small_rooms),
        "insert_seconds": round(time.perf_counter() - began, 2),
    }
    owner = await _owner([data.hub_id, small_hub])
    in_room = await BookingItem.select(BookingItem.booking).where(BookingItem.resource == room)
    in_hub = await Booking.select(Booking.id).where(Booking.hub == small_hub).first()
    assert in_room
    assert in_hub is not None
    return {
        "room": (FeedScope.RESOURCE, room, in_room[0]["booking"]),
        "hub": (FeedScope.HUB, small_hub, in_hub["id"]),
        "big_hub": (FeedScope.HUB, data.hub_id, in_room[0]["booking"]),
        "owner": owner,
    }


async def bench_engine(engine_name: str) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"hub_booking_feed_bench_{engine_name}_"))
    url, pg_name = await _setup(engine_name, workdir)
    env = server_env(url, workdir / "var")
    secret = env["HUB_BOOKING_SECRET_KEY"]
    server: Server | None = None
    engine = None
    result: dict[str, Any] = {"engine": engine_name, "machine": machine()}
    # The machine is shared: the load around a run says how far its figures can be trusted.
    result["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    try:
        if engine_name == "postgres":
            result["machine"]["postgres"] = await _pg_version()
        print(f"[{engine_name}] migrate + seed-demo", flush=True)
        run_cli(["seed-demo"], env, timeout=COMMAND_TIMEOUT_S)
        engine = db.use_database(url)
        await db.start(engine)
        print(f"[{engine_name}] data: bench hub (20,000) and a 5,000-booking hub", flush=True)
        plan = await _data(engine_name, result)
        owner = plan.pop("owner")
        paths = {
            name: await _feed_path(owner, scope, scope_id, secret)
            for name, (scope, scope_id, _) in plan.items()
        }
        print(f"[{engine_name}] in-process build of the 5,000-event hub feed", flush=True)
        result["hub_build_in_process"] = await in_process_build(paths["hub"], secret)
        server = Server(env, workdir / "server.log", timeout=STARTUP_TIMEOUT_S)
        await asyncio.to_thread(server.start)
        assert server.process is not None
        pid = server.process.pid
        for name in ("room", "hub", "big_hub"):
            print(f"[{engine_name}] {name} feed", flush=True)
            rss_before = _rss_kb(pid, "VmRSS")
            touched = plan[name][2]
            result[name] = await one_feed(server.url, paths[name], touched, REBUILT[name])
            if name == "hub":
                peak = _rss_kb(pid, "VmHWM")
                result[name]["server_peak_rss_growth_mb"] = round(
                    max(0, peak - rss_before) / 1024, 1
                )
        print(f"[{engine_name}] 304 path", flush=True)
        result["not_modified"] = await not_modified(server.url, paths["room"])
        result["targets"] = TARGETS
        result["meets"] = _meets(result)
        result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        if server is not None:
            server.stop()
        if engine is not None:
            await db.stop(engine)
        if pg_name is not None:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"feed_{engine_name}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"[{engine_name}] written {out.relative_to(ROOT)}", flush=True)
    return result


def _meets(r: dict[str, Any]) -> dict[str, bool]:
    """Against the targets, the feeds built again after a change (not the reused answers)."""
    hub_mb = max(r["hub_build_in_process"]["peak_mb"], r["hub"].get("server_peak_rss_growth_mb", 0))
    return {
        "room_median_ms": r["room"]["rebuilt_after_a_change"]["median_ms"]
        <= TARGETS["room_median_ms"],
        "hub_median_ms": r["hub"]["rebuilt_after_a_change"]["median_ms"]
        <= TARGETS["hub_median_ms"],
        "hub_extra_mb": hub_mb <= TARGETS["hub_extra_mb"],
        "not_modified_median_ms": r["not_modified"]["median_ms"]
        <= TARGETS["not_modified_median_ms"],
        "not_modified_per_s": r["not_modified"]["answers_per_s"] >= TARGETS["not_modified_per_s"],
    }


ROWS = (  # label, target, where the figure is, which target it meets
    (
        "room year, changed, median ms",
        "<= 20",
        ("room", "rebuilt_after_a_change", "median_ms"),
        "room_median_ms",
    ),
    ("room year, unchanged, median ms", "", ("room", "unchanged", "median_ms"), None),
    (
        "hub 5,000, changed, median ms",
        "<= 150",
        ("hub", "rebuilt_after_a_change", "median_ms"),
        "hub_median_ms",
    ),
    ("hub 5,000, unchanged, median ms", "", ("hub", "unchanged", "median_ms"), None),
    (
        "hub 5,000, first build (in-process) ms",
        "",
        ("hub_build_in_process", "first_build_ms"),
        None,
    ),
    (
        "hub 5,000, build peak MB (Python)",
        "<= 60",
        ("hub_build_in_process", "peak_mb"),
        "hub_extra_mb",
    ),
    ("hub 5,000, server peak RSS growth MB", "", ("hub", "server_peak_rss_growth_mb"), None),
    (
        "hub 20,000, changed, median ms",
        "",
        ("big_hub", "rebuilt_after_a_change", "median_ms"),
        None,
    ),
    ("304, median ms", "<= 5", ("not_modified", "median_ms"), "not_modified_median_ms"),
    (
        "304, 8 clients, answers/s",
        ">= 500",
        ("not_modified", "answers_per_s"),
        "not_modified_per_s",
    ),
)


def table(results: list[dict[str, Any]]) -> str:
    def cell(r: dict[str, Any], where: tuple[str, ...], meets: str | None) -> str:
        value: Any = r
        for key in where:
            value = value.get(key, 0)
        mark = "" if meets is None else (" ok" if r["meets"][meets] else " MISSED")
        return f"{value:g}{mark}"

    rows: list[tuple[str, ...]] = [("figure", "target", *(r["engine"] for r in results))]
    for label, target, where, meets in ROWS:
        rows.append((label, target, *(cell(r, where, meets) for r in results)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


async def main_async(engines: list[str]) -> list[dict[str, Any]]:
    return [await bench_engine(name) for name in engines]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args(argv)
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    began = time.perf_counter()
    results = asyncio.run(main_async(engines))
    m = results[0]["machine"]
    print()
    print(f"nproc {m['nproc']}, Python {m['python']}, {m['cpu_model'] or m['platform']}")
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(table(results))
    print(f"(whole bench: {time.perf_counter() - began:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
