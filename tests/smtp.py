"""A real SMTP server for the tests and benchmarks: aiosmtpd on a free port of 127.0.0.1.

``MailSink`` keeps every accepted message (parsed), can refuse some recipients with a 550,
and can stall at the RCPT of its n-th message (so a test can kill a worker mid-send).
``silent_server`` accepts connections and never answers: a hung mail server. Nothing here
imports pytest, so the benchmarks use it too.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.servers import free_port


class MailSink:
    def __init__(self, *, refuse: tuple[str, ...] = (), stall_at: int | None = None) -> None:
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.refuse = {address.lower() for address in refuse}
        self.stall_at = stall_at
        self.stalled = threading.Event()
        self.resume = threading.Event()
        self._raw: list[bytes] = []
        self._parsed: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._rcpts = 0
        self._controller: Controller | None = None

    # aiosmtpd handler hooks -----------------------------------------------------------

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user here"
        with self._lock:
            self._rcpts += 1
            stall = self._rcpts == self.stall_at
        if stall:
            self.stalled.set()
            # Blocks this server's loop thread: the client waits, as on a stuck server.
            self.resume.wait(30)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:  # parsed when read: the server thread stays quick
            self._raw.append(envelope.content)
        return "250 Message accepted for delivery"

    # control --------------------------------------------------------------------------

    def start(self) -> MailSink:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self.resume.set()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def count(self) -> int:
        with self._lock:
            return len(self._raw)

    def received(self) -> list[EmailMessage]:
        with self._lock:
            raw = self._raw[len(self._parsed) :]
        for content in raw:
            self._parsed.append(message_from_bytes(content, policy=policy.default))  # type: ignore[arg-type]
        return list(self._parsed)

    def count_by_notification(self) -> Counter[str]:
        """How many times each notification (its X-Hub-Booking-Notification id) arrived."""
        return Counter(str(m["X-Hub-Booking-Notification"]) for m in self.received())

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received() if address in str(m["To"])]


@contextmanager
def silent_server() -> Iterator[str]:
    """An SMTP URL whose server accepts the connection and never says a word."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"smtp://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def parts(message: EmailMessage) -> dict[str, EmailMessage]:
    """The leaf parts of a message by content type (text/plain, text/html, text/calendar …)."""
    return {part.get_content_type(): part for part in message.walk() if not part.is_multipart()}


def main() -> None:
    """``python -m tests.smtp PORT``: a sink in its own process (the benchmark's server, so
    that it does not share a GIL with the worker). Prints ``ready``; on SIGTERM prints the
    number of messages and of distinct Message-IDs it accepted, as JSON, and exits."""
    import json
    import signal
    import sys

    sink = MailSink()
    sink.port, sink.url = int(sys.argv[1]), f"smtp://127.0.0.1:{sys.argv[1]}"
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with sink:
        print("ready", flush=True)
        done.wait()
    ids = {m["Message-ID"] for m in sink.received()}
    print(json.dumps({"received": sink.count(), "distinct": len(ids)}), flush=True)


if __name__ == "__main__":
    main()
