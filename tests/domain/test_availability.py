"""Free time of a resource: opening hours (on the hub's wall clock), closures, buffers, pools."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub_booking.domain.availability import Free, first_starts, free_periods, opening_periods
from hub_booking.domain.conflicts import fits
from hub_booking.domain.intervals import with_buffers
from hub_booking.domain.model import Closure, Hold, ResourceInfo, ResourceKind
from hub_booking.domain.rules import DEFAULT_OPENING_HOURS
from hub_booking.zones import get_zone

ZONE = get_zone("Africa/Casablanca")
MINUTE = timedelta(minutes=1)
DAY = datetime(2027, 1, 11, tzinfo=UTC)  # a Monday; the hub's clock is UTC+0 from 2026-09-20
ROOM = ResourceInfo(1, 1, ResourceKind.SPACE, quantity=1, name="Salle")
PROJECTORS = ResourceInfo(2, 1, ResourceKind.EQUIPMENT, quantity=3, name="Proj")


def t(hour: int, minute: int = 0, day: datetime = DAY) -> datetime:
    return day + timedelta(hours=hour, minutes=minute)


def free(resource=ROOM, start=None, end=None, *, hours=DEFAULT_OPENING_HOURS, **kwargs):
    return [
        (f.start, f.end)
        for f in free_periods(
            resource,
            start or t(0),
            end or t(24),
            zone=ZONE,
            hub_opening_hours=hours,
            holds=kwargs.pop("holds", []),
            closures=kwargs.pop("closures", []),
            **kwargs,
        )
    ]


def room(**rules) -> ResourceInfo:
    return ResourceInfo(1, 1, ResourceKind.SPACE, quantity=1, rules=rules, name="Salle")


# --- opening hours ---------------------------------------------------------------------------


def test_free_time_is_the_opening_hours_when_nothing_is_held():
    assert free() == [(t(8), t(22))]
    hours = {"mon": [["08:00", "12:00"], ["14:00", "18:00"]]}
    assert free(hours=hours) == [(t(8), t(12)), (t(14), t(18))]
    assert free(hours=hours, start=t(10), end=t(15)) == [(t(10), t(12)), (t(14), t(15))]
    assert free(hours={"tue": [["08:00", "12:00"]]}) == []


def test_resource_opening_hours_override_the_hub():
    evening = room(opening_hours={"mon": [["18:00", "24:00"]]})
    assert free(evening) == [(t(18), t(24))]


def test_touching_opening_periods_are_one():
    hours = {"mon": [["08:00", "12:00"], ["12:00", "24:00"]], "tue": [["00:00", "02:00"]]}
    assert free(hours=hours, end=t(48)) == [(t(8), t(26))]


@pytest.mark.parametrize(
    ("first_day", "utc_hours"),
    [
        # Into Ramadan time on 2026-02-15 (UTC+1 -> UTC+0) ...
        (datetime(2026, 2, 14, tzinfo=UTC), [(7, 21), (8, 22), (8, 22)]),
        # ... out of it on 2026-03-22 (UTC+0 -> UTC+1) ...
        (datetime(2026, 3, 21, tzinfo=UTC), [(8, 22), (7, 21), (7, 21)]),
        # ... and for good on 2026-09-20 (UTC+1 -> UTC+0).
        (datetime(2026, 9, 19, tzinfo=UTC), [(7, 21), (8, 22), (8, 22)]),
    ],
)
def test_opening_hours_stay_on_the_wall_clock_across_a_change(first_day, utc_hours):
    periods = free(start=first_day, end=first_day + timedelta(days=3))
    assert periods == [
        (t(lo, day=first_day + timedelta(days=n)), t(hi, day=first_day + timedelta(days=n)))
        for n, (lo, hi) in enumerate(utc_hours)
    ]


def test_an_opening_edge_inside_the_doubled_hour_skips_that_period():
    # 2026-09-20 local 01:00-01:59 happens twice: an opening at 01:30 is not guessed.
    hours = {"sat": [["01:30", "03:00"]], "sun": [["01:30", "03:00"]], "mon": [["01:30", "03:00"]]}
    start = datetime(2026, 9, 19, tzinfo=UTC)
    periods = opening_periods(start, start + timedelta(days=3), hours, ZONE)
    assert periods == [
        (datetime(2026, 9, 19, 0, 30, tzinfo=UTC), datetime(2026, 9, 19, 2, tzinfo=UTC)),
        (datetime(2026, 9, 21, 1, 30, tzinfo=UTC), datetime(2026, 9, 21, 3, tzinfo=UTC)),
    ]


def test_opening_hours_of_the_day_before_the_window_count():
    hours = {"sun": [["20:00", "24:00"]], "mon": [["00:00", "02:00"]]}
    assert free(hours=hours, start=t(-2), end=t(1)) == [(t(-2), t(1))]


# --- closures --------------------------------------------------------------------------------


def test_closures_of_the_hub_and_of_the_resource_are_not_free():
    closures = [
        Closure(t(10), t(11), "réunion"),  # the whole hub
        Closure(t(14), t(15), "entretien", resource_id=1),  # this room
        Closure(t(16), t(17), "autre", resource_id=2),  # another resource
    ]
    assert free(closures=closures) == [(t(8), t(10)), (t(11), t(14)), (t(15), t(22))]
    assert free(PROJECTORS, closures=closures) == [(t(8), t(10)), (t(11), t(16)), (t(17), t(22))]


# --- holds and buffers -----------------------------------------------------------------------


def test_a_held_space_is_not_free():
    holds = [Hold(1, 1, t(10), t(12)), Hold(2, 3, t(14), t(16))]  # the projectors don't matter
    assert free(holds=holds) == [(t(8), t(10)), (t(12), t(22))]


def test_buffers_leave_the_existing_hold_and_the_new_buffers_free():
    rules = {"buffer_before_minutes": 15, "buffer_after_minutes": 20}
    buffered = room(**rules)
    existing = Hold(1, 1, *with_buffers(t(11), t(12), rules))  # holds 10:45-12:20
    assert (existing.start, existing.end) == (t(10, 45), t(12, 20))
    # A new booking [s, e) holds [s - 15, e + 20): it must end by 10:25 or start at 12:35.
    assert free(buffered, holds=[existing]) == [(t(8), t(10, 25)), (t(12, 35), t(22))]
    # And exactly those edges are what the conflict check accepts.
    for start, end, ok in [
        (t(9), t(10, 25), True),
        (t(9), t(10, 26), False),
        (t(12, 35), t(13), True),
        (t(12, 34), t(13), False),
    ]:
        assert fits(Hold(1, 1, *with_buffers(start, end, rules)), [existing], 1) is ok


@pytest.mark.parametrize(
    ("rules", "hold", "expected"),
    [
        # 30 min set-up: a booking at 10:00 would hold from 09:30, over the hold ending 10:00.
        ({"buffer_before_minutes": 30}, (t(9, 40), t(10)), [(t(10, 30), t(12))]),
        # 30 min clean-up: a booking ending 12:00 would hold until 12:30, over the hold at 12:00.
        ({"buffer_after_minutes": 30}, (t(12), t(12, 20)), [(t(10), t(11, 30))]),
    ],
)
def test_unequal_buffers_see_holds_just_outside_the_window(rules, hold, expected):
    existing = Hold(1, 1, *hold)
    assert free(room(**rules), start=t(10), end=t(12), holds=[existing]) == expected


def test_a_pool_is_free_while_fewer_than_its_units_are_held():
    holds = [Hold(2, 2, t(10), t(12)), Hold(2, 1, t(11), t(13)), Hold(1, 1, t(8), t(22))]
    assert free(PROJECTORS, holds=holds) == [(t(8), t(11)), (t(12), t(22))]
    assert free(PROJECTORS, holds=holds, units=2) == [(t(8), t(10)), (t(12), t(22))]
    assert free(PROJECTORS, holds=holds, units=3) == [(t(8), t(10)), (t(13), t(22))]
    assert free(PROJECTORS, holds=holds, units=4) == []


def test_a_moved_booking_is_passed_without_its_own_holds():
    # The caller leaves the moved booking out; what remains is what counts.
    assert free(holds=[Hold(1, 1, t(8), t(22), booking_id=5)]) == []
    assert free(holds=[]) == [(t(8), t(22))]


def test_the_duration_filter_drops_short_gaps():
    holds = [Hold(1, 1, t(9), t(10)), Hold(1, 1, t(10, 45), t(20))]
    assert free(holds=holds) == [(t(8), t(9)), (t(10), t(10, 45)), (t(20), t(22))]
    assert free(holds=holds, duration=timedelta(hours=1)) == [(t(8), t(9)), (t(20), t(22))]
    assert free(holds=holds, duration=timedelta(minutes=45)) == [
        (t(8), t(9)),
        (t(10), t(10, 45)),
        (t(20), t(22)),
    ]
    assert free(holds=holds, duration=timedelta(hours=3)) == []


# --- first_starts ----------------------------------------------------------------------------


PERIODS = [
    Free(t(7), t(9, 50)),
    Free(t(10, 7), t(11)),
    Free(t(12), t(12, 20)),
    Free(t(13, 1), t(15)),
    Free(t(16), t(17)),
]


def test_first_starts_are_on_step_marks_from_after():
    half_hour = timedelta(minutes=30)
    step = timedelta(minutes=15)
    assert first_starts(PERIODS, half_hour, t(10), step, 10) == [
        t(10, 15),
        t(13, 15),
        t(16),
    ]
    # Marks count from ``after``, not from the top of the hour.
    assert first_starts(PERIODS, half_hour, t(10, 5), step, 10) == [
        t(10, 20),
        t(13, 5),
        t(16, 5),
    ]


def test_first_starts_takes_the_period_holding_after_and_stops_at_the_limit():
    hour = timedelta(hours=1)
    assert first_starts(PERIODS, hour, t(8), timedelta(minutes=30), 2) == [t(8), t(13, 30)]
    assert first_starts(PERIODS, hour, t(8, 51), timedelta(minutes=30), 1) == [t(13, 21)]
    assert first_starts(PERIODS, hour, t(16, 1), timedelta(minutes=30), 3) == []


def test_first_starts_fits_exactly_to_the_end_of_a_period():
    assert first_starts(
        [Free(t(10), t(11))], timedelta(hours=1), t(10), timedelta(minutes=15), 5
    ) == [t(10)]
    assert (
        first_starts([Free(t(10), t(11))], timedelta(hours=1), t(9, 50), timedelta(minutes=15), 5)
        == []
    )


def test_first_starts_of_free_periods_are_bookable():
    rules = {"buffer_before_minutes": 10, "buffer_after_minutes": 10}
    holds = [
        Hold(1, 1, *with_buffers(t(9), t(10), rules)),  # 08:50-10:10
        Hold(1, 1, *with_buffers(t(11, 30), t(12, 30), rules)),  # 11:20-12:40
    ]
    periods = free_periods(
        room(**rules),
        t(8),
        t(22),
        zone=ZONE,
        hub_opening_hours=DEFAULT_OPENING_HOURS,
        holds=holds,
        closures=[],
    )
    assert [(p.start, p.end) for p in periods] == [
        (t(8), t(8, 40)),
        (t(10, 20), t(11, 10)),
        (t(12, 50), t(22)),
    ]
    duration = timedelta(minutes=30)
    starts = first_starts(periods, duration, t(8), timedelta(minutes=15), 10)
    assert starts == [t(8), t(10, 30), t(13)]
    for start in starts:
        assert fits(Hold(1, 1, *with_buffers(start, start + duration, rules)), holds, 1)


# --- against a minute-by-minute oracle -------------------------------------------------------

OPENING = {"mon": [["08:00", "12:00"], ["13:00", "18:00"]]}
OPEN_MINUTES = {m for lo, hi in ((8 * 60, 12 * 60), (13 * 60, 18 * 60)) for m in range(lo, hi)}


def at(minute: int) -> datetime:
    return DAY + minute * MINUTE


def oracle(resource, window, holds, closures, units, duration, before, after):
    """Minute m can be booked iff open, not closed, and no minute in [m - before, m + after]
    already has more than ``quantity - units`` units held."""
    ws, we = window

    def used(k: int) -> int:
        return sum(q for r, q, s, e in holds if r == resource.id and s <= k < e)

    full = {k for k in range(ws - before, we + after) if used(k) + units > resource.quantity}
    shut = {m for r, s, e in closures if r in (None, resource.id) for m in range(s, e)}
    ok = [
        m
        for m in range(ws, we)
        if m in OPEN_MINUTES
        and m not in shut
        and not any(k in full for k in range(m - before, m + after + 1))
    ]
    runs: list[list[int]] = []
    for m in ok:
        if runs and runs[-1][1] == m:
            runs[-1][1] = m + 1
        else:
            runs.append([m, m + 1])
    return [(at(lo), at(hi)) for lo, hi in runs if duration is None or (hi - lo) >= duration]


# Holds and closures start relative to the window's start, some of them just before it.
HOLD_ROWS = st.lists(
    st.tuples(
        st.sampled_from((1, 1, 2)), st.integers(1, 3), st.integers(-150, 600), st.integers(1, 120)
    ),
    max_size=6,
)
CLOSURE_ROWS = st.lists(
    st.tuples(st.sampled_from((None, 1, 2)), st.integers(-150, 600), st.integers(1, 120)),
    max_size=2,
)
FEW = settings(max_examples=120, deadline=None)


def run_case(quantity, units, window, hold_rows, closure_rows, duration, before, after):
    resource = ResourceInfo(
        1,
        1,
        ResourceKind.EQUIPMENT,
        quantity=quantity,
        rules={"buffer_before_minutes": before, "buffer_after_minutes": after},
    )
    ws = window[0]
    holds = [(r, q, ws + s, ws + s + n) for r, q, s, n in hold_rows]
    closures = [(r, ws + s, ws + s + n) for r, s, n in closure_rows]
    got = free_periods(
        resource,
        at(window[0]),
        at(window[1]),
        zone=ZONE,
        hub_opening_hours=OPENING,
        holds=[Hold(r, q, at(s), at(e)) for r, q, s, e in holds],
        closures=[Closure(at(s), at(e), resource_id=r) for r, s, e in closures],
        units=units,
        duration=None if duration is None else duration * MINUTE,
    )
    expected = oracle(resource, window, holds, closures, units, duration, before, after)
    assert [(f.start, f.end) for f in got] == expected


WINDOWS = st.tuples(st.integers(360, 900), st.integers(30, 600)).map(lambda p: (p[0], p[0] + p[1]))
DURATIONS = st.one_of(st.none(), st.integers(1, 120))


@FEW
@given(
    st.integers(1, 3),
    st.integers(1, 3),
    WINDOWS,
    HOLD_ROWS,
    CLOSURE_ROWS,
    DURATIONS,
    st.integers(0, 30),
)
def test_free_periods_match_the_oracle_with_equal_buffers(
    quantity, units, window, hold_rows, closure_rows, duration, buffer
):
    run_case(quantity, units, window, hold_rows, closure_rows, duration, buffer, buffer)


@FEW
@given(
    st.integers(1, 3),
    st.integers(1, 3),
    WINDOWS,
    HOLD_ROWS,
    CLOSURE_ROWS,
    DURATIONS,
    st.integers(0, 30),
    st.integers(0, 30),
)
def test_free_periods_match_the_oracle_when_holds_lie_inside_the_window(
    quantity, units, window, hold_rows, closure_rows, duration, before, after
):
    length = window[1] - window[0]
    inside = [(r, q, max(s, 0), min(s + n, length) - max(s, 0)) for r, q, s, n in hold_rows]
    inside = [row for row in inside if row[3] > 0]
    run_case(quantity, units, window, inside, closure_rows, duration, before, after)
