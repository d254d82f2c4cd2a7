"""The outbox: messages to users, written in the caller's transaction and sent by the worker.

The idempotency key is unique, so enqueueing the same message twice (a retried job, two
workers, two callers at the same moment) stores it once. Booking news is keyed by
(kind, booking, revision, recipient), reminders by (booking, offset, recipient, revision),
digests by (hub, manager, local date).

Reminders are rows due at ``send_after`` = the booking's start minus the offset. A move or
a new decision plans them again for the new revision and withdraws the older ones; a
cancellation, rejection or expiry withdraws them. The dispatcher still checks the booking
when one falls due, and ``replan_reminders`` keeps their due times on the booking's current
start (a ``retime`` moves bookings without passing through here).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from hub_booking import zones
from hub_booking.db import outbox
from hub_booking.db import preferences as chosen
from hub_booking.domain.bookings import BookingView
from hub_booking.domain.model import BookingStatus

# Defaults for users who chose nothing (/account/notifications, ``services.preferences``).
REMINDER_OFFSETS = (timedelta(hours=24), timedelta(hours=1))
DEFAULT_REMINDER_MINUTES = tuple(int(o.total_seconds() // 60) for o in REMINDER_OFFSETS)
LONGEST_REMINDER = timedelta(hours=48)  # the earliest a user may choose
DIGEST_AT = time(7, 30)
DIGEST_WINDOW = timedelta(hours=4)  # a worker down at 07:30 still sends it, once, until 11:30
# closed: cancelled by a closure of the hub (``reason``); released: a no-show's rest freed.
NEWS = ("approved", "rejected", "cancelled", "expired", "moved", "closed", "released")


async def enqueue(
    user_id: int, kind: str, payload: dict[str, Any], key: str, now: datetime
) -> bool:
    """Store a message unless one with this key exists; True when stored."""
    return await outbox.enqueue(user_id, kind, payload, key, now)


async def to_hub_managers(
    hub_id: int, kind: str, payload: dict[str, Any], key: str, now: datetime
) -> int:
    """The same message to every manager of the hub; returns how many were stored."""
    booking_id = payload.get("booking_id")
    stored = 0
    for user_id in await outbox.hub_manager_ids(hub_id):
        stored += await outbox.enqueue(
            user_id, kind, payload, f"{key}:{user_id}", now, booking_id=booking_id
        )
    return stored


async def to_platform_admins(kind: str, payload: dict[str, Any], key: str, now: datetime) -> int:
    """The same message to every platform administrator; returns how many were stored."""
    stored = 0
    for user_id in await outbox.platform_admin_ids():
        stored += await outbox.enqueue(user_id, kind, payload, f"{key}:{user_id}", now)
    return stored


async def booking_changed(booking_ids: list[int], kind: str, now: datetime, **details: Any) -> int:
    """Tell the requester and the association's representatives what happened to these
    bookings (one of ``NEWS``), and plan or withdraw their reminders to match. Call it in
    the transaction of the change, after writing it."""
    assert kind in NEWS, kind
    stored = 0
    for audience in await outbox.audiences(booking_ids):
        payload = {"booking_id": audience.booking_id, "revision": audience.revision, **details}
        for user_id in audience.user_ids:
            key = f"{kind}:{audience.booking_id}:{audience.revision}:{user_id}"
            stored += await outbox.enqueue(
                user_id, kind, payload, key, now, booking_id=audience.booking_id
            )
    await plan_reminders(booking_ids, now)
    return stored


async def plan_reminders(booking_ids: list[int], now: datetime) -> int:
    """Reminders for the requester of each approved booking at its current revision (and
    the members who asked for their associations' reminders), at the times each chose; the
    unsent reminders of older revisions (or of bookings no longer approved) are withdrawn.
    A reminder whose time has already passed is not planned."""
    wanted: list[outbox.Message] = []
    audiences = await outbox.audiences(booking_ids)
    plans = await _plans(
        [a.requester for a in audiences if a.requester], [a.association_id for a in audiences]
    )
    for audience in audiences:
        if audience.status != BookingStatus.APPROVED or audience.requester is None:
            await outbox.withdraw_reminders([audience.booking_id])
            continue
        await outbox.withdraw_reminders([audience.booking_id], keep_revision=audience.revision)
        for user_id, minutes in plans.of(audience.requester, audience.association_id):
            wanted += _reminders(
                audience.booking_id, audience.revision, audience.starts_at, user_id, minutes, now
            )
    return await outbox.enqueue_all(wanted, now)


async def remind_new(bookings: list[BookingView], requester: int, now: datetime) -> int:
    """The reminders of approved bookings just created by ``requester``: nothing older to
    withdraw, one look-up of who wants which reminders, one insert for them all (the booking
    hot path)."""
    plans = await _plans([requester], [b.association_id for b in bookings])
    wanted = [
        message
        for booking in bookings
        for user_id, minutes in plans.of(requester, booking.association_id)
        for message in _reminders(
            booking.id, booking.revision, booking.starts_at, user_id, minutes, now
        )
    ]
    return await outbox.enqueue_all(wanted, now)


class _Plans:
    """Who is reminded of a booking, and how long before: its requester and the members
    watching its association, each at the times they chose (the defaults otherwise)."""

    def __init__(self, stored: dict[int, chosen.Stored], watchers: list[chosen.Watcher]):
        self.stored, self.watchers = stored, watchers

    def of(self, requester: int, association_id: int) -> list[tuple[int, tuple[int, ...]]]:
        users = [requester] + [
            w.user_id
            for w in self.watchers
            if w.association_id == association_id and w.user_id != requester
        ]
        return [(u, self.minutes(u)) for u in dict.fromkeys(users)]

    def minutes(self, user_id: int) -> tuple[int, ...]:
        found = self.stored.get(user_id)
        return found.reminder_minutes if found else DEFAULT_REMINDER_MINUTES


async def _plans(requesters: list[int], association_ids: list[int]) -> _Plans:
    return _Plans(*await chosen.reminded(requesters, association_ids))


def _reminders(
    booking_id: int,
    revision: int,
    starts_at: datetime,
    requester: int,
    minutes_before: tuple[int, ...],
    now: datetime,
) -> list[outbox.Message]:
    """The reminders of one booking at one revision that are still to come."""
    found = []
    for minutes in minutes_before:
        due = starts_at - timedelta(minutes=minutes)
        if due <= now:
            continue
        key = f"reminder:{booking_id}:{minutes}:{requester}:{revision}"
        payload = {"booking_id": booking_id, "revision": revision, "minutes": minutes}
        found.append(outbox.Message(requester, outbox.REMINDER, payload, key, due, booking_id))
    return found


async def replan_reminders(now: datetime, horizon: timedelta = timedelta(days=2)) -> int:
    """Keep the due time of the coming reminders on their booking's current start, and
    withdraw those of bookings no longer approved; returns how many rows changed (a job)."""
    longest = LONGEST_REMINDER
    changed, doomed = 0, []
    for planned in await outbox.planned_reminders(now - longest, now + longest + horizon):
        if planned.status != BookingStatus.APPROVED:
            doomed.append(planned.id)
            continue
        due = planned.starts_at - timedelta(minutes=int(planned.payload.get("minutes", 0)))
        if planned.send_after != due:
            await outbox.reschedule(planned.id, due)
            changed += 1
    await outbox.delete_unsent(doomed)
    return changed + len(doomed)


async def queue_digests(now: datetime) -> int:
    """Each hub manager's daily digest, due from 07:30 on the hub's clock (a job; the key
    per hub, manager and local date makes any number of schedulers queue it once)."""
    wanted: dict[str, tuple[int, dict[str, Any]]] = {}
    for hub_id, zone_name, manager in await outbox.managed_hubs():
        zone = zones.get_zone(zone_name)
        local = now.astimezone(zone)
        start = datetime.combine(local.date(), DIGEST_AT, tzinfo=zone)
        if start <= local < start + DIGEST_WINDOW:
            day = local.date().isoformat()
            wanted[f"digest:{hub_id}:{manager}:{day}"] = (manager, {"hub_id": hub_id, "date": day})
    existing = await outbox.existing_keys(list(wanted))
    stored = 0
    for key, (manager, payload) in wanted.items():
        if key not in existing:
            stored += await outbox.enqueue(manager, "digest", payload, key, now)
    return stored
