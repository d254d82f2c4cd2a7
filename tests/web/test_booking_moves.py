"""Moving or editing a booking is checked exactly like creating one, and keeps its guarantees."""

from __future__ import annotations

from hub_booking.db.tables import AuditLog, Booking, Notification, Resource
from tests.web.test_bookings_api import TUESDAY, booking, codes, post, set_rules


async def patch(client, cast, booking_id: int, body: dict, role: str = "member_a"):
    return await client.patch(f"/api/v1/bookings/{booking_id}", json=body, headers=cast.auth(role))


async def asked() -> int:
    """Approval requests queued for the hub's managers."""
    return await Notification.count().where(Notification.kind == "approval_requested")


def at(day: str, start: str, end: str) -> dict:
    return {"starts_at": f"{day}T{start}:00+00:00", "ends_at": f"{day}T{end}:00+00:00"}


async def test_a_move_counts_the_quota_without_the_booking_itself(client, cast):
    await set_rules(cast.hub, weekly_quota_hours=4)
    created = (await post(client, cast, booking(cast))).json()  # 3 h on Tuesday
    moved = await patch(client, cast, created["id"], at("2027-01-27", "09:00", "13:00"))
    assert moved.status_code == 200, moved.text  # 4 h: itself no longer counts twice
    too_much = await patch(client, cast, created["id"], at("2027-01-27", "09:00", "14:00"))
    assert too_much.status_code == 422
    assert codes(too_much) == {"quota_exceeded"}


async def test_a_move_onto_a_taken_slot_answers_conflicts_and_suggestions(client, cast):
    await post(client, cast, booking(cast))
    other = (
        await post(
            client,
            cast,
            booking(
                cast, **{"start": "2027-01-27T14:00:00+00:00", "end": "2027-01-27T15:00:00+00:00"}
            ),
        )
    ).json()
    response = await patch(client, cast, other["id"], at(TUESDAY, "15:00", "16:00"))
    assert response.status_code == 409
    body = response.json()
    assert body["conflicts"][0]["resource_id"] == cast.room
    assert body["suggestions"]["next_slots"][0] == {
        "starts_at": f"{TUESDAY}T17:00:00+00:00",
        "ends_at": f"{TUESDAY}T18:00:00+00:00",
    }


async def test_a_member_moving_an_approved_booking_that_needs_approval_makes_it_pending(
    client, cast
):
    await Resource.update({Resource.requires_approval: True}).where(Resource.id == cast.room)
    created = (await post(client, cast, booking(cast))).json()
    approved = await client.post(
        f"/api/v1/bookings/{created['id']}/approve", headers=cast.auth("manager")
    )
    assert approved.json()["status"] == "approved"
    asked_before = await asked()
    retitled = await patch(client, cast, created["id"], {"title": "Atelier"})
    assert retitled.json()["status"] == "approved"  # a new title needs no new approval
    moved = await patch(client, cast, created["id"], at("2027-01-28", "14:00", "17:00"))
    assert moved.json()["status"] == "pending"
    assert await asked() == asked_before + 1  # the manager is asked again
    grown = await patch(client, cast, moved.json()["id"], {"attendees": 20})
    assert grown.json()["status"] == "pending"
    assert await asked() == asked_before + 2


async def test_a_manager_moving_an_approved_booking_keeps_it_approved(client, cast):
    await Resource.update({Resource.requires_approval: True}).where(Resource.id == cast.room)
    created = (await post(client, cast, booking(cast), role="manager")).json()
    assert created["status"] == "approved"
    moved = await patch(client, cast, created["id"], at("2027-01-28", "14:00", "17:00"), "manager")
    assert moved.json()["status"] == "approved"


async def test_a_move_is_refused_after_the_cancel_deadline_but_not_to_managers(client, cast):
    created = (await post(client, cast, booking(cast))).json()
    await set_rules(cast.hub, cancel_deadline_minutes=60 * 24 * 30)
    late = await patch(client, cast, created["id"], at("2027-01-28", "14:00", "17:00"))
    assert late.status_code == 422
    assert codes(late) == {"cancel_deadline"}
    assert (await patch(client, cast, created["id"], {"title": "Atelier"})).status_code == 200
    by_manager = await patch(
        client, cast, created["id"], at("2027-01-28", "14:00", "17:00"), "manager"
    )
    assert by_manager.status_code == 200


async def test_a_cancel_deadline_set_on_a_resource_applies_to_cancel_and_move(client, cast):
    created = (await post(client, cast, booking(cast))).json()
    await Resource.update({Resource.rules: {"cancel_deadline_minutes": 60 * 24 * 30}}).where(
        Resource.id == cast.room
    )
    moved = await patch(client, cast, created["id"], at("2027-01-28", "14:00", "17:00"))
    assert codes(moved) == {"cancel_deadline"}
    cancelled = await client.post(
        f"/api/v1/bookings/{created['id']}/cancel", json={}, headers=cast.auth("member_a")
    )
    assert cancelled.status_code == 422
    assert codes(cancelled) == {"cancel_deadline"}


async def test_an_empty_or_identical_change_changes_nothing(client, cast):
    created = (await post(client, cast, booking(cast))).json()
    audits = await AuditLog.count()
    for body in (
        {},
        {"title": created["title"], "attendees": created["attendees"]},
        at(TUESDAY, "14:00", "17:00"),
    ):
        response = await patch(client, cast, created["id"], body)
        assert response.status_code == 200, response.text
        assert response.json() == created
    assert await AuditLog.count() == audits


async def test_items_can_change_and_are_checked_like_a_new_booking(client, cast):
    created = (await post(client, cast, booking(cast))).json()
    items = [{"resource_id": cast.room}, {"resource_id": cast.projectors, "quantity": 2}]
    grown = await patch(client, cast, created["id"], {"items": items})
    assert grown.status_code == 200, grown.text
    assert grown.json()["items"] == [
        {"resource_id": cast.room, "quantity": 1},
        {"resource_id": cast.projectors, "quantity": 2},
    ]
    too_many = [{"resource_id": cast.room}, {"resource_id": cast.projectors, "quantity": 99}]
    refused = await patch(client, cast, created["id"], {"items": too_many})
    assert codes(refused) == {"over_quantity"}
    assert (await Booking.select(Booking.revision).first())["revision"] == 1


async def test_another_associations_booking_cannot_be_moved_and_looks_missing(client, cast):
    created = (await post(client, cast, booking(cast))).json()
    response = await patch(
        client, cast, created["id"], at("2027-01-28", "14:00", "17:00"), "member_b"
    )
    assert response.status_code == 404
    missing = await patch(client, cast, 999_999, at("2027-01-28", "14:00", "17:00"), "member_b")
    assert missing.json() == response.json()
