"""The calendar grid, pure: cells, states, closures, masking, merging, free-cell instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hub_booking.domain.calendar import (
    STEP,
    CellState,
    Entry,
    Frame,
    LocalClosure,
    Row,
    View,
    Viewer,
    block_of,
    day_grid,
    local_closures,
    shown_days,
    week_grid,
)
from hub_booking.domain.model import BookingStatus, Closure, ResourceKind
from hub_booking.zones import get_zone

CASABLANCA = get_zone("Africa/Casablanca")  # UTC+0 all year from 2027
TUESDAY = date(2027, 2, 9)
HOURS = {"tue": [["08:00", "12:00"], ["14:00", "18:00"]], "wed": [["08:00", "18:00"]]}
ROOM = Row(1, "Salle Atlas", ResourceKind.SPACE, 30, 1, HOURS)
PROJECTORS = Row(2, "Vidéoprojecteur", ResourceKind.EQUIPMENT, None, 3, HOURS)
MINE, OTHER = 10, 20
MEMBER = Viewer(frozenset({MINE}))
MANAGER = Viewer(frozenset(), manages_hub=True)
BEFORE = datetime.combine(
    date(2027, 1, 1), time()
)  # "now" on the hub's clock: everything shown is to come


def at(hour: int, minute: int = 0, day: date = TUESDAY) -> datetime:
    return datetime.combine(day, time(hour, minute))  # the hub's wall clock: naive


def entry(
    start: datetime,
    end: datetime,
    *,
    association: int = OTHER,
    status: BookingStatus = BookingStatus.APPROVED,
    resource: int = ROOM.id,
    quantity: int = 1,
    booking: int = 100,
) -> Entry:
    return Entry(
        booking,
        resource,
        quantity,
        association,
        f"Association {association}",
        "Secret",
        status,
        start,
        end,
    )


def frame(viewer: Viewer = MEMBER, closures=(), now: datetime = BEFORE) -> Frame:
    return Frame(list(closures), viewer, CASABLANCA, now)


def day_cells(*entries: Entry, row: Row = ROOM, **kwargs):
    grid = day_grid(TUESDAY, [row], entries, frame(**kwargs))
    return grid, grid.rows[0].cells


def test_day_columns_are_half_hours_over_the_opening_hours():
    grid, _ = day_cells()
    assert grid.view == View.DAY
    assert grid.columns[0] == (at(8), at(8, 30))
    assert grid.columns[-1] == (at(17, 30), at(18))
    assert len(grid.columns) == 20
    assert all(hi - lo == STEP for lo, hi in grid.columns)


def test_hours_outside_the_opening_are_closed_and_merged():
    _, cells = day_cells()
    lunch = next(c for c in cells if c.local_start == at(12))
    assert lunch.state == CellState.CLOSED
    assert lunch.span == 4  # 12:00 to 14:00 in one cell
    assert lunch.reason == ""
    assert sum(c.span for c in cells) == 20


def test_free_cells_carry_their_utc_instants():
    _, cells = day_cells()
    first = cells[0]
    assert first.state == CellState.FREE
    assert (first.start, first.end) == (
        datetime(2027, 2, 9, 8, tzinfo=UTC),
        datetime(2027, 2, 9, 8, 30, tzinfo=UTC),
    )
    assert first.free_units == 1


def test_half_hours_begun_are_free_but_no_longer_bookable():
    _, cells = day_cells(now=at(9, 10))
    assert [c.start is None for c in cells[:4]] == [True, True, True, False]
    assert all(c.state == CellState.FREE for c in cells[:4])


def test_another_associations_booking_is_booked_without_title_or_name():
    _, cells = day_cells(entry(at(9), at(10, 30)))
    booked = next(c for c in cells if c.local_start == at(9))
    assert booked.state == CellState.BOOKED
    assert booked.span == 3
    (block,) = booked.blocks
    assert (block.title, block.association, block.booking_id) == ("", "", None)


def test_own_bookings_are_own_or_pending_with_their_title():
    own = entry(at(9), at(10), association=MINE, booking=1)
    pending = entry(at(10), at(11), association=MINE, status=BookingStatus.PENDING, booking=2)
    _, cells = day_cells(own, pending)
    states = {c.local_start: c for c in cells}
    assert states[at(9)].state == CellState.OWN
    assert states[at(9)].blocks[0].title == "Secret"
    assert states[at(9)].blocks[0].booking_id == 1
    assert states[at(10)].state == CellState.PENDING
    assert states[at(10)].blocks[0].own


def test_managers_see_every_title_and_association():
    approved = block_of(entry(at(9), at(10)), MANAGER)
    assert approved.state == CellState.APPROVED
    assert (approved.title, approved.association) == ("Secret", f"Association {OTHER}")
    pending = block_of(entry(at(9), at(10), status=BookingStatus.PENDING), MANAGER)
    assert pending.state == CellState.PENDING


def test_closures_close_cells_with_their_reason():
    closure = LocalClosure(at(15), at(17), "Maintenance")
    _, cells = day_cells(closures=[closure])
    closed = next(c for c in cells if c.local_start == at(15))
    assert (closed.state, closed.reason, closed.span) == (CellState.CLOSED, "Maintenance", 4)
    other_resource = LocalClosure(at(15), at(17), "Projecteur en panne", resource_id=99)
    _, cells = day_cells(closures=[other_resource])
    assert next(c for c in cells if c.local_start == at(15)).state == CellState.FREE


def test_an_equipment_pool_stays_free_until_every_unit_is_held():
    two = entry(at(9), at(10), resource=PROJECTORS.id, quantity=2, booking=1)
    _, cells = day_cells(two, row=PROJECTORS)
    nine = next(c for c in cells if c.local_start == at(9))
    assert (nine.state, nine.free_units) == (CellState.FREE, 1)
    assert len(nine.blocks) == 1
    third = entry(at(9), at(9, 30), resource=PROJECTORS.id, quantity=1, booking=2)
    _, cells = day_cells(two, third, row=PROJECTORS)
    nine = next(c for c in cells if c.local_start == at(9))
    assert nine.state == CellState.BOOKED
    assert next(c for c in cells if c.local_start == at(9, 30)).free_units == 1


def test_week_cells_list_the_days_bookings_and_say_if_time_is_left():
    monday = date(2027, 2, 8)
    grid = week_grid(
        TUESDAY,
        [ROOM],
        [
            entry(at(8), at(12), association=MINE, booking=1),
            entry(at(14), at(18), booking=2),
            entry(at(9, day=monday + timedelta(days=2)), at(10, day=monday + timedelta(days=2))),
        ],
        frame(),
    )
    assert grid.view == View.WEEK
    assert [lo.date() for lo, _ in grid.columns] == shown_days(View.WEEK, TUESDAY)
    monday_cell, tuesday, wednesday, *rest = grid.rows[0].cells
    assert monday_cell.state == CellState.CLOSED  # no opening hours on Mondays
    assert tuesday.state == CellState.OWN  # full: its own booking shows first
    assert [b.state for b in tuesday.blocks] == [CellState.OWN, CellState.BOOKED]
    assert wednesday.state == CellState.FREE
    assert len(wednesday.blocks) == 1
    assert all(c.state == CellState.CLOSED for c in rest)


def test_a_week_cell_closed_all_day_gives_the_reason():
    closure = LocalClosure(at(0, day=date(2027, 2, 10)), at(0, day=date(2027, 2, 11)), "Aïd")
    grid = week_grid(TUESDAY, [ROOM], [], frame(closures=[closure]))
    wednesday = grid.rows[0].cells[2]
    assert (wednesday.state, wednesday.reason) == (CellState.CLOSED, "Aïd")
    partly = LocalClosure(at(8), at(10), "Réunion du pôle")
    tuesday = week_grid(TUESDAY, [ROOM], [], frame(closures=[partly])).rows[0].cells[1]
    assert (tuesday.state, tuesday.reason) == (CellState.FREE, "Réunion du pôle")


def test_closures_are_placed_on_the_hubs_wall_clock():
    paris = get_zone("Europe/Paris")
    closure = Closure(datetime(2027, 2, 9, 9, tzinfo=UTC), datetime(2027, 2, 9, 10, tzinfo=UTC))
    (local,) = local_closures([closure], paris)
    assert (local.local_start, local.local_end) == (at(10), at(11))


def test_a_day_without_opening_hours_still_has_columns_all_closed():
    grid = day_grid(date(2027, 2, 8), [ROOM], [], frame())
    assert grid.columns[0][0] == at(8, day=date(2027, 2, 8))
    assert [c.state for c in grid.rows[0].cells] == [CellState.CLOSED]
