"""Today at the front desk: the day's bookings, checking in (page and API), the printable
sheet, and bad input."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from hub_booking.db.tables import AuditLog, Booking
from hub_booking.i18n import translate
from tests.conftest import NOW
from tests.factories import ROLES, make_booking
from tests.web.sessions import HTML, csrf_of, sign_in

TODAY = "/manage/hubs/fes/today"
TEN = datetime(2027, 1, 11, 10, tzinfo=UTC)  # NOW is Monday 2027-01-11 09:00 (UTC+0)


def fr(message: str, **params: object) -> str:
    return translate("fr", message, **params)


async def checked(booking_id: int) -> tuple[datetime | None, int | None]:
    row = await Booking.select(Booking.checked_in_at, Booking.checked_in_by).where(
        Booking.id == booking_id
    )
    return row[0]["checked_in_at"], row[0]["checked_in_by"]


async def desk(client, cast, query: str = "") -> str:
    await sign_in(client, cast, "manager")
    response = await client.get(f"{TODAY}{query}")
    assert response.status_code == 200, response.text
    return response.text


def listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="visit[^"]*" id="visit-(\d+)"', html)]


async def test_the_day_lists_the_hubs_bookings_in_time_order(client, cast):
    late = await make_booking(NOW, cast, status="approved", start=TEN + timedelta(hours=4))
    early = await make_booking(NOW, cast, status="approved", start=TEN, resource=cast.projectors)
    pending = await make_booking(NOW, cast, start=TEN + timedelta(hours=6), title="En attente")
    await make_booking(NOW, cast, status="cancelled", start=TEN + timedelta(hours=1))
    await make_booking(NOW, cast, status="approved", start=TEN + timedelta(days=1))
    foreign = await make_booking(NOW, cast, status="approved", start=TEN, resource=cast.other_room)
    await Booking.update({Booking.hub: cast.other_hub}).where(Booking.id == foreign)
    html = await desk(client, cast)
    assert listed(html) == [early, late, pending]
    assert "lundi 11 janvier 2027" in html
    assert fr("Awaiting approval") in html  # a pending one says so, and has no check-in
    assert html.count(f'action="{TODAY}/') == 2


async def test_another_day_is_chosen_by_date_and_an_unreadable_one_shows_today(client, cast):
    tomorrow = await make_booking(NOW, cast, status="approved", start=TEN + timedelta(days=1))
    assert listed(await desk(client, cast, "?date=2027-01-12")) == [tomorrow]
    for bad in ("2027-13-45", "garbage", "99999-01-01", "2027-01-12%00"):
        response = await client.get(f"{TODAY}?date={bad}")
        assert response.status_code == 200, bad
        assert "lundi 11 janvier 2027" in response.text
        assert fr("That date could not be read: today is shown instead.") in response.text


async def test_checking_in_stores_when_and_who_and_shows_it(client, cast):
    booking = await make_booking(NOW, cast, status="approved", start=TEN)
    html = await desk(client, cast)
    response = await client.post(
        f"{TODAY}/{booking}/check-in",
        data={"_csrf_token": csrf_of(html), "date": "2027-01-11"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{TODAY}?date=2027-01-11"
    assert await checked(booking) == (NOW, cast.users["manager"])
    shown = await client.get(response.headers["location"])
    assert fr("Checked in at %(time)s by %(name)s", time="09:00", name="manager") in shown.text
    assert f'action="{TODAY}/{booking}/undo-check-in"' in shown.text
    audited = await AuditLog.select(AuditLog.action).where(
        (AuditLog.object_type == "booking") & (AuditLog.object_id == booking)
    )
    assert audited == [{"action": "booking.checked_in"}]


async def test_checking_in_twice_keeps_the_first_and_undo_clears_it(client, cast):
    booking = await make_booking(NOW, cast, status="approved", start=TEN)
    html = await desk(client, cast)
    form = {"_csrf_token": csrf_of(html), "date": "2027-01-11"}
    for _ in range(2):
        await client.post(f"{TODAY}/{booking}/check-in", data=form)
    assert await AuditLog.count().where(AuditLog.action == "booking.checked_in") == 1
    await client.post(f"{TODAY}/{booking}/undo-check-in", data=form)
    assert await checked(booking) == (None, None)
    assert await AuditLog.count().where(AuditLog.action == "booking.check_in_undone") == 1


async def test_checking_in_inline_swaps_the_booking(client, cast):
    booking = await make_booking(NOW, cast, status="approved", start=TEN)
    html = await desk(client, cast)
    assert f'hx-target="#visit-{booking}"' in html
    response = await client.post(
        f"{TODAY}/{booking}/check-in",
        data={"_csrf_token": csrf_of(html)},
        headers={"HX-Request": "true", "HX-Target": f"visit-{booking}"},
    )
    assert response.status_code == 200
    assert response.text.strip().startswith(f'<li class="visit checked-in" id="visit-{booking}">')
    assert "<header" not in response.text


async def test_a_booking_that_is_not_approved_cannot_be_checked_in(client, cast):
    booking = await make_booking(NOW, cast, start=TEN)
    html = await desk(client, cast)
    inline = await client.post(
        f"{TODAY}/{booking}/check-in",
        data={"_csrf_token": csrf_of(html)},
        headers={"HX-Request": "true", "HX-Target": f"visit-{booking}"},
    )
    assert inline.status_code == 409
    refusal = fr(
        "Only an approved booking can be checked in; this one is %(status)s.",
        status=fr("Awaiting approval"),
    )
    assert refusal in inline.text
    plain = await client.post(
        f"{TODAY}/{booking}/check-in", data={"_csrf_token": csrf_of(html)}, follow_redirects=False
    )
    assert plain.status_code == 303
    assert refusal in (await client.get(plain.headers["location"])).text
    assert await checked(booking) == (None, None)


async def test_the_printable_sheet_has_no_header_and_no_buttons(client, cast):
    done = await make_booking(NOW, cast, status="approved", start=TEN, title="Arrivés")
    await make_booking(NOW, cast, status="approved", start=TEN + timedelta(hours=2))
    await Booking.update(
        {Booking.checked_in_at: NOW, Booking.checked_in_by: cast.users["manager"]}
    ).where(Booking.id == done)
    html = await desk(client, cast, "?print=1&date=2027-01-11")
    assert "<header" not in html
    assert 'class="tabs"' not in html
    assert "<form" not in html
    assert html.count("☐") == 1
    assert "Arrivés" in html


async def test_check_in_needs_the_csrf_token_and_answers_bad_ids_with_404(client, cast):
    booking = await make_booking(NOW, cast, status="approved", start=TEN)
    foreign = await make_booking(NOW, cast, status="approved", start=TEN, resource=cast.other_room)
    await Booking.update({Booking.hub: cast.other_hub}).where(Booking.id == foreign)
    html = await desk(client, cast)
    assert (await client.post(f"{TODAY}/{booking}/check-in")).status_code == 403
    for path in (f"{foreign}", "999999", "99999999999", "0", "abc"):
        response = await client.post(
            f"{TODAY}/{path}/check-in", data={"_csrf_token": csrf_of(html)}
        )
        assert response.status_code == 404, path
    admin = await client.post(f"{TODAY}/{foreign}/check-in", headers={**HTML, **cast.auth("admin")})
    assert admin.status_code == 404  # the admin manages Rabat, but not through Fès's page
    assert await checked(foreign) == (None, None)
    assert await checked(booking) == (None, None)


# The API -------------------------------------------------------------------------------------

API_CHECK_IN = {
    "anonymous": 401,
    "member_a": 403,  # sees the booking (its association's), may not check it in
    "rep_a": 403,
    "member_b": 404,
    "manager": 200,
    "other_manager": 404,
    "admin": 200,
    "outsider": 404,
}


@pytest.mark.parametrize("role", ROLES)
async def test_the_api_checks_in_for_the_hubs_managers_only(client, cast, role):
    booking = await make_booking(NOW, cast, status="approved", start=TEN)
    response = await client.post(f"/api/v1/bookings/{booking}/check-in", headers=cast.auth(role))
    assert response.status_code == API_CHECK_IN[role], response.text
    if response.status_code == 200:
        assert response.json()["checked_in_at"] == "2027-01-11T09:00:00+00:00"
        assert response.json()["id"] == booking
    else:
        assert (await checked(booking))[0] is None


async def test_the_api_refuses_a_booking_that_is_not_approved_and_bad_ids(client, cast):
    headers = cast.auth("manager")
    for status in ("pending", "cancelled", "rejected"):
        booking = await make_booking(NOW, cast, status=status, start=TEN)
        response = await client.post(f"/api/v1/bookings/{booking}/check-in", headers=headers)
        assert response.status_code == 409, status
        assert response.json()["status_code"] == 409
    for path in ("999999", "99999999999", "0", "abc"):
        response = await client.post(f"/api/v1/bookings/{path}/check-in", headers=headers)
        assert response.status_code in (404, 405), path
        assert response.status_code != 500


async def test_the_booking_shape_carries_checked_in_at(client, cast):
    booking = await make_booking(NOW, cast, status="approved", start=TEN)
    before = await client.get(f"/api/v1/bookings/{booking}", headers=cast.auth("manager"))
    assert before.json()["checked_in_at"] is None
    await client.post(f"/api/v1/bookings/{booking}/check-in", headers=cast.auth("manager"))
    after = await client.get(f"/api/v1/bookings/{booking}", headers=cast.auth("member_a"))
    assert after.json()["checked_in_at"] == "2027-01-11T09:00:00+00:00"
