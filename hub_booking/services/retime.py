"""Keeping bookings on the wall clock when Morocco's clock rules change.

A booking promises local times in the hub's zone. When the zone data changes (a new tzdata
release after a decree), ``retime`` recomputes the UTC instants of every future booking and
closure from their local times. Nobody is moved silently: a booking whose local time no longer
exists or now happens twice keeps its old instants, and a booking whose new instants would
clash with another booking's hold keeps its old instants too; both are reported to the hub's
managers (outbox), audited, and listed by the command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from hub_booking import zones
from hub_booking.db import booking_writes, bookings, catalogue, closures, installation
from hub_booking.db import holds as held
from hub_booking.db.engine import transaction
from hub_booking.domain.bookings import BookingView
from hub_booking.domain.conflicts import find
from hub_booking.domain.model import Hold
from hub_booking.domain.wallclock import WallClockError, local_slot
from hub_booking.services import audit, notifications

STATE_KEY = "tzdata_version"


@dataclass
class Report:
    version: str
    moved: list[dict[str, Any]] = field(default_factory=list)
    unresolved: list[dict[str, Any]] = field(default_factory=list)  # local time gone or doubled
    clashes: list[dict[str, Any]] = field(default_factory=list)
    closures_moved: int = 0

    def lines(self) -> list[str]:
        out = [
            f"zone data {self.version}: {len(self.moved)} booking(s) retimed, "
            f"{self.closures_moved} closure(s)"
        ]
        out += [
            f"  cannot keep booking {p['id']}: {p['problem']} ({p['local_start']})"
            for p in self.unresolved
        ]
        out += [
            f"  booking {c['id']} would clash at its wall-clock time; kept at {c['kept_start']}"
            for c in self.clashes
        ]
        return out


async def recorded_version() -> str | None:
    return await installation.fact(STATE_KEY)


async def retime_if_zone_data_changed(now: datetime) -> Report | None:
    if await recorded_version() == zones.IANA_VERSION:
        return None
    return await retime(now)


async def retime(
    now: datetime,
    *,
    get_zone: Callable[[str], tzinfo] = zones.get_zone,
    version: str = zones.IANA_VERSION,
) -> Report:
    report = Report(version)
    async with transaction():
        future = await bookings.future_holding(now)
        planned = _plan(future, get_zone, report)
        holds = await held.holds_of([b.id for b in future])
        planned = await _without_clashes(planned, future, holds, report)
        # Released while they move, so PostgreSQL's exclusion constraint never sees a booking
        # half-way (its new place may still be taken by one that has not moved yet).
        await held.set_holding(list(planned), False)
        for booking in future:
            if booking.id in planned:
                new_holds = _holds(booking, holds, planned)
                await booking_writes.retime(booking.id, *planned[booking.id], new_holds, now)
                report.moved.append(
                    {
                        "id": booking.id,
                        "from": booking.starts_at.isoformat(),
                        "to": planned[booking.id][0].isoformat(),
                    }
                )
        await held.set_holding(list(planned), True)
        report.closures_moved = await _closures(now, get_zone)
        await installation.record(STATE_KEY, version)
        await _tell_managers(report, now)
        await audit.record(
            None,
            "zones.retimed",
            "installation",
            None,
            now,
            version=version,
            moved=len(report.moved),
            unresolved=len(report.unresolved),
            clashes=len(report.clashes),
        )
    return report


def _plan(
    future: list[BookingView], get_zone: Callable[[str], tzinfo], report: Report
) -> dict[int, tuple[datetime, datetime]]:
    """New UTC instants of each booking whose wall-clock time now maps elsewhere."""
    planned = {}
    for booking in future:
        try:
            slot = local_slot(booking.local_start, booking.local_end, get_zone(booking.timezone))
        except WallClockError as exc:
            report.unresolved.append(
                {
                    "id": booking.id,
                    "hub": booking.hub_id,
                    "problem": exc.violation.code,
                    "local_start": booking.local_start.isoformat(),
                }
            )
            continue
        if (slot.start, slot.end) != (booking.starts_at, booking.ends_at):
            planned[booking.id] = (slot.start, slot.end)
    return planned


async def _without_clashes(
    planned: dict[int, tuple[datetime, datetime]],
    future: list[BookingView],
    holds: dict[int, list[Hold]],
    report: Report,
) -> dict[int, tuple[datetime, datetime]]:
    """Drop (and report) moves whose new holds would clash; repeat until nothing clashes."""
    by_id = {booking.id: booking for booking in future}
    resource_ids = sorted({h.resource_id for held in holds.values() for h in held})
    quantities = {r.id: r.quantity for r in (await catalogue.resource_infos(resource_ids)).values()}
    fixed = await held.holds_except(resource_ids, list(by_id))
    for _ in range(len(planned) + 1):
        every = fixed + [h for b in by_id.values() for h in _holds(b, holds, planned)]
        clashing = set()
        for booking_id in planned:
            mine = _holds(by_id[booking_id], holds, planned)
            rest = [h for h in every if h.booking_id != booking_id]
            if find(mine, rest, quantities):
                clashing.add(booking_id)
        if not clashing:
            break
        for booking_id in clashing:
            booking = by_id[booking_id]
            report.clashes.append(
                {
                    "id": booking_id,
                    "hub": booking.hub_id,
                    "kept_start": booking.starts_at.isoformat(),
                }
            )
            del planned[booking_id]
    return planned


def _holds(booking: BookingView, holds: dict[int, list[Hold]], planned: dict) -> list[Hold]:
    """The booking's holds, shifted as far as its planned new instants move it."""
    start, end = planned.get(booking.id, (booking.starts_at, booking.ends_at))
    shift_start, shift_end = start - booking.starts_at, end - booking.ends_at
    return [
        replace(h, start=h.start + shift_start, end=h.end + shift_end)
        for h in holds.get(booking.id, [])
    ]


async def _closures(now: datetime, get_zone: Callable[[str], tzinfo]) -> int:
    moved = 0
    for closure in await closures.future(now):
        zone = get_zone(closure.timezone)
        try:
            slot = local_slot(closure.local_start, closure.local_end, zone)
            start, end = slot.start, slot.end
        except WallClockError:
            # A closure is the hub's own decision: widen it to cover both readings of the hour.
            start = closure.local_start.replace(tzinfo=zone).astimezone(UTC) - timedelta(hours=1)
            end = closure.local_end.replace(tzinfo=zone, fold=1).astimezone(UTC) + timedelta(
                hours=1
            )
        if (start, end) != (closure.starts_at, closure.ends_at):
            await closures.retime(closure.id, start, end)
            moved += 1
    return moved


async def _tell_managers(report: Report, now: datetime) -> None:
    for problem in [*report.unresolved, *report.clashes]:
        await notifications.to_hub_managers(
            problem["hub"],
            "retime_problem",
            {k: str(v) for k, v in problem.items()},
            f"retime:{report.version}:{problem['id']}",
            now,
        )
