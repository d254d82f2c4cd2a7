"""Reading the booking form and the find-a-room URL (no database, no app)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from hub_booking.web.find_query import parse_find
from hub_booking.web.forms import apply_suggestion, parse_booking, prefill
from hub_booking.zones import get_zone

ZONE = get_zone("Africa/Casablanca")


def form(**extra: object) -> dict[str, object]:
    return {
        "association_id": "3",
        "resource_id": "5",
        "date": "2027-01-26",
        "start": "14:00",
        "end": "16:00",
        "title": " Atelier ",
        "attendees": "12",
        **extra,
    }


def fields_at_fault(data: dict[str, object], **kwargs: bool) -> list[str | None]:
    return [e.field for e in parse_booking(data, ZONE, **kwargs).errors]


def test_a_complete_form_is_a_booking_request_in_utc():
    parsed = parse_booking(form(qty_7="2", qty_8="0", purpose="Pour\r\nles jeunes"), ZONE)
    request = parsed.request
    assert parsed.errors == ()
    assert request is not None
    assert (request.association_id, request.title, request.attendees) == (3, "Atelier", 12)
    assert request.starts_at == datetime(2027, 1, 26, 14, tzinfo=UTC)
    assert request.ends_at == datetime(2027, 1, 26, 16, tzinfo=UTC)
    assert request.items == {5: 1, 7: 2}
    assert request.purpose == "Pour\r\nles jeunes"
    assert (request.rrule, request.on_conflict) == (None, "fail")


def test_arabic_indic_digits_are_numbers_too():
    request = parse_booking(form(attendees="١٢", qty_7="٢"), ZONE).request
    assert request is not None
    assert (request.attendees, request.items) == (12, {5: 1, 7: 2})


def test_summer_times_before_2026_are_an_hour_ahead_of_utc():
    request = parse_booking(form(date="2026-06-02"), ZONE).request
    assert request is not None
    assert request.starts_at == datetime(2026, 6, 2, 13, tzinfo=UTC)


def test_a_weekly_series_and_the_skip_choice():
    data = form(repeat="weekly", every="2", days=["TH", "TU"], ends="until", until="2027-03-31")
    request = parse_booking({**data, "on_conflict": "skip"}, ZONE).request
    assert request is not None
    assert request.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=20270331"
    assert request.on_conflict == "skip"


def test_weekly_without_days_repeats_on_the_first_dates_weekday():
    request = parse_booking(form(repeat="weekly", count="4"), ZONE).request
    assert request is not None
    assert request.rrule == "FREQ=WEEKLY;BYDAY=TU;COUNT=4"


def test_every_problem_is_reported_at_once_in_the_forms_order():
    data = form(
        title="",
        association_id="",
        attendees="0",
        resource_id="x",
        date="2027-02-30",
        start="7h",
        end="",
        repeat="weekly",
        every="99",
        ends="count",
        count="",
    )
    assert fields_at_fault(data) == [
        "title",
        "association_id",
        "attendees",
        "resource_id",
        "date",
        "start",
        "end",
        "every",
        "count",
    ]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"title": "a\x00b"}, "title"),
        ({"title": "a\u202eb"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"purpose": "x\x1bb"}, "purpose"),
        ({"purpose": "x" * 2001}, "purpose"),
        ({"attendees": "100001"}, "attendees"),
        ({"attendees": "²"}, "attendees"),
        ({"attendees": "9" * 5000}, "attendees"),
        ({"qty_7": "9" * 5000}, "qty_7"),
        ({"association_id": "99999999999999999999"}, "association_id"),
        ({"qty_7": "-1"}, "qty_7"),
        ({"qty_7": "10001"}, "qty_7"),
        ({"end": "13:00"}, "end"),
        ({"end": "14:00"}, "end"),
        ({"date": "1999-12-31"}, "date"),
        ({"repeat": "daily"}, "repeat"),
        ({"repeat": "weekly", "ends": "until", "until": "2027-01-01"}, "until"),
        ({"repeat": "weekly", "ends": "never"}, "ends"),
        ({"repeat": "weekly", "count": "201"}, "count"),
        ({"on_conflict": "maybe"}, "on_conflict"),
        ({"resource_id": ""}, "resource_id"),
    ],
)
def test_bad_values_are_field_errors_never_exceptions(extra, field):
    parsed = parse_booking(form(**extra), ZONE)
    assert parsed.request is None
    assert field in [e.field for e in parsed.errors]


def test_a_time_the_clock_repeats_is_refused_on_its_field():
    # 2026-09-20: Morocco's clock went back from 02:00 to 01:00.
    assert fields_at_fault(form(date="2026-09-20", start="01:30", end="03:00")) == ["start"]


def test_a_draft_may_have_no_title_yet():
    assert fields_at_fault(form(title=""), draft=True) == []


def test_a_link_gives_the_first_values_on_the_hubs_clock():
    values, notes = prefill(
        {
            "resource_id": "5",
            "starts_at": "2026-06-02T13:00:00+00:00",
            "ends_at": "2026-06-02T14:30Z",
        },
        ZONE,
    )
    assert notes == []
    assert (values["resource_id"], values["date"], values["start"], values["end"]) == (
        "5",
        "2026-06-02",
        "14:00",
        "15:30",
    )
    assert values["days"] == ("TU",)


def test_an_unreadable_link_leaves_the_fields_empty_with_a_note():
    values, notes = prefill({"starts_at": "tomorrow", "resource_id": "salle"}, ZONE)
    assert (values["date"], values["resource_id"]) == ("", "")
    assert [n.field for n in notes] == ["date"]


def test_a_suggestion_changes_only_the_time_or_the_resource():
    slot = apply_suggestion(
        form(suggestion="slot:2027-01-26T16:00:00+00:00/2027-01-26T18:00:00+00:00"), ZONE
    )
    assert (slot["date"], slot["start"], slot["end"], slot["title"]) == (
        "2027-01-26",
        "16:00",
        "18:00",
        " Atelier ",
    )
    room = apply_suggestion(form(suggestion="resource:5:9"), ZONE)
    assert room["resource_id"] == "9"
    pool = apply_suggestion(form(qty_7="2", suggestion="resource:7:8"), ZONE)
    assert (pool.get("qty_7"), pool["qty_8"]) == (None, "2")
    assert apply_suggestion(form(suggestion="slot:nonsense"), ZONE) == form()


def test_find_defaults_and_fallbacks():
    plain = parse_find({})
    assert (plain.day, plain.start, plain.end, plain.duration, plain.people) == (
        None,
        time(8),
        time(22),
        60,
        1,
    )
    assert plain.notices == ()
    odd = parse_find(
        {
            "date": "2027-02-30",
            "from": "18:00",
            "to": "09:00",
            "duration": "0",
            "people": "x",
            "equipment": ["4", "four", "4"],
        }
    )
    assert (odd.day, odd.start, odd.duration, odd.people, odd.equipment) == (
        None,
        time(8),
        60,
        1,
        (4,),
    )
    assert [n.field for n in odd.notices] == ["date", "from", "duration", "people", "equipment"]
    huge = parse_find({"people": "9" * 5000, "duration": "²", "equipment": "9" * 5000})
    assert (huge.people, huge.duration, huge.equipment) == (1, 60, ())
    asked = parse_find({"date": "2027-01-26", "from": "14:00", "to": "18:00", "equipment": "7"})
    assert asked.day == date(2027, 1, 26)
    assert asked.window(date(2027, 1, 26), ZONE) == (
        datetime(2027, 1, 26, 14, tzinfo=UTC),
        datetime(2027, 1, 26, 18, tzinfo=UTC),
    )
