"""Approval benchmark: the manager's approval queue page and a bulk approval, over HTTP.

    .venv/bin/python bench/approval_bench.py [--engine sqlite|postgres|both]

For each engine: the booking benchmark's data (``booking_bench.build_dataset``: after
``hub-booking seed-demo``, a hub of 50 resources and 20,000 approved bookings over a year),
with weekly and monthly quotas on the hub, then 200 pending requests written directly
(100 single requests for rooms, 10 weekly series of 5, and 50 requests for the equipment
pools, several at the same time so that they compete), and a manager of the hub made with
``hub-booking create-user``. One ``hub-booking serve`` process (1 worker) then answers the
manager (Bearer token: the same principal and checks as a session):

  (a) ``GET /manage/hubs/bench-hub/requests`` (its first page: 50 requests with their
      series, quota use and competing requests), one request at a time: median, p95, size,
      and the server process's CPU time per request (from /proc: what a request costs,
      whatever else the shared machine runs);
  (b) a bulk approval of 50 requests (the form the page posts), three times on 50 different
      requests: each one's time, and the median;
  (c) the SQL queries the queue page runs, counted in-process with the 200 requests pending
      and again with 50 (the page must read a constant number).

Figures go to ``bench/results/approval_<engine>.json``. Targets (issue 9): (a) median
<= 20 ms; (b) <= 1 s. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import booking_bench as base  # the booking benchmark's dataset, machine, database, client
import httpx

from hub_booking.db import (
    booking_writes,
    catalogue,
)
from hub_booking.db import engine as db
from hub_booking.db.tables import AppUser, Booking, Hub
from hub_booking.domain.model import BookingStatus
from tests.servers import Server, create_tokens, run_cli, server_env

RESULTS = base.RESULTS
ROOT = base.ROOT
MANAGER = f"bench.manager@{base.DEMO}"
QUEUE = "/manage/hubs/bench-hub/requests"
SEQUENTIAL = 200
WARM_UP = 10
BULK = 50
BULK_ROUNDS = 3
QUOTAS = {"weekly_quota_hours": 30, "monthly_quota_hours": 100}
TARGETS = {"queue_median_ms": 20.0, "bulk_50_s": 1.0}


async def add_pending(data: base.Dataset, now: datetime, rng: random.Random) -> dict[str, int]:
    """200 pending requests in the afternoons, where the approved mornings leave room."""
    await Hub.update({Hub.rules: {**base.HUB_RULES, **QUOTAS}}).where(Hub.id == data.hub_id)
    infos = await catalogue.resource_infos(data.resource_ids)
    spaces, pools = data.resource_ids[: base.SPACES], data.resource_ids[base.SPACES :]
    first = base.today() + timedelta(days=3)
    admin = await AppUser.select(AppUser.id).where(AppUser.email == f"admin@{base.DEMO}").first()
    assert admin is not None

    def new(resource_id: int, title: str) -> booking_writes.NewBooking:
        return booking_writes.NewBooking(
            association_id=rng.choice(data.association_ids),
            requested_by=admin["id"],
            hub_id=data.hub_id,
            title=title,
            purpose="",
            attendees=12,
            timezone=base.ZONE_NAME,
            status=BookingStatus.PENDING,
            override=False,
            items={resource_id: 1},
        )

    async with db.transaction():
        for k in range(100):  # single requests for rooms, two a day per room at most
            slot = base.local_slot(first + timedelta(days=k // 20), 14 + 2 * (k % 2), 0, 90)
            await booking_writes.insert_bookings(new(spaces[k % 40], "Demande"), [slot], infos, now)
        for s in range(10):  # weekly series of five, late afternoons
            request = new(spaces[s], "Atelier hebdomadaire")
            day = first + timedelta(days=s)
            slots = [base.local_slot(day + timedelta(weeks=w), 18, 0, 90) for w in range(5)]
            series = await booking_writes.insert_series(
                request, "FREQ=WEEKLY;COUNT=5", slots[0], "fail", now
            )
            await booking_writes.insert_bookings(request, slots, infos, now, series)
        for k in range(50):  # one unit of a pool each; five a pool in a day, overlapping by two
            day = first + timedelta(days=(k // 5) % 5)
            slot = base.local_slot(day, 14 + k % 5, 0, 120)
            await booking_writes.insert_bookings(new(pools[k // 5], "Matériel"), [slot], infos, now)
    pending = Booking.status == BookingStatus.PENDING
    return {"pending": await Booking.count().where(pending & (Booking.hub == data.hub_id))}


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class PageWire(base.Wire):
    """``booking_bench.Wire`` for a page: GET with a Bearer token, the body read whole."""

    async def page(self, path: str, token: str) -> tuple[int, bytes]:
        assert self.reader is not None
        assert self.writer is not None
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {token}\r\nAccept: text/html\r\n\r\n".encode()
        )
        status_line = await asyncio.wait_for(self.reader.readline(), base.HTTP_TIMEOUT_S)
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)


async def queue_page(url: str, token: str, pid: int) -> dict[str, Any]:
    """(a) The queue's first page, one request at a time."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    size, listed = 0, 0
    async with PageWire(url) as wire:
        for _ in range(WARM_UP):
            await wire.page(QUEUE, token)
        cpu = cpu_seconds(pid)
        for _ in range(SEQUENTIAL):
            began = time.perf_counter()
            status, body = await wire.page(QUEUE, token)
            latencies.append(time.perf_counter() - began)
            statuses[status] = statuses.get(status, 0) + 1
            size, listed = len(body), body.count(b'<li class="request" id="request-')
        cpu = cpu_seconds(pid) - cpu
    return {
        "requests": SEQUENTIAL,
        **base.summary_ms(latencies),
        "server_cpu_ms_per_request": round(cpu / SEQUENTIAL * 1000, 2),
        "html_kb": round(size / 1024, 1),
        "requests_listed": listed,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


async def bulk_approvals(url: str, token: str, hub_id: int) -> dict[str, Any]:
    """(b) Approving 50 requests at once, BULK_ROUNDS times on the next 50 by start."""
    rounds = []
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/html"}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for _ in range(BULK_ROUNDS):
            rows = await (
                Booking.select(Booking.id)
                .where((Booking.hub == hub_id) & (Booking.status == BookingStatus.PENDING))
                .order_by(Booking.starts_at, Booking.id)
                .limit(BULK)
            )
            ids = [str(r["id"]) for r in rows]
            began = time.perf_counter()
            response = await client.post(f"{QUEUE}/approve", data={"ids": ids}, headers=headers)
            elapsed = time.perf_counter() - began
            assert response.status_code == 200, response.text[-600:]
            approved = await Booking.count().where(
                Booking.id.is_in([int(i) for i in ids]) & (Booking.status == "approved")
            )
            rounds.append({"seconds": round(elapsed, 3), "approved": approved})
    times = sorted(r["seconds"] for r in rounds)
    return {"rounds": rounds, "median_s": times[len(times) // 2]}


async def query_count(env: dict[str, str], token: str) -> int:
    """(c) Statements Piccolo sends for the queue page, the app in-process."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/html"}
    async with base.in_process(env) as client:
        await client.get(QUEUE, headers=headers)  # the token's use is recorded once
        return await base.statements(client, QUEUE, headers)


async def bench_engine(engine_name: str) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"hub_booking_approval_{engine_name}_"))
    pg_name = None
    if engine_name == "postgres":
        pg_name = f"hub_booking_approval_{secrets.token_hex(4)}"
        await base._pg_admin(f'CREATE DATABASE "{pg_name}"')
        url = base._with_db(base.PG_SERVER, pg_name)
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = server_env(url, workdir / "var")
    server: Server | None = None
    started = False
    result: dict[str, Any] = {"engine": engine_name, "machine": base.machine()}
    # Other work on this shared machine slows every figure: the load is kept with them.
    result["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    began = time.perf_counter()
    try:
        if engine_name == "postgres":
            result["machine"]["postgres"] = await base._pg_version()
        print(f"[{engine_name}] seed-demo + {base.EXISTING} bookings + 200 requests", flush=True)
        run_cli(["seed-demo"], env, timeout=base.COMMAND_TIMEOUT_S)
        await db.start(db.use_database(url))
        started = True
        now = datetime.now(UTC)
        rng = random.Random(2027)
        data = await base.build_dataset(now, rng)
        counts = await add_pending(data, now, rng)
        if engine_name == "postgres":
            await Booking.raw("ANALYZE")
        # ``--password=…``: a random password may begin with "-", which argparse would
        # take for an option.
        manager = ["create-user", "--email", MANAGER, f"--password={secrets.token_urlsafe(12)}"]
        run_cli([*manager, "--role", "hub_manager", "--hub", "bench-hub"], env)
        token = create_tokens([MANAGER], env, name="approval bench")[MANAGER]
        result["dataset"] = {"hub": "bench-hub", "resources": base.RESOURCES, **data.counts}
        result["dataset"].update(counts)
        result["queries"] = {"queue_200_pending": await query_count(env, token)}
        server = Server(env, workdir / "server.log", timeout=base.STARTUP_TIMEOUT_S)
        await asyncio.to_thread(server.start)
        assert server.process is not None
        print(f"[{engine_name}] (a) queue page, one at a time", flush=True)
        result["queue"] = await queue_page(server.url, token, server.process.pid)
        print(f"[{engine_name}] (b) bulk approval of {BULK}, {BULK_ROUNDS} times", flush=True)
        result["bulk"] = await bulk_approvals(server.url, token, data.hub_id)
        result["queries"]["queue_50_pending"] = await query_count(env, token)
        result["targets"] = TARGETS
        result["meets"] = {
            "queue_median_ms": result["queue"]["median_ms"] <= TARGETS["queue_median_ms"],
            "bulk_50_s": result["bulk"]["median_s"] <= TARGETS["bulk_50_s"],
            "constant_queries": len(set(result["queries"].values())) == 1,
        }
        result["seconds"] = round(time.perf_counter() - began, 1)
        result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    finally:
        if server is not None:
            server.stop()
        if started:
            await db.stop(db.current())
        if pg_name is not None:
            await base._pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"approval_{engine_name}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"[{engine_name}] written {out.relative_to(ROOT)} in {result.get('seconds')} s")
    return result


def table(results: list[dict[str, Any]]) -> str:
    def mark(r: dict[str, Any], key: str) -> str:
        return "ok" if r["meets"][key] else "MISSED"

    rows = [
        ("figure", "target", *(r["engine"] for r in results)),
        (
            "queue page (50 of 200), median ms",
            "<= 20",
            *(f"{r['queue']['median_ms']:.1f} {mark(r, 'queue_median_ms')}" for r in results),
        ),
        ("queue page, p95 ms", "", *(f"{r['queue']['p95_ms']:.1f}" for r in results)),
        (
            "queue page, server CPU ms",
            "",
            *(f"{r['queue']['server_cpu_ms_per_request']}" for r in results),
        ),
        ("queue page, KB", "", *(f"{r['queue']['html_kb']}" for r in results)),
        (
            "bulk approval of 50, median s",
            "<= 1",
            *(f"{r['bulk']['median_s']:.3f} {mark(r, 'bulk_50_s')}" for r in results),
        ),
        (
            "SQL queries, 200 / 50 pending",
            "constant",
            *("/".join(str(v) for v in r["queries"].values()) for r in results),
        ),
        ("load average at start", "", *(str(r["load_average_at_start"]) for r in results)),
    ]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args(argv)
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    results = [asyncio.run(bench_engine(name)) for name in engines]
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
