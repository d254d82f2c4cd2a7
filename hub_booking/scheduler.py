"""APScheduler wiring only: when each job runs. Each job is one call into the services.

APScheduler is a ticker here, with an in-memory job store: the truth is in the database
(the outbox rows claimed atomically, their unique keys), so several processes ticking at
once still send each message once (PITFALLS.md). ``coalesce`` and ``max_instances=1`` make
a worker that was stopped or slow run a late job once, not once per missed tick.

Jobs: dispatch due notifications (every 30 s, and at start), expire pending requests whose
start has passed (every minute), keep reminders on their booking's time (every 5 minutes),
queue the managers' daily digests (checked every minute, due at 07:30 on each hub's clock),
pass lapsed waitlist holds on and offer freed slots (every minute), release the rest of the
slot of bookings nobody checked in to where the hub requires it (every minute).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from hub_booking import zones
from hub_booking.clock import utc_now
from hub_booking.mail import Mailer, mailer_for
from hub_booking.services import booking_changes, no_shows, notifications, waitlist
from hub_booking.services.dispatch import LEASE, Dispatcher
from hub_booking.settings import Settings

log = logging.getLogger("hub_booking.scheduler")

DISPATCH_EVERY_S = 30.0
MISFIRE_GRACE_S = 60
STOP_TIMEOUT_S = 40.0


class Worker:
    """The scheduled jobs of one process (the web app's, or ``hub-booking worker``)."""

    def __init__(
        self,
        settings: Settings,
        clock: Callable[[], datetime] = utc_now,
        *,
        mailer: Mailer | None = None,
        dispatch_every: float = DISPATCH_EVERY_S,
        lease: timedelta = LEASE,
    ) -> None:
        self.settings, self.clock = settings, clock
        waitlist.configure(settings)
        self.dispatch_every = dispatch_every
        self.dispatcher = Dispatcher(
            mailer or mailer_for(settings), settings.base_url, clock, lease=lease
        )
        self._running: set[asyncio.Task[Any]] = set()
        self._scheduler: AsyncIOScheduler | None = None

    def jobs(self) -> dict[str, Callable[[], Awaitable[Any]]]:
        return {
            "dispatch": self.dispatcher.run,
            "expire": lambda: booking_changes.expire_pending(self.clock()),
            "reminders": lambda: notifications.replan_reminders(self.clock()),
            "digests": lambda: notifications.queue_digests(self.clock()),
            "waitlist": lambda: waitlist.tick(self.clock()),
            "no_shows": lambda: no_shows.release(self.clock()),
        }

    def start(self) -> None:
        """Start ticking in the running event loop; the dispatch job runs at once."""
        zone = zones.get_zone(self.settings.timezone)
        scheduler = AsyncIOScheduler(
            jobstores={"default": MemoryJobStore()},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE_S,
            },
            timezone=zone,
        )
        every = {
            "dispatch": self.dispatch_every,
            "expire": 60.0,
            "reminders": 300.0,
            "digests": 60.0,
            "waitlist": 60.0,
            "no_shows": 60.0,
        }
        for name, job in self.jobs().items():
            # next_run_time=None would add the job paused: leave it out for the others.
            first = {"next_run_time": datetime.now(zone)} if name == "dispatch" else {}
            scheduler.add_job(
                self._guarded(name, job), "interval", seconds=every[name], id=name, **first
            )
        scheduler.start()
        self._scheduler = scheduler
        log.info("scheduler started (%s)", ", ".join(every))

    def _guarded(
        self, name: str, job: Callable[[], Awaitable[Any]]
    ) -> Callable[[], Awaitable[None]]:
        """The job, logged and never raising (a failed run is retried at the next tick)."""

        async def run() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                result = await job()
                log.debug("job %s: %s", name, result)
            except Exception:
                log.exception("job %s failed; it runs again at its next tick", name)
            finally:
                if task is not None:
                    self._running.discard(task)

        return run

    async def run_once(self) -> dict[str, Any]:
        """Every job once, in order (for tests and benchmarks)."""
        return {name: await job() for name, job in self.jobs().items()}

    async def stop(self) -> None:
        """Stop ticking; the dispatcher finishes the message in hand and gives back the rest."""
        self.dispatcher.stop()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self._running:
            await asyncio.wait(list(self._running), timeout=STOP_TIMEOUT_S)
        self._scheduler = None
