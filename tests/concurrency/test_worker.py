"""``hub-booking worker`` processes against a real SMTP server: two workers send each mail
once; a worker killed (SIGKILL) in the middle of a batch loses nothing once another runs;
SIGTERM stops a worker cleanly."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub_booking.services import notifications
from tests import factories
from tests.conftest import NOW
from tests.servers import cli, server_env
from tests.smtp import MailSink

pytestmark = pytest.mark.concurrency

DUE = 200
WAIT_S = 60.0


async def queue_requests(cast, count: int = DUE) -> None:
    """``count`` approval requests to the hub's manager, all due now (on the real clock: the
    workers run on it)."""
    booking = await factories.make_booking(
        NOW, cast, start=datetime(2027, 3, 1, 10, tzinfo=UTC), title="Assemblée"
    )
    payload = {"booking_id": booking, "series_id": None, "revision": 0}
    for n in range(count):
        await notifications.enqueue(
            cast.users["manager"], "approval_requested", payload, f"r:{n}", datetime.now(UTC)
        )


@contextmanager
def worker(env: dict[str, str], log: Path, *options: str) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*cli(), "worker", "--dispatch-every", "0.5", *options],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(10)


async def wait_for(condition: Callable[[], bool], what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            tails = "\n".join(p.read_text(errors="replace")[-3000:] for p in logs)
            raise AssertionError(f"timed out waiting for {what}\n{tails}")
        await asyncio.sleep(0.05)


async def test_two_workers_send_each_mail_once_and_stop_on_sigterm(
    database_url, database, cast, tmp_path
):
    await queue_requests(cast)
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    with MailSink() as sink, ExitStack() as stack:
        env = server_env(database_url, tmp_path / "var", {"HUB_BOOKING_SMTP_URL": sink.url})
        processes = [stack.enter_context(worker(env, log)) for log in logs]
        await wait_for(lambda: sink.count() >= DUE, f"{DUE} mails", logs)
        await asyncio.sleep(1.0)  # room for a duplicate to show up
        counts = sink.count_by_notification()
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(20) for process in processes]
    assert len(counts) == DUE
    assert set(counts.values()) == {1}
    assert codes == [0, 0]
    assert all("worker: stopped" in log.read_text() for log in logs)


async def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(
    database_url, database, cast, tmp_path
):
    await queue_requests(cast)
    logs = [tmp_path / "killed.log", tmp_path / "restarted.log"]
    # The server stalls at its 50th recipient: the worker is killed while sending it, with
    # 49 sent and marked and the rest of its batch claimed (so only the lease frees them).
    with MailSink(stall_at=50) as sink:
        env = server_env(database_url, tmp_path / "var", {"HUB_BOOKING_SMTP_URL": sink.url})
        with worker(env, logs[0], "--claim-lease", "3") as first:
            await wait_for(sink.stalled.is_set, "the stalled send", logs)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        sink.resume.set()
        assert sink.count() == 49  # the one in flight at the kill was not accepted
        with worker(env, logs[1], "--claim-lease", "3"):
            await wait_for(lambda: len(sink.count_by_notification()) >= DUE, f"{DUE} mails", logs)
            await asyncio.sleep(1.0)
        counts = sink.count_by_notification()
    assert len(counts) == DUE
    assert set(counts.values()) == {1}
