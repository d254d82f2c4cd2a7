"""Closures page: who may use it, adding one for the hub or a resource, the bookings it hits
listed then cancelled with its reason (audited, associations told), public holidays of a
year from the ``holidays`` package, removing a closure, and bad input on its fields."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from hub_booking.db.tables import AuditLog, Blackout, Booking, Notification
from hub_booking.i18n import translate
from tests.conftest import NOW
from tests.factories import ROLES, make_blackout, make_booking
from tests.web.test_manage_settings import (
    MANAGES_HUB_FES,
    as_role,
    field_error,
    listed,
    post_as,
)

BASE = "/manage/hubs/fes/closures"
TUESDAY = datetime(2027, 1, 19, 10, tzinfo=UTC)  # the hub's clock is UTC+0 in 2027
MANIFESTO = "2027-01-11-0"  # Proclamation of Independence Day, a fixed date
EID = "2027-03-09-0"  # Eid al-Fitr 2027-03-09/10, estimated


def wall(*parts: int) -> datetime:
    """A time on the hub's wall clock, as stored (naive)."""
    return datetime(*parts, tzinfo=UTC).replace(tzinfo=None)


def closure_form(**changes: Any) -> dict[str, Any]:
    return {"start_date": "2027-01-19", "end_date": "2027-01-19", "reason": "Travaux", **changes}


async def closures() -> list[dict[str, Any]]:
    return await Blackout.select(
        Blackout.resource, Blackout.local_start, Blackout.local_end, Blackout.reason
    ).order_by(Blackout.starts_at)


async def status_of(booking_id: int) -> dict[str, Any]:
    return (
        await Booking.select(Booking.status, Booking.decision_reason)
        .where(Booking.id == booking_id)
        .first()
    )


@pytest.mark.parametrize("role", ROLES)
async def test_the_closures_page_answers_each_role(client, cast, role):
    response = await client.get(BASE, headers=as_role(cast, role))
    assert response.status_code == MANAGES_HUB_FES[role]
    if role == "anonymous":
        assert response.headers["location"] == "/login?next=/manage/hubs/fes/closures"


@pytest.mark.parametrize("role", ROLES)
async def test_adding_removing_and_closing_holidays_answer_each_role(client, cast, role):
    expected = 303 if MANAGES_HUB_FES[role] == 200 else MANAGES_HUB_FES[role]
    added = await post_as(client, cast, role, BASE, closure_form())
    assert added.status_code == expected, added.text
    holidays = {"year": "2027", "holiday": MANIFESTO}
    assert (await post_as(client, cast, role, BASE + "/holidays", holidays)).status_code == expected
    allowed = role in ("manager", "admin")
    assert len(await closures()) == (2 if allowed else 0)
    existing = await make_blackout(NOW, cast, TUESDAY, TUESDAY.replace(hour=12))
    removed = await post_as(client, cast, role, f"{BASE}/{existing}/delete", {})
    assert removed.status_code == expected
    assert await Blackout.exists().where(Blackout.id == existing) != allowed


async def test_a_closure_of_another_hub_is_not_found_through_any_hub(client, cast):
    existing = await make_blackout(NOW, cast, TUESDAY, TUESDAY.replace(hour=12))
    for role, path in (
        ("other_manager", f"/manage/hubs/rabat/closures/{existing}/delete"),
        ("other_manager", f"{BASE}/{existing}/delete"),
    ):
        response = await post_as(client, cast, role, path, {})
        assert response.status_code == 404
    assert await Blackout.exists().where(Blackout.id == existing)
    for wild in (str(2**31), str(2**40), "-3"):
        response = await post_as(client, cast, "manager", f"{BASE}/{wild}/delete", {})
        assert response.status_code in (400, 404, 405)


async def test_a_closure_without_bookings_is_saved_at_once_for_whole_days(client, cast):
    form = closure_form(end_date="2027-01-20")
    response = await post_as(client, cast, "manager", BASE, form)
    assert response.status_code == 303
    assert response.headers["location"] == BASE
    [closure] = await closures()
    assert closure["resource"] is None
    assert closure["local_start"] == wall(2027, 1, 19)
    assert closure["local_end"] == wall(2027, 1, 21)  # the end of the last day
    assert closure["reason"] == "Travaux"
    assert await AuditLog.exists().where(AuditLog.action == "closure.added")
    page = await client.get(BASE, headers=as_role(cast, "manager"))
    assert "Travaux" in page.text
    assert translate("fr", "The whole hub is closed") in page.text


async def test_the_bookings_a_closure_hits_are_listed_then_cancelled_with_its_reason(client, cast):
    hit = await make_booking(NOW, cast, status="approved", start=TUESDAY, title="Touchée")
    pending = await make_booking(NOW, cast, status="pending", start=TUESDAY.replace(hour=14))
    spared = await make_booking(NOW, cast, status="approved", start=TUESDAY.replace(day=20))
    form = closure_form(start_time="09:00", end_time="18:00", reason="Coupure d'eau")
    response = await post_as(client, cast, "manager", BASE, form)
    assert response.status_code == 200
    assert sorted(listed(response.text)) == sorted([hit, pending])
    assert "Touchée" in response.text
    assert await closures() == []  # nothing saved before the confirmation
    confirm = {**form, "confirm": "yes", "listed": [str(hit), str(pending)]}
    done = await post_as(client, cast, "manager", BASE, confirm)
    assert done.status_code == 303
    assert [c["local_start"] for c in await closures()] == [wall(2027, 1, 19, 9)]
    for booking in (hit, pending):
        assert await status_of(booking) == {
            "status": "cancelled",
            "decision_reason": "Coupure d'eau",
        }
    assert (await status_of(spared))["status"] == "approved"
    audit = (
        await AuditLog.select(AuditLog.details)
        .where(AuditLog.action == "booking.cancelled")
        .output(load_json=True)
    )
    assert sorted(audit[0]["details"]["ids"]) == sorted([hit, pending])
    news = (
        await Notification.select(Notification.payload, Notification.booking)
        .where(Notification.kind == "closed")  # the letter says the hub is closed
        .output(load_json=True)
    )
    assert {n["booking"] for n in news} == {hit, pending}
    assert all(n["payload"]["reason"] == "Coupure d'eau" for n in news)
    shown = await client.get(BASE, headers=as_role(cast, "manager"))
    assert "2 réservations ont été annulées" in shown.text


async def test_a_booking_made_after_the_listing_refuses_the_confirmation(client, cast):
    first = await make_booking(NOW, cast, status="approved", start=TUESDAY)
    form = closure_form(reason="Travaux")
    listing = await post_as(client, cast, "manager", BASE, form)
    assert listed(listing.text) == [first]
    newcomer = await make_booking(NOW, cast, status="approved", start=TUESDAY.replace(hour=15))
    response = await post_as(
        client, cast, "manager", BASE, {**form, "confirm": "yes", "listed": str(first)}
    )
    assert response.status_code == 409
    assert sorted(listed(response.text)) == sorted([first, newcomer])
    assert await closures() == []
    assert (await status_of(first))["status"] == "approved"


async def test_a_resource_closure_hits_only_that_resources_bookings(client, cast):
    room = await make_booking(NOW, cast, status="approved", start=TUESDAY)
    pool = await make_booking(NOW, cast, status="approved", start=TUESDAY, resource=cast.projectors)
    form = closure_form(resource_id=str(cast.projectors), reason="Lampe grillée")
    response = await post_as(client, cast, "manager", BASE, form)
    assert listed(response.text) == [pool]
    confirm = {**form, "confirm": "yes", "listed": str(pool)}
    assert (await post_as(client, cast, "manager", BASE, confirm)).status_code == 303
    assert (await status_of(pool))["status"] == "cancelled"
    assert (await status_of(room))["status"] == "approved"
    assert (await closures())[0]["resource"] == cast.projectors


BAD_INPUT = [
    ({"start_date": "19/01/2027"}, "start_date"),
    ({"start_date": "2027-02-30"}, "start_date"),
    ({"end_date": ""}, "end_date"),
    ({"start_time": "25:61"}, "start_time"),
    ({"end_date": "2027-01-18"}, "end_date"),
    ({"start_time": "12:00", "end_time": "11:00"}, "end_date"),
    ({"reason": ""}, "reason"),
    ({"reason": "x" * 250}, "reason"),
    ({"reason": "a\u202eb"}, "reason"),
    ({"resource_id": "abc"}, "resource_id"),
    ({"resource_id": "99999999999999"}, "resource_id"),
    ({"start_date": "1999-01-01"}, "start_date"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_INPUT)
async def test_bad_input_is_shown_beside_its_field_and_nothing_is_saved(
    client, cast, changes, field
):
    booking = await make_booking(NOW, cast, status="approved", start=TUESDAY)
    confirm = {"confirm": "yes", "listed": str(booking)}
    response = await post_as(client, cast, "manager", BASE, {**closure_form(**changes), **confirm})
    assert response.status_code == 422, response.text
    assert field_error(response.text, field)
    assert await closures() == []
    assert (await status_of(booking))["status"] == "approved"


async def test_another_hubs_resource_is_refused_on_its_field(client, cast):
    form = closure_form(resource_id=str(cast.other_room))
    response = await post_as(client, cast, "manager", BASE, form)
    assert response.status_code == 422
    assert field_error(response.text, "resource_id")
    assert await closures() == []


async def test_the_holidays_of_a_year_are_offered_in_the_readers_language(client, cast):
    html = (await client.get(BASE + "?year=2027", headers=as_role(cast, "manager"))).text
    assert "Manifeste de l&#39;indépendance" in html
    assert f'value="{MANIFESTO}"' in html
    eid = re.search(rf'<li class="holiday estimated">.*?value="{EID}".*?</li>', html, re.S)
    assert eid, "Eid al-Fitr is offered as an estimated date"
    assert translate("fr", "estimated") in eid.group(0)
    assert f'name="shift_{EID}"' in eid.group(0)
    manifesto = re.search(rf'<li class="holiday">.*?value="{MANIFESTO}".*?</li>', html, re.S)
    assert "shift_" not in manifesto.group(0)  # a fixed date does not move
    arabic = await client.get(
        BASE + "?year=2027", headers={**as_role(cast, "manager"), "Cookie": "hb_lang=ar"}
    )
    assert "عيد الفطر" in arabic.text
    assert 'dir="rtl"' in arabic.text


async def test_holidays_already_closed_are_marked_and_wild_years_fall_back(client, cast):
    start = datetime(2027, 1, 11, tzinfo=UTC)
    await make_blackout(NOW, cast, start, start.replace(day=12))
    html = (await client.get(BASE + "?year=2027", headers=as_role(cast, "manager"))).text
    assert f'value="{MANIFESTO}"' not in html
    assert translate("fr", "already closed") in html
    for year in ("abc", "99999", "1066", "-1"):
        response = await client.get(f"{BASE}?year={year}", headers=as_role(cast, "manager"))
        assert response.status_code == 200
        assert translate("fr", "Public holidays of %(year)d", year=2027) in response.text


async def test_an_estimated_holiday_shifted_by_a_day_lists_and_cancels_what_it_hits(client, cast):
    before = await make_booking(
        NOW, cast, status="approved", start=datetime(2027, 3, 9, 10, tzinfo=UTC)
    )
    hit = await make_booking(
        NOW, cast, status="approved", start=datetime(2027, 3, 11, 10, tzinfo=UTC)
    )
    form = {"year": "2027", "holiday": EID, f"shift_{EID}": "1"}
    response = await post_as(client, cast, "manager", BASE + "/holidays", form)
    assert response.status_code == 200
    assert listed(response.text) == [hit]
    done = await post_as(
        client, cast, "manager", BASE + "/holidays", {**form, "confirm": "yes", "listed": str(hit)}
    )
    assert done.status_code == 303
    [closure] = await closures()
    assert (closure["local_start"], closure["local_end"]) == (
        wall(2027, 3, 10),
        wall(2027, 3, 12),
    )
    assert closure["reason"] == "Fête de la rupture du jeûne · عيد الفطر"
    assert await status_of(hit) == {"status": "cancelled", "decision_reason": closure["reason"]}
    assert (await status_of(before))["status"] == "approved"


async def test_a_fixed_holiday_ignores_a_shift_and_bad_holiday_posts_are_refused(client, cast):
    form = {"year": "2027", "holiday": MANIFESTO, f"shift_{MANIFESTO}": "1"}
    assert (await post_as(client, cast, "manager", BASE + "/holidays", form)).status_code == 303
    [closure] = await closures()
    assert closure["local_start"] == wall(2027, 1, 11)
    for bad in (
        {"year": "2027"},
        {"year": "2027", "holiday": "1999-01-01-0"},
        {"year": "nope", "holiday": MANIFESTO},
        {"year": "2027", "holiday": ["x" * 500, "\x00"]},
    ):
        response = await post_as(client, cast, "manager", BASE + "/holidays", bad)
        assert response.status_code == 422, bad
        assert field_error(response.text, "holidays")
    assert len(await closures()) == 1


async def test_removing_a_closure_reopens_and_htmx_swaps_the_list(client, cast):
    first = await make_blackout(NOW, cast, TUESDAY, TUESDAY.replace(hour=12), reason="Premier")
    second = await make_blackout(NOW, cast, TUESDAY, TUESDAY.replace(hour=13), reason="Second")
    response = await post_as(client, cast, "manager", f"{BASE}/{first}/delete", {})
    assert response.status_code == 303
    assert not await Blackout.exists().where(Blackout.id == first)
    htmx = {**as_role(cast, "manager"), "HX-Request": "true", "HX-Target": "closure-list"}
    page = await client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    swapped = await client.post(
        f"{BASE}/{second}/delete", data={"_csrf_token": token}, headers=htmx
    )
    assert swapped.status_code == 200
    assert swapped.text.lstrip().startswith('<section id="closure-list"')
    assert "<html" not in swapped.text
    assert await Blackout.count() == 0
