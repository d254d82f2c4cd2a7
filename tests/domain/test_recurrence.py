# ruff: noqa: DTZ001  (naive datetimes here are the hub's wall clock, on purpose)
"""Recurring series expanded on the hub's wall clock (Africa/Casablanca, pinned tzdata).

Offsets from the pinned zone data: UTC+1, except UTC+0 during Ramadan 2026 (from
2026-02-15 03:00 back to 02:00, until 2026-03-22 02:00 forward to 03:00), and UTC+0 for good
from 2026-09-20 (02:00 back to 01:00: local 01:00-01:59 happens twice).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub_booking.domain.errors import Invalid
from hub_booking.domain.recurrence import MAX_OCCURRENCES, expand, parse
from hub_booking.domain.wallclock import WallClockError, to_local, to_utc
from hub_booking.zones import get_zone

ZONE = get_zone("Africa/Casablanca")
HOUR = timedelta(hours=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def offset_at(local: datetime) -> timedelta | None:
    return local.replace(tzinfo=ZONE).utcoffset()


def starts(rrule: str, first: datetime, duration: timedelta = HOUR) -> list[datetime]:
    return [o.local_start for o in expand(rrule, first, duration, ZONE)]


def refusal(rrule, first: datetime = datetime(2027, 1, 26, 14)) -> tuple[str, str | None]:
    with pytest.raises(Invalid) as caught:
        expand(rrule, first, HOUR, ZONE)
    [violation] = caught.value.violations
    return violation.code, violation.field


# --- the zone data these tests rely on --------------------------------------------------------


def test_the_pinned_offsets_around_the_2026_changes():
    assert offset_at(datetime(2026, 2, 14, 14)) == HOUR
    assert offset_at(datetime(2026, 2, 15, 14)) == timedelta(0)
    assert offset_at(datetime(2026, 3, 21, 14)) == timedelta(0)
    assert offset_at(datetime(2026, 3, 22, 14)) == HOUR
    assert offset_at(datetime(2026, 9, 19, 14)) == HOUR
    assert offset_at(datetime(2026, 9, 20, 14)) == timedelta(0)
    assert offset_at(datetime(2027, 2, 20, 14)) == timedelta(0)  # no more Ramadan switch


# --- expansion ---------------------------------------------------------------------------------


def test_weekly_at_14h_in_2027_is_14h_utc_every_time():
    occurrences = expand("FREQ=WEEKLY;COUNT=10", datetime(2027, 1, 26, 14), 2 * HOUR, ZONE)
    assert len(occurrences) == 10
    for week, occurrence in enumerate(occurrences):
        assert occurrence.local_start == datetime(2027, 1, 26, 14) + timedelta(weeks=week)
        assert occurrence.local_end - occurrence.local_start == 2 * HOUR
        assert to_utc(occurrence.local_start, ZONE) == utc(2027, 1, 26, 14) + timedelta(weeks=week)
        assert to_utc(occurrence.local_end, ZONE).hour == 16


def test_weekly_across_ramadan_2026_keeps_the_wall_clock():
    local = starts("FREQ=WEEKLY;COUNT=10", datetime(2026, 2, 1, 14))  # Sundays
    assert all(s.hour == 14 and s.minute == 0 for s in local)
    assert [s.date().isoformat() for s in local] == [
        "2026-02-01",
        "2026-02-08",
        "2026-02-15",
        "2026-02-22",
        "2026-03-01",
        "2026-03-08",
        "2026-03-15",
        "2026-03-22",
        "2026-03-29",
        "2026-04-05",
    ]
    instants = [to_utc(s, ZONE) for s in local]
    for local_start, instant in zip(local, instants, strict=True):
        offset = offset_at(local_start)
        assert offset is not None
        assert instant == local_start.replace(tzinfo=UTC) - offset
        ramadan = datetime(2026, 2, 15) <= local_start < datetime(2026, 3, 22)
        assert instant.hour == (14 if ramadan else 13)
        assert to_local(instant, ZONE) == local_start


def test_daily_at_01_30_across_2026_09_20_meets_the_doubled_hour():
    local = starts("FREQ=DAILY;COUNT=4", datetime(2026, 9, 18, 1, 30))
    assert local == [datetime(2026, 9, day, 1, 30) for day in (18, 19, 20, 21)]
    assert to_utc(local[0], ZONE) == utc(2026, 9, 18, 0, 30)
    assert to_utc(local[1], ZONE) == utc(2026, 9, 19, 0, 30)
    with pytest.raises(WallClockError) as caught:
        to_utc(local[2], ZONE)
    assert caught.value.violation.code == "ambiguous_time"
    assert caught.value.violation.field == "starts_at"
    assert caught.value.violation.params == {"time": "2026-09-20 01:30"}
    assert to_utc(local[3], ZONE) == utc(2026, 9, 21, 1, 30)


def test_daily_at_14h_across_2026_09_20_stays_14h_local():
    local = starts("FREQ=DAILY;COUNT=4", datetime(2026, 9, 18, 14))
    assert [s.hour for s in local] == [14, 14, 14, 14]
    assert [to_utc(s, ZONE) for s in local] == [
        utc(2026, 9, 18, 13),
        utc(2026, 9, 19, 13),
        utc(2026, 9, 20, 14),
        utc(2026, 9, 21, 14),
    ]


def test_daily_at_02_30_meets_the_missing_hour_of_2026_03_22():
    local = starts("FREQ=DAILY;COUNT=3", datetime(2026, 3, 21, 2, 30))
    assert to_utc(local[0], ZONE) == utc(2026, 3, 21, 2, 30)
    with pytest.raises(WallClockError) as caught:
        to_utc(local[1], ZONE)
    assert caught.value.violation.code == "nonexistent_time"
    assert to_utc(local[2], ZONE) == utc(2026, 3, 23, 1, 30)


def test_interval_and_byday():
    local = starts("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=4", datetime(2027, 1, 4, 9))
    assert local == [
        datetime(2027, 1, 4, 9),
        datetime(2027, 1, 7, 9),
        datetime(2027, 1, 18, 9),
        datetime(2027, 1, 21, 9),
    ]


def test_monthly_on_the_second_tuesday():
    local = starts("FREQ=MONTHLY;BYDAY=2TU;COUNT=5", datetime(2027, 1, 12, 18))
    assert local == [
        datetime(2027, 1, 12, 18),
        datetime(2027, 2, 9, 18),
        datetime(2027, 3, 9, 18),
        datetime(2027, 4, 13, 18),
        datetime(2027, 5, 11, 18),
    ]
    for start in local:
        assert start.weekday() == 1  # a Tuesday
        assert 8 <= start.day <= 14  # the second one


def test_monthly_on_the_last_friday():
    local = starts("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", datetime(2027, 1, 29, 10))
    assert local == [
        datetime(2027, 1, 29, 10),
        datetime(2027, 2, 26, 10),
        datetime(2027, 3, 26, 10),
    ]


def test_until_as_a_date_includes_that_day():
    local = starts("FREQ=DAILY;UNTIL=20270131", datetime(2027, 1, 25, 18))
    assert local[0] == datetime(2027, 1, 25, 18)
    assert local[-1] == datetime(2027, 1, 31, 18)
    assert len(local) == 7
    assert "UNTIL=20270131T235959" in parse("FREQ=DAILY;UNTIL=20270131", ZONE)


def test_until_in_utc_is_converted_to_the_wall_clock():
    # 2026-06-10 13:15Z is 14:15 on the hub's clock (UTC+1): the 14:00 occurrence is in.
    assert "UNTIL=20260610T141500" in parse("FREQ=DAILY;UNTIL=20260610T131500Z", ZONE)
    local = starts("FREQ=DAILY;UNTIL=20260610T131500Z", datetime(2026, 6, 1, 14))
    assert local[-1] == datetime(2026, 6, 10, 14)
    assert len(local) == 10
    # The same instant is the last one allowed: 14:00 local is 13:00Z, before 13:15Z.
    assert to_utc(local[-1], ZONE) <= utc(2026, 6, 10, 13, 15)


def test_until_in_utc_cuts_an_occurrence_after_it():
    # 13:59Z is 14:59 local: a 15:00 occurrence that day is out.
    local = starts("FREQ=DAILY;UNTIL=20260610T135900Z", datetime(2026, 6, 1, 15))
    assert local[-1] == datetime(2026, 6, 9, 15)


def test_until_in_utc_after_2026_09_20_needs_no_shift():
    assert "UNTIL=20270301T140000" in parse("FREQ=WEEKLY;UNTIL=20270301T140000Z", ZONE)


def test_until_without_z_is_already_wall_clock():
    assert "UNTIL=20260610T131500" in parse("FREQ=DAILY;UNTIL=20260610T131500", ZONE)
    local = starts("FREQ=DAILY;UNTIL=20260610T131500", datetime(2026, 6, 1, 14))
    assert local[-1] == datetime(2026, 6, 9, 14)


def test_exactly_the_maximum_is_allowed():
    first = datetime(2027, 1, 1, 9)
    assert len(starts(f"FREQ=DAILY;COUNT={MAX_OCCURRENCES}", first)) == MAX_OCCURRENCES
    last = first + timedelta(days=MAX_OCCURRENCES - 1)
    assert len(starts(f"FREQ=DAILY;UNTIL={last:%Y%m%d}", first)) == MAX_OCCURRENCES
    after = last + timedelta(days=1)
    assert refusal(f"FREQ=DAILY;UNTIL={after:%Y%m%d}", first) == (
        "too_many_occurrences",
        "recurrence.rrule",
    )


def test_daily_until_far_away_stops_with_too_many_occurrences():
    with pytest.raises(Invalid) as caught:
        expand("FREQ=DAILY;UNTIL=20351231", datetime(2027, 1, 1, 9), HOUR, ZONE)
    [violation] = caught.value.violations
    assert violation.code == "too_many_occurrences"
    assert violation.field == "recurrence.rrule"
    assert violation.params == {"max": MAX_OCCURRENCES}


def test_the_rrule_prefix_and_lower_case_are_accepted():
    assert len(starts("RRULE:freq=weekly;count=3", datetime(2027, 1, 26, 14))) == 3


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rrule",
    [
        "FREQ=YEARLY;COUNT=3",
        "FREQ=HOURLY;COUNT=3",
        "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=3",
        "FREQ=WEEKLY;BYSETPOS=1;COUNT=3",
        "FREQ=WEEKLY",  # never ends
        "FREQ=WEEKLY;COUNT=3;UNTIL=20270601",  # both
        "COUNT=3",  # no FREQ
        "FREQ=WEEKLY;COUNT=0",
        "FREQ=WEEKLY;COUNT=-1",
        "FREQ=WEEKLY;COUNT=three",
        "FREQ=WEEKLY;INTERVAL=0;COUNT=3",
        "FREQ=WEEKLY;INTERVAL=x;COUNT=3",
        "FREQ=WEEKLY;BYDAY=2TU;COUNT=3",  # ordinals are for MONTHLY
        "FREQ=MONTHLY;BYDAY=0TU;COUNT=3",
        "FREQ=WEEKLY;BYDAY=XX;COUNT=3",
        "FREQ=WEEKLY;UNTIL=2027-06-01",
        "FREQ=WEEKLY;UNTIL=20270230",
        "FREQ=WEEKLY;UNTIL=20270601T25",
        "FREQ=WEEKLY;COUNT=3;COUNT=4",  # repeated part
        "FREQ=WEEKLY;;COUNT=3",
        "FREQ",
        "not a rule",
        "",
        "   ",
    ],
)
def test_rules_outside_the_subset_are_invalid_rrule(rrule):
    assert refusal(rrule) == ("invalid_rrule", "recurrence.rrule")


@pytest.mark.parametrize("value", [None, 42, ["FREQ=WEEKLY;COUNT=3"]])
def test_a_rule_that_is_not_text_is_invalid(value):
    with pytest.raises(Invalid) as caught:
        parse(value, ZONE)
    assert [(v.code, v.field) for v in caught.value.violations] == [
        ("invalid_rrule", "recurrence.rrule")
    ]


def test_an_unsupported_part_is_named():
    with pytest.raises(Invalid) as caught:
        parse("FREQ=MONTHLY;BYMONTHDAY=15;COUNT=3", ZONE)
    assert caught.value.violations[0].params == {"part": "BYMONTHDAY"}


@pytest.mark.parametrize("count", [MAX_OCCURRENCES + 1, 999])
def test_count_over_the_maximum_is_too_many_occurrences(count):
    assert refusal(f"FREQ=DAILY;COUNT={count}") == ("too_many_occurrences", "recurrence.rrule")


def test_a_huge_count_is_too_many_occurrences():
    assert refusal("FREQ=DAILY;COUNT=1000") == ("too_many_occurrences", "recurrence.rrule")
