"""The hub calendar as a grid: resources as rows, time as columns, each cell in one state.

Everything here works on the hub's wall clock (naive local datetimes, as bookings and closures
keep them); the UTC instants of a free cell are derived with the hub's zone, so a link can
name them. Who sees what is decided here too: other associations' bookings become "booked"
with neither title nor association, unless the viewer manages the hub.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from hub_booking.domain.intervals import merge, subtract, usage_steps
from hub_booking.domain.model import BookingStatus, Closure, ResourceKind
from hub_booking.domain.rules import WEEKDAYS
from hub_booking.domain.wallclock import WallClockError, to_local, to_utc

STEP = timedelta(minutes=30)
WEEK = 7
DEFAULT_SPAN = (time(8), time(22))  # a day view of a hub closed that day still has columns

Period = tuple[datetime, datetime]


class CellState(StrEnum):
    FREE = "free"
    CLOSED = "closed"
    BOOKED = "booked"  # another association's booking, masked
    PENDING = "pending"  # awaiting approval, seen in full (own, or by a manager)
    APPROVED = "approved"  # another association's approved booking, seen by a manager
    OWN = "own"  # the viewer's association's approved booking


class View(StrEnum):
    WEEK = "week"
    DAY = "day"


@dataclass(frozen=True)
class Row:
    """A resource as the calendar shows it, with its effective opening hours."""

    id: int
    name: str
    kind: ResourceKind
    capacity: int | None
    quantity: int
    opening_hours: dict[str, list[list[str]]]


@dataclass(frozen=True)
class Entry:
    """One holding booking on one resource, as stored (nothing masked yet)."""

    booking_id: int
    resource_id: int
    quantity: int
    association_id: int
    association_name: str
    title: str
    status: BookingStatus
    local_start: datetime
    local_end: datetime
    series_id: int | None = None


@dataclass(frozen=True)
class LocalClosure:
    """A closure of the hub (``resource_id`` None) or of one resource, on the wall clock."""

    local_start: datetime
    local_end: datetime
    reason: str
    resource_id: int | None = None


@dataclass(frozen=True)
class Viewer:
    """Whose calendar it is: their associations, and whether they manage the hub."""

    association_ids: frozenset[int] = frozenset()
    manages_hub: bool = False


@dataclass(frozen=True)
class Block:
    """A booking as the viewer may see it (``title``/``association`` empty when masked;
    ``booking_id`` None when the viewer may not open it)."""

    state: CellState
    local_start: datetime
    local_end: datetime
    quantity: int
    own: bool = False
    title: str = ""
    association: str = ""
    booking_id: int | None = None


@dataclass(frozen=True)
class Cell:
    """One cell: its wall-clock period, state, the bookings in it and, for a free cell, the
    UTC instants to book it (None where the wall clock has no single instant)."""

    local_start: datetime
    local_end: datetime
    state: CellState
    span: int = 1
    blocks: tuple[Block, ...] = ()
    reason: str = ""
    free_units: int = 0
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class GridRow:
    resource: Row
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Grid:
    view: View
    columns: tuple[Period, ...]
    rows: tuple[GridRow, ...] = field(default_factory=tuple)


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def shown_days(view: View, day: date) -> list[date]:
    """The dates a view of ``day`` shows: that day, or its whole week from Monday."""
    if view == View.DAY:
        return [day]
    monday = week_start(day)
    return [monday + timedelta(days=i) for i in range(WEEK)]


def block_of(entry: Entry, viewer: Viewer) -> Block:
    """What the viewer may see of a booking: in full for its association and the hub's
    managers, otherwise only that the time is taken."""
    own = entry.association_id in viewer.association_ids
    if not (own or viewer.manages_hub):
        return Block(CellState.BOOKED, entry.local_start, entry.local_end, entry.quantity)
    if entry.status == BookingStatus.PENDING:
        state = CellState.PENDING
    else:
        state = CellState.OWN if own else CellState.APPROVED
    return Block(
        state,
        entry.local_start,
        entry.local_end,
        entry.quantity,
        own=own,
        title=entry.title,
        association=entry.association_name,
        booking_id=entry.booking_id,
    )


def opening(row: Row, day: date) -> list[Period]:
    """The resource's opening periods on ``day`` (wall clock)."""
    midnight = datetime.combine(day, time())
    periods = []
    for open_, close in row.opening_hours.get(WEEKDAYS[day.weekday()], []):
        periods.append((midnight + _clock(open_), midnight + _clock(close)))
    return merge(periods)


@dataclass(frozen=True)
class Frame:
    """What every cell is judged against: the closures, the viewer, the hub's zone and its
    wall-clock ``now`` (a free cell that has begun cannot be booked any more)."""

    closures: Sequence[LocalClosure]
    viewer: Viewer
    zone: tzinfo
    now: datetime


def day_grid(day: date, rows: Sequence[Row], entries: Iterable[Entry], frame: Frame) -> Grid:
    """The day view: one column per 30 minutes over the opening hours of the shown resources."""
    columns = _day_columns(day, rows)
    instants = _instants(columns, frame)
    by_row = _by_resource(entries, frame.viewer)
    openings = _openings(rows, [day])
    grid_rows = []
    for row in rows:
        mine, shut, opened = by_row.get(row.id, []), _shut(row, frame), openings[row.id, day]
        cells = [
            _day_cell(row, column, instant, mine, shut, opened)
            for column, instant in zip(columns, instants, strict=True)
        ]
        grid_rows.append(GridRow(row, tuple(_merged(cells))))
    return Grid(View.DAY, tuple(columns), tuple(grid_rows))


def week_grid(day: date, rows: Sequence[Row], entries: Iterable[Entry], frame: Frame) -> Grid:
    """The week view (Monday to Sunday): one cell per resource and day, listing its bookings."""
    days = shown_days(View.WEEK, day)
    columns = tuple(
        (datetime.combine(d, time()), datetime.combine(d + timedelta(days=1), time())) for d in days
    )
    by_day = _by_day(entries, frame.viewer)
    openings = _openings(rows, days)
    grid_rows = []
    for row in rows:
        shut = _shut(row, frame)
        cells = tuple(
            _week_cell(row, d, by_day.get((row.id, d), []), shut, openings[row.id, d]) for d in days
        )
        grid_rows.append(GridRow(row, cells))
    return Grid(View.WEEK, columns, tuple(grid_rows))


Seen = list[tuple[Entry, Block]]  # a resource's bookings and what the viewer sees of each
Shut = list[tuple[datetime, datetime, str]]  # closures that apply to a resource


def _by_resource(entries: Iterable[Entry], viewer: Viewer) -> dict[int, Seen]:
    found: dict[int, Seen] = {}
    for entry in sorted(entries, key=lambda e: (e.local_start, e.booking_id)):
        found.setdefault(entry.resource_id, []).append((entry, block_of(entry, viewer)))
    return found


def _by_day(entries: Iterable[Entry], viewer: Viewer) -> dict[tuple[int, date], Seen]:
    """Each resource's bookings by the days they touch on the wall clock."""
    found: dict[tuple[int, date], Seen] = {}
    for entry, block in (p for seen in _by_resource(entries, viewer).values() for p in seen):
        day, last = entry.local_start.date(), (entry.local_end - timedelta(microseconds=1)).date()
        while day <= last:
            found.setdefault((entry.resource_id, day), []).append((entry, block))
            day += timedelta(days=1)
    return found


def _shut(row: Row, frame: Frame) -> Shut:
    return [
        (c.local_start, c.local_end, c.reason)
        for c in frame.closures
        if c.resource_id in (None, row.id)
    ]


def _openings(rows: Sequence[Row], days: list[date]) -> dict[tuple[int, date], list[Period]]:
    """Opening periods by resource and day, worked out once per distinct set of hours (most
    resources share their hub's)."""
    by_hours: dict[tuple[int, date], list[Period]] = {}
    found = {}
    for row in rows:
        for day in days:
            key = (id(row.opening_hours), day)
            if key not in by_hours:
                by_hours[key] = opening(row, day)
            found[row.id, day] = by_hours[key]
    return found


def _day_columns(day: date, rows: Sequence[Row]) -> list[Period]:
    """30-minute columns from the earliest opening to the latest closing of the day."""
    periods = [p for periods in _openings(rows, [day]).values() for p in periods]
    midnight = datetime.combine(day, time())
    if periods:
        first, last = min(p[0] for p in periods), max(p[1] for p in periods)
    else:
        first, last = (datetime.combine(day, t) for t in DEFAULT_SPAN)
    first = midnight + STEP * ((first - midnight) // STEP)
    columns = []
    while first < last:
        columns.append((first, first + STEP))
        first += STEP
    return columns


Instants = tuple[datetime, datetime] | None | bool


def _instants(columns: list[Period], frame: Frame) -> list[Instants]:
    """Each column's UTC instants; None when it has begun already, False when the wall clock
    gives one of its edges no single instant (a clock change)."""
    edges: dict[datetime, datetime | None] = {}
    for lo, hi in columns:
        for edge in (lo, hi):
            if edge not in edges:
                try:
                    edges[edge] = to_utc(edge, frame.zone)
                except WallClockError:
                    edges[edge] = None
    found: list[Instants] = []
    for lo, hi in columns:
        start, end = edges[lo], edges[hi]
        found.append(
            False if start is None or end is None else None if lo < frame.now else (start, end)
        )
    return found


def _day_cell(
    row: Row, column: Period, instant: Instants, seen: Seen, shut: Shut, opened: list[Period]
) -> Cell:
    lo, hi = column
    here = [pair for pair in seen if pair[0].local_start < hi and lo < pair[0].local_end]
    blocks = tuple(block for _, block in here)
    used = _peak([entry for entry, _ in here], lo, hi) if here else 0
    if here and used >= row.quantity:
        return Cell(lo, hi, _dominant(blocks), blocks=blocks)
    reason = next((why for a, b, why in shut if a < hi and lo < b), None)
    if reason is None and not any(a <= lo and hi <= b for a, b in opened):
        reason = ""
    if reason is not None or instant is False:  # closed, or no single instant to book
        return Cell(lo, hi, CellState.CLOSED, blocks=blocks, reason=reason or "")
    start, end = instant if isinstance(instant, tuple) else (None, None)  # None: begun
    free = row.quantity - used
    return Cell(lo, hi, CellState.FREE, blocks=blocks, free_units=free, start=start, end=end)


def _week_cell(row: Row, day: date, seen: Seen, shut: Shut, opened: list[Period]) -> Cell:
    """A day of a resource: its bookings, and free when at least 30 minutes are still open
    and not taken (or closed, with the reason of a closure)."""
    lo = datetime.combine(day, time())
    hi = lo + timedelta(days=1)
    here = [entry for entry, _ in seen]  # the day's own (see ``_by_day``)
    blocks = tuple(block for _, block in seen)
    closing = [(a, b, why) for a, b, why in shut if a < hi and lo < b]
    reason = closing[0][2] if closing else ""
    if closing:
        opened = subtract(opened, [(a, b) for a, b, _ in closing])
    if here and row.quantity == 1:
        opened = subtract(opened, [(e.local_start, e.local_end) for e in here])
    elif here:
        usage = usage_steps(((e.local_start, e.local_end, e.quantity) for e in here), lo, hi)
        opened = subtract(opened, [(a, b) for a, b, units in usage if units >= row.quantity])
    if any(b - a >= STEP for a, b in opened):
        return Cell(lo, hi, CellState.FREE, blocks=blocks, reason=reason)
    if not blocks:
        return Cell(lo, hi, CellState.CLOSED, reason=reason)
    return Cell(lo, hi, _dominant(blocks), blocks=blocks, reason=reason)


def _peak(entries: list[Entry], lo: datetime, hi: datetime) -> int:
    if len(entries) == 1:
        return entries[0].quantity
    steps = usage_steps(((e.local_start, e.local_end, e.quantity) for e in entries), lo, hi)
    return max((units for _, _, units in steps), default=0)


def _dominant(blocks: tuple[Block, ...]) -> CellState:
    """The state a full cell shows: the viewer's own first, then what they may read."""
    states = {b.state for b in blocks}
    return next((s for s in _PRECEDENCE if s in states), CellState.BOOKED)


_PRECEDENCE = (CellState.OWN, CellState.PENDING, CellState.APPROVED, CellState.BOOKED)


def _merged(cells: list[Cell]) -> list[Cell]:
    """Neighbouring cells showing the same bookings or the same closure become one cell."""
    merged: list[Cell] = []
    for cell in cells:
        last = merged[-1] if merged else None
        if (
            last is not None
            and cell.state != CellState.FREE
            and (last.state, last.reason, last.blocks) == (cell.state, cell.reason, cell.blocks)
        ):
            merged[-1] = Cell(
                last.local_start,
                cell.local_end,
                last.state,
                span=last.span + 1,
                blocks=last.blocks,
                reason=last.reason,
            )
        else:
            merged.append(cell)
    return merged


def _clock(text: str) -> timedelta:
    hours, minutes = text.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))


def local_closures(closures: Iterable[Closure], zone: tzinfo) -> list[LocalClosure]:
    """Closures (UTC instants) on the hub's wall clock."""
    return [
        LocalClosure(to_local(c.start, zone), to_local(c.end, zone), c.reason, c.resource_id)
        for c in closures
    ]
