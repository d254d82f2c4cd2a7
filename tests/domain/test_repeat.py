"""The form's "Repeat" choices become an RRULE the engine expands (no database)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from hub_booking.domain import recurrence
from hub_booking.domain.repeat import Weekly, ordered_days, weekday_of, weekly_rule
from hub_booking.zones import get_zone

ZONE = get_zone("Africa/Casablanca")


def wall(*args: int) -> datetime:
    """A naive wall-clock time of the hub, as the engine expands series."""
    return datetime(*args)  # noqa: DTZ001


def test_weekly_on_chosen_days_a_number_of_times():
    assert weekly_rule(Weekly(("TU",), count=10)) == "FREQ=WEEKLY;BYDAY=TU;COUNT=10"


def test_every_few_weeks_days_in_calendar_order_whatever_the_order_chosen():
    rule = weekly_rule(Weekly(("th", "MO", "TH"), every=2, count=6))
    assert rule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=6"


def test_until_a_date_includes_that_day():
    rule = weekly_rule(Weekly(("TU",), until=date(2027, 2, 9)))
    assert rule == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270209"
    starts = recurrence.expand(rule, wall(2027, 1, 26, 14), timedelta(hours=2), ZONE)
    assert [o.local_start.date() for o in starts] == [
        date(2027, 1, 26),
        date(2027, 2, 2),
        date(2027, 2, 9),
    ]


def test_every_rule_built_is_one_the_engine_accepts():
    for days in (("MO",), ("MO", "WE", "FR"), tuple(ordered_days(["SU", "SA"]))):
        for every in (1, 3, 52):
            rule = weekly_rule(Weekly(days, every=every, count=200))
            assert recurrence.parse(rule, ZONE)
            assert (
                len(recurrence.expand(rule, wall(2027, 1, 4, 9), timedelta(hours=1), ZONE)) == 200
            )


@pytest.mark.parametrize(
    "repeat",
    [
        Weekly(()),
        Weekly(("XX",), count=3),
        Weekly(("TU",)),
        Weekly(("TU",), count=3, until=date(2027, 3, 1)),
        Weekly(("TU",), every=0, count=3),
        Weekly(("TU",), every=53, count=3),
        Weekly(("TU",), count=0),
        Weekly(("TU",), count=201),
    ],
)
def test_choices_outside_the_engines_subset_are_refused(repeat):
    with pytest.raises(ValueError, match=r"weekday|range|count or until"):
        weekly_rule(repeat)


def test_weekday_codes():
    assert weekday_of(date(2027, 1, 26)) == "TU"
    assert ordered_days(["fr", " mo ", "nope", "MO"]) == ("MO", "FR")
