"""What happens to a booking after it is made: approve, reject, cancel, expire, edit or move.

Every change is one transaction on the locked booking row, checks that it still applies
(409 otherwise), bumps the revision (the iCal SEQUENCE) and writes an audit row. Decisions,
one or a batch, all go through ``decide_all``. A move or resize is checked by the same
``bookings.assess`` as a new booking.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hub_booking.db import booking_writes, catalogue, hub_bookings
from hub_booking.db import bookings as db
from hub_booking.db import holds as held
from hub_booking.db.engine import transaction
from hub_booking.domain.bookings import BookingRequest, BookingView, Change, raise_if
from hub_booking.domain.bookings import change_violations as _change_violations
from hub_booking.domain.errors import N_, Conflict, Forbidden, NotFound, invalid
from hub_booking.domain.model import HOLDING, BookingStatus, Principal
from hub_booking.domain.verdict import wanted_holds
from hub_booking.services import audit, bookings, notifications, waitlist

SCOPES = ("this", "following", "series")
MATERIAL = ("starts_at", "ends_at", "attendees", "items")  # what approval was given for


async def _load(principal: Principal, booking_id: int) -> BookingView:
    """The booking, locked until the transaction ends, if the caller may see it.

    An approval and a cancellation racing each other are applied one after the other, the
    second seeing the first's result."""
    booking = await db.view(principal, booking_id, lock=True)
    if booking is None:
        raise NotFound(N_("This booking does not exist."))
    return booking


def _no_longer_applies(booking: BookingView) -> Conflict:
    return Conflict(
        N_("This booking is %(status)s; that change no longer applies."), status=booking.status
    )


async def approve(principal: Principal, booking_id: int, now: datetime) -> BookingView:
    return await _decide(principal, booking_id, BookingStatus.APPROVED, now)


async def reject(principal: Principal, booking_id: int, reason: str, now: datetime) -> BookingView:
    if not reason.strip():
        raise invalid("reason", "required", N_("Say why the request is rejected."))
    return await _decide(principal, booking_id, BookingStatus.REJECTED, now, reason.strip())


async def _decide(
    principal: Principal, booking_id: int, status: BookingStatus, now: datetime, reason: str = ""
) -> BookingView:
    """A manager's decision on one pending request, or why it cannot be made."""
    async with transaction():
        decided = await decide_all(principal, [booking_id], status, now, reason=reason)
        booking = await _load(principal, booking_id)
        if decided:
            return booking
        if not principal.manages(booking.hub_id):
            raise Forbidden(N_("Only a manager of this hub can approve or reject."))
        raise _no_longer_applies(booking)


async def decide_all(
    principal: Principal,
    booking_ids: list[int],
    status: BookingStatus,
    now: datetime,
    *,
    hub_id: int | None = None,
    reason: str = "",
) -> list[int]:
    """A manager's decision on these requests (of ``hub_id`` only, if given): those still
    pending in hubs the caller manages are decided (a rejection with its ``reason``), the others
    left as they are. Every decision ends here; returns the ids decided.

    The rows are locked in id order, then one status update, one audit row (of the booking,
    or listing the ``ids`` of a batch), the people told, the waitlist told of rejections."""
    async with transaction():
        ids = await hub_bookings.lock_pending(principal, booking_ids, hub_id)
        if not ids:
            return ids
        user = principal.user_id
        decision = {"decision_reason": reason} if reason else {}
        await booking_writes.set_status(
            ids, status, now, decided_by=user, decided_at=now, **decision
        )
        details = {"reason": reason[:200]} if reason else {}
        one = ids[0] if len(ids) == 1 else None
        listed = {"ids": ids} if one is None else {}
        await audit.record(user, f"booking.{status}", "booking", one, now, **listed, **details)
        await notifications.booking_changed(ids, str(status), now, by=user, **details)
        if status == BookingStatus.REJECTED:
            await waitlist.freed(ids, now)  # the waitlist hears of the freed slots
        return ids


async def cancel(
    principal: Principal, booking_id: int, scope: str, now: datetime, *, reason: str = ""
) -> tuple[BookingView, list[int]]:
    """Cancel this booking, or with ``following``/``series`` the later (or all future)
    occurrences of its series. Members must cancel before the deadline; managers may
    always. Returns the booking and the ids cancelled."""
    if scope not in SCOPES:
        raise invalid("scope", "invalid_choice", N_("scope is this, following or series."))
    async with transaction():
        booking = await _load(principal, booking_id)
        if booking.status not in HOLDING:
            raise _no_longer_applies(booking)
        targets = await _scope(booking, scope, now)
        if not principal.manages(booking.hub_id):
            await _check_deadline(booking, [start for _, start in targets], now)
        ids = [booking_id for booking_id, _ in targets]
        await cancel_bookings(principal.user_id, ids, now, reason=reason, scope=scope)
        return await _load(principal, booking_id), ids


async def cancel_bookings(
    user_id: int, ids: list[int], now: datetime, *, reason: str = "", **details: Any
) -> None:
    """The one cancelling step, for bookings the caller has checked and locked: the status
    (with the reason), the audit row, the people told, the waitlist told of the freed
    slots. A cancel, a closure and an association's suspension all end here."""
    await booking_writes.set_status(
        ids,
        BookingStatus.CANCELLED,
        now,
        decided_by=user_id,
        decided_at=now,
        decision_reason=reason,
    )
    said = {"reason": reason[:200]} if reason else {}
    await audit.record(
        user_id, "booking.cancelled", "booking", ids[0], now, ids=ids, **details, **said
    )
    kind = "closed" if "closure_id" in details else "cancelled"  # the letter says why
    await notifications.booking_changed(ids, kind, now, by=user_id, **said)
    await waitlist.freed(ids, now)  # the waitlist hears of the freed slots


async def _scope(booking: BookingView, scope: str, now: datetime) -> list[tuple[int, datetime]]:
    if scope == "this" or booking.series_id is None:
        return [(booking.id, booking.starts_at)]
    if scope == "following":
        found = await db.series_members(booking.series_id, from_start=booking.starts_at)
    else:
        found = await db.series_members(booking.series_id, after=now)
    return found or [(booking.id, booking.starts_at)]


async def _check_deadline(booking: BookingView, starts: list[datetime], now: datetime) -> None:
    """Members change or cancel a booking only up to the deadline of its hub, or of its
    resources where they set a longer one."""
    resources = await catalogue.resource_infos([item.resource_id for item in booking.items])
    minutes = max(
        (r.rules.get("cancel_deadline_minutes", 0) for r in resources.values()), default=0
    )
    if any(start - now < timedelta(minutes=minutes) for start in starts):
        raise invalid(
            "scope",
            "cancel_deadline",
            N_(
                "Changes and cancellations must be made %(minutes)s minutes before the start; ask the hub's manager."  # noqa: E501
            ),
            minutes=minutes,
        )


async def expire_pending(now: datetime) -> list[int]:
    """Pending requests whose start has passed become ``expired`` (idempotent; a job)."""
    async with transaction():
        ids = await db.due_to_expire(now)
        if ids:
            await booking_writes.set_status(ids, BookingStatus.EXPIRED, now)
            await audit.record(None, "booking.expired", "booking", None, now, ids=ids)
            await notifications.booking_changed(ids, "expired", now)
            await waitlist.freed(ids, now)
    return ids


async def edit(
    principal: Principal, booking_id: int, change: Change, now: datetime, *, language: str = "fr"
) -> BookingView:
    """Edit one booking or occurrence. A change of time, items or attendees is checked
    exactly like a new booking (its own holds and quota use aside), is refused to members
    after the deadline, and makes a booking that needs approval pending again."""
    raise_if(_change_violations(change))
    async with transaction():
        booking = await _load(principal, booking_id)
        if booking.status not in HOLDING:
            raise _no_longer_applies(booking)
        changes = _differences(booking, change)
        if not changes:
            return booking  # nothing to change: no revision, no audit row
        if any(name in changes for name in MATERIAL):
            await _reshape(principal, booking, changes, now, language)
        else:
            await booking_writes.update_booking(booking, changes, None, {}, now)
        await audit.record(
            principal.user_id, "booking.edited", "booking", booking_id, now, fields=sorted(changes)
        )
        return await _load(principal, booking_id)


def _differences(booking: BookingView, change: Change) -> dict[str, Any]:
    """The fields whose asked value differs from the booking's."""
    current = {
        "title": booking.title,
        "purpose": booking.purpose,
        "attendees": booking.attendees,
        "starts_at": booking.starts_at,
        "ends_at": booking.ends_at,
        "items": {item.resource_id: item.quantity for item in booking.items},
    }
    asked = {
        "title": change.title.strip() if change.title is not None else None,
        "purpose": change.purpose.strip() if change.purpose is not None else None,
        "attendees": change.attendees,
        "starts_at": change.starts_at,
        "ends_at": change.ends_at,
        "items": change.items,
    }
    return {k: v for k, v in asked.items() if v is not None and v != current[k]}


async def _reshape(
    principal: Principal,
    booking: BookingView,
    changes: dict[str, Any],
    now: datetime,
    language: str,
) -> None:
    """Check and write a booking's new time, items or size."""
    manager = principal.manages(booking.hub_id)
    if not manager:
        await _check_deadline(booking, [booking.starts_at], now)
    request = _as_request(booking, changes, override=booking.override and manager)
    status = await held.lock_booker(request.association_id, list(request.items))
    assessment = await bookings.assess(
        principal, request, now, language=language, moving=booking, booker_status=status
    )
    bookings.refuse_unless_ok(assessment)
    slot = assessment.verdict.kept[0]
    values = {k: v for k, v in changes.items() if k in ("title", "purpose", "attendees")}
    values.update(
        local_start=slot.local_start,
        local_end=slot.local_end,
        starts_at=slot.start,
        ends_at=slot.end,
        status=assessment.status,
    )
    holds = wanted_holds(slot, request.items, assessment.resources, booking.id)
    await booking_writes.update_booking(booking, values, holds, assessment.resources, now)
    if assessment.status == BookingStatus.PENDING:
        revision = booking.revision + 1
        await bookings.ask_managers(booking.hub_id, booking.id, booking.series_id, revision, now)
    before = {"starts_at": booking.starts_at.isoformat(), "ends_at": booking.ends_at.isoformat()}
    await notifications.booking_changed([booking.id], "moved", now, by=principal.user_id, **before)


def _as_request(booking: BookingView, changes: dict[str, Any], *, override: bool) -> BookingRequest:
    """The booking as it would be after the change, asked as a single booking."""
    return BookingRequest(
        association_id=booking.association_id,
        title=changes.get("title", booking.title),
        starts_at=changes.get("starts_at", booking.starts_at),
        ends_at=changes.get("ends_at", booking.ends_at),
        attendees=changes.get("attendees", booking.attendees),
        items=changes.get("items", {i.resource_id: i.quantity for i in booking.items}),
        purpose=changes.get("purpose", booking.purpose),
        override=override,
    )
