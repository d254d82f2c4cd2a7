"""The waitlist: an association waits for a taken slot; when it frees, the first one waiting
gets it held for a while, with a one-click confirmation.

Joining runs the one booking check (``bookings.assess``): the request must break no rule and
be refused only because the time is taken. When a slot frees (a cancellation, rejection,
expiry or no-show calls ``freed`` in its own transaction; the job ``tick`` sweeps for any
other freeing), the waiting entries that overlap it are taken in the order they joined, and
each one that now fits gets an *offer*: a booking row in the ``offered`` state whose items
hold the slot. It is written under the same resource locks as a booking and checked against
the same holds, and PostgreSQL's exclusion constraint refuses it like any booking: never two
holders, whatever races. Confirming releases the offer and books through
``bookings.create_booking`` in the same transaction (every rule checked again); a hold not
confirmed in time lapses and passes to the next entry.

``HOLD`` is how long an offer is kept (``HUB_BOOKING_WAITLIST_HOLD_HOURS``, set by
``configure`` when the app or the worker starts; never beyond the slot's start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hub_booking import zones
from hub_booking.db import bookings as booking_rows
from hub_booking.db import catalogue, closures, outbox
from hub_booking.db import holds as held
from hub_booking.db import waitlist as db
from hub_booking.db.engine import transaction
from hub_booking.domain.bookings import BookingRequest
from hub_booking.domain.conflicts import find
from hub_booking.domain.errors import N_, Conflict, Invalid, NotFound, invalid
from hub_booking.domain.model import Closure, Hold, Principal, ResourceInfo
from hub_booking.domain.verdict import wanted_holds
from hub_booking.domain.wallclock import Slot, WallClockError, slot
from hub_booking.services import audit, bookings
from hub_booking.services.bookings import Created
from hub_booking.settings import Settings

HOLD = timedelta(hours=12)
OFFERED_KIND, LAPSED_KIND = "waitlist_offer", "waitlist_lapsed"
MARGIN = timedelta(days=1)  # around the asked times: buffers reach beyond them


def configure(settings: Settings) -> None:
    """Take the hold's length from the settings (at the start of the app or the worker)."""
    global HOLD
    HOLD = timedelta(hours=settings.waitlist_hold_hours)


@dataclass(frozen=True)
class Joined:
    entry_id: int
    hub_id: int


async def join(
    principal: Principal, request: BookingRequest, now: datetime, *, language: str = "fr"
) -> Joined:
    """Wait for a taken time: refused when a rule is broken, when the time is free (book it
    instead) or when the association already waits for it."""
    if request.rrule is not None:
        raise invalid("repeat", "one_date", N_("The waitlist takes one date at a time."))
    async with transaction():
        await held.lock_booker(request.association_id, [])  # one join of an association at once
        assessment = await bookings.assess(principal, request, now, language=language)
        verdict = assessment.verdict
        if verdict.violations:
            raise Invalid(list(verdict.violations))
        if verdict.ok:
            raise Conflict(N_("This time is free: book it instead of waiting."))
        new = db.NewEntry(
            association_id=request.association_id,
            user_id=principal.user_id,
            hub_id=assessment.hub_id,
            title=request.title.strip(),
            attendees=request.attendees,
            items=dict(request.items),
            starts_at=request.starts_at,
            ends_at=request.ends_at,
        )
        if await db.already_waiting(new):
            raise Conflict(N_("Your association is already on the waitlist for this time."))
        entry_id = await db.insert(new, now)
        await audit.record(
            principal.user_id, "waitlist.joined", "waitlist", entry_id, now, hub_id=new.hub_id
        )
    return Joined(entry_id, assessment.hub_id)


async def confirm(
    principal: Principal, entry_id: int, now: datetime, *, language: str = "fr"
) -> Created:
    """Book the slot held for the caller's association: the offer is released and the
    booking made through the one booking path, in one transaction (all or nothing)."""
    async with transaction():
        entry = await _open_offer(principal, entry_id, now)
        await db.delete_offer(entry.offer_id)
        created = await bookings.create_booking(principal, _request(entry), now, language=language)
        await db.finish(entry.id, db.BOOKED, now, booking_id=created.first.id)
        await audit.record(
            principal.user_id,
            "waitlist.confirmed",
            "waitlist",
            entry.id,
            now,
            booking_id=created.first.id,
        )
    return created


async def leave(principal: Principal, entry_id: int, now: datetime) -> None:
    """Leave the waitlist; a hold given up passes at once to the next entry."""
    async with transaction():
        entry = await db.entry(principal, entry_id, lock=True)
        if entry is None:
            raise NotFound(N_("This waitlist entry does not exist."))
        if entry.status not in db.ACTIVE:
            raise Conflict(N_("This waitlist entry is closed."))
        await db.delete_offer(entry.offer_id)
        await db.finish(entry.id, db.LEFT, now)
        await audit.record(principal.user_id, "waitlist.left", "waitlist", entry.id, now)
        if entry.status == db.OFFERED:
            await _offer(entry.hub_id, set(entry.items), entry.starts_at, entry.ends_at, now)


async def _open_offer(principal: Principal, entry_id: int, now: datetime) -> db.Entry:
    entry = await db.entry(principal, entry_id, lock=True)
    if entry is None:
        raise NotFound(N_("This waitlist entry does not exist."))
    if entry.status != db.OFFERED or entry.hold_until is None or entry.hold_until <= now:
        raise Conflict(N_("This offer is no longer open."))
    return entry


def _request(entry: db.Entry) -> BookingRequest:
    return BookingRequest(
        association_id=entry.association_id,
        title=entry.title,
        starts_at=entry.starts_at,
        ends_at=entry.ends_at,
        attendees=entry.attendees,
        items=dict(entry.items),
    )


async def freed(booking_ids: list[int], now: datetime) -> list[int]:
    """These bookings just stopped holding (cancelled, rejected, expired): offer their slots
    to the waitlist. Call it in the transaction of the change; returns the entries offered."""
    views = [v for v in (await booking_rows.by_ids(booking_ids)).values() if v.starts_at > now]
    offered: list[int] = []
    for view in sorted(views, key=lambda v: v.starts_at):
        resources = {item.resource_id for item in view.items}
        offered += await _offer(view.hub_id, resources, view.starts_at, view.ends_at, now)
    return offered


async def freed_from(
    hub_id: int, resource_ids: set[int], start: datetime, end: datetime, now: datetime
) -> list[int]:
    """The rest of a booking's time, ``[start, end)``, was released (a no-show)."""
    return await _offer(hub_id, resource_ids, start, end, now)


async def _offer(
    hub_id: int, resource_ids: set[int] | None, start: datetime, end: datetime, now: datetime
) -> list[int]:
    """Offer ``[start, end)`` of these resources (None: any) to the waiting entries that now
    fit, the first to join first, each under the resource locks and against the current
    holds."""
    waiting = [
        e
        for e in await db.waiting_in([hub_id], start, end, now)
        if resource_ids is None or resource_ids & set(e.items)
    ]
    if not waiting:
        return []
    wanted = sorted({r for e in waiting for r in e.items})
    await db.lock_resources(wanted)
    resources = await catalogue.resource_infos(wanted)
    lo, hi = min(e.starts_at for e in waiting), max(e.ends_at for e in waiting)
    existing = await held.holds(wanted, lo - MARGIN, hi + MARGIN)
    closed = await closures.overlapping(hub_id, lo, hi)
    offered = []
    for entry in waiting:
        fitting = None if _closed(entry, closed) else _fitting(entry, resources, existing)
        if fitting is None:
            continue
        holds, period = fitting
        offer_id = await db.insert_offer(entry, period, resources, now)
        if not await db.set_offered(entry.id, offer_id, min(now + HOLD, entry.starts_at), now):
            await db.delete_offer(offer_id)  # it stopped waiting meanwhile
            continue
        existing += holds
        offered.append(entry.id)
        await _tell(entry, OFFERED_KIND, now)
        await audit.record(None, "waitlist.offered", "waitlist", entry.id, now, booking=offer_id)
    return offered


def _closed(entry: db.Entry, closed: list[Closure]) -> bool:
    """Whether a closure of the hub (or of one of the entry's resources) covers its time:
    nothing is offered that confirming would refuse for that."""
    return any(
        c.start < entry.ends_at
        and c.end > entry.starts_at
        and (c.resource_id is None or c.resource_id in entry.items)
        for c in closed
    )


def _fitting(
    entry: db.Entry, resources: dict[int, ResourceInfo], existing: list[Hold]
) -> tuple[list[Hold], Slot] | None:
    """The holds and slot of the entry when they fit beside ``existing``; None otherwise."""
    if any(r not in resources or not resources[r].active for r in entry.items):
        return None
    try:
        period = slot(entry.starts_at, entry.ends_at, zones.get_zone(entry.timezone))
    except WallClockError:
        return None
    holds = wanted_holds(period, entry.items, resources, None)
    if find(holds, existing, {r.id: r.quantity for r in resources.values()}):
        return None
    return holds, period


async def _tell(entry: db.Entry, kind: str, now: datetime) -> int:
    """The member who joined and the association's representatives hear of the offer."""
    people = ([entry.user_id] if entry.user_id else []) + await db.representatives(
        entry.association_id
    )
    stored = 0
    for user_id in await db.active_users(list(dict.fromkeys(people))):
        payload = {"entry_id": entry.id, "title": entry.title}
        key = f"{kind}:{entry.id}:{user_id}"
        stored += await outbox.enqueue(user_id, kind, payload, key, now)
    return stored


async def tick(now: datetime) -> dict[str, int]:
    """The job: lapse the holds not confirmed in time (each passes to the next entry),
    retire entries whose time has come, and offer any slot freed without a hook."""
    lapsed = 0
    for entry_id in await db.lapsed(now):
        async with transaction():
            entry = await db.by_id(entry_id, lock=True)
            if entry is None or entry.status != db.OFFERED:
                continue  # another worker did it
            if entry.hold_until is not None and entry.hold_until > now:
                continue
            await db.delete_offer(entry.offer_id)
            await db.finish(entry.id, db.LAPSED, now)
            await _tell(entry, LAPSED_KIND, now)
            await audit.record(None, "waitlist.lapsed", "waitlist", entry.id, now)
            await _offer(entry.hub_id, set(entry.items), entry.starts_at, entry.ends_at, now)
            lapsed += 1
    retired = await db.retire_past(now)
    swept = 0
    for hub_id, start, end in await db.waiting_window(now):
        async with transaction():
            swept += len(await _offer(hub_id, None, start, end, now))
    return {"lapsed": lapsed, "retired": retired, "offered": swept}
