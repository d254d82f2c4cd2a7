"""The dispatcher: claim due notifications, send each, record each delivery at once.

Exactly once, as far as SMTP allows: a row is claimed atomically for a lease (see
``db.claims``), so two workers never hold it together; it is marked sent right after the
server accepted it, naming the claim, so a worker that lost its lease changes nothing; a
claim older than the lease is due again, so rows held by a worker that died are sent by
another. The only window for a duplicate is a crash after the message's last byte went
to the server and before that mark (one SMTP reply and one database write; at most one
message, as a worker sends one at a time): no protocol commits to SMTP and to the
database at once. The Message-ID is derived from the idempotency key, so a duplicate is
the same message to mail clients. A claim is not used past half its lease. For speed the
next letter is drafted and composed while the server handles the current message, and a
batch keeps one SMTP connection and one database connection for its marks; marks stay one
per message, each committed before the next message's first byte goes to the server.

A reader who turned a group of mails off (``services.preferences``) gets none of them: the
row is marked done unsent (``muted``) and stays in their in-app list.

A failed send counts an attempt, keeps the error and is retried with exponential backoff;
after ``MAX_ATTEMPTS`` (or at once for a permanent refusal) the row is ``failed``. A
connection failure (refused, dropped, timed out) fails the rest of the batch the same way
without trying each row against a dead server. Nothing here raises for one bad row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosmtplib

from hub_booking.db import claims as db
from hub_booking.db import preferences
from hub_booking.db.outbox import Claimed
from hub_booking.mail import Mailer, Outgoing, Send, Undeliverable, compose
from hub_booking.services import letters, messages
from hub_booking.services.preferences import mailed

log = logging.getLogger("hub_booking.dispatch")

MAX_ATTEMPTS = 8
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=2)
LEASE = timedelta(minutes=10)
BATCH = 100
BUDGET = timedelta(seconds=25)  # one run stops claiming after this (the job runs every 30 s)
# The server is unreachable, hung or gone: every row of the batch would fail alike.
CONNECTION_ERRORS = (
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPTimeoutError,
    TimeoutError,
    OSError,
)


@dataclass
class Report:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    postponed: int = 0
    withdrawn: int = 0
    muted: int = 0  # not mailed: its reader turned such mails off (kept in-app)
    lost: int = 0  # sent, but the claim had been taken over (should stay 0)


@dataclass(frozen=True)
class _Batch:
    """What the messages of one batch share."""

    report: Report
    memo: letters.Memo
    chosen: dict[int, preferences.Stored]
    mark: db.MarkSent


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failures: 1, 2, 4 … minutes, at most 2 h."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


class Dispatcher:
    def __init__(
        self,
        mailer: Mailer,
        base_url: str,
        clock: Callable[[], datetime],
        *,
        lease: timedelta = LEASE,
        batch: int = BATCH,
        budget: timedelta = BUDGET,
    ) -> None:
        self.mailer, self.base_url, self.clock = mailer, base_url, clock
        self.lease, self.batch, self.budget = lease, batch, budget
        self.stopping = asyncio.Event()

    def stop(self) -> None:
        """Finish the message in hand, give the rest of the batch back, and return."""
        self.stopping.set()

    async def run(self) -> Report:
        """Send what is due, batch after batch, until nothing is due or the budget is spent."""
        report = Report()
        started = self.clock()
        while not self.stopping.is_set():
            claims = await db.claim(self.clock(), self.batch, self.lease)
            if not claims:
                break
            await self._batch(claims, report)
            if len(claims) < self.batch or self.clock() - started > self.budget:
                break
        return report

    async def _batch(self, claims: list[Claimed], report: Report) -> None:
        """One SMTP connection, one message at a time, each marked sent once the server
        accepted it and before the next goes out: at most one message is ever between the
        server's acceptance and its mark."""
        memo = letters.Memo()
        await memo.prefetch(claims)
        chosen = await preferences.of_users([c.user_id for c in claims])
        async with self.mailer.session() as send, db.sent_marks() as mark:
            batch, message = _Batch(report, memo, chosen, mark), None
            for index, claimed in enumerate(claims):
                if self.stopping.is_set() or self.clock() - claimed.claimed_at > self.lease / 2:
                    await db.release(claims[index:])  # what was settled stays settled
                    return
                if index == 0:
                    message = await self._prepare(claimed, batch)
                following = claims[index + 1] if index + 1 < len(claims) else None
                if message is None:  # settled without a mail
                    message = await self._prepare(following, batch) if following else None
                    continue
                error, upcoming = await self._send(send, message, following, batch)
                if isinstance(error, CONNECTION_ERRORS):
                    log.warning("mail server unavailable: %s", _describe(error))
                    settled = following is not None and upcoming is None
                    rest = [claimed, *claims[index + 2 :]] if settled else claims[index:]
                    for row in rest:
                        await self._retry(row, error, report)
                    return
                await self._record(claimed, error, batch)
                message = upcoming

    async def _send(
        self, send: Send, message: Outgoing, following: Claimed | None, batch: _Batch
    ) -> tuple[Exception | None, Outgoing | None]:
        """Send a message and, while the server handles it, prepare the next one (CPU work):
        the send's error (None once accepted) and the next message."""
        sending = asyncio.ensure_future(send(message))
        try:
            upcoming = await self._prepare(following, batch) if following else None
        except BaseException:
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sending
            raise
        try:
            await sending
        except Exception as exc:
            return exc, upcoming
        return None, upcoming

    async def _record(self, claimed: Claimed, error: Exception | None, batch: _Batch) -> None:
        """What became of one message: sent, refused for good, or to try again."""
        if error is None:
            await self._mark_sent(claimed, batch)
        elif isinstance(error, Undeliverable):
            await self._give_up(claimed, error, batch.report)
        else:  # a refusal worth retrying
            await self._retry(claimed, error, batch.report)

    async def _prepare(self, claimed: Claimed, batch: _Batch) -> Outgoing | None:
        """The message to send, or None when there is none to send now (withdrawn, not yet
        due, turned off by its reader, or a fault of this one row, recorded)."""
        now, report = self.clock(), batch.report
        try:
            if not mailed(claimed.kind, batch.chosen.get(claimed.user_id)):
                await batch.mark(claimed, now)  # kept for the in-app list, not mailed
                report.muted += 1
                return None
            outcome = await letters.draft(
                claimed, now, self.base_url, self.mailer.sender, batch.memo
            )
            if isinstance(outcome, messages.Withdrawn):
                await db.drop(claimed)
                report.withdrawn += 1
                return None
            if isinstance(outcome, messages.NotYet):
                await db.release([claimed], outcome.due)
                report.postponed += 1
                return None
            return compose(
                outcome.letter,
                sender=self.mailer.sender,
                to=(outcome.recipient.name, outcome.recipient.email),
                message_key=claimed.key,
                unsubscribe=messages.unsubscribe_url(self.base_url),
                now=now,
                invitation=outcome.invitation,
                headers={"X-Hub-Booking-Notification": str(claimed.id)},
            )
        except Undeliverable as exc:
            await self._give_up(claimed, exc, report)
        except Exception as exc:  # a fault in one row's data: retried, the rest go on
            await self._retry(claimed, exc, report)
        return None

    async def _mark_sent(self, claimed: Claimed, batch: _Batch) -> None:
        if await batch.mark(claimed, self.clock()):
            batch.report.sent += 1
        else:
            batch.report.lost += 1
            log.error("notification %s was sent after its claim was taken over", claimed.id)

    async def _retry(self, claimed: Claimed, exc: BaseException, report: Report) -> None:
        attempts = claimed.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            await self._give_up(claimed, exc, report)
            return
        now = self.clock()
        await db.mark_failed(claimed, _describe(exc), now, now + backoff(attempts))
        report.retrying += 1

    async def _give_up(self, claimed: Claimed, exc: BaseException, report: Report) -> None:
        log.warning("notification %s failed for good: %s", claimed.id, _describe(exc))
        await db.mark_failed(claimed, _describe(exc), self.clock(), None)
        report.failed += 1


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]
