"""Find a room: starts that fit, nearest to the asked time first (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub_booking.domain.availability import Free
from hub_booking.domain.room_search import covers, fits, starts_in

HOUR = timedelta(hours=1)
QUARTER = timedelta(minutes=15)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 1, 26, hour, minute, tzinfo=UTC)


def test_starts_are_on_the_marks_of_the_asked_time_and_one_duration_apart():
    periods = [Free(at(9, 10), at(12))]
    assert starts_in(periods, HOUR, at(8), QUARTER, 5) == [at(9, 15), at(10, 15)]


def test_results_come_nearest_to_the_asked_time_then_by_room():
    rooms = {1: [Free(at(15), at(18))], 2: [Free(at(14), at(16))]}
    found = fits(rooms, {}, at(14), HOUR, QUARTER, 10)
    assert [(f.resource_id, f.start.hour) for f in found] == [
        (2, 14),
        (1, 15),
        (2, 15),
        (1, 16),
        (1, 17),
    ]


def test_equipment_is_free_only_when_a_period_holds_the_whole_booking():
    rooms = {1: [Free(at(14), at(16))]}
    pools = {7: [Free(at(14, 30), at(18))]}
    found = fits(rooms, pools, at(14), HOUR, QUARTER, 10)
    assert [(f.start.hour, f.equipment_free[7]) for f in found] == [(14, False), (15, True)]
    assert not covers([], at(14), at(15))


def test_the_limit_is_kept():
    rooms = {i: [Free(at(8), at(22))] for i in range(1, 30)}
    assert len(fits(rooms, {}, at(8), HOUR, QUARTER, 20)) == 20
