"""What happens to a booking after it is made: approve, reject, cancel, expire, edit or move.

Every transition is one transaction, checks that it still applies (409 otherwise), bumps the
revision (the iCal SEQUENCE) and writes an audit row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub_booking import zones
from hub_booking.db import queries, writes
from hub_booking.db.engine import transaction
from hub_booking.db.tables import Booking, BookingItem
from hub_booking.domain import checks
from hub_booking.domain.checks import Context, Slot
from hub_booking.domain.conflicts import find
from hub_booking.domain.errors import N_, Conflict, Forbidden, Invalid, NotFound, Violation, invalid
from hub_booking.domain.intervals import with_buffers
from hub_booking.domain.model import HOLDING, Hold, Principal
from hub_booking.domain.requests import Change
from hub_booking.domain.rules import DEFAULT_RULES
from hub_booking.domain.wallclock import WallClockError, to_local, to_utc
from hub_booking.services import audit
from hub_booking.services.bookings import booking_transaction

SCOPES = ("this", "following", "series")


async def _load(principal: Principal, booking_id: int) -> dict[str, Any]:
    """The booking if the caller may see it: its association's members, its hub's managers."""
    # Locked until the transaction ends: an approval and a cancellation racing each other
    # are applied one after the other, the second seeing the first's result.
    row = await writes.for_update(Booking.select().where(Booking.id == booking_id)).first()
    if row is None or not (
        principal.manages(row["hub"]) or principal.is_member_of(row["association"])
    ):
        raise NotFound(N_("This booking does not exist."))
    return row


def _transition_conflict(row: dict[str, Any]) -> Conflict:
    return Conflict(
        N_("This booking is %(status)s; that change no longer applies."), status=row["status"]
    )


async def approve(principal: Principal, booking_id: int, now: datetime) -> None:
    await _decide(principal, booking_id, "approved", now)


async def reject(principal: Principal, booking_id: int, reason: str, now: datetime) -> None:
    if not isinstance(reason, str) or not reason.strip():
        raise invalid("reason", "required", N_("Say why the request is rejected."))
    await _decide(principal, booking_id, "rejected", now, decision_reason=reason.strip()[:2000])


async def _decide(
    principal: Principal, booking_id: int, status: str, now: datetime, **decision: str
) -> None:
    """A manager's decision on a pending request."""
    async with transaction():
        row = await _load(principal, booking_id)
        if not principal.manages(row["hub"]):
            raise Forbidden(N_("Only a manager of this hub can approve or reject."))
        if row["status"] != "pending":
            raise _transition_conflict(row)
        await writes.set_status(
            [booking_id], status, now, decided_by=principal.user_id, decided_at=now, **decision
        )
        details = {"reason": decision["decision_reason"][:200]} if decision else {}
        await audit.record(
            principal.user_id, f"booking.{status}", "booking", booking_id, now, **details
        )


async def cancel(principal: Principal, booking_id: int, scope: str, now: datetime) -> list[int]:
    """Cancel this booking, or with ``following``/``series`` the later (or all future)
    occurrences of its series. Members must cancel before the hub's deadline; managers may
    always. Returns the ids cancelled."""
    if scope not in SCOPES:
        raise invalid("scope", "invalid_choice", N_("scope is this, following or series."))
    async with transaction():
        row = await _load(principal, booking_id)
        if row["status"] not in HOLDING:
            raise _transition_conflict(row)
        targets = await _scope(row, scope, now)
        if not principal.manages(row["hub"]):
            await _check_deadline(row, targets, now)
        ids = [t["id"] for t in targets]
        await writes.set_status(ids, "cancelled", now, decided_by=principal.user_id, decided_at=now)
        await audit.record(
            principal.user_id, "booking.cancelled", "booking", booking_id, now, scope=scope, ids=ids
        )
    return ids


async def _scope(row: dict[str, Any], scope: str, now: datetime) -> list[dict[str, Any]]:
    if scope == "this" or row["series"] is None:
        return [row]
    where = (Booking.series == row["series"]) & Booking.status.is_in(list(HOLDING))
    if scope == "following":
        where &= Booking.starts_at >= row["starts_at"]
    else:
        where &= Booking.starts_at > now
    found = await writes.for_update(
        Booking.select(Booking.id, Booking.starts_at, Booking.hub).where(where)
    )
    return found or [row]


async def _check_deadline(
    row: dict[str, Any], targets: list[dict[str, Any]], now: datetime
) -> None:
    hub = await queries.hub(row["hub"])
    deadline = timedelta(minutes=(hub or {}).get("rules", {}).get("cancel_deadline_minutes", 0))
    if any(t["starts_at"] - now < deadline for t in targets):
        raise invalid(
            "scope",
            "cancel_deadline",
            N_(
                "Cancellations must be made %(minutes)s minutes before the start; ask the hub's manager."  # noqa: E501
            ),
            minutes=int(deadline.total_seconds() // 60),
        )


async def expire_pending(now: datetime) -> list[int]:
    """Pending requests whose start has passed become ``expired`` (idempotent; a job)."""
    async with transaction():
        rows = await Booking.select(Booking.id).where(
            (Booking.status == "pending") & (Booking.starts_at <= now.astimezone(UTC))
        )
        ids = [r["id"] for r in rows]
        if ids:
            await writes.set_status(ids, "expired", now)
            await audit.record(None, "booking.expired", "booking", None, now, ids=ids)
    return ids


async def edit(principal: Principal, booking_id: int, change: Change, now: datetime) -> None:
    """Edit one booking or occurrence; a move is checked like a new booking (own holds aside)."""
    async with booking_transaction():
        row = await _load(principal, booking_id)
        if row["status"] not in HOLDING:
            raise _transition_conflict(row)
        values: dict[Any, Any] = {
            Booking.updated_at: now,
            Booking.revision: Booking.revision + 1,
        }
        for name in ("title", "purpose", "attendees"):
            if getattr(change, name) is not None:
                values[getattr(Booking, name)] = getattr(change, name)
        if change.starts_at is not None and change.ends_at is not None:
            values.update(await _move(principal, row, change, now))
        elif change.attendees is not None:
            await _recheck(principal, row, _slot_of(row), change.attendees, now)
        await Booking.update(values).where(Booking.id == booking_id)
        await audit.record(
            principal.user_id,
            "booking.edited",
            "booking",
            booking_id,
            now,
            fields=_changed(change),
        )


def _slot_of(row: dict[str, Any]) -> Slot:
    return Slot(row["starts_at"], row["ends_at"], row["local_start"], row["local_end"])


async def _move(
    principal: Principal, row: dict[str, Any], change: Change, now: datetime
) -> dict[Any, Any]:
    zone = zones.get_zone(row["timezone"])
    local_start, local_end = to_local(change.starts_at, zone), to_local(change.ends_at, zone)  # type: ignore[arg-type]
    try:
        slot = Slot(
            to_utc(local_start, zone), to_utc(local_end, zone, "ends_at"), local_start, local_end
        )
    except WallClockError as exc:
        raise Invalid([exc.violation]) from exc
    await _recheck(principal, row, slot, change.attendees or row["attendees"], now)
    return {
        Booking.local_start: local_start,
        Booking.local_end: local_end,
        Booking.starts_at: slot.start,
        Booking.ends_at: slot.end,
    }


async def _recheck(
    principal: Principal, row: dict[str, Any], slot: Slot, attendees: int, now: datetime
) -> None:
    """The rules and the holds for the booking's new time or size; its items follow."""
    items_rows = await BookingItem.select().where(BookingItem.booking == row["id"])
    items = {r["resource"]: r["quantity"] for r in items_rows}
    await writes.lock_resources(list(items))
    resources = await queries.resources(list(items))
    hub = await queries.hub(row["hub"])
    assert hub is not None
    ctx = Context(
        now=now,
        hub_rules={**DEFAULT_RULES, **hub["rules"]},
        hub_opening_hours=hub["opening_hours"],
        resources=resources,
        closures=tuple(await queries.closures(hub["id"], slot.start, slot.end)),
        association_status=await queries.association_status(row["association"]) or "",
    )
    violations = checks.check(
        [slot], items, attendees, ctx, override=principal.manages(row["hub"]) and row["override"]
    )
    violations = [v for v in violations if v.code != "quota_exceeded"]  # the booking already counts
    if violations:
        raise Invalid(violations)
    wanted = [
        Hold(
            rid,
            qty,
            *with_buffers(slot.start, slot.end, resources[rid].rules),
            booking_id=row["id"],
        )
        for rid, qty in items.items()
    ]
    existing = await queries.holds(
        list(items), slot.start - timedelta(days=1), slot.end + timedelta(days=1)
    )
    clashes = find(wanted, existing, {r.id: r.quantity for r in resources.values()})
    if clashes:
        raise Conflict(N_("This time is already taken for at least one resource."))
    for hold in wanted:
        await BookingItem.update(
            {BookingItem.hold_start: hold.start, BookingItem.hold_end: hold.end}
        ).where((BookingItem.booking == row["id"]) & (BookingItem.resource == hold.resource_id))


def _changed(change: Change) -> list[str]:
    return [
        name
        for name in ("title", "purpose", "attendees", "starts_at", "ends_at")
        if getattr(change, name) is not None
    ]


def require_reason(body: Any) -> str:
    reason = body.get("reason") if isinstance(body, dict) else None
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid([Violation("required", N_("Say why the request is rejected."), "reason")])
    return reason
