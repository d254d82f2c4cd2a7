"""Rooms and equipment pages: who may use them, adding, editing (rule overrides, own hours),
bad input on its fields, and the bookings a change would break, listed before saving."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hub_booking.db.tables import AuditLog, Booking, Resource
from hub_booking.i18n import translate
from tests.conftest import NOW
from tests.factories import ROLES, make_booking
from tests.web.test_manage_settings import (
    MANAGES_HUB_FES,
    as_role,
    field_error,
    listed,
    post_as,
)

TUESDAY = datetime(2027, 1, 19, 10, tzinfo=UTC)


async def resource_row(resource_id: int) -> dict[str, Any]:
    query = Resource.select(
        Resource.name_fr,
        Resource.name_ar,
        Resource.kind,
        Resource.capacity,
        Resource.quantity,
        Resource.requires_approval,
        Resource.active,
        Resource.rules,
    )
    return await query.where(Resource.id == resource_id).first().output(load_json=True)


def room_form(**changes: Any) -> dict[str, Any]:
    return {"name_fr": "Salle Atlas", "name_ar": "قاعة", "capacity": "30", **changes}


def pool_form(**changes: Any) -> dict[str, Any]:
    return {"name_fr": "Vidéoprojecteur", "name_ar": "قاعة", "quantity": "3", **changes}


def pages(cast) -> list[str]:
    base = "/manage/hubs/fes/resources"
    return [base, base + "/new", f"{base}/{cast.room}/edit"]


@pytest.mark.parametrize("role", ROLES)
async def test_the_resource_pages_answer_each_role(client, cast, role):
    for path in pages(cast):
        response = await client.get(path, headers=as_role(cast, role))
        assert response.status_code == MANAGES_HUB_FES[role], (path, role)
        if response.status_code == 404:
            assert "Salle Atlas" not in response.text


@pytest.mark.parametrize("role", ROLES)
async def test_changing_resources_answers_each_role(client, cast, role):
    base = "/manage/hubs/fes/resources"
    expected = 303 if MANAGES_HUB_FES[role] == 200 else MANAGES_HUB_FES[role]
    new = {"kind": "space", **room_form(name_fr=f"Salle {role}")}
    created = await post_as(client, cast, role, base + "/new", new)
    assert created.status_code == expected, created.text
    edited = await post_as(client, cast, role, f"{base}/{cast.room}/edit", room_form(capacity="25"))
    assert edited.status_code == expected
    off = await post_as(client, cast, role, f"{base}/{cast.projectors}/active", {"active": "0"})
    assert off.status_code == expected
    allowed = role in ("manager", "admin")
    assert await Resource.exists().where(Resource.name_fr == f"Salle {role}") == allowed
    assert (await resource_row(cast.room))["capacity"] == (25 if allowed else 30)
    assert (await resource_row(cast.projectors))["active"] == (not allowed)


async def test_a_resource_of_another_hub_is_not_found_through_any_hub(client, cast):
    theirs = f"/manage/hubs/fes/resources/{cast.other_room}/edit"
    assert (await client.get(theirs, headers=as_role(cast, "manager"))).status_code == 404
    mine_elsewhere = f"/manage/hubs/rabat/resources/{cast.room}/edit"
    response = await client.get(mine_elsewhere, headers=as_role(cast, "other_manager"))
    assert response.status_code == 404
    response = await post_as(
        client, cast, "other_manager", mine_elsewhere, room_form(name_fr="Volée")
    )
    assert response.status_code == 404
    assert (await resource_row(cast.room))["name_fr"] == "Salle Atlas"
    for wild in ("0", "-1", str(2**31), str(2**40), "abc"):
        path = f"/manage/hubs/fes/resources/{wild}/edit"
        answer = await client.get(path, headers=as_role(cast, "manager"))
        assert answer.status_code in (400, 404), (wild, answer.status_code)


async def test_the_list_shows_every_resource_with_its_state(client, cast):
    await Resource.update({Resource.active: False}).where(Resource.id == cast.projectors)
    html = (await client.get("/manage/hubs/fes/resources", headers=as_role(cast, "manager"))).text
    assert f'href="/manage/hubs/fes/resources/{cast.room}/edit">Salle Atlas</a>' in html
    assert "Vidéoprojecteur" in html
    assert translate("fr", "Deactivated: cannot be booked") in html
    assert "Salle Bouregreg" not in html  # another hub's


async def test_a_manager_adds_a_room_and_an_equipment_pool(client, cast):
    base = "/manage/hubs/fes/resources/new"
    room = {
        "kind": "space",
        "name_fr": "Salle Zalagh",
        "name_ar": "قاعة زلاغ",
        "capacity": "24",
        "requires_approval": "1",
        "max_minutes": "180",
        "own_hours": "1",
        "mon_from_1": "09:00",
        "mon_to_1": "12:00",
    }
    response = await post_as(client, cast, "manager", base, room)
    assert response.status_code == 303
    assert response.headers["location"] == "/manage/hubs/fes/resources"
    row = (
        await Resource.select()
        .where(Resource.name_fr == "Salle Zalagh")
        .first()
        .output(load_json=True)
    )
    assert row["capacity"] == 24
    assert row["requires_approval"] is True
    hours = {day: [] for day in ("tue", "wed", "thu", "fri", "sat", "sun")}
    assert row["rules"] == {
        "max_minutes": 180,
        "opening_hours": {"mon": [["09:00", "12:00"]], **hours},
    }
    pool = {"kind": "equipment", "name_ar": "ميكروفون", "quantity": "6"}
    assert (await post_as(client, cast, "manager", base, pool)).status_code == 303
    row = await Resource.select().where(Resource.name_ar == "ميكروفون").first()
    assert (row["kind"], row["quantity"], row["capacity"]) == ("equipment", 6, None)
    assert await AuditLog.count().where(AuditLog.action == "resource.created") == 2


async def test_editing_saves_overrides_and_clearing_them_uses_the_hubs_again(client, cast):
    path = f"/manage/hubs/fes/resources/{cast.room}/edit"
    form = room_form(min_notice_minutes="120", buffer_before_minutes="10")
    assert (await post_as(client, cast, "manager", path, form)).status_code == 303
    assert (await resource_row(cast.room))["rules"] == {
        "min_notice_minutes": 120,
        "buffer_before_minutes": 10,
    }
    html = (await client.get(path, headers=as_role(cast, "manager"))).text
    assert 'value="120"' in html
    assert 'placeholder="720"' in html  # the hub's longest booking (the default), shown
    assert (await post_as(client, cast, "manager", path, room_form())).status_code == 303
    assert (await resource_row(cast.room))["rules"] == {}


BAD_INPUT = [
    ("new", {"kind": "space", "name_fr": "", "name_ar": "", "capacity": "5"}, "name_fr"),
    ("new", {"kind": "space", "name_fr": "Salle", "capacity": ""}, "capacity"),
    ("new", {"kind": "space", "name_fr": "Salle", "capacity": "beaucoup"}, "capacity"),
    ("new", {"kind": "space", "name_fr": "Salle", "capacity": "0"}, "capacity"),
    ("new", {"kind": "space", "name_fr": "Salle", "capacity": "999999999999"}, "capacity"),
    ("new", {"kind": "equipment", "name_fr": "Micro", "quantity": "-2"}, "quantity"),
    ("new", {"kind": "spaceship", "name_fr": "Salle", "capacity": "5"}, "kind"),
    ("new", {"kind": "space", "name_fr": "Sal\x07le", "capacity": "5"}, "name_fr"),
    ("edit", room_form(max_minutes="une heure"), "max_minutes"),
    ("edit", room_form(granularity_minutes="100000"), "granularity_minutes"),
    ("edit", room_form(own_hours="1", mon_from_1="18:00", mon_to_1="08:00"), "mon_to_1"),
    ("edit", room_form(capacity="100001"), "capacity"),
]


@pytest.mark.parametrize(("where", "form", "field"), BAD_INPUT)
async def test_bad_input_is_shown_beside_its_field_and_nothing_is_saved(
    client, cast, where, form, field
):
    count, before = await Resource.count(), await resource_row(cast.room)
    path = "/manage/hubs/fes/resources/" + ("new" if where == "new" else f"{cast.room}/edit")
    response = await post_as(client, cast, "manager", path, form)
    assert response.status_code == 422, response.text
    assert field_error(response.text, field)
    assert f'href="#{field}"' in response.text
    assert await Resource.count() == count
    assert await resource_row(cast.room) == before


async def test_fewer_units_list_the_bookings_that_no_longer_fit_and_confirming_keeps_them(
    client, cast
):
    ids = [
        await make_booking(NOW, cast, status="approved", start=TUESDAY, resource=cast.projectors)
        for _ in range(3)
    ]
    later = await make_booking(
        NOW, cast, status="approved", start=TUESDAY.replace(hour=15), resource=cast.projectors
    )
    path = f"/manage/hubs/fes/resources/{cast.projectors}/edit"
    response = await post_as(client, cast, "manager", path, pool_form(quantity="2"))
    assert response.status_code == 200
    assert listed(response.text) == [ids[2]]  # the third at the same time; the later one fits
    assert later not in listed(response.text)
    assert (await resource_row(cast.projectors))["quantity"] == 3
    form = {**pool_form(quantity="2"), "confirm": "yes"}
    assert (await post_as(client, cast, "manager", path, form)).status_code == 303
    assert (await resource_row(cast.projectors))["quantity"] == 2
    assert await Booking.count().where(Booking.status == "approved") == 4


async def test_fewer_seats_list_the_bookings_with_more_people(client, cast):
    booking = await make_booking(NOW, cast, status="pending", start=TUESDAY)  # 5 people
    path = f"/manage/hubs/fes/resources/{cast.room}/edit"
    response = await post_as(client, cast, "manager", path, room_form(capacity="4"))
    assert listed(response.text) == [booking]
    message = "%(name)s seats %(capacity)s people; %(attendees)s were asked."
    expected = translate("fr", message, name="Salle Atlas", capacity=4, attendees=5)
    assert expected in response.text.replace("&#39;", "'")


async def test_deactivating_lists_future_bookings_then_keeps_them(client, cast):
    booking = await make_booking(NOW, cast, status="approved", start=TUESDAY)
    path = f"/manage/hubs/fes/resources/{cast.room}/active"
    response = await post_as(client, cast, "manager", path, {"active": "0"})
    assert response.status_code == 200
    assert listed(response.text) == [booking]
    assert (await resource_row(cast.room))["active"] is True
    confirm = {"active": "0", "confirm": "yes"}
    assert (await post_as(client, cast, "manager", path, confirm)).status_code == 303
    assert (await resource_row(cast.room))["active"] is False
    status = await Booking.select(Booking.status).where(Booking.id == booking).first()
    assert status["status"] == "approved"
    assert (await post_as(client, cast, "manager", path, {"active": "1"})).status_code == 303
    assert (await resource_row(cast.room))["active"] is True


async def test_deactivating_a_resource_without_bookings_needs_no_confirmation(client, cast):
    path = f"/manage/hubs/fes/resources/{cast.projectors}/active"
    response = await post_as(client, cast, "manager", path, {"active": "0"})
    assert response.status_code == 303
    assert (await resource_row(cast.projectors))["active"] is False
