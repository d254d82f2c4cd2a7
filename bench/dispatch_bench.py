"""Dispatch benchmark: mails per second from one worker, and the scheduler's idle CPU.

    .venv/bin/python bench/dispatch_bench.py [--engine sqlite|postgres|both] [--mails 2000]

For each engine: a fresh database (a temporary SQLite file, or a new PostgreSQL database
``hub_booking_bench_<random>`` created and dropped on the ``postgres`` database), migrated,
with the tests' fixed cast (a hub, its manager, two associations and their members). Then:

  (a) throughput: ``--mails`` "booking approved" notifications over 100 approved bookings,
      each to the requester (French) or the representative (Arabic), every one rendered in
      text and HTML with its .ics invitation, sent by one ``Dispatcher`` (the worker's) to a
      local aiosmtpd on 127.0.0.1 in its own process (``python -m tests.smtp``): mails/s,
      counted at the server, duplicates by Message-ID (target >= 200);
  (b) idle CPU: the scheduler of ``hub-booking worker`` (every job: dispatch every 30 s,
      expiry, reminders, digests, the waitlist's sweep, no-shows) running for ``--idle``
      seconds with nothing due, the mail
      server stopped: CPU seconds of this process / wall seconds (target < 1 % of one core).

Figures go to ``bench/results/dispatch_<engine>.json`` with the machine's description.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hub_booking.cli import migrate  # noqa: E402
from hub_booking.db import engine as db  # noqa: E402
from hub_booking.db import outbox  # noqa: E402
from hub_booking.db.tables import AppUser  # noqa: E402
from hub_booking.mail import SmtpMailer  # noqa: E402
from hub_booking.scheduler import Worker  # noqa: E402
from hub_booking.services.dispatch import Dispatcher  # noqa: E402
from hub_booking.settings import Settings  # noqa: E402
from tests import factories  # noqa: E402
from tests.servers import free_port  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PG_SERVER = os.environ.get(
    "HUB_BOOKING_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SENDER = "hub-booking <no-reply@hub-booking.test>"
TARGET_MAILS_PER_S = 200.0
TARGET_IDLE_CPU = 0.01
BOOKINGS = 100


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def prepare(now: datetime, mails: int) -> None:
    cast = await factories.make_cast("bench-secret-" + "x" * 32, now)
    await AppUser.update({AppUser.language: "ar"}).where(AppUser.id == cast.users["rep_a"])
    readers = [cast.users["member_a"], cast.users["rep_a"]]
    bookings = [
        await factories.make_booking(now, cast, status="approved", title=f"Atelier {n}")
        for n in range(BOOKINGS)
    ]
    for n in range(mails):
        booking = bookings[n % BOOKINGS]
        payload = {"booking_id": booking, "revision": 0, "by": cast.users["manager"]}
        await outbox.enqueue(
            readers[n % 2], "approved", payload, f"bench:{n}", now, booking_id=booking
        )


async def throughput(mails: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    await prepare(now, mails)
    port = free_port()
    sink = subprocess.Popen(  # noqa: ASYNC220 - started once, before the measurement
        [sys.executable, "-m", "tests.smtp", str(port)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert sink.stdout is not None
        assert sink.stdout.readline().strip() == "ready"
        dispatcher = Dispatcher(
            SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER),
            "https://hubs.example.ma",
            lambda: datetime.now(UTC),
            budget=timedelta(hours=1),
        )
        started, cpu = time.perf_counter(), cpu_seconds()
        report = await dispatcher.run()
        elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    finally:
        sink.terminate()
        out, _ = sink.communicate(timeout=60)
    counted = json.loads(out.strip().splitlines()[-1])
    return {
        "mails": mails,
        "sent": report.sent,
        "received_at_server": counted["received"],
        "duplicates": counted["received"] - counted["distinct"],
        "seconds": round(elapsed, 3),
        "mails_per_s": round(counted["received"] / elapsed, 1),
        "target_mails_per_s": TARGET_MAILS_PER_S,
        # The worker's own CPU: what it costs per mail whatever else loads the machine.
        "worker_cpu_seconds": round(cpu, 3),
        "mails_per_cpu_second": round(counted["received"] / cpu, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


async def idle_cpu(settings: Settings, seconds: float) -> dict[str, Any]:
    """The scheduler as ``hub-booking worker`` runs it, from its start (its first dispatch
    run included), with nothing due; then the CPU of one run of every job, since the
    minute-long intervals may not fire within the window."""
    cpu, wall = cpu_seconds(), time.perf_counter()
    worker = Worker(settings)
    worker.start()
    await asyncio.sleep(seconds)
    used, elapsed = cpu_seconds() - cpu, time.perf_counter() - wall
    await worker.stop()
    jobs = {}
    for name, job in Worker(settings).jobs().items():
        before = cpu_seconds()
        await job()
        jobs[name] = round((cpu_seconds() - before) * 1000, 2)
    # Each minute: two dispatch runs, one expiry, one digest check, a fifth of a replan, one
    # waitlist sweep and one no-show check.
    per_minute = 2 * jobs["dispatch"] + jobs["expire"] + jobs["digests"] + jobs["reminders"] / 5
    per_minute += jobs["waitlist"] + jobs["no_shows"]
    return {
        "seconds": round(elapsed, 2),
        "cpu_seconds": round(used, 4),
        "share_of_one_core": round(used / elapsed, 5),
        "job_run_cpu_ms": jobs,
        "steady_share_of_one_core": round(per_minute / 60_000, 6),
        "target_share": TARGET_IDLE_CPU,
    }


async def run_engine(engine: str, mails: int, idle: float) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="hub_booking_dispatch_"))
    name = f"hub_booking_bench_{secrets.token_hex(4)}"
    if engine == "postgres":
        await _admin(f'CREATE DATABASE "{name}"')
        url = PG_SERVER.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    settings = Settings(database_url=url, secret_key="b" * 40, var_dir=workdir, smtp_url=None)
    try:
        await migrate(settings, quiet=True)
        async with db.open_database(url):
            figures = {"throughput": await throughput(mails)}
            figures["idle"] = await idle_cpu(settings, idle)
    finally:
        if engine == "postgres":
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return {"engine": engine, "machine": machine(), **figures, "meets": meets(figures)}


def meets(figures: dict[str, Any]) -> dict[str, bool]:
    return {
        "mails_per_s": figures["throughput"]["mails_per_s"] >= TARGET_MAILS_PER_S,
        "no_duplicates": figures["throughput"]["duplicates"] == 0,
        "idle_cpu": max(
            figures["idle"]["share_of_one_core"], figures["idle"]["steady_share_of_one_core"]
        )
        < TARGET_IDLE_CPU,
    }


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_SERVER)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of idle measurement")
    args = parser.parse_args(argv)
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    RESULTS.mkdir(parents=True, exist_ok=True)
    ok = True
    for engine in engines:
        result = asyncio.run(run_engine(engine, args.mails, args.idle))
        out = RESULTS / f"dispatch_{engine}.json"
        out.write_text(json.dumps(result, indent=2) + "\n")
        t, i = result["throughput"], result["idle"]
        print(
            f"{engine}: {t['mails_per_s']} mails/s ({t['received_at_server']} in {t['seconds']} s, "
            f"{t['mails_per_cpu_second']} per CPU second of the worker, "
            f"{t['duplicates']} duplicates); idle CPU {i['share_of_one_core'] * 100:.3f} % "
            f"of one core -> {out.relative_to(ROOT)}"
        )
        ok = ok and all(result["meets"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
