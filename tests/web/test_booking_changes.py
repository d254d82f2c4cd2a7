"""After a booking is made: approval, rejection, cancellation (one, following, series),
expiry, edits and moves; every transition audited, stale ones answered 409."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hub_booking.db.tables import AuditLog, Booking, BookingItem, Hub, Resource
from hub_booking.domain.model import BookingStatus
from hub_booking.services import accounts, booking_changes
from tests.conftest import NOW
from tests.factories import make_booking
from tests.web.test_bookings_api import TUESDAY, booking, post


async def action(client, cast, booking_id: int, verb: str, role: str, body=None):
    return await client.post(
        f"/api/v1/bookings/{booking_id}/{verb}", json=body, headers=cast.auth(role)
    )


async def test_a_resource_needing_approval_makes_the_booking_pending_until_approved(client, cast):
    await Resource.update({Resource.requires_approval: True}).where(Resource.id == cast.room)
    created = (await post(client, cast, booking(cast))).json()
    assert created["status"] == "pending"
    approved = await action(client, cast, created["id"], "approve", "manager")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["revision"] == 1
    assert approved.json()["decision"]["by"] == cast.users["manager"]


async def test_managers_are_told_of_pending_requests(client, cast):
    from hub_booking.db.tables import Notification

    await Resource.update({Resource.requires_approval: True}).where(Resource.id == cast.room)
    await post(client, cast, booking(cast))
    rows = await Notification.select(Notification.user, Notification.kind)
    assert rows == [{"user": cast.users["manager"], "kind": "approval_requested"}]


async def test_a_pending_booking_holds_its_slot(client, cast):
    await Resource.update({Resource.requires_approval: True}).where(Resource.id == cast.room)
    await post(client, cast, booking(cast))
    assert (await post(client, cast, booking(cast), role="rep_a")).status_code == 409


async def test_reject_needs_a_reason_and_frees_the_slot(client, cast):
    booking_id = await make_booking(
        NOW, cast, start=datetime(2027, 1, 26, 14, tzinfo=UTC), minutes=180
    )
    assert (await action(client, cast, booking_id, "reject", "manager", {})).status_code == 422
    rejected = await action(
        client, cast, booking_id, "reject", "manager", {"reason": "Salle en travaux"}
    )
    assert rejected.status_code == 200
    assert rejected.json()["decision"]["reason"] == "Salle en travaux"
    assert (await post(client, cast, booking(cast))).status_code == 201


async def test_approving_a_cancelled_booking_is_409(client, cast):
    booking_id = await make_booking(NOW, cast)
    assert (await action(client, cast, booking_id, "cancel", "member_a")).status_code == 200
    stale = await action(client, cast, booking_id, "approve", "manager")
    assert stale.status_code == 409
    assert (await action(client, cast, booking_id, "cancel", "member_a")).status_code == 409


async def test_cancelling_frees_the_slot(client, cast):
    created = (await post(client, cast, booking(cast))).json()
    cancelled = await action(client, cast, created["id"], "cancel", "rep_a", {"scope": "this"})
    assert cancelled.json()["status"] == "cancelled"
    assert await BookingItem.count().where(BookingItem.holding.eq(True)) == 0
    assert (await post(client, cast, booking(cast), role="rep_a")).status_code == 201


async def test_members_cancel_only_before_the_deadline_managers_any_time(client, cast):
    await Hub.update({Hub.rules: {"cancel_deadline_minutes": 48 * 60}}).where(Hub.id == cast.hub)
    soon = await make_booking(NOW, cast, start=NOW + timedelta(hours=24), status="approved")
    late = await action(client, cast, soon, "cancel", "member_a")
    assert late.status_code == 422
    assert late.json()["violations"][0]["code"] == "cancel_deadline"
    assert (await action(client, cast, soon, "cancel", "manager")).status_code == 200


async def series(client, cast, count: int = 5) -> list[int]:
    body = booking(cast, recurrence={"rrule": f"FREQ=WEEKLY;BYDAY=TU;COUNT={count}"})
    return [o["id"] for o in (await post(client, cast, body)).json()["occurrences"]]


async def statuses(ids: list[int]) -> list[str]:
    rows = await Booking.select(Booking.id, Booking.status).where(Booking.id.is_in(ids))
    by_id = {r["id"]: r["status"] for r in rows}
    return [by_id[i] for i in ids]


async def test_cancel_one_occurrence_of_a_series(client, cast):
    ids = await series(client, cast)
    await action(client, cast, ids[1], "cancel", "member_a", {"scope": "this"})
    assert await statuses(ids) == ["approved", "cancelled", "approved", "approved", "approved"]


async def test_cancel_this_and_the_following_occurrences(client, cast):
    ids = await series(client, cast)
    await action(client, cast, ids[2], "cancel", "member_a", {"scope": "following"})
    assert await statuses(ids) == ["approved", "approved", "cancelled", "cancelled", "cancelled"]


async def test_cancel_the_whole_series(client, cast):
    ids = await series(client, cast)
    response = await action(client, cast, ids[3], "cancel", "member_a", {"scope": "series"})
    assert response.status_code == 200
    assert set(await statuses(ids)) == {"cancelled"}
    audit = await AuditLog.select(AuditLog.action).where(AuditLog.action == "booking.cancelled")
    assert len(audit) == 1


async def test_invalid_cancel_scope_is_422(client, cast):
    booking_id = await make_booking(NOW, cast)
    assert (
        await action(client, cast, booking_id, "cancel", "member_a", {"scope": "everything"})
    ).status_code == 422


async def test_move_one_occurrence(client, cast):
    ids = await series(client, cast, 3)
    moved = await client.patch(
        f"/api/v1/bookings/{ids[1]}",
        json={"starts_at": "2027-02-03T09:00:00+00:00", "ends_at": "2027-02-03T12:00:00+00:00"},
        headers=cast.auth("member_a"),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["local_start"] == "2027-02-03T09:00"
    assert moved.json()["revision"] == 1
    # its old slot is free again, its new one is held
    old = booking(cast, start="2027-02-02T14:00:00+00:00", end="2027-02-02T17:00:00+00:00")
    assert (await post(client, cast, old, role="rep_a")).status_code == 201
    new = booking(cast, start="2027-02-03T10:00:00+00:00", end="2027-02-03T11:00:00+00:00")
    assert (await post(client, cast, new, role="rep_a")).status_code == 409


async def test_a_move_onto_a_taken_slot_is_refused_and_changes_nothing(client, cast):
    first = (await post(client, cast, booking(cast))).json()
    second = (
        await post(
            client,
            cast,
            booking(cast, start="2027-01-27T14:00:00+00:00", end="2027-01-27T15:00:00+00:00"),
        )
    ).json()
    response = await client.patch(
        f"/api/v1/bookings/{second['id']}",
        json={"starts_at": f"{TUESDAY}T15:00:00+00:00", "ends_at": f"{TUESDAY}T16:00:00+00:00"},
        headers=cast.auth("member_a"),
    )
    assert response.status_code == 409
    unchanged = (
        await client.get(f"/api/v1/bookings/{second['id']}", headers=cast.auth("member_a"))
    ).json()
    assert unchanged == second
    assert first["id"] != second["id"]


async def test_edit_attendees_is_checked_against_capacity(client, cast):
    created = (await post(client, cast, booking(cast))).json()
    response = await client.patch(
        f"/api/v1/bookings/{created['id']}", json={"attendees": 31}, headers=cast.auth("member_a")
    )
    assert response.status_code == 422
    assert response.json()["violations"][0]["code"] == "over_capacity"
    ok = await client.patch(
        f"/api/v1/bookings/{created['id']}",
        json={"attendees": 30, "title": "Atelier"},
        headers=cast.auth("member_a"),
    )
    assert ok.json()["attendees"] == 30


async def test_pending_bookings_expire_once_their_start_has_passed(database, cast):
    past = await make_booking(NOW, cast, start=NOW - timedelta(hours=1))
    future = await make_booking(NOW, cast, start=NOW + timedelta(days=3))
    assert await booking_changes.expire_pending(NOW) == [past]
    assert await booking_changes.expire_pending(NOW) == []  # a second run changes nothing
    assert await statuses([past, future]) == ["expired", "pending"]


async def test_lists_filter_by_status_resource_and_period(client, cast):
    await make_booking(NOW, cast, start=datetime(2027, 2, 2, 10, tzinfo=UTC))
    await make_booking(NOW, cast, start=datetime(2027, 3, 2, 10, tzinfo=UTC), status="approved")
    await make_booking(
        NOW, cast, start=datetime(2027, 2, 3, 10, tzinfo=UTC), resource=cast.projectors
    )
    auth = cast.auth("manager")
    by_status = (
        await client.get("/api/v1/bookings", params={"status": "approved"}, headers=auth)
    ).json()
    assert by_status["total"] == 1
    by_resource = (
        await client.get("/api/v1/bookings", params={"resource_id": cast.projectors}, headers=auth)
    ).json()
    assert by_resource["total"] == 1
    february = {"from": "2027-02-01T00:00:00+00:00", "to": "2027-03-01T00:00:00+00:00", "limit": 1}
    page = (await client.get("/api/v1/bookings", params=february, headers=auth)).json()
    assert (page["total"], len(page["items"])) == (2, 1)
    bad = await client.get("/api/v1/bookings", params={"from": "2027-02-01"}, headers=auth)
    assert bad.status_code == 422


async def test_other_associations_never_see_a_booking(client, cast):
    booking_id = await make_booking(NOW, cast)
    listed = (await client.get("/api/v1/bookings", headers=cast.auth("member_b"))).json()
    assert listed == {"items": [], "total": 0}
    assert (
        await client.get(f"/api/v1/bookings/{booking_id}", headers=cast.auth("member_b"))
    ).status_code == 404


async def test_one_decision_path_decides_only_the_pending_requests_of_managed_hubs(database, cast):
    ours = [await make_booking(NOW, cast, start=NOW + timedelta(days=d)) for d in (2, 3)]
    done = await make_booking(NOW, cast, start=NOW + timedelta(days=4), status="approved")
    theirs = await make_booking(NOW, cast, resource=cast.other_room)
    await Booking.update({Booking.hub: cast.other_hub}).where(Booking.id == theirs)
    manager = await accounts.load_principal(cast.users["manager"])
    assert manager is not None
    asked = [theirs, done, *reversed(ours)]
    decided = await booking_changes.decide_all(
        manager, asked, BookingStatus.REJECTED, NOW, reason="Salle fermée"
    )
    assert decided == ours  # in id order
    assert await statuses([*ours, done, theirs]) == ["rejected", "rejected", "approved", "pending"]
    rows = await AuditLog.select(AuditLog.object_id, AuditLog.details).where(
        AuditLog.action == "booking.rejected"
    )
    details = [
        json.loads(r["details"]) if isinstance(r["details"], str) else r["details"] for r in rows
    ]
    assert [r["object_id"] for r in rows] == [None]
    assert details == [{"ids": ours, "reason": "Salle fermée"}]
    assert await booking_changes.decide_all(manager, ours, BookingStatus.APPROVED, NOW) == []


async def test_a_single_decision_is_audited_on_its_booking(client, cast):
    booking_id = await make_booking(NOW, cast)
    assert (await action(client, cast, booking_id, "approve", "member_a")).status_code == 403
    assert (await action(client, cast, booking_id, "approve", "outsider")).status_code == 404
    assert (await action(client, cast, booking_id, "approve", "manager")).status_code == 200
    rows = await AuditLog.select(AuditLog.object_id, AuditLog.details).where(
        AuditLog.action == "booking.approved"
    )
    assert [r["object_id"] for r in rows] == [booking_id]
    assert rows[0]["details"] in ({}, "{}")
