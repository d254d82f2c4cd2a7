# ruff: noqa: DTZ001  (naive datetimes here are the hub's wall clock, on purpose)
"""Booking rules: every CONTRACT violation code of checks.check / check_slot."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub_booking.domain.checks import (
    HARD_CODES,
    Context,
    Slot,
    Usage,
    check,
    check_slot,
    tally,
    within_opening_hours,
)
from hub_booking.domain.model import AssociationStatus, Closure, ResourceInfo, ResourceKind
from hub_booking.domain.rules import DEFAULT_OPENING_HOURS, DEFAULT_RULES, WEEKDAYS
from hub_booking.domain.wallclock import to_utc
from hub_booking.zones import get_zone

ZONE = get_zone("Africa/Casablanca")
NOW = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)  # a Monday; Morocco is UTC+0 from 2026-09-20
ROOM = ResourceInfo(
    1, 1, ResourceKind.SPACE, quantity=1, capacity=10, rules=dict(DEFAULT_RULES), name="Salle A"
)
PROJECTORS = ResourceInfo(
    2, 1, ResourceKind.EQUIPMENT, quantity=5, capacity=3, rules=dict(DEFAULT_RULES), name="Proj"
)


def slot(local_start: datetime, local_end: datetime) -> Slot:
    """A slot from the hub's wall clock, its instants derived with the pinned zone."""
    return Slot(
        to_utc(local_start, ZONE, "starts_at"),
        to_utc(local_end, ZONE, "ends_at"),
        local_start,
        local_end,
    )


def context(
    *,
    now: datetime = NOW,
    room_rules: dict | None = None,
    hub_rules: dict | None = None,
    hours: dict | None = None,
    **kwargs,
) -> Context:
    room = dataclasses.replace(ROOM, rules={**DEFAULT_RULES, **(room_rules or {})})
    return Context(
        now=now,
        hub_rules=hub_rules or {},
        hub_opening_hours=DEFAULT_OPENING_HOURS if hours is None else hours,
        resources={1: room, 2: PROJECTORS},
        **kwargs,
    )


TUESDAY = slot(datetime(2027, 1, 12, 10), datetime(2027, 1, 12, 12))


def codes(violations) -> set[str]:
    return {v.code for v in violations}


def test_a_good_request_breaks_no_rule():
    assert check([TUESDAY], {1: 1, 2: 5}, 10, context()) == []
    assert check_slot(TUESDAY, {1: 1, 2: 5}, context()) == []


# --- timing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [0, -30])
def test_end_before_start(minutes):
    start = datetime(2027, 1, 12, 10)
    bad = slot(start, start + timedelta(minutes=minutes))
    violations = check([bad], {1: 1}, 1, context())
    assert [(v.code, v.field) for v in violations] == [("end_before_start", "ends_at")]


def test_past():
    yesterday = slot(datetime(2027, 1, 10, 10), datetime(2027, 1, 10, 11))
    [violation] = check([yesterday], {1: 1}, 1, context())
    assert (violation.code, violation.field) == ("past", "starts_at")
    started = slot(datetime(2027, 1, 11, 8, 45), datetime(2027, 1, 11, 10))
    assert codes(check([started], {1: 1}, 1, context())) == {"past"}
    at_now = slot(datetime(2027, 1, 11, 9), datetime(2027, 1, 11, 10))
    assert check([at_now], {1: 1}, 1, context()) == []


def test_too_short_and_too_long():
    ctx = context(room_rules={"min_minutes": 60, "max_minutes": 180})
    short = slot(datetime(2027, 1, 12, 10), datetime(2027, 1, 12, 10, 45))
    [violation] = check([short], {1: 1}, 1, ctx)
    assert (violation.code, violation.field, violation.params) == (
        "too_short",
        "ends_at",
        {"name": "Salle A", "minutes": 60},
    )
    long = slot(datetime(2027, 1, 12, 10), datetime(2027, 1, 12, 13, 15))
    [violation] = check([long], {1: 1}, 1, ctx)
    assert (violation.code, violation.params) == ("too_long", {"name": "Salle A", "minutes": 180})
    exact = [
        slot(datetime(2027, 1, 12, 10), datetime(2027, 1, 12, 11)),
        slot(datetime(2027, 1, 13, 10), datetime(2027, 1, 13, 13)),
    ]
    assert check(exact, {1: 1}, 1, ctx) == []


def test_granularity_on_the_wall_clock():
    ctx = context(room_rules={"granularity_minutes": 30})
    for start, end in [
        (datetime(2027, 1, 12, 10, 15), datetime(2027, 1, 12, 11)),
        (datetime(2027, 1, 12, 10), datetime(2027, 1, 12, 11, 10)),
        (datetime(2027, 1, 12, 10, 0, 30), datetime(2027, 1, 12, 11)),
    ]:
        [violation] = check([slot(start, end)], {1: 1}, 1, ctx)
        assert (violation.code, violation.params) == ("granularity", {"step": 30})
    good = slot(datetime(2027, 1, 12, 10, 30), datetime(2027, 1, 12, 11))
    assert check([good], {1: 1}, 1, ctx) == []
    # The projectors keep the default 15-minute marks.
    assert (
        check([slot(datetime(2027, 1, 12, 10, 15), datetime(2027, 1, 12, 11))], {2: 1}, 1, ctx)
        == []
    )


def test_granularity_uses_local_marks_before_2026_09_20():
    # In 2026 (UTC+1) local 10:30 is 09:30Z: marks are counted on the wall clock.
    ctx = context(now=datetime(2026, 6, 1, tzinfo=UTC), room_rules={"granularity_minutes": 60})
    good = slot(datetime(2026, 6, 2, 10), datetime(2026, 6, 2, 11))
    assert good.start.hour == 9
    assert check([good], {1: 1}, 1, ctx) == []


def test_outside_opening_hours():
    hours = {"tue": [["08:00", "12:00"], ["14:00", "18:00"]]}
    ctx = context(hours=hours)
    for start, end in [
        (datetime(2027, 1, 12, 7, 30), datetime(2027, 1, 12, 9)),  # before opening
        (datetime(2027, 1, 12, 11), datetime(2027, 1, 12, 15)),  # over the lunch break
        (datetime(2027, 1, 12, 17), datetime(2027, 1, 12, 18, 30)),  # after closing
        (datetime(2027, 1, 13, 10), datetime(2027, 1, 13, 11)),  # closed on Wednesdays
    ]:
        [violation] = check([slot(start, end)], {1: 1}, 1, ctx)
        assert (violation.code, violation.field, violation.params) == (
            "outside_opening_hours",
            "starts_at",
            {"name": "Salle A"},
        )
    inside = [
        slot(datetime(2027, 1, 12, 8), datetime(2027, 1, 12, 12)),
        slot(datetime(2027, 1, 19, 14), datetime(2027, 1, 19, 18)),
    ]
    assert check(inside, {1: 1}, 1, ctx) == []


def test_resource_opening_hours_override_the_hub():
    ctx = context(room_rules={"opening_hours": {"tue": [["18:00", "24:00"]]}})
    evening = slot(datetime(2027, 1, 12, 22), datetime(2027, 1, 13, 0))
    assert check([evening], {1: 1}, 1, ctx) == []
    assert codes(check([evening], {2: 1}, 1, ctx)) == {"outside_opening_hours"}  # hub: 08-22
    assert codes(check([TUESDAY], {1: 1}, 1, ctx)) == {"outside_opening_hours"}


def test_within_opening_hours_at_midnight():
    hours = {day: [["00:00", "24:00"]] for day in WEEKDAYS}
    assert within_opening_hours(datetime(2027, 1, 12, 22), datetime(2027, 1, 13, 0), hours)
    assert within_opening_hours(datetime(2027, 1, 12, 0), datetime(2027, 1, 13, 0), hours)
    assert not within_opening_hours(datetime(2027, 1, 12, 22), datetime(2027, 1, 13, 1), hours)
    assert not within_opening_hours(datetime(2027, 1, 12, 0), datetime(2027, 1, 14, 0), hours)


@pytest.mark.parametrize(
    ("day_before", "day_after"),
    [
        (datetime(2026, 2, 14), datetime(2026, 2, 16)),  # into Ramadan time (UTC+1 -> UTC+0)
        (datetime(2026, 3, 21), datetime(2026, 3, 23)),  # out of it (UTC+0 -> UTC+1)
        (datetime(2026, 9, 19), datetime(2026, 9, 21)),  # the last change (UTC+1 -> UTC+0)
    ],
)
def test_opening_hours_follow_the_wall_clock_across_a_change(day_before, day_after):
    ctx = context(now=datetime(2026, 1, 1, tzinfo=UTC))
    for day in (day_before, day_after):
        first = slot(day.replace(hour=8), day.replace(hour=10))
        last = slot(day.replace(hour=20), day.replace(hour=22))
        assert check([first, last], {1: 1}, 1, ctx) == []
        early = slot(day.replace(hour=7), day.replace(hour=8))
        late = slot(day.replace(hour=21), day.replace(hour=23))
        assert codes(check([early], {1: 1}, 1, ctx)) == {"outside_opening_hours"}
        assert codes(check([late], {1: 1}, 1, ctx)) == {"outside_opening_hours"}
    # The same UTC time of day is inside on one side of the change and outside on the other.
    offsets = {
        day: slot(day.replace(hour=8), day.replace(hour=9)).start.hour
        for day in (day_before, day_after)
    }
    assert offsets[day_before] != offsets[day_after]


def test_opening_hours_on_the_day_of_the_last_change():
    # 2026-09-20: back from 02:00 to 01:00; 08:00-22:00 local is 08:00-22:00Z that day.
    ctx = context(now=datetime(2026, 1, 1, tzinfo=UTC), room_rules={"max_minutes": 24 * 60})
    day = slot(datetime(2026, 9, 20, 8), datetime(2026, 9, 20, 22))
    assert (day.start, day.end) == (
        datetime(2026, 9, 20, 8, tzinfo=UTC),
        datetime(2026, 9, 20, 22, tzinfo=UTC),
    )
    assert check([day], {1: 1}, 1, ctx) == []
    # Round the clock: 00:00 (UTC+1) to 24:00 (UTC+0) is 25 hours, still inside 00:00-24:00.
    hours = {day: [["00:00", "24:00"]] for day in WEEKDAYS}
    ctx = context(
        now=datetime(2026, 1, 1, tzinfo=UTC), room_rules={"max_minutes": 25 * 60}, hours=hours
    )
    whole = slot(datetime(2026, 9, 20), datetime(2026, 9, 21))
    assert whole.end - whole.start == timedelta(hours=25)
    assert check([whole], {1: 1}, 1, ctx) == []


def test_too_soon():
    ctx = context(room_rules={"min_notice_minutes": 120})
    soon = slot(datetime(2027, 1, 11, 10), datetime(2027, 1, 11, 11))
    [violation] = check([soon], {1: 1}, 1, ctx)
    assert (violation.code, violation.params) == ("too_soon", {"name": "Salle A", "minutes": 120})
    assert check([slot(datetime(2027, 1, 11, 11), datetime(2027, 1, 11, 12))], {1: 1}, 1, ctx) == []
    assert check([soon], {2: 1}, 1, ctx) == []  # the projectors need no notice


def test_too_far_ahead():
    ctx = context(room_rules={"max_advance_days": 30})
    far = slot(datetime(2027, 2, 10, 9, 15), datetime(2027, 2, 10, 10))
    [violation] = check([far], {1: 1}, 1, ctx)
    assert (violation.code, violation.params) == ("too_far_ahead", {"name": "Salle A", "days": 30})
    edge = slot(datetime(2027, 2, 10, 9), datetime(2027, 2, 10, 10))  # exactly 30 days
    assert check([edge], {1: 1}, 1, ctx) == []


def test_blackout_of_the_whole_hub():
    closure = Closure(
        datetime(2027, 1, 12, 11, tzinfo=UTC), datetime(2027, 1, 13, tzinfo=UTC), "Fête"
    )
    ctx = context(closures=(closure,))
    [violation] = check([TUESDAY], {2: 1}, 1, ctx)
    assert (violation.code, violation.field, violation.params) == (
        "blackout",
        "starts_at",
        {"reason": "Fête"},
    )
    before = slot(datetime(2027, 1, 12, 9), datetime(2027, 1, 12, 11))  # touches the closure
    assert check([before], {1: 1, 2: 1}, 1, ctx) == []


def test_blackout_of_one_resource():
    closure = Closure(
        datetime(2027, 1, 12, tzinfo=UTC), datetime(2027, 1, 13, tzinfo=UTC), "", resource_id=1
    )
    ctx = context(closures=(closure,))
    [violation] = check([TUESDAY], {1: 1}, 1, ctx)
    assert (violation.code, violation.params) == ("blackout", {"name": "Salle A", "reason": "—"})
    assert check([TUESDAY], {2: 1}, 1, ctx) == []
    wednesday = slot(datetime(2027, 1, 13, 10), datetime(2027, 1, 13, 12))
    assert check([wednesday], {1: 1}, 1, ctx) == []


def test_over_capacity_only_for_spaces():
    [violation] = check([TUESDAY], {1: 1}, 11, context())
    assert (violation.code, violation.field, violation.params) == (
        "over_capacity",
        "attendees",
        {"name": "Salle A", "capacity": 10, "attendees": 11},
    )
    assert check([TUESDAY], {2: 1}, 11, context()) == []  # equipment capacity is not seats


def test_over_quantity():
    [violation] = check([TUESDAY], {2: 6}, 1, context())
    assert (violation.code, violation.field, violation.params) == (
        "over_quantity",
        "items",
        {"available": 5, "name": "Proj"},
    )
    assert codes(check([TUESDAY], {1: 2}, 1, context())) == {"over_quantity"}


def test_association_inactive():
    for status in (AssociationStatus.PENDING, AssociationStatus.SUSPENDED):
        [violation] = check([TUESDAY], {1: 1}, 1, context(association_status=status))
        assert (violation.code, violation.field) == ("association_inactive", "association_id")


# --- quotas ------------------------------------------------------------------------------------


def test_tally_counts_by_iso_week_and_month_of_the_local_start():
    usage = tally(
        [
            (datetime(2027, 1, 1, 10), 60),  # a Friday in ISO week 53 of 2026
            (datetime(2027, 1, 17, 23), 60),  # Sunday, week 2
            (datetime(2027, 1, 18, 0, 30), 30),  # Monday, week 3
            (datetime(2027, 2, 1, 9), 90),
        ],
        future_bookings=4,
    )
    assert usage.minutes_by_week == {(2026, 53): 60, (2027, 2): 60, (2027, 3): 30, (2027, 5): 90}
    assert usage.minutes_by_month == {(2027, 1): 150, (2027, 2): 90}
    assert usage.future_bookings == 4


def test_weekly_quota():
    rules = {"weekly_quota_hours": 4}
    usage = tally([(datetime(2027, 1, 18, 10), 180)], 1)  # 3 h in ISO week 3
    ctx = context(hub_rules=rules, usage=usage)
    same_week = slot(datetime(2027, 1, 22, 10), datetime(2027, 1, 22, 11, 15))
    [violation] = check([same_week], {1: 1}, 1, ctx)
    assert (violation.code, violation.field, violation.params) == (
        "quota_exceeded",
        "starts_at",
        {"hours": 4},
    )
    assert check([slot(datetime(2027, 1, 22, 10), datetime(2027, 1, 22, 11))], {1: 1}, 1, ctx) == []
    next_week = slot(datetime(2027, 1, 25, 8), datetime(2027, 1, 25, 12))
    assert check([next_week], {1: 1}, 1, ctx) == []
    # A series adds up within a week.
    series = [
        slot(datetime(2027, 1, d, 10), datetime(2027, 1, d, 11)) for d in (25, 26, 27, 28, 29)
    ]
    assert codes(check(series, {1: 1}, 1, context(hub_rules=rules))) == {"quota_exceeded"}
    assert check(series[:4], {1: 1}, 1, context(hub_rules=rules)) == []


def test_monthly_quota():
    rules = {"monthly_quota_hours": 10}
    usage = tally([(datetime(2027, 1, d, 10), 180) for d in (12, 19, 26)], 3)  # 9 h in January
    ctx = context(hub_rules=rules, usage=usage)
    [violation] = check(
        [slot(datetime(2027, 1, 28, 10), datetime(2027, 1, 28, 12))], {1: 1}, 1, ctx
    )
    assert (violation.code, violation.params) == ("quota_exceeded", {"hours": 10})
    assert check([slot(datetime(2027, 1, 28, 10), datetime(2027, 1, 28, 11))], {1: 1}, 1, ctx) == []
    assert check([slot(datetime(2027, 2, 2, 10), datetime(2027, 2, 2, 12))], {1: 1}, 1, ctx) == []


def test_max_future_bookings():
    rules = {"max_future_bookings": 3}
    full = context(hub_rules=rules, usage=tally([], 3))
    [violation] = check([TUESDAY], {1: 1}, 1, full)
    assert (violation.code, violation.params) == ("quota_exceeded", {"count": 3})
    room_for_one = context(hub_rules=rules, usage=tally([], 2))
    assert check([TUESDAY], {1: 1}, 1, room_for_one) == []
    two = [TUESDAY, slot(datetime(2027, 1, 19, 10), datetime(2027, 1, 19, 12))]
    assert codes(check(two, {1: 1}, 1, room_for_one)) == {"quota_exceeded"}


def test_quotas_are_reported_once():
    rules = {"weekly_quota_hours": 1, "monthly_quota_hours": 1, "max_future_bookings": 0}
    violations = check([TUESDAY], {1: 1}, 1, context(hub_rules=rules))
    assert [v.code for v in violations] == ["quota_exceeded"]


# --- all at once, overrides, check_slot -------------------------------------------------------


BAD_CONTEXT: dict[str, Any] = dict(
    room_rules={"max_minutes": 60, "granularity_minutes": 30, "max_advance_days": 30},
    hub_rules={"weekly_quota_hours": 1},
    closures=(
        Closure(datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 3, 2, tzinfo=UTC), resource_id=1),
    ),
    association_status=AssociationStatus.SUSPENDED,
)
# Monday 2027-03-01 21:10-22:20 local: too long, off the marks, past closing, closed, too far.
BAD_SLOT = slot(datetime(2027, 3, 1, 21, 10), datetime(2027, 3, 1, 22, 20))


def test_every_violation_is_reported_at_once():
    violations = check([BAD_SLOT], {1: 1, 2: 6}, 12, context(**BAD_CONTEXT))
    assert codes(violations) == {
        "association_inactive",
        "over_quantity",
        "over_capacity",
        "too_long",
        "granularity",
        "too_far_ahead",
        "outside_opening_hours",
        "blackout",
        "quota_exceeded",
    }
    assert len(violations) == len(codes(violations))  # deduplicated by code


def test_violations_over_several_occurrences_are_gathered():
    ctx = context(room_rules={"min_notice_minutes": 60, "granularity_minutes": 30})
    past = slot(datetime(2027, 1, 10, 10), datetime(2027, 1, 10, 11))
    soon = slot(datetime(2027, 1, 11, 9, 30), datetime(2027, 1, 11, 10))
    off_mark = slot(datetime(2027, 1, 12, 10, 15), datetime(2027, 1, 12, 11))
    assert codes(check([past, soon, off_mark], {1: 1}, 1, ctx)) == {
        "past",
        "too_soon",
        "granularity",
    }


def test_override_keeps_only_the_hard_codes():
    past_and_bad = slot(datetime(2027, 1, 10, 21, 10), datetime(2027, 1, 10, 22, 20))
    ctx = context(**BAD_CONTEXT)
    full = check([past_and_bad], {1: 1, 2: 6}, 12, ctx)
    assert {"past", "over_quantity", "over_capacity", "granularity", "too_long"} <= codes(full)
    kept = check([past_and_bad], {1: 1, 2: 6}, 12, ctx, override=True)
    assert codes(kept) == {"past", "over_quantity", "over_capacity"}
    assert codes(kept) <= HARD_CODES
    backwards = slot(datetime(2027, 1, 12, 10), datetime(2027, 1, 12, 9))
    assert codes(check([backwards], {1: 1}, 1, ctx, override=True)) == {"end_before_start"}
    assert check([BAD_SLOT], {1: 1}, 1, ctx, override=True) == []


def test_check_slot_gives_the_time_rules_of_one_occurrence():
    ctx = context(**BAD_CONTEXT)
    found = check_slot(BAD_SLOT, {1: 1, 2: 6}, ctx)
    assert codes(found) == {
        "too_long",
        "granularity",
        "too_far_ahead",
        "outside_opening_hours",
        "blackout",
    }
    hub_closed = context(
        closures=(Closure(datetime(2027, 1, 12, tzinfo=UTC), datetime(2027, 1, 13, tzinfo=UTC)),)
    )
    assert codes(check_slot(TUESDAY, {1: 1}, hub_closed)) == {"blackout"}
    assert (
        check_slot(slot(datetime(2027, 1, 10, 10), datetime(2027, 1, 10, 11)), {1: 1}, ctx)[0].code
        == "past"
    )


def test_usage_defaults_to_nothing_held():
    assert Usage() == tally([], 0)
