"""Page benchmark: the hub calendar (week and day views of a whole hub) over HTTP.

    .venv/bin/python bench/pages_bench.py [--engine sqlite|postgres|both] [--seconds 8]

For each engine: the booking benchmark's data (``booking_bench.build_dataset``: after
``hub-booking seed-demo``, a hub of 50 resources and 20,000 approved bookings over a year)
and one ``hub-booking serve`` process (1 worker). A demo member (Bearer token: the same
principal and checks as a session) then asks, on keep-alive connections (``booking_bench.Wire``),
for a week about four months ahead:

  (a) the week view of the whole hub, full HTML page, one request at a time: median, p95,
      HTML size before compression, and what gzip sends;
  (b) the same page with 8 concurrent clients for ``--seconds``: requests/s;
  (c) the htmx partial of the next week (``HX-Request``, ``HX-Target: calendar``): median
      and size;
  (d) the day view of the whole hub with 8 concurrent clients: requests/s (and its median
      one at a time, and size);
  (e) the SQL queries each page runs, counted in-process (the app on the same database,
      every statement Piccolo sends), on a first visit and on the next, when the calendar's
      section is kept (its version unchanged: see ``web/pages/hubs.py``); (a) to (d) ask for
      the same pages again and again, so they measure kept sections;
  (f) for (a), (c) and the day view one at a time, the server process's CPU time per request
      (user + system, every thread, from /proc): what a request costs whatever else the
      shared machine runs, where the latencies grow with the load.

Figures go to ``bench/results/pages_<engine>.json``. Targets (issue 8): (a) median <= 12 ms,
HTML <= 64 KB; (b) and (d) >= 150 requests/s. Only 127.0.0.1 is ever contacted.
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
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import booking_bench as base  # the booking benchmark's dataset, machine, database, client

from hub_booking.db import engine as db
from hub_booking.db.tables import Booking
from tests.servers import Server, create_tokens, run_cli, server_env

RESULTS = base.RESULTS
ROOT = base.ROOT
EMAIL = f"member1@{base.DEMO}"
SEQUENTIAL = 200
WARM_UP = 10
CONCURRENCY = 8
SECONDS = 8.0
WEEK_AHEAD_DAYS = 120
TARGETS = {"week_median_ms": 12.0, "week_html_kb": 64.0, "week_per_s": 150.0, "day_per_s": 150.0}
HTMX = {"HX-Request": "true", "HX-Target": "calendar"}


class PageWire(base.Wire):
    """``booking_bench.Wire`` for pages: GET with extra headers; gzip asked for on demand."""

    async def get(
        self, path: str, token: str, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, dict[str, str]]:
        assert self.reader is not None
        assert self.writer is not None
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {token}\r\nAccept: text/html\r\n{extra}\r\n".encode()
        )
        status_line = await asyncio.wait_for(self.reader.readline(), base.HTTP_TIMEOUT_S)
        found: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            found[name.strip().lower()] = value.strip()
        body = await self.reader.readexactly(int(found.get("content-length", "0")))
        return int(status_line.split()[1]), body, found


def monday_ahead() -> date:
    day = base.today() + timedelta(days=WEEK_AHEAD_DAYS)
    return day - timedelta(days=day.weekday())


def addresses(monday: date) -> dict[str, tuple[str, dict[str, str]]]:
    path = "/hubs/bench-hub"
    return {
        "week": (f"{path}?view=week&date={monday}", {}),
        "next_week_partial": (f"{path}?view=week&date={monday + timedelta(days=7)}", HTMX),
        "day": (f"{path}?view=day&date={monday + timedelta(days=1)}", {}),
    }


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def one_at_a_time(
    url: str, token: str, path: str, headers: dict[str, str], pid: int | None = None
) -> dict:
    """Median and p95 one request at a time, the page's size and its gzip-compressed size,
    and the server's CPU time per request (``pid``: the server process)."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    size = 0
    cpu_at_start = 0.0
    async with PageWire(url) as wire:
        for i in range(WARM_UP + SEQUENTIAL):
            if i == WARM_UP and pid is not None:
                cpu_at_start = cpu_seconds(pid)
            began = time.perf_counter()
            status, body, _ = await wire.get(path, token, headers)
            elapsed = time.perf_counter() - began
            if i >= WARM_UP:
                latencies.append(elapsed)
                statuses[status] += 1
                size = len(body)
        cpu = (cpu_seconds(pid) - cpu_at_start) / SEQUENTIAL if pid is not None else None
        _, zipped, sent = await wire.get(path, token, {**headers, "Accept-Encoding": "gzip"})
    return {
        "requests": SEQUENTIAL,
        **base.summary_ms(latencies),
        "server_cpu_ms_per_request": round(cpu * 1000, 2) if cpu is not None else None,
        "html_bytes": size,
        "html_kb": round(size / 1024, 1),
        "gzip_bytes": len(zipped) if sent.get("content-encoding") == "gzip" else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


async def concurrently(url: str, token: str, path: str, headers: dict[str, str]) -> dict:
    """CONCURRENCY clients asking for the page back to back for SECONDS: requests/s."""
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    latencies: list[float] = []
    wires = [PageWire(url) for _ in range(CONCURRENCY)]
    async with contextlib.AsyncExitStack() as stack:
        for wire in wires:
            await stack.enter_async_context(wire)
            await wire.get(path, token, headers)  # warm
        began = time.perf_counter()
        deadline = began + SECONDS

        async def worker(wire: PageWire) -> None:
            for _ in range(base.MAX_PER_WORKER):
                if time.perf_counter() >= deadline:
                    return
                start = time.perf_counter()
                try:
                    status, _, _ = await wire.get(path, token, headers)
                except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                    errors[type(exc).__name__] += 1
                    return
                latencies.append(time.perf_counter() - start)
                statuses[status] += 1

        await asyncio.gather(*(worker(w) for w in wires))
        elapsed = time.perf_counter() - began
    ok = statuses[200]
    return {
        "clients": CONCURRENCY,
        "seconds": round(elapsed, 2),
        "requests": sum(statuses.values()),
        "per_s": round(ok / elapsed, 1),
        "non_200": sum(statuses.values()) - ok + sum(errors.values()),
        "latency": base.summary_ms(latencies) if latencies else {},
    }


async def query_counts(
    env: dict[str, str], token: str, pages: dict[str, tuple[str, dict[str, str]]]
) -> tuple[dict[str, int], dict[str, int]]:
    """Statements Piccolo sends for each page, the app run in-process on the same database:
    on a first visit (the section built) and on the next (the section kept)."""
    built: dict[str, int] = {}
    kept: dict[str, int] = {}
    auth = {"Authorization": f"Bearer {token}", "Accept": "text/html"}
    async with base.in_process(env) as client:
        await client.get("/hubs", headers=auth)  # the token's first use is recorded once
        for name, (path, headers) in pages.items():
            for counts in (built, kept):
                counts[name] = await base.statements(client, path, {**auth, **headers})
    return built, kept


async def bench_engine(engine_name: str) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"hub_booking_pages_{engine_name}_"))
    pg_name = None
    if engine_name == "postgres":
        pg_name = f"hub_booking_pages_{secrets.token_hex(4)}"
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
        print(f"[{engine_name}] seed-demo + {base.EXISTING} bookings", flush=True)
        run_cli(["seed-demo"], env, timeout=base.COMMAND_TIMEOUT_S)
        await db.start(db.use_database(url))
        started = True
        data = await base.build_dataset(datetime.now(UTC), random.Random(2027))
        if engine_name == "postgres":
            await Booking.raw("ANALYZE")
        token = create_tokens([EMAIL], env, name="pages bench")[EMAIL]
        pages = addresses(monday_ahead())
        result["dataset"] = {"hub": "bench-hub", "resources": base.RESOURCES, **data.counts}
        result["pages"] = {name: path for name, (path, _) in pages.items()}
        counted = await query_counts(env, token, pages)
        result["queries_per_page"], result["queries_per_page_kept"] = counted
        server = Server(env, workdir / "server.log", timeout=base.STARTUP_TIMEOUT_S)
        await asyncio.to_thread(server.start)
        week, partial, day = pages["week"], pages["next_week_partial"], pages["day"]
        pid = server.process.pid if server.process is not None else None
        print(f"[{engine_name}] (a) week, one at a time", flush=True)
        result["week"] = await one_at_a_time(server.url, token, *week, pid=pid)
        print(f"[{engine_name}] (b) week, {CONCURRENCY} clients", flush=True)
        result["week_concurrent"] = await concurrently(server.url, token, *week)
        print(f"[{engine_name}] (c) next week's htmx partial", flush=True)
        result["next_week_partial"] = await one_at_a_time(server.url, token, *partial, pid=pid)
        print(f"[{engine_name}] (d) day, {CONCURRENCY} clients", flush=True)
        result["day"] = await one_at_a_time(server.url, token, *day, pid=pid)
        result["day_concurrent"] = await concurrently(server.url, token, *day)
        result["targets"] = TARGETS
        result["meets"] = {
            "week_median_ms": result["week"]["median_ms"] <= TARGETS["week_median_ms"],
            "week_html_kb": result["week"]["html_kb"] <= TARGETS["week_html_kb"],
            "week_per_s": result["week_concurrent"]["per_s"] >= TARGETS["week_per_s"],
            "day_per_s": result["day_concurrent"]["per_s"] >= TARGETS["day_per_s"],
            "partial_smaller": result["next_week_partial"]["html_bytes"]
            < result["week"]["html_bytes"],
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
    out = RESULTS / f"pages_{engine_name}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(
        f"[{engine_name}] written {out.relative_to(ROOT)} in {result.get('seconds')} s", flush=True
    )
    return result


def table(results: list[dict[str, Any]]) -> str:
    def mark(r: dict[str, Any], key: str) -> str:
        return "ok" if r["meets"][key] else "MISSED"

    rows = [
        ("figure", "target", *(r["engine"] for r in results)),
        (
            "week page, median ms",
            "<= 12",
            *(f"{r['week']['median_ms']:.1f} {mark(r, 'week_median_ms')}" for r in results),
        ),
        ("week page, p95 ms", "", *(f"{r['week']['p95_ms']:.1f}" for r in results)),
        (
            "week page, server CPU ms/request",
            "",
            *(f"{r['week']['server_cpu_ms_per_request']}" for r in results),
        ),
        (
            "week page, KB (gzip B)",
            "<= 64",
            *(
                f"{r['week']['html_kb']} {mark(r, 'week_html_kb')} ({r['week']['gzip_bytes']})"
                for r in results
            ),
        ),
        (
            "week page, 8 clients, req/s",
            ">= 150",
            *(f"{r['week_concurrent']['per_s']} {mark(r, 'week_per_s')}" for r in results),
        ),
        (
            "next week partial, median ms",
            "",
            *(f"{r['next_week_partial']['median_ms']:.1f}" for r in results),
        ),
        (
            "next week partial, KB",
            "< week",
            *(f"{r['next_week_partial']['html_kb']}" for r in results),
        ),
        ("day page, median ms", "", *(f"{r['day']['median_ms']:.1f}" for r in results)),
        (
            "day page, server CPU ms/request",
            "",
            *(f"{r['day']['server_cpu_ms_per_request']}" for r in results),
        ),
        ("day page, KB", "", *(f"{r['day']['html_kb']}" for r in results)),
        (
            "day page, 8 clients, req/s",
            ">= 150",
            *(f"{r['day_concurrent']['per_s']} {mark(r, 'day_per_s')}" for r in results),
        ),
        (
            "SQL queries week/partial/day",
            "constant",
            *("/".join(str(v) for v in r["queries_per_page"].values()) for r in results),
        ),
        (
            "  the same, section kept",
            "",
            *("/".join(str(v) for v in r["queries_per_page_kept"].values()) for r in results),
        ),
    ]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    global SECONDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="length of (b) and (d)")
    args = parser.parse_args(argv)
    SECONDS = max(1.0, min(args.seconds, 30.0))
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    results = [asyncio.run(bench_engine(name)) for name in engines]
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
