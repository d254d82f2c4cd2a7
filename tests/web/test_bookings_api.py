"""Bookings through the API: creation, series, conflicts, lifecycle, every violation code."""

from __future__ import annotations

from typing import Any

import pytest

from hub_booking.db.tables import Booking, BookingItem, Hub, Resource
from tests.conftest import NOW

# NOW is Monday 2027-01-11 09:00Z; Morocco is UTC+0 from 2026-09-20 (tzdata 2026c+).
TUESDAY = "2027-01-26"


def booking(
    cast,
    *,
    start: str = f"{TUESDAY}T14:00:00+00:00",
    end: str = f"{TUESDAY}T17:00:00+00:00",
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "association_id": cast.association_a,
        "title": "Formation gestion de projet",
        "starts_at": start,
        "ends_at": end,
        "attendees": 12,
        "items": [{"resource_id": cast.room, "quantity": 1}],
    }
    return {**body, **extra}


async def post(client, cast, body, role: str = "member_a", **headers: str):
    return await client.post("/api/v1/bookings", json=body, headers={**cast.auth(role), **headers})


async def test_member_books_a_room_and_gets_it_approved_at_once(client, cast):
    response = await post(client, cast, booking(cast))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "approved"
    assert created["starts_at"] == "2027-01-26T14:00:00+00:00"
    assert created["local_start"] == "2027-01-26T14:00"
    assert created["timezone"] == "Africa/Casablanca"
    assert created["items"] == [{"resource_id": cast.room, "quantity": 1}]
    fetched = await client.get(f"/api/v1/bookings/{created['id']}", headers=cast.auth("manager"))
    assert fetched.json() == created


async def test_the_same_slot_twice_is_409_with_the_clash_and_suggestions(client, cast):
    assert (await post(client, cast, booking(cast))).status_code == 201
    response = await post(client, cast, booking(cast, title="Autre"), role="rep_a")
    assert response.status_code == 409
    body = response.json()
    assert body["conflicts"] == [
        {
            "resource_id": cast.room,
            "starts_at": "2027-01-26T14:00:00+00:00",
            "ends_at": "2027-01-26T17:00:00+00:00",
        }
    ]
    assert "Formation" not in response.text  # never another booking's details
    assert body["suggestions"]["next_slots"][0] == {
        "starts_at": "2027-01-26T17:00:00+00:00",
        "ends_at": "2027-01-26T20:00:00+00:00",
    }
    assert await Booking.count() == 1


def codes(response) -> set[str]:
    return {v["code"] for v in response.json()["violations"]}


def fields(response) -> set[str]:
    return {v["field"] for v in response.json()["violations"]}


async def set_rules(hub_id: int, **rules: Any) -> None:
    await Hub.update({Hub.rules: rules}).where(Hub.id == hub_id)


async def test_weekly_series_at_14h_local_is_14h_utc_every_week(client, cast):
    body = booking(cast, recurrence={"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=10"})
    response = await post(client, cast, body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["series_id"] is not None
    starts = [o["starts_at"] for o in created["occurrences"]]
    assert len(starts) == 10
    assert all(s.endswith("T14:00:00+00:00") for s in starts)  # the OS zone data would say 13:00
    assert starts[-1] == "2027-03-30T14:00:00+00:00"
    assert await Booking.count().where(Booking.series == created["series_id"]) == 10


async def test_series_fail_books_nothing_when_one_occurrence_clashes(client, cast):
    await post(
        client,
        cast,
        booking(cast, start="2027-02-09T15:00:00+00:00", end="2027-02-09T16:00:00+00:00"),
        role="rep_a",
    )
    body = booking(
        cast, recurrence={"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=4", "on_conflict": "fail"}
    )
    response = await post(client, cast, body)
    assert response.status_code == 409
    assert response.json()["conflicts"][0]["starts_at"] == "2027-02-09T15:00:00+00:00"
    assert await Booking.count() == 1
    assert await BookingItem.count() == 1


async def test_series_skip_books_the_free_occurrences_and_reports_the_others(client, cast):
    await post(
        client,
        cast,
        booking(cast, start="2027-02-09T15:00:00+00:00", end="2027-02-09T16:00:00+00:00"),
        role="rep_a",
    )
    body = booking(
        cast, recurrence={"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=4", "on_conflict": "skip"}
    )
    response = await post(client, cast, body)
    assert response.status_code == 201, response.text
    occurrences = response.json()["occurrences"]
    assert [o["skipped"] for o in occurrences] == [False, False, True, False]
    skipped = occurrences[2]
    assert skipped["starts_at"] == "2027-02-09T14:00:00+00:00"
    assert skipped["code"] == "conflict"
    assert skipped["reason"]
    assert await Booking.count() == 4  # three occurrences and the other booking


async def test_series_skip_also_skips_occurrences_that_break_a_rule(client, cast):
    await client.post(
        f"/api/v1/hubs/{cast.hub}/blackouts",
        json={
            "starts_at": "2027-02-02T00:00:00+00:00",
            "ends_at": "2027-02-03T00:00:00+00:00",
            "reason": "Aïd",
        },
        headers=cast.auth("manager"),
    )
    body = booking(
        cast, recurrence={"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=3", "on_conflict": "skip"}
    )
    occurrences = (await post(client, cast, body)).json()["occurrences"]
    assert [(o["skipped"], o.get("code")) for o in occurrences] == [
        (False, None),
        (True, "blackout"),
        (False, None),
    ]


async def test_pool_units_add_up_and_the_fourth_projector_is_refused(client, cast):
    for quantity in (2, 1):
        body = booking(cast, items=[{"resource_id": cast.projectors, "quantity": quantity}])
        assert (await post(client, cast, body)).status_code == 201
    refused = await post(
        client, cast, booking(cast, items=[{"resource_id": cast.projectors, "quantity": 1}])
    )
    assert refused.status_code == 409
    later = booking(
        cast,
        start=f"{TUESDAY}T17:00:00+00:00",
        end=f"{TUESDAY}T18:00:00+00:00",
        items=[{"resource_id": cast.projectors, "quantity": 3}],
    )
    assert (await post(client, cast, later)).status_code == 201


async def test_room_and_equipment_are_all_or_nothing(client, cast):
    await post(
        client,
        cast,
        booking(cast, items=[{"resource_id": cast.projectors, "quantity": 3}]),
        role="rep_a",
    )
    body = booking(
        cast,
        items=[
            {"resource_id": cast.room, "quantity": 1},
            {"resource_id": cast.projectors, "quantity": 1},
        ],
    )
    assert (await post(client, cast, body)).status_code == 409
    assert await BookingItem.count().where(BookingItem.resource == cast.room) == 0


async def test_buffers_keep_a_gap_between_bookings(client, cast):
    await Resource.update({Resource.rules: {"buffer_after_minutes": 30}}).where(
        Resource.id == cast.room
    )
    assert (await post(client, cast, booking(cast))).status_code == 201
    right_after = booking(cast, start=f"{TUESDAY}T17:00:00+00:00", end=f"{TUESDAY}T18:00:00+00:00")
    response = await post(client, cast, right_after)
    assert response.status_code == 409
    assert (
        response.json()["suggestions"]["next_slots"][0]["starts_at"] == "2027-01-26T17:30:00+00:00"
    )


async def test_conflict_suggests_another_room_that_fits(client, cast):
    from tests.factories import make_resource

    bigger = await make_resource(NOW, cast.hub, name_fr="Salle Zalagh", capacity=40)
    await make_resource(NOW, cast.hub, name_fr="Petite salle", capacity=4)
    await post(client, cast, booking(cast))
    response = await post(client, cast, booking(cast), role="rep_a")
    assert [a["resource_id"] for a in response.json()["suggestions"]["alternatives"]] == [bigger]


@pytest.mark.parametrize(
    ("rules", "change", "code"),
    [
        ({}, {"end": f"{TUESDAY}T13:00:00+00:00"}, "end_before_start"),
        ({"min_minutes": 240}, {}, "too_short"),
        ({"max_minutes": 60}, {}, "too_long"),
        ({"granularity_minutes": 30}, {"start": f"{TUESDAY}T14:10:00+00:00"}, "granularity"),
        ({}, {"start": f"{TUESDAY}T06:00:00+00:00"}, "outside_opening_hours"),
        (
            {"min_notice_minutes": 60},
            {"start": "2027-01-11T09:30:00+00:00", "end": "2027-01-11T10:30:00+00:00"},
            "too_soon",
        ),
        ({"max_advance_days": 10}, {}, "too_far_ahead"),
        ({}, {"start": "2027-01-10T14:00:00+00:00", "end": "2027-01-10T15:00:00+00:00"}, "past"),
        ({"weekly_quota_hours": 2}, {}, "quota_exceeded"),
        ({"monthly_quota_hours": 1}, {}, "quota_exceeded"),
        ({"max_future_bookings": 0}, {}, "quota_exceeded"),
    ],
)
async def test_each_rule_is_enforced_through_the_api(client, cast, rules, change, code):
    await set_rules(cast.hub, **rules)
    body = booking(
        cast,
        **{k: v for k, v in {"start": change.get("start"), "end": change.get("end")}.items() if v},
    )
    response = await post(client, cast, body)
    assert response.status_code == 422, response.text
    assert code in codes(response)
    assert await Booking.count() == 0


async def test_blackout_over_capacity_and_over_quantity(client, cast):
    await client.post(
        f"/api/v1/hubs/{cast.hub}/blackouts",
        json={
            "starts_at": f"{TUESDAY}T00:00:00+00:00",
            "ends_at": "2027-01-27T00:00:00+00:00",
            "reason": "Aïd al-Adha",
        },
        headers=cast.auth("manager"),
    )
    response = await post(
        client,
        cast,
        booking(
            cast,
            attendees=31,
            items=[
                {"resource_id": cast.room, "quantity": 1},
                {"resource_id": cast.projectors, "quantity": 4},
            ],
        ),
    )
    assert response.status_code == 422
    assert {"blackout", "over_capacity", "over_quantity"} <= codes(response)


async def test_an_inactive_association_cannot_book(client, cast):
    from hub_booking.db.tables import Association

    await Association.update({Association.status: "suspended"}).where(
        Association.id == cast.association_a
    )
    response = await post(client, cast, booking(cast))
    assert response.status_code == 422
    assert codes(response) == {"association_inactive"}


async def test_every_broken_rule_is_reported_at_once(client, cast):
    await set_rules(cast.hub, max_minutes=60, granularity_minutes=30)
    body = booking(cast, start=f"{TUESDAY}T06:10:00+00:00", attendees=99)
    response = await post(client, cast, body)
    assert {"too_long", "granularity", "outside_opening_hours", "over_capacity"} <= codes(response)


async def test_violation_messages_follow_accept_language(client, cast):
    await set_rules(cast.hub, max_minutes=60)
    french = await post(client, cast, booking(cast), **{"Accept-Language": "fr"})
    arabic = await post(client, cast, booking(cast), **{"Accept-Language": "ar"})
    assert french.json()["violations"][0]["message"] != arabic.json()["violations"][0]["message"]
    assert "Salle Atlas" in french.json()["violations"][0]["message"]


async def test_manager_override_is_allowed_and_audited(client, cast):
    from hub_booking.db.tables import AuditLog

    await set_rules(cast.hub, max_minutes=60)
    body = booking(cast, override=True, override_reason="Formation régionale prioritaire")
    assert (await post(client, cast, body)).status_code == 403  # a member cannot override
    response = await post(client, cast, body, role="manager")
    assert response.status_code == 201
    assert response.json()["override"] is True
    row = (
        await AuditLog.select(AuditLog.details)
        .where(AuditLog.action == "booking.created")
        .first()
        .output(load_json=True)
    )
    assert row["details"]["override"] is True
    assert row["details"]["override_reason"] == "Formation régionale prioritaire"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"starts_at": "2027-01-26T14:00:00"}, "starts_at", "naive_datetime"),
        ({"starts_at": "next tuesday"}, "starts_at", "invalid_datetime"),
        ({"title": "x" * 201}, "title", "too_long_text"),
        ({"title": ""}, "title", "required"),
        ({"items": []}, "items", "required"),
        ({"items": [{"resource_id": 1, "quantity": 0}]}, "items[0].quantity", "invalid_quantity"),
        ({"attendees": 0}, "attendees", "invalid_number"),
        ({"recurrence": {"rrule": "FREQ=YEARLY;COUNT=2"}}, "recurrence.rrule", "invalid_rrule"),
        (
            {"recurrence": {"rrule": "FREQ=DAILY;COUNT=201"}},
            "recurrence.rrule",
            "too_many_occurrences",
        ),
        (
            {"recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=3", "on_conflict": "maybe"}},
            "recurrence.on_conflict",
            "invalid_choice",
        ),
    ],
)
async def test_bad_input_is_422_with_field_and_code(client, cast, change, field, code):
    response = await post(client, cast, {**booking(cast), **change})
    assert response.status_code == 422, response.text
    assert (field, code) in {(v["field"], v["code"]) for v in response.json()["violations"]}


async def test_unknown_resource_and_resource_of_another_hub(client, cast):
    unknown = await post(
        client, cast, booking(cast, items=[{"resource_id": 999999, "quantity": 1}])
    )
    assert unknown.status_code == 422
    assert codes(unknown) == {"unknown_resource"}
    mixed = await post(
        client,
        cast,
        booking(cast, items=[{"resource_id": cast.room}, {"resource_id": cast.other_room}]),
    )
    assert mixed.status_code == 422
    assert codes(mixed) == {"mixed_hubs"}


async def test_zero_length_is_refused(client, cast):
    response = await post(client, cast, booking(cast, end=f"{TUESDAY}T14:00:00+00:00"))
    assert codes(response) == {"end_before_start"}


async def test_malformed_body_is_400_and_nothing_is_written(client, cast):
    headers = {**cast.auth("member_a"), "Content-Type": "application/json"}
    response = await client.post("/api/v1/bookings", content=b'{"title": "x",', headers=headers)
    assert response.status_code == 400
    assert await Booking.count() == 0


async def test_booking_for_another_association_is_403(client, cast):
    response = await post(client, cast, booking(cast), role="member_b")
    assert response.status_code == 403


async def test_unknown_association_is_422(client, cast):
    response = await post(client, cast, booking(cast, association_id=424242), role="manager")
    assert response.status_code == 422
    assert codes(response) == {"unknown_association"}
    assert (await post(client, cast, booking(cast, association_id=424242))).status_code == 403


async def test_availability_lists_free_periods_around_bookings(client, cast):
    await post(client, cast, booking(cast))  # 14:00–17:00 on Tuesday
    response = await client.get(
        f"/api/v1/availability?hub_id={cast.hub}&kind=space"
        f"&from={TUESDAY}T00:00:00%2B00:00&to={TUESDAY}T23:59:00%2B00:00",
        headers=cast.auth("member_b"),
    )
    assert response.status_code == 200, response.text
    rooms = {r["resource_id"]: r for r in response.json()["resources"]}
    assert rooms[cast.room]["free"] == [
        {"starts_at": f"{TUESDAY}T08:00:00+00:00", "ends_at": f"{TUESDAY}T14:00:00+00:00"},
        {"starts_at": f"{TUESDAY}T17:00:00+00:00", "ends_at": f"{TUESDAY}T22:00:00+00:00"},
    ]
    assert "Formation" not in response.text


async def test_a_closure_falling_on_bookings_is_refused_unless_they_are_cancelled(client, cast):
    made = (await post(client, cast, booking(cast))).json()  # Tuesday 14:00-17:00
    closure = {
        "starts_at": f"{TUESDAY}T00:00:00+00:00",
        "ends_at": "2027-01-27T00:00:00+00:00",
        "reason": "Travaux",
    }
    url = f"/api/v1/hubs/{cast.hub}/blackouts"
    refused = await client.post(url, json=closure, headers=cast.auth("manager"))
    assert refused.status_code == 409, refused.text
    assert "cancel_bookings" in refused.json()["detail"]
    assert (await client.get(url, headers=cast.auth("manager"))).json()["items"] == []
    assert (await Booking.select(Booking.status).first())["status"] == made["status"]
    closed = await client.post(
        url, json={**closure, "cancel_bookings": True}, headers=cast.auth("manager")
    )
    assert closed.status_code == 201, closed.text
    cancelled = await Booking.select(Booking.status, Booking.decision_reason).first()
    assert cancelled == {"status": "cancelled", "decision_reason": "Travaux"}
