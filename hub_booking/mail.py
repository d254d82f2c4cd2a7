"""Mail: letters rendered from ``templates/emails/`` and sent over SMTP, or written as .eml.

``HUB_BOOKING_SMTP_URL`` picks the transport: ``smtp://`` (plain), ``smtp+starttls://``
(STARTTLS required), ``smtps://`` (TLS from the first byte), with optional ``user:password@``.
Unset, every message is written to ``var/mail/`` as a .eml file named by its Message-ID, so
sending one twice writes one file.

A session keeps one SMTP connection for a batch; every operation has a timeout, so a hung
server fails the send instead of holding the worker. ``Undeliverable`` marks what retrying
cannot fix (a malformed address, a 5xx refusal).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import hashlib
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.utils import format_datetime as rfc2822_date
from email.utils import formataddr, parseaddr
from ipaddress import ip_address
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, select_autoescape

from hub_booking.settings import Settings

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SMTP_TIMEOUT_S = 10.0  # each SMTP command
SEND_TIMEOUT_S = 30.0  # one whole message, whatever the server does
WORD_BYTES = 36  # UTF-8 bytes per encoded word: 48 base64 characters, 60 with its markers
PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}

Send = Callable[["Outgoing"], Awaitable[None]]


class Undeliverable(Exception):
    """Retrying cannot help: the address is malformed or the server refused it for good."""


@dataclass(frozen=True)
class Letter:
    """What one message says, already translated for its reader."""

    subject: str
    language: str
    direction: str
    greeting: str
    paragraphs: list[str]
    details: list[tuple[str, str]] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    link: tuple[str, str] | None = None  # (url, label)
    footer: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Invitation:
    """An iTIP calendar object to attach (METHOD:REQUEST or METHOD:CANCEL)."""

    method: str
    ics: bytes


class Mailer(Protocol):
    sender: str

    def session(self) -> contextlib.AbstractAsyncContextManager[Send]: ...


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES / "emails"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # no stat() of the template files for every mail
    )


_ENV = _environment()


@dataclass(frozen=True)
class Outgoing:
    """A message ready for the wire: envelope addresses and its RFC 5322 bytes."""

    sender: str
    recipient: str
    message_id: str
    data: bytes


def compose(
    letter: Letter,
    *,
    sender: str,
    to: tuple[str, str],
    message_key: str,
    unsubscribe: str,
    now: datetime,
    invitation: Invitation | None = None,
    headers: dict[str, str] | None = None,
) -> Outgoing:
    """A multipart message: text and HTML, and for an invitation its calendar part (which
    clients show as an invitation) and the same .ics as an attachment.

    ``message_key`` gives a stable Message-ID: a message sent twice by a retry carries the
    same one, which mail clients use to show it once. The MIME structure is written here
    directly (base64 parts, random boundaries): the ``email`` package's generator costs
    several milliseconds of CPU per message, more than everything else together."""
    name, address = _one_line(to[0]), to[1]
    problem = _address_problem(address)
    if problem:
        raise Undeliverable(f"malformed address {address!r}: {problem}")
    content_type, body = _body(letter, invitation)
    ident = message_id(message_key, sender)
    head = {
        "Subject": encoded_words(_one_line(letter.subject)),
        "From": sender,
        "To": _mailbox(name, address),
        "Date": rfc2822_date(now),
        "Message-ID": ident,
        "MIME-Version": "1.0",
        "Content-Language": letter.language,
        "List-Unsubscribe": f"<{unsubscribe}>",
        "Auto-Submitted": "auto-generated",
        **{k: _one_line(v) for k, v in (headers or {}).items()},
    }
    return Outgoing(envelope_address(sender), address, ident, _message(head, content_type, body))


@functools.lru_cache(maxsize=4096)
def _address_problem(address: str) -> str:
    """Why ``address`` is no mailbox ("" when it is); recipients repeat, so it is
    remembered (the ``email`` package's parser costs a quarter of a millisecond)."""
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError) as exc:
        return str(exc) or type(exc).__name__
    return ""


@functools.lru_cache(maxsize=16)
def envelope_address(sender: str) -> str:
    """The bare address of a ``Name <address>`` sender (there are only a few senders)."""
    return parseaddr(sender)[1]


def encoded_words(text: str) -> str:
    """A header value as RFC 2047 encoded words (UTF-8, base64) folded between words, or as
    is when it is plain ASCII; written here because ``email.header`` takes most of a
    millisecond per subject."""
    if text.isascii() and "=?" not in text:
        return text
    data, words, start = text.encode(), list[bytes](), 0
    while start < len(data):
        end = start + WORD_BYTES
        while end < len(data) and data[end] & 0xC0 == 0x80:  # never inside a character
            end -= 1
        words.append(data[start:end])
        start = end
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(word).decode('ascii')}?=" for word in words)


def _mailbox(name: str, address: str) -> str:
    if not name or name.isascii():
        return formataddr((name, address))
    words = encoded_words(name)
    last = words.rsplit("\n", 1)[-1]
    fold = "\r\n " if len(last) + len(address) > 70 else " "  # lines within 78 characters
    return f"{words}{fold}<{address}>"


def _message(head: dict[str, str], content_type: str, body: str) -> bytes:
    lines = "".join(f"{k}: {v}\r\n" for k, v in {**head, "Content-Type": content_type}.items())
    return (lines + "\r\n" + body).encode("ascii")


def _body(letter: Letter, invitation: Invitation | None) -> tuple[str, str]:
    """(Content-Type, body): text and HTML as alternatives (with the calendar part), and
    for an invitation the .ics attached as well."""
    parts = [
        _part("text/plain; charset=utf-8", _ENV.get_template("message.txt").render(letter=letter)),
        _part("text/html; charset=utf-8", _ENV.get_template("message.html").render(letter=letter)),
    ]
    if invitation is None:
        return _multipart("alternative", parts)
    kind = f"text/calendar; charset=utf-8; method={invitation.method}"
    parts.append(_part(kind, invitation.ics))
    content_type, body = _multipart("alternative", parts)
    attachment = _part(
        'application/ics; name="invite.ics"',
        invitation.ics,
        'Content-Disposition: attachment; filename="invite.ics"',
    )
    return _multipart("mixed", [f"Content-Type: {content_type}\r\n\r\n{body}", attachment])


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())


def _part(content_type: str, payload: str | bytes, *extra: str) -> str:
    data = payload.encode() if isinstance(payload, str) else payload
    lines = [f"Content-Type: {content_type}", "Content-Transfer-Encoding: base64", *extra]
    return "\r\n".join(lines) + "\r\n\r\n" + _base64_lines(data)


def _base64_lines(data: bytes) -> str:
    """Base64 in lines of 76 characters, each ended by CRLF (RFC 2045); one encoding and
    slices, a third quicker than ``base64.encodebytes`` and its 57-byte loop."""
    text = base64.b64encode(data).decode("ascii")
    return "".join([text[i : i + 76] + "\r\n" for i in range(0, len(text), 76)])


def _multipart(subtype: str, parts: list[str]) -> tuple[str, str]:
    boundary = f"=_hub-booking_{secrets.token_hex(12)}"
    body = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts) + f"--{boundary}--\r\n"
    return f'multipart/{subtype};\r\n boundary="{boundary}"', body  # folded: lines within 78


def message_id(key: str, sender: str) -> str:
    domain = sender.rsplit("@", 1)[-1].rstrip(">")
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def sender_for(settings: Settings) -> str:
    """``no-reply@`` the host of the base URL (or the SMTP login when it is an address)."""
    if settings.smtp_url:
        user = unquote(urlsplit(settings.smtp_url).username or "")
        if "@" in user:
            return formataddr(("hub-booking", user))
    host = urlsplit(settings.base_url).hostname or "localhost"
    with contextlib.suppress(ValueError):
        ip_address(host)
        host = "localhost"  # an address literal is no mail domain
    return formataddr(("hub-booking", f"no-reply@{host}"))


class SmtpMailer:
    def __init__(self, url: str, sender: str, timeout: float = SMTP_TIMEOUT_S) -> None:
        parts = urlsplit(url)
        self.sender = sender
        self._options = {
            "hostname": parts.hostname or "localhost",
            "port": parts.port or PORTS[parts.scheme],
            "username": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
            "use_tls": parts.scheme == "smtps",
            "start_tls": parts.scheme == "smtp+starttls",
            "timeout": timeout,
        }

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[Send]:
        client = aiosmtplib.SMTP(**self._options)  # type: ignore[arg-type]

        async def send(message: Outgoing) -> None:
            async with asyncio.timeout(SEND_TIMEOUT_S):
                if not client.is_connected:
                    await client.connect()
                try:
                    await client.sendmail(message.sender, [message.recipient], message.data)
                except aiosmtplib.SMTPRecipientsRefused as exc:
                    if all(e.code >= 500 for e in exc.recipients):
                        raise Undeliverable(str(exc)) from exc
                    raise
                except aiosmtplib.SMTPResponseException as exc:
                    if exc.code >= 500:
                        raise Undeliverable(f"{exc.code} {exc.message}") from exc
                    raise

        try:
            yield send
        finally:
            if client.is_connected:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(SMTP_TIMEOUT_S):
                        await client.quit()
                client.close()


class FileMailer:
    """Writes each message to ``directory`` as ``<message id>.eml`` (atomically)."""

    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = directory
        self.sender = sender

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[Send]:
        async def send(message: Outgoing) -> None:
            name = message.message_id.strip("<>").split("@")[0]
            await asyncio.to_thread(_write, self.directory / f"{name}.eml", message.data)

        yield send


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    os.replace(partial, path)


def mailer_for(settings: Settings) -> SmtpMailer | FileMailer:
    """SMTP when ``HUB_BOOKING_SMTP_URL`` is set, otherwise .eml files in ``var/mail/``."""
    sender = sender_for(settings)
    if settings.smtp_url:
        return SmtpMailer(settings.smtp_url, sender)
    return FileMailer(settings.var_dir / "mail", sender)
