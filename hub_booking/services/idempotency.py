"""Creating a booking at most once per key: the booking form's one-time token and the API's
``Idempotency-Key`` header go through here alike.

The same user sending the same request with the same key again gets the first answer (the
same booking); the key with another request is refused (422). The key is claimed in the
booking's own transaction, so a refused request leaves it free to use again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub_booking.db import idempotency as db
from hub_booking.db.engine import transaction
from hub_booking.domain.bookings import BookingRequest
from hub_booking.domain.errors import N_, Conflict, invalid
from hub_booking.domain.model import Principal
from hub_booking.services import bookings
from hub_booking.services.bookings import Created

MAX_KEY = 255
FIELD = "Idempotency-Key"
# Printable ASCII, as HTTP header values are; no spaces at either end.
_KEY = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$")


@dataclass(frozen=True)
class Outcome:
    """The booking made (or made before with this key) and the answer given then."""

    booking_id: int
    answer: dict[str, Any]
    replayed: bool = False


def _no_answer(_: Created) -> dict[str, Any]:
    return {}


async def create_once(
    principal: Principal,
    key: str | None,
    request: BookingRequest,
    now: datetime,
    *,
    language: str = "fr",
    answer: Callable[[Created], dict[str, Any]] = _no_answer,
) -> Outcome:
    """Book as ``bookings.create_booking`` does, unless this user's ``key`` already did.

    ``answer`` shapes what the caller returns; it is kept with the key so that a repeated
    request is answered exactly as the first one was.
    """
    if key is None:
        created = await bookings.create_booking(principal, request, now, language=language)
        return Outcome(created.first.id, answer(created))
    check_key(key)
    digest, fingerprint = _digest(f"{principal.user_id}\n{key}"), fingerprint_of(request)
    async with transaction():
        if not await db.claim(principal.user_id, digest, fingerprint, now):
            return _replay(await db.used(digest), fingerprint)
        created = await bookings.create_booking(principal, request, now, language=language)
        shaped = answer(created)
        await db.settle(digest, created.first.id, shaped)
    return Outcome(created.first.id, shaped)


def check_key(key: str) -> None:
    """A key is 1 to 255 printable ASCII characters (422 naming the header otherwise)."""
    if len(key) > MAX_KEY or not _KEY.match(key):
        raise invalid(
            FIELD,
            "invalid_idempotency_key",
            N_("An idempotency key is 1 to %(max)s printable ASCII characters."),
            max=MAX_KEY,
        )


def fingerprint_of(request: BookingRequest) -> str:
    """A digest of everything a request asks, independent of how it was written."""
    fields = {
        "association_id": request.association_id,
        "title": request.title,
        "starts_at": request.starts_at.astimezone(UTC).isoformat(),
        "ends_at": request.ends_at.astimezone(UTC).isoformat(),
        "attendees": request.attendees,
        "items": sorted(request.items.items()),
        "purpose": request.purpose,
        "rrule": request.rrule,
        "on_conflict": request.on_conflict if request.rrule else "fail",
        "override": request.override,
    }
    return _digest(json.dumps(fields, sort_keys=True, ensure_ascii=False))


def _replay(found: db.Used | None, fingerprint: str) -> Outcome:
    if found is None or found.booking_id is None:
        # Only when the first request's booking was removed since: nothing to replay.
        raise Conflict(N_("This request was already made; look at your bookings."), field=FIELD)
    if found.fingerprint != fingerprint:
        raise invalid(
            FIELD,
            "idempotency_key_reused",
            N_("This key was already used for another request; send a new key."),
        )
    return Outcome(found.booking_id, found.answer, replayed=True)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
