"""Live-check benchmark: the booking form's check of a weekly 10-occurrence series.

    .venv/bin/python bench/check_bench.py [--engine sqlite|postgres|both] [--requests 200]

For each engine: the booking benchmark's data (``booking_bench.build_dataset``: a hub of 50
resources and 20,000 bookings over a year, after ``hub-booking seed-demo``) and one
``hub-booking serve`` process (1 worker). A demo member, signed in through the login form,
then asks, one request at a time on one keep-alive connection:

  (a) ``POST /bookings/check`` (the page endpoint, as htmx sends it: form-encoded, session
      cookie, CSRF header, ``HX-Target: booking-check``), which answers the HTML partial;
  (b) ``POST /api/v1/bookings/check`` with the same request as JSON and a Bearer token;

each for a series that is free (weekly on Tuesdays 14:00-15:00, ten times) and for one that
clashes every week (09:00-10:00, where the data's mornings are booked, so suggestions are
computed too). Medians and p95 go to ``bench/results/check_<engine>.json`` (target: median
<= 15 ms), with the number of SQL queries one check runs (counted in-process).
Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import booking_bench as base  # the booking benchmark's dataset, machine and database helpers

from hub_booking.db import engine as db
from hub_booking.db.tables import AppUser, Booking
from hub_booking.domain.bookings import BookingRequest
from hub_booking.services import accounts, bookings
from tests.servers import Server, create_tokens, run_cli, server_env

RESULTS = base.RESULTS
ROOT = base.ROOT
EMAIL = f"member1@{base.DEMO}"
PASSWORD = "demo-password-2026"
REQUESTS = 200
WARM_UP = 10
TARGET_MEDIAN_MS = 15.0
FIRST_DAY_OFFSET = 40  # inside the data's year, past the booking benchmark's own slots
HOURS = {"free": 14, "clashing": 9}


class Http:
    """A minimal keep-alive HTTP/1.1 client (see ``booking_bench.Wire``): pre-encoded
    requests, ``Content-Length`` bodies, cookies kept; nothing else."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.cookies: dict[str, str] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Http:
        await self.reopen()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def reopen(self) -> None:
        """A new connection (the server closes idle keep-alive ones after a few seconds)."""
        await self.close()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
            self.writer = None

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        assert self.reader is not None
        assert self.writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length, chunked = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return status, await (self._chunks() if chunked else self.reader.readexactly(length))

    async def _chunks(self) -> bytes:
        assert self.reader is not None
        body = b""
        while size := int((await self.reader.readline()).strip(), 16):
            body += await self.reader.readexactly(size)
            await self.reader.readline()
        await self.reader.readline()
        return body


def csrf_in(html: bytes) -> str:
    found = re.search(rb'name="_csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1).decode()


async def sign_in(http: Http) -> str:
    """Sign in through the login form; the CSRF token of the signed-in session."""
    _, page = await http.request("GET", "/login")
    form = urlencode({"email": EMAIL, "password": PASSWORD, "_csrf_token": csrf_in(page)})
    status, _ = await http.request(
        "POST",
        "/login",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 303, f"sign-in answered {status}"
    status, page = await http.request("GET", "/bookings/new?hub=bench-hub")
    assert status == 200, f"the booking form answered {status}"
    return csrf_in(page)


def first_tuesday() -> date:
    day = base.today() + timedelta(days=FIRST_DAY_OFFSET)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def form_of(association_id: int, resource_id: int, hour: int) -> dict[str, Any]:
    day = first_tuesday()
    return {
        "hub": "bench-hub",
        "association_id": association_id,
        "resource_id": resource_id,
        "date": day.isoformat(),
        "start": f"{hour:02d}:00",
        "end": f"{hour + 1:02d}:00",
        "title": "Cours hebdomadaire",
        "attendees": 10,
        "repeat": "weekly",
        "days": "TU",
        "ends": "count",
        "count": 10,
    }


def body_of(association_id: int, resource_id: int, hour: int) -> dict[str, Any]:
    day = first_tuesday()
    start = datetime(day.year, day.month, day.day, hour, tzinfo=base.ZONE).astimezone(UTC)
    return {
        "association_id": association_id,
        "title": "Cours hebdomadaire",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "attendees": 10,
        "items": [{"resource_id": resource_id, "quantity": 1}],
        "recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=10"},
    }


async def timed(http: Http, requests: int, *args: Any, expect: bytes) -> dict[str, Any]:
    """``requests`` identical requests after a warm-up; latency summary and statuses."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    answer = b""
    await http.reopen()
    for i in range(WARM_UP + requests):
        began = time.perf_counter()
        status, answer = await http.request(*args)
        elapsed = time.perf_counter() - began
        if i >= WARM_UP:
            latencies.append(elapsed)
            statuses[status] += 1
    assert expect in answer, answer[:500]
    return {
        "requests": requests,
        **base.summary_ms(latencies),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "bytes": len(answer),
    }


async def measure(url: str, token: str, association_id: int, resource_id: int, n: int) -> dict:
    """(a) and (b) for the free and the clashing series."""
    found: dict[str, Any] = {}
    async with Http(url) as page, Http(url) as api:
        csrf = await sign_in(page)
        form_headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "HX-Request": "true",
            "HX-Target": "booking-check",
            "x-csrftoken": csrf,
        }
        api_headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        for case, hour in HOURS.items():
            form = urlencode(form_of(association_id, resource_id, hour)).encode()
            body = json.dumps(body_of(association_id, resource_id, hour)).encode()
            marker = b'id="check-ok"' if case == "free" else b'id="suggestions"'
            found[f"page_{case}"] = await timed(
                page, n, "POST", "/bookings/check", form, form_headers, expect=marker
            )
            ok = b'"ok":true' if case == "free" else b'"next_slots":[{'
            found[f"api_{case}"] = await timed(
                api, n, "POST", "/api/v1/bookings/check", body, api_headers, expect=ok
            )
    return found


async def queries_per_check(association_id: int, resource_id: int) -> dict[str, int]:
    """SQL queries one ``bookings.assess`` runs (in-process, server stopped)."""
    user = await AppUser.select(AppUser.id).where(AppUser.email == EMAIL).first()
    assert user is not None
    principal = await accounts.load_principal(user["id"])
    assert principal is not None
    engine_class = type(db.current())
    original = engine_class.run_querystring
    counted = Counter[str]()

    async def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        counted["n"] += 1
        return await original(self, *args, **kwargs)

    found = {}
    engine_class.run_querystring = counting  # type: ignore[method-assign]
    try:
        for case, hour in HOURS.items():
            body = body_of(association_id, resource_id, hour)
            start = datetime.fromisoformat(body["starts_at"])
            request = BookingRequest(
                association_id=association_id,
                title=body["title"],
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                attendees=10,
                items={resource_id: 1},
                rrule=body["recurrence"]["rrule"],
            )
            counted.clear()
            await bookings.assess(principal, request, datetime.now(UTC))
            found[case] = counted["n"]
    finally:
        engine_class.run_querystring = original  # type: ignore[method-assign]
    return found


async def bench_engine(engine_name: str, requests: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"hub_booking_check_{engine_name}_"))
    pg_name = None
    if engine_name == "postgres":
        pg_name = f"hub_booking_check_{secrets.token_hex(4)}"
        await base._pg_admin(f'CREATE DATABASE "{pg_name}"')
        url = base._with_db(base.PG_SERVER, pg_name)
    else:
        url = f"sqlite:///{workdir / 'check.sqlite3'}"
    env = server_env(url, workdir / "var")
    server: Server | None = None
    engine = None
    result: dict[str, Any] = {"engine": engine_name, "machine": base.machine()}
    try:
        print(f"[{engine_name}] migrate + seed-demo + bench hub", flush=True)
        run_cli(["seed-demo"], env, timeout=base.COMMAND_TIMEOUT_S)
        engine = db.use_database(url)
        await db.start(engine)
        data = await base.build_dataset(datetime.now(UTC), random.Random(2027))
        if engine_name == "postgres":
            await Booking.raw("ANALYZE")
        token = create_tokens([EMAIL], env, name="check-bench")[EMAIL]
        user = await AppUser.select(AppUser.id).where(AppUser.email == EMAIL).first()
        assert user is not None
        principal = await accounts.load_principal(user["id"])
        assert principal is not None
        association_id, resource_id = next(iter(principal.memberships)), data.resource_ids[0]
        result["dataset"] = {
            "hub_id": data.hub_id,
            **data.counts,
            "first_day": str(first_tuesday()),
        }
        server = Server(env, workdir / "server.log", timeout=base.STARTUP_TIMEOUT_S)
        await asyncio.to_thread(server.start)
        print(f"[{engine_name}] {requests} checks per case", flush=True)
        result.update(await measure(server.url, token, association_id, resource_id, requests))
        server.stop()
        result["queries_per_assess"] = await queries_per_check(association_id, resource_id)
        medians = {
            k: v["median_ms"] for k, v in result.items() if isinstance(v, dict) and "median_ms" in v
        }
        result["target_median_ms"] = TARGET_MEDIAN_MS
        result["meets"] = {k: m <= TARGET_MEDIAN_MS for k, m in medians.items()}
        result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        result["load_average_1_5_15"] = list(os.getloadavg())  # the 2 cores are shared
    finally:
        if server is not None:
            server.stop()
        if engine is not None:
            await db.stop(engine)
        if pg_name is not None:
            await base._pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"check_{engine_name}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"[{engine_name}] written {out.relative_to(ROOT)}", flush=True)
    return result


def table(results: list[dict[str, Any]]) -> str:
    cases = ("page_free", "api_free", "page_clashing", "api_clashing")
    rows = [("median ms (p95)", *(r["engine"] for r in results))]
    for case in cases:
        rows.append(
            (case, *(f"{r[case]['median_ms']:.1f} ({r[case]['p95_ms']:.1f})" for r in results))
        )
    rows.append(("queries per assess", *(str(r["queries_per_assess"]) for r in results)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--requests", type=int, default=REQUESTS, help="measured per case")
    args = parser.parse_args(argv)
    requests = max(10, min(args.requests, 5000))
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    results = [asyncio.run(bench_engine(name, requests)) for name in engines]
    print()
    print(f"target: median <= {TARGET_MEDIAN_MS:g} ms")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
