"""Login benchmark: does a burst of sign-ins leave the rest of the app responsive?

    .venv/bin/python bench/login_bench.py [--engine sqlite|postgres|both] [--logins 40]

For each engine: a fresh database (a temporary SQLite file, or a new PostgreSQL database
``hub_booking_login_bench_<random>`` created and dropped on the ``postgres`` database), one
``hub-booking serve`` process (1 worker, ``tests/servers.py``) and N users with a password.
The server trusts 127.0.0.1 as its reverse proxy and each sign-in names its own client
address in ``X-Forwarded-For``: N people signing in, not one address guessing (which the
per-address throttle would stop after 20 attempts, as it should).
``GET /healthz`` is polled back to back, first alone (the baseline), then while N sign-ins
(``POST /login`` with the CSRF token of a ``GET /login``) run at once. Each sign-in costs an
argon2 verification (tens of milliseconds of CPU, 64 MiB); they run in the server's bounded
hashing pool, so the event loop, and /healthz with it, must stay fast.

Figures (healthz median, p95 and max in ms, alone and during the burst; sign-in statuses
and durations) go to ``bench/results/login_<engine>.json`` and are printed. Only 127.0.0.1
is ever contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from anywhere: the package is installed editable anyway

from hub_booking.db import engine as db  # noqa: E402
from hub_booking.db.tables import AppUser  # noqa: E402
from hub_booking.services import passwords  # noqa: E402
from tests.servers import Server, free_port, server_env  # noqa: E402

PG_SERVER = os.environ.get(
    "HUB_BOOKING_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
RESULTS = ROOT / "bench" / "results"
PASSWORD = "bench password 2027"
BASELINE_S = 3.0
POLL_PAUSE_S = 0.01
HTTP_TIMEOUT_S = 60.0
STARTUP_TIMEOUT_S = 60.0
TARGET_MS = 100.0
CSRF_INPUT = re.compile(rb'name="_csrf_token" value="([^"]+)"')


# --- a minimal HTTP/1.1 client: the load generator shares the cores with the server -------


class Wire:
    """One keep-alive connection; pre-encoded requests, ``Content-Length`` bodies only."""

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
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, dict[str, list[str]], bytes]:
        assert self.reader is not None
        assert self.writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status_line = await asyncio.wait_for(self.reader.readline(), HTTP_TIMEOUT_S)
        found: dict[str, list[str]] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            found.setdefault(name.strip().lower(), []).append(value.strip())
        length = int(found.get("content-length", ["0"])[0])
        return int(status_line.split()[1]), found, await self.reader.readexactly(length)


# --- figures ------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary_ms(values: list[float]) -> dict[str, float]:
    return {
        "count": len(values),
        "median_ms": round(statistics.median(values) * 1000, 2),
        "p95_ms": round(percentile(values, 0.95) * 1000, 2),
        "max_ms": round(max(values) * 1000, 2),
    }


def machine() -> dict[str, Any]:
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


# --- the bench ----------------------------------------------------------------------------


async def poll_healthz(url: str, stop: asyncio.Event, max_seconds: float) -> list[float]:
    """``GET /healthz`` back to back (a short pause between) until ``stop`` or the deadline."""
    latencies: list[float] = []
    deadline = time.perf_counter() + max_seconds
    async with Wire(url) as wire:
        while not stop.is_set() and time.perf_counter() < deadline:
            began = time.perf_counter()
            status, _, _ = await wire.request("GET", "/healthz")
            latencies.append(time.perf_counter() - began)
            if status != 200:
                raise RuntimeError(f"/healthz answered {status}")
            await asyncio.sleep(POLL_PAUSE_S)
    return latencies


async def login_form(url: str) -> tuple[str, str]:
    """The CSRF cookie and the form's token of a fresh ``GET /login``."""
    async with Wire(url) as wire:
        status, headers, body = await wire.request("GET", "/login", {"Accept": "text/html"})
    cookies = headers.get("set-cookie", [])
    cookie = next(c.split(";")[0] for c in cookies if c.startswith("hb_csrf="))
    match = CSRF_INPUT.search(body)
    if status != 200 or match is None:
        raise RuntimeError(f"GET /login answered {status} without a CSRF token")
    return cookie, match.group(1).decode()


async def sign_in(url: str, n: int, email: str, cookie: str, token: str) -> tuple[int, float]:
    form = urlencode({"email": email, "password": PASSWORD, "_csrf_token": token}).encode()
    headers = {
        "X-Forwarded-For": f"198.51.100.{n % 250 + 1}",  # each person from their own address
        "Cookie": cookie,
        "Origin": url,
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "text/html",
    }
    began = time.perf_counter()
    async with Wire(url) as wire:
        status, _, _ = await wire.request("POST", "/login", headers, form)
    return status, time.perf_counter() - began


async def add_users(count: int) -> list[str]:
    """``count`` users sharing one password (hashed once: the bench measures the server)."""
    hashed = passwords.hash_now(PASSWORD)
    now = datetime.now(UTC)
    emails = [f"bench{n}@example.org" for n in range(count)]
    await AppUser.insert(
        *(AppUser(email=e, name=e, password_hash=hashed, created_at=now) for e in emails)
    )
    return emails


async def burst(url: str, emails: list[str]) -> dict[str, Any]:
    forms = [await login_form(url) for _ in emails]  # prepared before the clock starts
    stop = asyncio.Event()
    poller = asyncio.create_task(poll_healthz(url, stop, HTTP_TIMEOUT_S))
    await asyncio.sleep(0.2)  # the poller is running before the burst starts
    began = time.perf_counter()
    answers = await asyncio.gather(
        *(
            sign_in(url, n, email, *form)
            for n, (email, form) in enumerate(zip(emails, forms, strict=True))
        )
    )
    elapsed = time.perf_counter() - began
    stop.set()
    healthz = await poller
    return {
        "logins": len(emails),
        "statuses": dict(Counter(str(status) for status, _ in answers)),
        "burst_seconds": round(elapsed, 2),
        "login": summary_ms([seconds for _, seconds in answers]),
        "healthz": summary_ms(healthz),
    }


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_SERVER, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def bench_engine(engine_name: str, logins: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"hub_booking_login_bench_{engine_name}_"))
    pg_name = None
    if engine_name == "postgres":
        pg_name = f"hub_booking_login_bench_{secrets.token_hex(4)}"
        await _pg_admin(f'CREATE DATABASE "{pg_name}"')
        url = urlunsplit(urlsplit(PG_SERVER)._replace(path="/" + pg_name))
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    port = free_port()
    env = server_env(
        url,
        workdir / "var",
        {
            "HUB_BOOKING_BASE_URL": f"http://127.0.0.1:{port}",
            # As behind a reverse proxy: the bench speaks for many people at many addresses
            # (one address would meet the per-address throttle, as it should).
            "HUB_BOOKING_TRUSTED_PROXIES": "127.0.0.1",
        },
    )
    server = Server(env, workdir / "server.log", port=port, timeout=STARTUP_TIMEOUT_S)
    engine = None
    result: dict[str, Any] = {"engine": engine_name, "machine": machine()}
    try:
        await asyncio.to_thread(server.start)  # migrates first
        engine = db.use_database(url)
        await db.start(engine)
        emails = await add_users(logins)
        print(f"[{engine_name}] /healthz alone for {BASELINE_S:g} s", flush=True)
        result["baseline_healthz"] = summary_ms(
            await poll_healthz(server.url, asyncio.Event(), BASELINE_S)
        )
        print(f"[{engine_name}] {logins} sign-ins at once, /healthz polled", flush=True)
        result["during_logins"] = burst_result = await burst(server.url, emails)
        result["target_ms"] = TARGET_MS
        result["meets"] = burst_result["healthz"]["max_ms"] <= TARGET_MS
        result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    finally:
        server.stop()
        if engine is not None:
            await db.stop(engine)
        if pg_name is not None:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"login_{engine_name}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"[{engine_name}] written {out.relative_to(ROOT)}", flush=True)
    return result


def report(result: dict[str, Any]) -> str:
    alone, during = result["baseline_healthz"], result["during_logins"]
    verdict = "ok" if result["meets"] else "MISSED"
    return "\n".join(
        (
            f"{result['engine']}: {during['logins']} sign-ins in {during['burst_seconds']} s, "
            f"statuses {during['statuses']}, sign-in median {during['login']['median_ms']} ms",
            f"  /healthz alone:  median {alone['median_ms']} ms, p95 {alone['p95_ms']} ms, "
            f"max {alone['max_ms']} ms",
            f"  /healthz during: median {during['healthz']['median_ms']} ms, "
            f"p95 {during['healthz']['p95_ms']} ms, max {during['healthz']['max_ms']} ms "
            f"(target max <= {TARGET_MS:g} ms: {verdict})",
        )
    )


async def main_async(engines: list[str], logins: int) -> list[dict[str, Any]]:
    return [await bench_engine(name, logins) for name in engines]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--logins", type=int, default=40, help="sign-ins started at once")
    args = parser.parse_args(argv)
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    results = asyncio.run(main_async(engines, max(1, min(args.logins, 200))))
    print()
    for result in results:
        print(report(result))
    return 0 if all(r["meets"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
