"""The dry-run check: same body as create, writes nothing, and agrees with create."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hub_booking.db.tables import AuditLog, Booking, BookingItem, Notification, Resource
from tests.web.test_bookings_api import TUESDAY, booking, post, set_rules


async def check(client, cast, body, role: str = "member_a"):
    return await client.post("/api/v1/bookings/check", json=body, headers=cast.auth(role))


async def counts() -> tuple[int, ...]:
    return (
        await Booking.count(),
        await BookingItem.count(),
        await AuditLog.count(),
        await Notification.count(),
    )


async def test_a_free_slot_checks_ok_and_nothing_is_written(client, cast):
    before = await counts()
    response = await check(client, cast, booking(cast))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True
    assert (body["violations"], body["conflicts"], body["status"]) == ([], [], "approved")
    [occurrence] = body["occurrences"]
    assert occurrence["starts_at"] == f"{TUESDAY}T14:00:00+00:00"
    assert occurrence["local_start"] == f"{TUESDAY}T14:00"
    assert occurrence["ok"] is True
    assert await counts() == before


async def test_a_clash_is_reported_with_suggestions_per_occurrence(client, cast):
    await post(
        client,
        cast,
        booking(cast, start="2027-02-02T14:00:00+00:00", end="2027-02-02T17:00:00+00:00"),
    )
    before = await counts()
    series = booking(cast, recurrence={"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=3"})
    body = (await check(client, cast, series, role="rep_a")).json()
    assert body["ok"] is False
    assert [o["ok"] for o in body["occurrences"]] == [True, False, True]
    assert body["occurrences"][1]["conflicts"][0]["resource_id"] == cast.room
    assert body["suggestions"]["next_slots"]
    skip = {**series, "recurrence": {**series["recurrence"], "on_conflict": "skip"}}
    assert (await check(client, cast, skip, role="rep_a")).json()["ok"] is True
    assert await counts() == before


async def test_every_rule_is_listed_per_occurrence_in_the_readers_language(client, cast):
    await set_rules(cast.hub, max_minutes=60, granularity_minutes=30)
    body = booking(cast, start=f"{TUESDAY}T14:10:00+00:00")
    response = await client.post(
        "/api/v1/bookings/check",
        json=body,
        headers={**cast.auth("member_a"), "Accept-Language": "ar"},
    )
    found = response.json()
    assert {v["code"] for v in found["violations"]} == {"too_long", "granularity"}
    assert {v["code"] for v in found["occurrences"][0]["violations"]} == {"too_long", "granularity"}
    assert all(any("\u0600" <= ch <= "\u06ff" for ch in v["message"]) for v in found["violations"])


async def test_check_needs_the_same_rights_as_create(client, cast):
    assert (await check(client, cast, booking(cast), role="member_b")).status_code == 403
    assert (await client.post("/api/v1/bookings/check", json=booking(cast))).status_code == 401


def _random_body(cast, rng: random.Random) -> dict:
    day = datetime(2027, 1, 18, tzinfo=UTC) + timedelta(days=rng.randrange(0, 21))
    start = day + timedelta(
        hours=rng.choice([6, 8, 10, 14, 20, 21]), minutes=rng.choice([0, 15, 20])
    )
    end = start + timedelta(minutes=rng.choice([0, 30, 60, 120, 240, 800]))
    items = rng.choice(
        [
            [{"resource_id": cast.room}],
            [{"resource_id": cast.projectors, "quantity": rng.randint(1, 4)}],
            [{"resource_id": cast.room}, {"resource_id": cast.projectors, "quantity": 1}],
        ]
    )
    body = booking(
        cast,
        start=start.isoformat(),
        end=end.isoformat(),
        items=items,
        attendees=rng.choice([5, 12, 40]),
    )
    if rng.random() < 0.3:
        body["recurrence"] = {
            "rrule": f"FREQ=WEEKLY;COUNT={rng.randint(2, 5)}",
            "on_conflict": rng.choice(["fail", "skip"]),
        }
    return body


async def test_check_says_ok_exactly_when_create_answers_201(client, cast):
    """A seeded random walk over times, items, series and quotas: check and create agree
    on every request, whatever was booked before it."""
    await set_rules(cast.hub, weekly_quota_hours=20, min_minutes=30)
    await Resource.update({Resource.rules: {"buffer_after_minutes": 15}}).where(
        Resource.id == cast.projectors
    )
    rng = random.Random(20270111)
    outcomes = set()
    for _ in range(60):
        body = _random_body(cast, rng)
        role = rng.choice(["member_a", "rep_a"])
        verdict = (await check(client, cast, body, role)).json()
        created = await post(client, cast, body, role)
        assert verdict["ok"] == (created.status_code == 201), (body, verdict, created.text)
        outcomes.add(created.status_code)
    assert outcomes == {201, 409, 422}  # the walk met every kind of answer
