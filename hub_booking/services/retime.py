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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from hub_booking import zones
from hub_booking.db.engine import transaction
from hub_booking.db.tables import AppState, Blackout, Booking, BookingItem, Resource
from hub_booking.domain.conflicts import find
from hub_booking.domain.model import HOLDING, Hold
from hub_booking.domain.wallclock import WallClockError, to_utc
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
    row = await AppState.select(AppState.value).where(AppState.key == STATE_KEY).first()
    return row["value"] if row else None


async def retime_if_zone_data_changed(now: datetime) -> Report | None:
    """Run ``retime`` when the zone data differs from the one the bookings were timed with."""
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
        rows = await Booking.select(
            Booking.id,
            Booking.hub,
            Booking.local_start,
            Booking.local_end,
            Booking.timezone,
            Booking.starts_at,
            Booking.ends_at,
        ).where(Booking.status.is_in(list(HOLDING)) & (Booking.starts_at > now.astimezone(UTC)))
        planned = _plan(rows, get_zone, report)
        items = await _items([row["id"] for row in rows])
        planned = await _without_clashes(planned, rows, items, report)
        # Released while they move, so PostgreSQL's exclusion constraint never sees a booking
        # half-way (its new place may still be taken by one that has not moved yet).
        moving = list(planned) or [-1]
        await BookingItem.update({BookingItem.holding: False}).where(
            BookingItem.booking.is_in(moving)
        )
        for row in rows:
            if row["id"] in planned:
                await _move(row, planned[row["id"]], items.get(row["id"], []), now, report)
        await BookingItem.update({BookingItem.holding: True}).where(
            BookingItem.booking.is_in(moving)
        )
        report.closures_moved = await _closures(now, get_zone)
        await _record(version)
        await _tell_managers(rows, report, now)
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
    rows: list[dict[str, Any]], get_zone: Callable[[str], tzinfo], report: Report
) -> dict[int, tuple[datetime, datetime]]:
    """New UTC instants of each booking whose wall-clock time now maps elsewhere."""
    planned = {}
    for row in rows:
        zone = get_zone(row["timezone"])
        try:
            start, end = to_utc(row["local_start"], zone), to_utc(row["local_end"], zone, "ends_at")
        except WallClockError as exc:
            report.unresolved.append(
                {
                    "id": row["id"],
                    "hub": row["hub"],
                    "problem": exc.violation.code,
                    "local_start": row["local_start"].isoformat(),
                }
            )
            continue
        if (start, end) != (row["starts_at"], row["ends_at"]):
            planned[row["id"]] = (start, end)
    return planned


async def _items(booking_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for item in await BookingItem.select().where(BookingItem.booking.is_in(booking_ids or [-1])):
        found.setdefault(item["booking"], []).append(item)
    return found


async def _without_clashes(
    planned: dict[int, tuple[datetime, datetime]],
    rows: list[dict[str, Any]],
    items: dict[int, list[dict[str, Any]]],
    report: Report,
) -> dict[int, tuple[datetime, datetime]]:
    """Drop (and report) moves whose new holds would clash; repeat until nothing clashes."""
    by_id = {row["id"]: row for row in rows}
    resource_ids = sorted({item["resource"] for rows_ in items.values() for item in rows_})
    quantities = {
        r["id"]: r["quantity"]
        for r in await Resource.select(Resource.id, Resource.quantity).where(
            Resource.id.is_in(resource_ids or [-1])
        )
    }
    others = await BookingItem.select().where(
        BookingItem.resource.is_in(resource_ids or [-1])
        & BookingItem.holding.eq(True)
        & BookingItem.booking.not_in(list(by_id) or [-1])
    )
    fixed = [
        Hold(o["resource"], o["quantity"], o["hold_start"], o["hold_end"], o["booking"])
        for o in others
    ]
    for _ in range(len(planned) + 1):
        holds = fixed + [
            h for booking_id in by_id for h in _holds(booking_id, by_id[booking_id], items, planned)
        ]
        clashing = set()
        for booking_id in planned:
            mine = _holds(booking_id, by_id[booking_id], items, planned)
            rest = [h for h in holds if h.booking_id != booking_id]
            if find(mine, rest, quantities):
                clashing.add(booking_id)
        if not clashing:
            break
        for booking_id in clashing:
            row = by_id[booking_id]
            report.clashes.append(
                {"id": booking_id, "hub": row["hub"], "kept_start": row["starts_at"].isoformat()}
            )
            del planned[booking_id]
    return planned


def _holds(
    booking_id: int, row: dict[str, Any], items: dict[int, list[dict[str, Any]]], planned: dict
) -> list[Hold]:
    start, end = planned.get(booking_id, (row["starts_at"], row["ends_at"]))
    shift_start, shift_end = start - row["starts_at"], end - row["ends_at"]
    return [
        Hold(
            i["resource"],
            i["quantity"],
            i["hold_start"] + shift_start,
            i["hold_end"] + shift_end,
            booking_id,
        )
        for i in items.get(booking_id, [])
    ]


async def _move(
    row: dict[str, Any],
    new: tuple[datetime, datetime],
    items: list[dict[str, Any]],
    now: datetime,
    report: Report,
) -> None:
    start, end = new
    await Booking.update(
        {
            Booking.starts_at: start,
            Booking.ends_at: end,
            Booking.revision: Booking.revision + 1,
            Booking.updated_at: now,
        }
    ).where(Booking.id == row["id"])
    for item in items:
        await BookingItem.update(
            {
                BookingItem.hold_start: item["hold_start"] + (start - row["starts_at"]),
                BookingItem.hold_end: item["hold_end"] + (end - row["ends_at"]),
            }
        ).where(BookingItem.id == item["id"])
    report.moved.append(
        {"id": row["id"], "from": row["starts_at"].isoformat(), "to": start.isoformat()}
    )


async def _closures(now: datetime, get_zone: Callable[[str], tzinfo]) -> int:
    moved = 0
    for row in await Blackout.select().where(Blackout.ends_at > now.astimezone(UTC)):
        zone = get_zone(row["timezone"])
        try:
            start, end = to_utc(row["local_start"], zone), to_utc(row["local_end"], zone)
        except WallClockError:
            # A closure is the hub's own decision: widen it to cover both readings of the hour.
            start = row["local_start"].replace(tzinfo=zone).astimezone(UTC) - timedelta(hours=1)
            end = row["local_end"].replace(tzinfo=zone, fold=1).astimezone(UTC) + timedelta(hours=1)
        if (start, end) != (row["starts_at"], row["ends_at"]):
            await Blackout.update({Blackout.starts_at: start, Blackout.ends_at: end}).where(
                Blackout.id == row["id"]
            )
            moved += 1
    return moved


async def _record(version: str) -> None:
    if await AppState.exists().where(AppState.key == STATE_KEY):
        await AppState.update({AppState.value: version}).where(AppState.key == STATE_KEY)
    else:
        await AppState.insert(AppState(key=STATE_KEY, value=version))


async def _tell_managers(rows: list[dict[str, Any]], report: Report, now: datetime) -> None:
    for problem in [*report.unresolved, *report.clashes]:
        await notifications.to_hub_managers(
            problem["hub"],
            "retime_problem",
            {k: str(v) for k, v in problem.items()},
            f"retime:{report.version}:{problem['id']}",
            now,
        )
