"""The dispatcher against a real SMTP server: claims are exclusive, failures are counted and
retried, a hung server times out, and nothing is lost or sent twice."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from hub_booking.db import claims, outbox
from hub_booking.db.tables import AppUser, Notification
from hub_booking.mail import FileMailer, Outgoing, SmtpMailer
from hub_booking.services import dispatch
from hub_booking.services.dispatch import Dispatcher
from tests.conftest import NOW
from tests.smtp import MailSink, silent_server

SENDER = "hub-booking <no-reply@hub-booking.test>"
BASE = "https://hubs.example.ma"


class Clock:
    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        return self.now


async def queue(user_id: int, count: int, prefix: str = "n") -> None:
    for n in range(count):
        payload = {"email": f"person{n}@example.org", "role": "member"}
        await outbox.enqueue(user_id, "membership.requested", payload, f"{prefix}:{n}", NOW)


def dispatcher(url: str, clock: Clock, **options) -> Dispatcher:
    timeout = options.pop("timeout", 5.0)
    return Dispatcher(SmtpMailer(url, SENDER, timeout=timeout), BASE, clock, **options)


async def rows() -> list[dict]:
    return await Notification.select().order_by(Notification.id)


async def test_two_dispatchers_racing_send_each_mail_once(database, cast):
    await queue(cast.users["admin"], 200)
    clock = Clock()
    with MailSink() as sink:
        reports = await asyncio.gather(
            dispatcher(sink.url, clock, batch=20).run(),
            dispatcher(sink.url, clock, batch=20).run(),
        )
        counts = sink.count_by_notification()
    assert sum(r.sent for r in reports) == 200
    assert len(counts) == 200
    assert set(counts.values()) == {1}
    assert all(row["sent_at"] == NOW for row in await rows())


async def test_smtp_down_then_up_loses_nothing_and_counts_attempts(database, cast):
    await queue(cast.users["admin"], 5)
    clock = Clock()
    with MailSink() as sink:
        url = sink.url
    report = await dispatcher(url, clock).run()  # nobody listens on that port now
    assert report.retrying == 5
    for row in await rows():
        assert row["attempts"] == 1
        assert row["sent_at"] is None
        assert row["send_after"] == NOW + timedelta(minutes=1)
        assert "Connect" in row["last_error"] or "refused" in row["last_error"].lower()
    clock.now = NOW + timedelta(seconds=30)  # backing off: not due yet
    assert (await dispatcher(url, clock).run()).sent == 0
    clock.now = NOW + timedelta(minutes=1)
    sink = MailSink()
    sink.port, sink.url = int(url.rsplit(":", 1)[1]), url
    with sink:
        report = await dispatcher(url, clock).run()
        assert len(sink.received()) == 5
    assert report.sent == 5
    assert [row["attempts"] for row in await rows()] == [1] * 5


async def test_a_hung_server_times_out_and_the_rows_wait_for_a_retry(database, cast):
    await queue(cast.users["admin"], 3)
    with silent_server() as url:
        started = time.monotonic()
        report = await dispatcher(url, Clock(), timeout=0.5).run()
    assert time.monotonic() - started < 5
    assert report.retrying == 3
    assert all("Timeout" in row["last_error"] for row in await rows())


async def test_after_the_last_attempt_a_row_is_failed(database, cast):
    await queue(cast.users["admin"], 1)
    clock = Clock()
    with MailSink() as sink:
        url = sink.url
    for attempt in range(1, dispatch.MAX_ATTEMPTS + 1):
        await dispatcher(url, clock).run()
        (row,) = await rows()
        assert row["attempts"] == attempt
        clock.now += dispatch.backoff(attempt)
    assert row["failed_at"] is not None
    assert (await dispatcher(url, clock).run()).retrying == 0  # never tried again


def test_backoff_doubles_up_to_a_bound():
    assert [dispatch.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert dispatch.backoff(30) == dispatch.BACKOFF_MAX


async def test_a_refused_recipient_fails_alone_and_the_others_go(database, cast):
    await AppUser.update({AppUser.email: "gone@example.org"}).where(
        AppUser.id == cast.users["outsider"]
    )
    await queue(cast.users["admin"], 2, "a")
    await queue(cast.users["outsider"], 1, "b")
    await queue(cast.users["manager"], 2, "c")
    with MailSink(refuse=("gone@example.org",)) as sink:
        report = await dispatcher(sink.url, Clock()).run()
        assert len(sink.received()) == 4
    assert (report.sent, report.failed) == (4, 1)
    failed = [row for row in await rows() if row["failed_at"] is not None]
    assert [row["user"] for row in failed] == [cast.users["outsider"]]
    assert "550" in failed[0]["last_error"]


class BusySink(MailSink):
    """Refuses one recipient for now (451), as a greylisting server does."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == "busy@example.org":
            return "451 4.7.1 Try again later"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


async def test_a_temporary_refusal_is_retried_and_the_next_mails_go(database, cast):
    await AppUser.update({AppUser.email: "busy@example.org"}).where(
        AppUser.id == cast.users["outsider"]
    )
    await queue(cast.users["outsider"], 1, "b")
    await queue(cast.users["admin"], 2, "a")
    with BusySink() as sink:
        report = await dispatcher(sink.url, Clock()).run()
        assert len(sink.received()) == 2
    assert (report.sent, report.retrying, report.failed) == (2, 1, 0)
    (waiting,) = [row for row in await rows() if row["sent_at"] is None]
    assert waiting["user"] == cast.users["outsider"]
    assert "451" in waiting["last_error"]
    assert waiting["send_after"] == NOW + timedelta(minutes=1)


async def test_a_malformed_address_fails_without_stopping_the_batch(database, cast):
    await AppUser.update({AppUser.email: "not an address"}).where(
        AppUser.id == cast.users["outsider"]
    )
    await queue(cast.users["outsider"], 1, "b")
    await queue(cast.users["admin"], 2, "a")
    with MailSink() as sink:
        report = await dispatcher(sink.url, Clock()).run()
        assert len(sink.received()) == 2
    assert (report.sent, report.failed) == (2, 1)


async def test_a_claim_is_a_lease(database, cast):
    await queue(cast.users["admin"], 3)
    lease = timedelta(minutes=10)
    first = await claims.claim(NOW, 10, lease)
    assert len(first) == 3
    assert await claims.claim(NOW + timedelta(minutes=9), 10, lease) == []
    taken_over = await claims.claim(NOW + timedelta(minutes=11), 10, lease)
    assert [c.id for c in taken_over] == [c.id for c in first]
    # The first worker lost its lease: its late marks change nothing.
    assert not await claims.mark_sent(first[0], NOW + timedelta(minutes=12))
    assert await claims.mark_sent(taken_over[0], NOW + timedelta(minutes=12))


async def test_a_dispatcher_does_not_send_on_a_claim_older_than_half_its_lease(database, cast):
    await queue(cast.users["admin"], 2)
    lease = timedelta(minutes=10)
    held = await claims.claim(NOW, 10, lease)
    clock = Clock(NOW + timedelta(minutes=6))
    with MailSink() as sink:
        await dispatcher(sink.url, clock, lease=lease)._batch(held, dispatch.Report())
        assert sink.received() == []
    assert all(row["claimed_at"] is None and row["sent_at"] is None for row in await rows())


async def test_without_smtp_mails_are_eml_files_written_once(database, cast, tmp_path):
    await queue(cast.users["admin"], 3)
    mailer = FileMailer(tmp_path / "mail", SENDER)
    for _ in range(2):  # sent again (as after a crash before the mark): the same files
        await Dispatcher(mailer, BASE, Clock()).run()
        await Notification.update({Notification.sent_at: None}).where(Notification.id > 0)
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 3
    assert (
        b"List-Unsubscribe: <https://hubs.example.ma/account/notifications>"
        in files[0].read_bytes()
    )


async def test_a_message_needing_dot_stuffing_or_line_endings_reaches_the_server_intact():
    data = b"Subject: dots\r\nMIME-Version: 1.0\r\n\r\n.a line starting with a dot\n..two\rend"
    with MailSink() as sink:
        mailer = SmtpMailer(sink.url, SENDER)
        async with mailer.session() as send:
            await send(Outgoing("no-reply@hub-booking.test", "a@example.org", "<x@y>", data))
        (mail,) = sink.received()
    assert mail.get_content().splitlines() == [".a line starting with a dot", "..two", "end"]
