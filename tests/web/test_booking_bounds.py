"""Bad input to the booking API: always a 4xx naming the problem, and nothing written."""

from __future__ import annotations

import pytest

from hub_booking.db.tables import AuditLog, Booking, BookingItem, Series
from tests.web.test_bookings_api import booking, post


async def counts() -> tuple[int, ...]:
    return (
        await Booking.count(),
        await BookingItem.count(),
        await Series.count(),
        await AuditLog.count(),
    )


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"title": "Atelier\x00"}, "title", "invalid_characters"),
        ({"title": "Atelier \u202eevil"}, "title", "invalid_characters"),
        ({"title": "a\u2066b"}, "title", "invalid_characters"),
        ({"purpose": "x" * 2001}, "purpose", "too_long_text"),
        ({"purpose": "line\x07"}, "purpose", "invalid_characters"),
        ({"starts_at": "0001-01-01T10:00:00+01:00"}, "starts_at", "out_of_range"),
        ({"ends_at": "9999-12-31T23:00:00-05:00"}, "ends_at", "out_of_range"),
        ({"association_id": 2**31}, "association_id", "invalid_number"),
        ({"association_id": 2**64}, "association_id", "invalid_number"),
        ({"items": [{"resource_id": 2**63}]}, "items[0].resource_id", "invalid_resource"),
        ({"attendees": "many"}, "attendees", "invalid_number"),
        ({"attendees": "12"}, "attendees", "invalid_number"),  # JSON types are strict
        ({"association_id": "1"}, "association_id", "invalid_number"),
        ({"override": "false"}, "override", "invalid_boolean"),
        ({"attendees": 10**9}, "attendees", "invalid_number"),
        ({"title": 42}, "title", "invalid_text"),
        ({"override": "yes"}, "override", "invalid_boolean"),
        ({"colour": "red"}, "colour", "unknown_field"),
        ({"items": [{"resource_id": 1, "qty": 2}]}, "items[0].qty", "unknown_field"),
        (
            {"items": [{"resource_id": 1}, {"resource_id": 1}]},
            "items[1].resource_id",
            "duplicate_resource",
        ),
        ({"items": [{"resource_id": i} for i in range(1, 30)]}, "items", "too_many_items"),
        (
            {"recurrence": {"rrule": "FREQ=WEEKLY;COUNT=2\nX"}},
            "recurrence.rrule",
            "invalid_characters",
        ),
    ],
)
async def test_bad_fields_are_422_and_write_nothing(client, cast, change, field, code):
    before = await counts()
    response = await post(client, cast, {**booking(cast), **change})
    assert response.status_code == 422, response.text
    assert [(v["field"], v["code"]) for v in response.json()["violations"]] == [(field, code)]
    assert await counts() == before


@pytest.mark.parametrize("quantity", [0, -1, "two", "2", 1.5, True, 10**6])
async def test_a_bad_quantity_is_refused(client, cast, quantity):
    body = booking(cast, items=[{"resource_id": cast.room, "quantity": quantity}])
    response = await post(client, cast, body)
    assert [(v["field"], v["code"]) for v in response.json()["violations"]] == [
        ("items[0].quantity", "invalid_quantity")
    ]


@pytest.mark.parametrize("body", [b"[]", b'"booking"', b"42", b"null", b"[" * 5000 + b"]" * 5000])
async def test_a_body_that_is_not_an_object_is_400(client, cast, body):
    headers = {**cast.auth("member_a"), "Content-Type": "application/json"}
    response = await client.post("/api/v1/bookings", content=body, headers=headers)
    assert response.status_code == 400, response.text


async def test_a_title_of_200_characters_is_fine(client, cast):
    assert (await post(client, cast, booking(cast, title="x" * 200))).status_code == 201


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/bookings/2147483648",
        "/api/v1/bookings/99999999999999999999999",
        "/api/v1/bookings/0",
    ],
)
async def test_ids_beyond_the_column_are_404(client, cast, path):
    response = await client.get(path, headers=cast.auth("member_a"))
    assert response.status_code == 404
    patched = await client.patch(path, json={"title": "x"}, headers=cast.auth("member_a"))
    assert patched.status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "from=2027-01-01T00:00:00",
        "from=tomorrow",
        "to=0001-01-01T00:30:00%2B01:00",
        "to=9999-12-31T23:59:00-05:00",
        "hub_id=2147483648",
        "status=lost",
        "limit=0",
        "limit=501",
        "offset=-1",
    ],
)
async def test_bad_list_filters_are_4xx(client, cast, query):
    response = await client.get(f"/api/v1/bookings?{query}", headers=cast.auth("member_a"))
    assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize(
    "query",
    [
        "from=2027-01-01T00:00:00&to=2027-01-02T00:00:00",
        "from=0001-01-01T00:30:00%2B01:00&to=0001-01-02T00:00:00%2B00:00",
        "from=9999-12-30T23:59:00-05:00&to=9999-12-31T23:59:00-05:00",
        "from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z",
        "from=2027-01-01T00:00:00Z&to=2027-03-01T00:00:00Z",
        "from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z&kind=boat",
        "from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z&duration_minutes=0",
    ],
)
async def test_bad_availability_queries_are_4xx(client, cast, query):
    response = await client.get(
        f"/api/v1/availability?hub_id={cast.hub}&{query}", headers=cast.auth("member_a")
    )
    assert 400 <= response.status_code < 500, response.text


async def test_a_sparse_rule_is_answered_quickly_and_refused(client, cast):
    """An RRULE with (almost) no occurrence is bounded by its window, not by iterations."""
    body = booking(cast, recurrence={"rrule": "FREQ=DAILY;INTERVAL=999;UNTIL=20991231"})
    response = await post(client, cast, body)
    assert response.status_code in (201, 422), response.text
    leap = booking(cast, recurrence={"rrule": "FREQ=MONTHLY;BYDAY=5SU;COUNT=200"})
    assert (await post(client, cast, leap)).status_code in (201, 409, 422)
