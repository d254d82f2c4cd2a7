"""My bookings: the list, one booking, and cancelling it (confirmation, scope, deadline)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from hub_booking.db.tables import Booking, Resource
from hub_booking.i18n import translate
from tests.conftest import NOW
from tests.factories import ROLES, make_booking
from tests.web.sessions import HTML, csrf_of, sign_in

SEES_BOOKING_OF_A = {
    "anonymous": 303,  # to the login page
    "member_a": 200,
    "rep_a": 200,
    "member_b": 404,
    "manager": 200,
    "other_manager": 404,
    "admin": 200,
    "outsider": 404,
}
CANCELS_BOOKING_OF_A = {
    **SEES_BOOKING_OF_A,
    **{r: 303 for r in ("member_a", "rep_a", "manager", "admin")},
}


def as_role(cast, role: str) -> dict[str, str]:
    return {**HTML, **cast.auth(role)}


async def series_of_a(client, cast, count: int = 3) -> list[int]:
    """A weekly series of member A's association, through the API; its booking ids."""
    body = {
        "association_id": cast.association_a,
        "title": "Atelier hebdomadaire",
        "starts_at": "2027-02-02T10:00:00+00:00",
        "ends_at": "2027-02-02T11:00:00+00:00",
        "attendees": 5,
        "items": [{"resource_id": cast.room, "quantity": 1}],
        "recurrence": {"rrule": f"FREQ=WEEKLY;COUNT={count}"},
    }
    response = await client.post("/api/v1/bookings", json=body, headers=cast.auth("member_a"))
    assert response.status_code == 201, response.text
    return [o["id"] for o in response.json()["occurrences"]]


async def statuses(ids: list[int]) -> list[str]:
    rows = await Booking.select(Booking.id, Booking.status).where(Booking.id.is_in(ids))
    found = {r["id"]: r["status"] for r in rows}
    return [found[i] for i in ids]


@pytest.mark.parametrize("path", ["/bookings/{id}", "/bookings/{id}/cancel"])
async def test_a_booking_page_answers_each_role(client, cast, path):
    booking = await make_booking(NOW, cast, status="approved")
    for role in ROLES:
        response = await client.get(path.format(id=booking), headers=as_role(cast, role))
        assert response.status_code == SEES_BOOKING_OF_A[role], role
        if response.status_code == 404:
            assert "<h1>404</h1>" in response.text  # a page, in the reader's language
            assert "Réunion" not in response.text


@pytest.mark.parametrize("role", ROLES)
async def test_cancelling_answers_each_role(client, cast, role):
    booking = await make_booking(NOW, cast, status="approved")
    page = await client.get("/login")
    form = {"scope": "this", "_csrf_token": csrf_of(page.text)}
    response = await client.post(
        f"/bookings/{booking}/cancel",
        data=form,
        headers=as_role(cast, role),
        follow_redirects=False,
    )
    assert response.status_code == CANCELS_BOOKING_OF_A[role], response.text
    expected = "cancelled" if response.status_code == 303 and role != "anonymous" else "approved"
    assert await statuses([booking]) == [expected]


async def test_the_list_asks_anonymous_readers_to_sign_in(client, cast):
    response = await client.get("/bookings?tab=past", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/bookings%3Ftab%3Dpast"


async def test_the_list_shows_each_status_in_words_and_a_rejection_reason(client, cast):
    ids = {
        status: await make_booking(NOW, cast, status=status, title=f"Réunion {status}")
        for status in ("pending", "approved", "rejected", "cancelled")
    }
    await Booking.update(
        {Booking.decision_reason: "Salle en travaux", Booking.decided_at: NOW}
    ).where(Booking.id == ids["rejected"])
    past = await make_booking(
        NOW, cast, status="expired", start=NOW - timedelta(days=3), title="Réunion passée"
    )
    upcoming = (await client.get("/bookings", headers=as_role(cast, "member_a"))).text
    for status, booking in ids.items():
        assert f'href="/bookings/{booking}">Réunion {status}</a>' in upcoming
        assert f'class="badge status-{status}"' in upcoming
    for label in ("Awaiting approval", "Approved", "Rejected", "Cancelled"):
        assert translate("fr", label) in upcoming
    assert "Salle en travaux" in upcoming
    assert "Réunion passée" not in upcoming
    older = (await client.get("/bookings?tab=past", headers=as_role(cast, "member_a"))).text
    assert f'href="/bookings/{past}">Réunion passée</a>' in older
    assert translate("fr", "Expired: not approved in time") in older


async def test_the_list_holds_only_the_readers_associations(client, cast):
    await make_booking(NOW, cast, status="approved", association=cast.association_b, title="De B")
    mine = await make_booking(NOW, cast, status="approved", title="De A")
    html = (await client.get("/bookings", headers=as_role(cast, "member_a"))).text
    assert f"/bookings/{mine}" in html
    assert "De B" not in html
    assert "Association assoc-b" not in html


async def test_series_occurrences_are_grouped(client, cast):
    ids = await series_of_a(client, cast)
    html = (await client.get("/bookings", headers=as_role(cast, "member_a"))).text
    group = re.search(r'<li class="series">.*?</ol>', html, re.S).group(0)
    assert [int(i) for i in re.findall(r'href="/bookings/(\d+)"', group)] == ids
    assert "Atelier hebdomadaire" in group


async def test_the_list_is_paginated(client, cast):
    for day in range(23):
        await make_booking(
            NOW,
            cast,
            status="approved",
            start=datetime(2027, 3, 1, 9, tzinfo=UTC) + timedelta(days=day),
        )
    first = (await client.get("/bookings", headers=as_role(cast, "member_a"))).text
    assert first.count('class="booking-row') == 20
    assert 'href="/bookings?page=2"' in first
    second = (await client.get("/bookings?page=2", headers=as_role(cast, "member_a"))).text
    assert second.count('class="booking-row') == 3
    assert 'href="/bookings?page=1"' in second
    wild = await client.get("/bookings?page=-4&tab=nonsense", headers=as_role(cast, "member_a"))
    assert wild.status_code == 200


async def test_empty_lists_say_what_to_do_next(client, cast):
    html = (await client.get("/bookings", headers=as_role(cast, "member_a"))).text
    assert 'href="/find"' in html
    assert 'href="/hubs"' in html
    assert translate("fr", "Your associations have no upcoming bookings.") in html
    outsider = (await client.get("/bookings", headers=as_role(cast, "outsider"))).text
    assert (
        translate("fr", "You are not a member of any association yet, so you have no bookings.")
        in outsider
    )


async def test_the_detail_shows_times_on_the_hubs_clock_resources_and_series(client, cast):
    ids = await series_of_a(client, cast)
    html = (await client.get(f"/bookings/{ids[1]}", headers=as_role(cast, "member_a"))).text
    assert "mardi 9 février 2027, 10:00–11:00" in html
    assert "Africa/Casablanca" in html
    assert "Salle Atlas" in html
    assert "Association assoc-a" in html
    assert all(f'href="/bookings/{i}"' in html for i in (ids[0], ids[2]))
    assert f'href="/bookings/{ids[1]}/cancel"' in html


async def test_cancel_asks_first_then_cancels_with_a_message(client, cast):
    booking = await make_booking(NOW, cast, status="approved", title="Formation")
    await sign_in(client, cast, "member_a")
    confirm = await client.get(f"/bookings/{booking}/cancel")
    assert confirm.status_code == 200
    assert 'name="scope" value="this"' in confirm.text  # a single booking: no choice to make
    assert 'type="radio"' not in confirm.text
    assert await statuses([booking]) == ["approved"]  # a GET changes nothing
    done = await client.post(
        f"/bookings/{booking}/cancel",
        data={"scope": "this", "_csrf_token": csrf_of(confirm.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/bookings/{booking}"
    assert await statuses([booking]) == ["cancelled"]
    shown = await client.get(done.headers["location"])
    assert "1 réservation a été annulée." in shown.text
    assert 'class="flash ok" role="status"' in shown.text
    again = await client.get(done.headers["location"])
    assert "a été annulée" not in again.text  # shown once
    assert 'href="/bookings/{booking}/cancel"' not in again.text


async def test_a_series_occurrence_offers_the_scope_and_cancels_what_was_chosen(client, cast):
    ids = await series_of_a(client, cast, count=4)
    await sign_in(client, cast, "member_a")
    confirm = await client.get(f"/bookings/{ids[1]}/cancel")
    for scope in ("this", "following", "series"):
        assert f'id="scope-{scope}"' in confirm.text
    response = await client.post(
        f"/bookings/{ids[1]}/cancel",
        data={"scope": "following", "_csrf_token": csrf_of(confirm.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert await statuses(ids) == ["approved", "cancelled", "cancelled", "cancelled"]
    shown = await client.get(response.headers["location"])
    assert "3 réservations ont été annulées." in shown.text


async def test_after_the_deadline_the_refusal_is_shown_on_the_confirmation_page(client, cast):
    await Resource.update({Resource.rules: {"cancel_deadline_minutes": 2880}}).where(
        Resource.id == cast.room
    )
    booking = await make_booking(NOW, cast, status="approved", start=NOW + timedelta(days=1))
    await sign_in(client, cast, "member_a")
    confirm = await client.get(f"/bookings/{booking}/cancel")
    refused = await client.post(
        f"/bookings/{booking}/cancel",
        data={"scope": "this", "_csrf_token": csrf_of(confirm.text)},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert 'id="cancel-refused"' in refused.text
    assert "2880" in refused.text
    assert f'action="/bookings/{booking}/cancel"' in refused.text  # still the confirmation page
    assert await statuses([booking]) == ["approved"]


async def test_cancelling_twice_says_it_is_no_longer_active(client, cast):
    booking = await make_booking(NOW, cast, status="cancelled")
    await sign_in(client, cast, "member_a")
    confirm = await client.get(f"/bookings/{booking}/cancel")
    assert confirm.status_code == 200
    assert (
        translate("fr", "This booking is no longer active: there is nothing to cancel.")
        in confirm.text
    )
    response = await client.post(
        f"/bookings/{booking}/cancel",
        data={"scope": "this", "_csrf_token": csrf_of(confirm.text)},
        follow_redirects=False,
    )
    assert response.status_code == 409
    assert 'id="cancel-refused"' in response.text


async def test_cancel_needs_the_csrf_token(client, cast):
    booking = await make_booking(NOW, cast, status="approved")
    await sign_in(client, cast, "member_a")
    response = await client.post(f"/bookings/{booking}/cancel", data={"scope": "this"})
    assert response.status_code == 403
    assert await statuses([booking]) == ["approved"]


async def test_an_unknown_scope_is_refused_on_the_page(client, cast):
    ids = await series_of_a(client, cast)
    await sign_in(client, cast, "member_a")
    confirm = await client.get(f"/bookings/{ids[0]}/cancel")
    response = await client.post(
        f"/bookings/{ids[0]}/cancel",
        data={"scope": "everything", "_csrf_token": csrf_of(confirm.text)},
    )
    assert response.status_code == 422
    assert await statuses(ids) == ["approved"] * 3


async def test_ids_beyond_the_database_range_are_not_found(client, cast):
    for path in ("/bookings/99999999999", "/bookings/0/cancel", "/bookings/abc"):
        response = await client.get(path, headers=as_role(cast, "member_a"))
        assert response.status_code == 404, path
