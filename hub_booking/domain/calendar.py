"""The hub calendar as a grid: resources as rows, time as columns, each cell in one state.

Everything here works on the hub's wall clock (naive local datetimes, as bookings and closures
keep them); the UTC instants of a free cell are derived with the hub's zone, so a link can
name them. Who sees what is decided here too: other associations' bookings become "booked"
with neither title nor association, unless the viewer manages the hub.

A whole hub's week is some 350 cells and 400 bookings, a day 1,400 cells, built on every
calendar request: bookings, blocks and cells are named tuples (cheap to build), each booking
is placed in the cells it touches by arithmetic on the columns, and what the rows share
(opening hours, column instants) is worked out once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import NamedTuple

from hub_booking.domain.intervals import merge, subtract, usage_steps
from hub_booking.domain.model import BookingStatus, Closure, ResourceKind
from hub_booking.domain.rules import WEEKDAYS
from hub_booking.domain.wallclock import WallClockError, to_local, to_utc

STEP = timedelta(minutes=30)
WEEK = 7
DAY = timedelta(days=1)
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


class Entry(NamedTuple):
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


class Block(NamedTuple):
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


class Cell(NamedTuple):
    """One cell: its wall-clock period, state, the bookings in it and, for a free cell, the
    UTC instants to book it (None where it has begun or the wall clock has no single
    instant)."""

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


@dataclass(frozen=True)
class Frame:
    """What every cell is judged against: the closures, the viewer, the hub's zone and its
    wall-clock ``now`` (a free cell that has begun cannot be booked any more)."""

    closures: Sequence[LocalClosure]
    viewer: Viewer
    zone: tzinfo
    now: datetime


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
        own,
        entry.title,
        entry.association_name,
        entry.booking_id,
    )


def opening(row: Row, day: date) -> list[Period]:
    """The resource's opening periods on ``day`` (wall clock)."""
    midnight = datetime.combine(day, time())
    periods = []
    for open_, close in row.opening_hours.get(WEEKDAYS[day.weekday()], []):
        periods.append((midnight + _clock(open_), midnight + _clock(close)))
    return merge(periods)


Seen = list[tuple[Entry, Block]]  # bookings of a resource in a cell, and what the viewer sees
Shut = list[tuple[datetime, datetime, str]]  # closures that apply to a resource


def week_grid(day: date, rows: Sequence[Row], entries: Iterable[Entry], frame: Frame) -> Grid:
    """The week view (Monday to Sunday): one cell per resource and day, listing its bookings."""
    days = shown_days(View.WEEK, day)
    columns = tuple((m, m + DAY) for m in (datetime.combine(d, time()) for d in days))
    placed = _by_day(entries, frame.viewer, columns[0][0])
    openings = _openings(rows, days)
    nothing: Week = ([[] for _ in days], [[] for _ in days])
    grid_rows = []
    for row in rows:
        shut = _shut(row, frame)
        held, seen = placed.get(row.id, nothing)
        cells = tuple(
            _week_cell(row, lo, hi, held[i], seen[i], shut, openings[row.id, days[i]])
            for i, (lo, hi) in enumerate(columns)
        )
        grid_rows.append(GridRow(row, cells))
    return Grid(View.WEEK, columns, tuple(grid_rows))


def day_grid(day: date, rows: Sequence[Row], entries: Iterable[Entry], frame: Frame) -> Grid:
    """The day view: one column per 30 minutes over the opening hours of the shown resources."""
    columns = _day_columns(day, rows)
    instants = _instants(columns, frame)
    placed = _by_column(entries, frame.viewer, columns)
    openings = _openings(rows, [day])
    inside: dict[int, list[bool]] = {}  # by opening periods: is each column wholly open
    grid_rows = []
    for row in rows:
        opened = openings[row.id, day]
        if id(opened) not in inside:
            inside[id(opened)] = [any(a <= lo and hi <= b for a, b in opened) for lo, hi in columns]
        reasons = _closed_columns(_shut(row, frame), inside[id(opened)], columns)
        seen = placed.get(row.id) or [[] for _ in columns]
        cells = _day_cells(row, columns, instants, seen, reasons)
        grid_rows.append(GridRow(row, tuple(cells)))
    return Grid(View.DAY, tuple(columns), tuple(grid_rows))


def _sorted_blocks(entries: Iterable[Entry], viewer: Viewer) -> Seen:
    return [
        (entry, block_of(entry, viewer))
        for entry in sorted(entries, key=lambda e: (e.local_start, e.booking_id))
    ]


Week = tuple[list[list[Entry]], list[list[Block]]]  # a resource's bookings by weekday


def _by_day(entries: Iterable[Entry], viewer: Viewer, monday: datetime) -> dict[int, Week]:
    """Each resource's bookings by the days of the week they touch on the wall clock, and
    what the viewer sees of each."""
    found: dict[int, Week] = {}
    origin = monday.toordinal()
    for entry, block in _sorted_blocks(entries, viewer):
        first = max(entry.local_start.toordinal() - origin, 0)
        last = min((entry.local_end - _TICK).toordinal() - origin, WEEK - 1)
        if first > last:
            continue
        week = found.get(entry.resource_id)
        if week is None:
            week = found[entry.resource_id] = ([[] for _ in _DAYS], [[] for _ in _DAYS])
        held, seen = week
        for i in range(first, last + 1):
            held[i].append(entry)
            seen[i].append(block)
    return found


_DAYS = range(WEEK)


def _by_column(
    entries: Iterable[Entry], viewer: Viewer, columns: list[Period]
) -> dict[int, list[Seen]]:
    """Each resource's bookings by the half-hour columns they touch (columns are even)."""
    first, count = columns[0][0], len(columns)
    found: dict[int, list[Seen]] = {}
    for pair in _sorted_blocks(entries, viewer):
        entry = pair[0]
        lo = max((entry.local_start - first) // STEP, 0)
        hi = min(-((first - entry.local_end) // STEP), count)  # the ceiling of the end
        if lo >= hi:
            continue
        cells = found.get(entry.resource_id)
        if cells is None:
            cells = found[entry.resource_id] = [[] for _ in range(count)]
        for i in range(lo, hi):
            cells[i].append(pair)
    return found


_TICK = timedelta(microseconds=1)


def _shut(row: Row, frame: Frame) -> Shut:
    return [
        (c.local_start, c.local_end, c.reason)
        for c in frame.closures
        if c.resource_id in (None, row.id)
    ]


def _openings(rows: Sequence[Row], days: list[date]) -> dict[tuple[int, date], list[Period]]:
    """Opening periods by resource and day, worked out once per distinct set of hours (most
    resources share their hub's): rows that share hours share the very same lists."""
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


def _closed_columns(shut: Shut, inside: list[bool], columns: list[Period]) -> list[str | None]:
    """Why each column is closed (a closure's reason, "" outside the opening hours), or None
    when it is open."""
    reasons: list[str | None] = [None if open_ else "" for open_ in inside]
    for a, b, why in reversed(shut):  # the first closure named wins, as listed
        for i, (lo, hi) in enumerate(columns):
            if a < hi and lo < b:
                reasons[i] = why
    return reasons


def _day_cells(
    row: Row,
    columns: list[Period],
    instants: list[Instants],
    seen: list[Seen],
    reasons: list[str | None],
) -> list[Cell]:
    """A resource's cells over the day; neighbours showing the same bookings or the same
    closure become one cell."""
    cells: list[Cell] = []
    for (lo, hi), instant, here, reason in zip(columns, instants, seen, reasons, strict=True):
        cell = _day_cell(row, lo, hi, instant, here, reason)
        last = cells[-1] if cells else None
        if (
            last is not None
            and cell.state != CellState.FREE
            and last.state == cell.state
            and last.reason == cell.reason
            and last.blocks == cell.blocks
        ):
            cells[-1] = Cell(
                last.local_start, hi, last.state, last.span + 1, last.blocks, last.reason
            )
        else:
            cells.append(cell)
    return cells


def _day_cell(
    row: Row, lo: datetime, hi: datetime, instant: Instants, here: Seen, reason: str | None
) -> Cell:
    blocks = tuple(block for _, block in here)
    used = _peak(here, lo, hi) if here else 0
    if here and used >= row.quantity:
        return Cell(lo, hi, _dominant(blocks), 1, blocks)
    if reason is not None or instant is False:  # closed, or no single instant to book
        return Cell(lo, hi, CellState.CLOSED, 1, blocks, reason or "")
    start, end = instant if isinstance(instant, tuple) else (None, None)  # None: begun
    return Cell(lo, hi, CellState.FREE, 1, blocks, "", row.quantity - used, start, end)


def _week_cell(
    row: Row,
    lo: datetime,
    hi: datetime,
    held: list[Entry],
    seen: list[Block],
    shut: Shut,
    opened: list[Period],
) -> Cell:
    """A day of a resource: its bookings, and free when at least 30 minutes are still open
    and not taken (or closed, with the reason of a closure)."""
    reason = ""
    if shut:
        closing = [(a, b, why) for a, b, why in shut if a < hi and lo < b]
        if closing:
            reason = closing[0][2]
            opened = subtract(opened, [(a, b) for a, b, _ in closing])
    if not held:
        free = any(b - a >= STEP for a, b in opened)
    elif row.quantity == 1:
        free = _has_gap(opened, held)
    else:
        usage = usage_steps(((e.local_start, e.local_end, e.quantity) for e in held), lo, hi)
        opened = subtract(opened, [(a, b) for a, b, units in usage if units >= row.quantity])
        free = any(b - a >= STEP for a, b in opened)
    blocks = tuple(seen)
    if free:
        return Cell(lo, hi, CellState.FREE, 1, blocks, reason)
    if not blocks:
        return Cell(lo, hi, CellState.CLOSED, 1, (), reason)
    return Cell(lo, hi, _dominant(blocks), 1, blocks, reason)


def _has_gap(opened: list[Period], busy: list[Entry]) -> bool:
    """Whether 30 minutes of ``opened`` are free of every ``busy`` booking (by start)."""
    for a, b in opened:
        cursor = a
        for entry in busy:
            start, end = entry.local_start, entry.local_end
            if end <= cursor:
                continue
            if start >= b:
                break
            if start - cursor >= STEP:
                return True
            cursor = end
        if b - cursor >= STEP:
            return True
    return False


def _peak(here: Seen, lo: datetime, hi: datetime) -> int:
    if len(here) == 1:
        return here[0][0].quantity
    steps = usage_steps(((e.local_start, e.local_end, e.quantity) for e, _ in here), lo, hi)
    return max((units for _, _, units in steps), default=0)


def _dominant(blocks: tuple[Block, ...]) -> CellState:
    """The state a full cell shows: the viewer's own first, then what they may read."""
    states = {b.state for b in blocks}
    return next((s for s in _PRECEDENCE if s in states), CellState.BOOKED)


_PRECEDENCE = (CellState.OWN, CellState.PENDING, CellState.APPROVED, CellState.BOOKED)


def _clock(text: str) -> timedelta:
    hours, minutes = text.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))


def local_closures(closures: Iterable[Closure], zone: tzinfo) -> list[LocalClosure]:
    """Closures (UTC instants) on the hub's wall clock."""
    return [
        LocalClosure(to_local(c.start, zone), to_local(c.end, zone), c.reason, c.resource_id)
        for c in closures
    ]
