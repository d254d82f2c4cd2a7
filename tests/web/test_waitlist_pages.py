"""The waitlist from the pages: the booking form's conflict answer offers to join, the
reader's entries, an offer's page with its one-click confirmation (POST, CSRF), and who may
see or confirm what."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hub_booking.db.tables import Booking, WaitlistEntry
from hub_booking.domain.model import Principal
from hub_booking.services import booking_changes
from tests.conftest import NOW
from tests.factories import make_booking
from tests.web.sessions import HTML, csrf_of, sign_in

DAY = "2027-01-20"
START = datetime(2027, 1, 20, 14, tzinfo=UTC)  # 14:00 in Casablanca
HTMX_CHECK = {"HX-Request": "true", "HX-Target": "booking-check"}


def as_role(cast, role: str, **extra: str) -> dict[str, str]:
    return {**HTML, **cast.auth(role), **extra}


def form(cast, association: int, **extra: str) -> dict[str, str]:
    return {
        "hub": "fes",
        "association_id": str(association),
        "resource_id": str(cast.room),
        "date": DAY,
        "start": "14:00",
        "end": "15:00",
        "title": "Assemblée",
        "attendees": "8",
        **extra,
    }


async def taken(cast) -> int:
    return await make_booking(NOW, cast, status="approved", start=START, minutes=60)


async def join(client, cast, role: str = "member_b", association: int | None = None):
    data = form(cast, association or cast.association_b)
    return await client.post(
        "/waitlist/join", data=data, headers=as_role(cast, role), follow_redirects=False
    )


async def test_the_conflict_answer_offers_to_join_the_waitlist(client, cast):
    await taken(cast)
    check = await client.post(
        "/bookings/check",
        data=form(cast, cast.association_b),
        headers=as_role(cast, "member_b", **HTMX_CHECK),
    )
    assert 'formaction="/waitlist/join"' in check.text
    free = await client.post(
        "/bookings/check",
        data=form(cast, cast.association_b, start="17:00", end="18:00"),
        headers=as_role(cast, "member_b", **HTMX_CHECK),
    )
    assert "/waitlist/join" not in free.text


async def test_joining_from_the_form_goes_to_the_entry(client, cast):
    await taken(cast)
    answer = await join(client, cast)
    assert answer.status_code == 303, answer.text
    entry_id = int(re.fullmatch(r"/waitlist/(\d+)", answer.headers["location"]).group(1))
    page = await client.get(answer.headers["location"], headers=as_role(cast, "member_b"))
    assert "Assemblée" in page.text
    assert f'action="/waitlist/{entry_id}/leave"' in page.text
    listing = await client.get("/waitlist", headers=as_role(cast, "member_b"))
    assert f'href="/waitlist/{entry_id}"' in listing.text
    others = await client.get("/waitlist", headers=as_role(cast, "member_a"))
    assert f'href="/waitlist/{entry_id}"' not in others.text
    assert (
        await client.get(f"/waitlist/{entry_id}", headers=as_role(cast, "member_a"))
    ).status_code == 404


async def test_joining_a_free_time_is_refused_with_a_way_back(client, cast):
    answer = await join(client, cast)
    assert answer.status_code == 409
    assert 'id="error-summary"' in answer.text
    assert "/bookings/new?hub=fes" in answer.text
    assert await WaitlistEntry.count() == 0


async def test_joining_for_someone_elses_association_is_refused(client, cast):
    await taken(cast)
    answer = await join(client, cast, "member_b", cast.association_a)
    assert answer.status_code in (403, 422)
    assert await WaitlistEntry.count() == 0


async def test_an_offer_is_confirmed_in_one_click(client, cast):
    booking = await taken(cast)
    entry_id = int((await join(client, cast)).headers["location"].rsplit("/", 1)[1])
    manager = Principal(cast.users["manager"], "m@x", "m", "fr", managed_hubs={cast.hub})
    await booking_changes.cancel(manager, booking, "this", NOW)
    page = await client.get(f"/waitlist/{entry_id}", headers=as_role(cast, "member_b"))
    assert 'id="confirm-offer"' in page.text
    assert f'action="/waitlist/{entry_id}/confirm"' in page.text
    outsider = await client.post(
        f"/waitlist/{entry_id}/confirm", headers=as_role(cast, "member_a"), follow_redirects=False
    )
    assert outsider.status_code == 404
    answer = await client.post(
        f"/waitlist/{entry_id}/confirm", headers=as_role(cast, "member_b"), follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    new = int(re.fullmatch(r"/bookings/(\d+)", answer.headers["location"]).group(1))
    row = await Booking.select(Booking.association, Booking.status).where(Booking.id == new).first()
    assert row == {"association": cast.association_b, "status": "approved"}
    again = await client.post(
        f"/waitlist/{entry_id}/confirm", headers=as_role(cast, "member_b"), follow_redirects=False
    )
    assert again.status_code == 409
    assert 'id="waitlist-error"' in again.text


async def test_confirming_needs_the_csrf_token(client, cast):
    booking = await taken(cast)
    entry_id = int((await join(client, cast)).headers["location"].rsplit("/", 1)[1])
    manager = Principal(cast.users["manager"], "m@x", "m", "fr", managed_hubs={cast.hub})
    await booking_changes.cancel(manager, booking, "this", NOW)
    await sign_in(client, cast, "member_b")
    refused = await client.post(f"/waitlist/{entry_id}/confirm", headers=HTML)
    assert refused.status_code == 403
    page = await client.get(f"/waitlist/{entry_id}", headers=HTML)
    answer = await client.post(
        f"/waitlist/{entry_id}/confirm",
        data={"_csrf_token": csrf_of(page.text)},
        headers=HTML,
        follow_redirects=False,
    )
    assert answer.status_code == 303


async def test_leaving_the_waitlist(client, cast):
    await taken(cast)
    entry_id = int((await join(client, cast)).headers["location"].rsplit("/", 1)[1])
    answer = await client.post(
        f"/waitlist/{entry_id}/leave", headers=as_role(cast, "member_b"), follow_redirects=False
    )
    assert answer.status_code == 303
    row = await WaitlistEntry.select(WaitlistEntry.status).first()
    assert row["status"] == "left"
