"""Overlap and pool arithmetic against a brute-force oracle that counts units minute by minute.

Every instant is a whole number of minutes after ``BASE``, so the state of minute ``m``
(``[m, m + 1)``) is the state of every instant in it, and sets of minutes are exact.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from hub_booking.domain.conflicts import Clash, find, fits
from hub_booking.domain.intervals import (
    merge,
    overlaps,
    peak_usage,
    subtract,
    usage_steps,
    with_buffers,
)
from hub_booking.domain.model import Hold

BASE = datetime(2027, 1, 11, 8, 0, tzinfo=UTC)
HORIZON = 180  # minutes
MINUTE = timedelta(minutes=1)
FAST = settings(max_examples=200, deadline=None)


def at(minute: int) -> datetime:
    return BASE + timedelta(minutes=minute)


def minute_of(when: datetime) -> int:
    return (when - BASE) // MINUTE


def minutes(start: datetime, end: datetime) -> set[int]:
    return set(range(minute_of(start), minute_of(end)))


def runs(points: set[int]) -> list[tuple[datetime, datetime]]:
    """Maximal runs of consecutive minutes, as sorted half-open periods."""
    result: list[tuple[datetime, datetime]] = []
    for m in sorted(points):
        if result and minute_of(result[-1][1]) == m:
            result[-1] = (result[-1][0], at(m + 1))
        else:
            result.append((at(m), at(m + 1)))
    return result


def in_use(holds: list[Hold], minute: int) -> int:
    return sum(h.quantity for h in holds if minute_of(h.start) <= minute < minute_of(h.end))


# --- strategies -----------------------------------------------------------------------------


OFFSETS = st.integers(0, HORIZON)
LENGTHS = st.integers(1, 60)
BUFFERS = st.one_of(st.none(), st.integers(0, 30))
BOOKING_IDS = st.one_of(st.none(), st.integers(1, 4))


@st.composite
def periods(draw, lengths=LENGTHS):
    start = draw(OFFSETS)
    return at(start), at(start + draw(lengths))


def holds(resources=(1, 2), max_units: int = 4):
    """A booking's hold: a period widened by random buffers, as the engine stores it."""
    return st.builds(
        _hold,
        periods(),
        BUFFERS,
        BUFFERS,
        st.sampled_from(resources),
        st.integers(1, max_units),
        BOOKING_IDS,
    )


def _hold(period, before, after, resource_id, quantity, booking_id) -> Hold:
    rules = {}
    if before is not None:
        rules["buffer_before_minutes"] = before
    if after is not None:
        rules["buffer_after_minutes"] = after
    start, end = with_buffers(period[0], period[1], rules)
    return Hold(resource_id, quantity, start, end, booking_id)


HOLDS = holds()
SPACE_HOLDS = holds(resources=(1,), max_units=1)
POOL_SIZES = st.integers(1, 6)


# --- with_buffers -------------------------------------------------------------------------------


@FAST
@given(periods(), st.integers(0, 90), st.integers(0, 90))
def test_with_buffers_widens_by_the_rules(period, before, after):
    start, end = period
    rules = {"buffer_before_minutes": before, "buffer_after_minutes": after}
    assert with_buffers(start, end, rules) == (
        start - timedelta(minutes=before),
        end + timedelta(minutes=after),
    )
    assert with_buffers(start, end, {}) == (start, end)


# --- overlaps -------------------------------------------------------------------------------


@FAST
@given(periods(), periods())
def test_overlaps_is_symmetric_and_is_minute_intersection(a, b):
    got = overlaps(*a, *b)
    assert got == overlaps(*b, *a)
    assert got == bool(minutes(*a) & minutes(*b))


def test_touching_periods_do_not_overlap():
    assert not overlaps(at(0), at(10), at(10), at(20))
    assert not overlaps(at(10), at(20), at(0), at(10))
    assert overlaps(at(0), at(11), at(10), at(20))


def test_an_empty_period_overlaps_nothing():
    assert not overlaps(at(5), at(5), at(0), at(10))


# --- usage_steps / peak_usage -----------------------------------------------------------------


USAGE_ITEMS = st.lists(st.tuples(periods(), st.integers(1, 5)), max_size=8)
WINDOWS = periods(st.integers(1, HORIZON))


@st.composite
def usage(draw):
    items = draw(USAGE_ITEMS)
    return [(s, e, u) for (s, e), u in items], draw(WINDOWS)


@FAST
@given(usage())
def test_usage_steps_tile_the_window_with_the_oracle_counts(case):
    items, (start, end) = case
    steps = usage_steps(items, start, end)
    assert steps[0][0] == start
    assert steps[-1][1] == end
    for (_, hi, _), (lo, _, _) in pairwise(steps):
        assert hi == lo
    for lo, hi, units in steps:
        assert lo < hi
        for m in minutes(lo, hi):
            assert units == sum(u for s, e, u in items if minute_of(s) <= m < minute_of(e))


@FAST
@given(usage())
def test_peak_usage_is_the_oracle_maximum(case):
    items, (start, end) = case
    expected = max(
        sum(u for s, e, u in items if minute_of(s) <= m < minute_of(e)) for m in minutes(start, end)
    )
    assert peak_usage(items, start, end) == expected


def test_peak_usage_of_nothing_is_zero():
    assert peak_usage([], at(0), at(60)) == 0
    assert peak_usage([(at(0), at(10), 3)], at(10), at(60)) == 0  # touching is not in use


# --- merge / subtract -----------------------------------------------------------------------


@FAST
@given(st.lists(periods(), max_size=8))
def test_merge_is_the_union_of_minutes(items):
    union = set().union(*(minutes(s, e) for s, e in items))
    assert merge(items) == runs(union)


@FAST
@given(st.lists(periods(), max_size=6), st.lists(periods(), max_size=6))
def test_subtract_is_the_difference_of_minutes(free, busy):
    free = merge(free)  # free time is always given merged (opening_periods merges it)
    free_minutes = set().union(*(minutes(s, e) for s, e in free))
    busy_minutes = set().union(*(minutes(s, e) for s, e in busy))
    assert subtract(free, busy) == runs(free_minutes - busy_minutes)


def test_subtract_keeps_periods_that_only_touch():
    free = [(at(0), at(60))]
    assert subtract(free, [(at(60), at(90)), (at(-30), at(0))]) == free
    assert subtract(free, [(at(10), at(20)), (at(20), at(30))]) == [
        (at(0), at(10)),
        (at(30), at(60)),
    ]


# --- find / fits ------------------------------------------------------------------------------


def oracle_clashes(
    wanted: list[Hold], existing: list[Hold], quantities: dict[int, int]
) -> list[Clash]:
    """Minute by minute: where would each wanted hold, with those before it, go over the pool?"""
    clashes: list[Clash] = []
    for index, hold in enumerate(wanted):
        others = [
            h
            for h in existing
            if h.resource_id == hold.resource_id
            and (hold.booking_id is None or h.booking_id != hold.booking_id)
        ] + [h for h in wanted[:index] if h.resource_id == hold.resource_id]
        capacity = quantities.get(hold.resource_id, 1)
        over = {
            m for m in minutes(hold.start, hold.end) if in_use(others, m) + hold.quantity > capacity
        }
        clashes += [Clash(hold.resource_id, lo, hi) for lo, hi in runs(over)]
    return clashes


@st.composite
def pools(draw):
    """Pool sizes for resources 1 and 2 (resource 2 sometimes missing: one unit, a space)."""
    quantities = {1: draw(POOL_SIZES)}
    if draw(st.booleans()):
        quantities[2] = draw(POOL_SIZES)
    return quantities


EXISTING = st.lists(HOLDS, max_size=8)


@st.composite
def requests(draw):
    quantities = draw(pools())
    existing = draw(EXISTING)
    wanted = []
    for _ in range(draw(st.integers(1, 3))):
        hold = draw(HOLDS)
        # More units than the pool has is refused earlier (checks: over_quantity).
        limit = quantities.get(hold.resource_id, 1)
        wanted.append(
            Hold(hold.resource_id, min(hold.quantity, limit), hold.start, hold.end, hold.booking_id)
        )
    return wanted, existing, quantities


@FAST
@given(requests())
def test_find_reports_exactly_the_minutes_over_the_pool(case):
    wanted, existing, quantities = case
    assert find(wanted, existing, quantities) == oracle_clashes(wanted, existing, quantities)


@FAST
@given(holds(resources=(1,)), EXISTING, POOL_SIZES)
def test_fits_iff_no_minute_goes_over_the_pool(hold, existing, quantity):
    hold = Hold(hold.resource_id, min(hold.quantity, quantity), hold.start, hold.end)
    same = [h for h in existing if h.resource_id == hold.resource_id]
    over = any(in_use(same, m) + hold.quantity > quantity for m in minutes(hold.start, hold.end))
    assert fits(hold, existing, quantity) is not over


@FAST
@given(st.lists(SPACE_HOLDS, max_size=6), SPACE_HOLDS)
def test_a_space_clashes_with_any_overlap(existing, hold):
    hold = Hold(1, 1, hold.start, hold.end)
    touching = any(overlaps(h.start, h.end, hold.start, hold.end) for h in existing)
    assert fits(hold, existing, 1) is not touching


def test_a_pool_of_three_takes_three_overlapping_units():
    existing = [Hold(1, 1, at(0), at(60), 1), Hold(1, 1, at(30), at(90), 2)]
    assert fits(Hold(1, 1, at(0), at(90)), existing, 3)
    assert find([Hold(1, 2, at(0), at(90))], existing, {1: 3}) == [Clash(1, at(30), at(60))]


def test_a_moved_booking_does_not_clash_with_itself():
    existing = [Hold(1, 1, at(0), at(60), booking_id=7)]
    assert find([Hold(1, 1, at(30), at(90), booking_id=7)], existing, {1: 1}) == []
    assert find([Hold(1, 1, at(30), at(90), booking_id=8)], existing, {1: 1}) == [
        Clash(1, at(30), at(60))
    ]


def test_occurrences_of_one_request_clash_with_each_other():
    wanted = [Hold(1, 1, at(0), at(60)), Hold(1, 1, at(45), at(120))]
    assert find(wanted, [], {1: 1}) == [Clash(1, at(45), at(60))]
    assert find(wanted, [], {1: 2}) == []


def test_buffers_inside_holds_make_back_to_back_bookings_clash():
    first = Hold(1, 1, *with_buffers(at(0), at(60), {"buffer_after_minutes": 15}))
    second = Hold(1, 1, *with_buffers(at(60), at(120), {"buffer_before_minutes": 10}))
    assert find([second], [first], {1: 1}) == [Clash(1, at(50), at(75))]


def test_more_units_than_the_pool_never_fit():
    assert not fits(Hold(1, 3, at(0), at(60)), [], 2)
