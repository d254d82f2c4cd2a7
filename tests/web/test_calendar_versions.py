"""A calendar seen again is shown from what was built for it, until what it shows changes:
then the next visit shows the change (bookings made, moved, approved or cancelled, closures,
resources, the clock, the reader's associations)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hub_booking.db.tables import Blackout, Membership, Resource
from tests.conftest import NOW
from tests.factories import make_blackout, make_booking
from tests.web.test_booking_moves import at, patch
from tests.web.test_bookings_api import booking, post
from tests.web.test_calendar_pages import TUESDAY, calendar, grid

DAY = "?view=day&date=2027-01-12"
WEEK = ""
API_DAY = "?view=day&date=2027-01-26"  # where ``booking(cast)`` books: Tuesday 14:00-17:00
API_WEEK = "?date=2027-01-26"


def cells(html: str, state: str) -> int:
    """Cells and bookings shown in ``state`` (a week's cell lists its bookings)."""
    return len(re.findall(rf'class="s-{state}"', grid(html)))


async def twice(client, cast, query: str, role: str = "member_a") -> str:
    """The page, asked for twice: the second answer is the kept one, and says the same."""
    first = await calendar(client, cast, role, query)
    second = await calendar(client, cast, role, query)
    assert grid(second) == grid(first)
    return second


async def test_a_new_booking_of_another_association_shows_at_once(client, cast):
    before = await twice(client, cast, DAY)
    await make_booking(NOW, cast, status="approved", start=TUESDAY, association=cast.association_b)
    after = await calendar(client, cast, "member_a", DAY)
    assert cells(after, "booked") > cells(before, "booked") == 0


async def test_a_move_an_approval_and_a_cancellation_each_show_at_once(client, cast):
    created = (await post(client, cast, booking(cast))).json()
    assert re.search(r"14:00.{0,3}17:00", grid(await twice(client, cast, API_DAY)))
    moved = await patch(client, cast, created["id"], at("2027-01-26", "09:00", "10:00"))
    assert moved.status_code == 200, moved.text
    html = await twice(client, cast, API_DAY)
    assert re.search(r"09:00.{0,3}10:00", grid(html))
    assert not re.search(r"14:00.{0,3}17:00", grid(html))
    cancelled = await client.post(
        f"/api/v1/bookings/{created['id']}/cancel", headers=cast.auth("member_a")
    )
    assert cancelled.status_code == 200, cancelled.text
    html = await calendar(client, cast, "member_a", API_DAY)
    assert cells(html, "own") == cells(html, "pending") == 0


async def test_an_approval_changes_the_state_shown(client, cast):
    await Resource.update({Resource.requires_approval: True}).where(Resource.id == cast.room)
    created = (await post(client, cast, booking(cast))).json()
    assert cells(await twice(client, cast, API_WEEK), "pending") == 1
    approved = await client.post(
        f"/api/v1/bookings/{created['id']}/approve", headers=cast.auth("manager")
    )
    assert approved.status_code == 200, approved.text
    html = await calendar(client, cast, "member_a", API_WEEK)
    assert (cells(html, "pending"), cells(html, "own")) == (0, 1)


async def test_one_booking_gone_and_another_come_in_its_place_is_seen(client, cast):
    gone = await make_booking(
        NOW, cast, status="approved", start=TUESDAY, association=cast.association_b
    )
    await twice(client, cast, DAY)
    cancelled = await client.post(f"/api/v1/bookings/{gone}/cancel", headers=cast.auth("member_b"))
    assert cancelled.status_code == 200, cancelled.text
    await make_booking(NOW, cast, status="approved", start=TUESDAY, title="Nouvelle")
    html = await calendar(client, cast, "member_a", DAY)
    assert "Nouvelle" in grid(html)


async def test_closures_and_resources_changed_show_at_once(client, cast):
    await twice(client, cast, WEEK)
    tuesday = datetime(2027, 1, 12, tzinfo=UTC)
    closure = await make_blackout(NOW, cast, tuesday, tuesday + timedelta(days=1), "Fermé exprès")
    assert "Fermé exprès" in grid(await twice(client, cast, WEEK))
    await Blackout.update({Blackout.reason: "Autre raison"}).where(Blackout.id == closure)
    assert "Autre raison" in grid(await twice(client, cast, WEEK))
    await Resource.update({Resource.name_fr: "Salle renommée"}).where(Resource.id == cast.room)
    assert "Salle renommée" in grid(await calendar(client, cast, "member_a", WEEK))


async def test_joining_an_association_shows_its_bookings_in_full(client, cast):
    await make_booking(
        NOW, cast, status="approved", start=TUESDAY, association=cast.association_b, title="B2"
    )
    assert "B2" not in grid(await twice(client, cast, DAY))
    await Membership.insert(
        Membership(user=cast.users["member_a"], association=cast.association_b, role="member")
    )
    assert "B2" in grid(await calendar(client, cast, "member_a", DAY))


async def test_half_hours_that_begin_are_no_longer_offered(client, cast):
    today = "?view=day&date=2027-01-11"  # NOW: Monday 09:00
    first = await twice(client, cast, today)
    assert "starts_at=2027-01-11T09:00:00Z" in first
    client.app.state.clock = lambda: NOW + timedelta(minutes=1)
    try:
        later = await calendar(client, cast, "member_a", today)
    finally:
        client.app.state.clock = lambda: NOW
    assert "starts_at=2027-01-11T09:00:00Z" not in later
    assert "starts_at=2027-01-11T09:30:00Z" in later
