"""The platform admin's associations: who may open the pages, searching by pages, registering
one, and suspending one (its bookings kept or cancelled, one by one or all) or activating it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from hub_booking.db.tables import Association, AuditLog, Booking, Notification
from tests.conftest import NOW
from tests.factories import make_association, make_booking
from tests.web.sessions import HTML
from tests.web.test_admin_hubs import answer, audit_actions, check_matrix

HTMX_LIST = {"HX-Request": "true", "HX-Target": "association-list"}
TUESDAY = datetime(2027, 2, 2, 10, tzinfo=UTC)


def admin_get(client, cast, path: str, **headers: str):
    return client.get(path, headers={**HTML, **cast.auth("admin"), **headers})


async def status_of(association_id: int) -> str:
    row = await Association.select(Association.status).where(Association.id == association_id)
    return row[0]["status"]


async def booking_statuses(ids: list[int]) -> list[str]:
    rows = await Booking.select(Booking.id, Booking.status).where(Booking.id.is_in(ids))
    found = {row["id"]: row["status"] for row in rows}
    return [found[i] for i in ids]


@pytest.mark.parametrize(
    ("method", "path", "status", "data"),
    [
        ("GET", "/admin/associations", 200, None),
        ("GET", "/admin/associations?q=assoc&status=active&region=fes-meknes&page=2", 200, None),
        ("GET", "/admin/associations/new", 200, None),
        (
            "POST",
            "/admin/associations",
            303,
            {"slug": "amal", "name_ar": "جمعية الأمل", "region": "fes-meknes"},
        ),
        ("GET", "/admin/associations/{a}/suspend", 200, None),
        ("POST", "/admin/associations/{a}/suspend", 303, {"which": "chosen"}),
        ("POST", "/admin/associations/{a}/activate", 303, None),
    ],
)
async def test_only_a_platform_admin_opens_the_association_pages(
    client, cast, method, path, status, data
):
    path = path.replace("{a}", str(cast.association_a))
    await check_matrix(client, cast, method, path, status, data)


async def test_a_refused_suspension_changes_nothing(client, cast):
    path = f"/admin/associations/{cast.association_a}/suspend"
    for role in ("manager", "rep_a", "member_a"):
        response = await answer(client, cast, role, "POST", path, {"which": "all", "reason": "x"})
        assert response.status_code == 403
    assert await status_of(cast.association_a) == "active"


async def test_an_unknown_association_is_not_found(client, cast):
    for path in ("/admin/associations/999999/suspend", f"/admin/associations/{2**31}/suspend"):
        assert (await admin_get(client, cast, path)).status_code == 404
    refused = await answer(client, cast, "admin", "POST", "/admin/associations/999999/activate")
    assert refused.status_code == 404


async def test_the_list_searches_by_name_slug_or_number_and_filters(client, cast):
    await make_association(NOW, "amal-fes", name_fr="Association Amal", registration_number="R-77")
    await make_association(NOW, "nour", name_ar="جمعية النور", status="suspended")
    await make_association(NOW, "club", name_fr="Club 100% Jeunes_Fès", region="oriental")
    cases = {
        "q=amal": ["amal-fes"],
        "q=AMAL": ["amal-fes"],
        "q=r-77": ["amal-fes"],
        "q=النور": ["nour"],
        "status=suspended": ["nour"],
        "region=rabat-sale-kenitra": ["assoc-b"],
        "q=%25": ["club"],  # "%" and "_" are themselves, not wildcards
        "q=_": ["club"],
        "q=100%25+j": ["club"],
        "q=a%5C": [],
        "q=assoc-&status=active&region=fes-meknes": ["assoc-a"],
        "status=bogus&region=Not+A+Slug&page=-3": [
            "amal-fes",
            "assoc-a",
            "assoc-b",
            "club",
            "nour",
        ],
        "q=" + "x" * 5000: [],
        "q=%00%E2%80%AE": ["amal-fes", "assoc-a", "assoc-b", "club", "nour"],  # controls dropped
    }
    for query, slugs in cases.items():
        html = (await admin_get(client, cast, f"/admin/associations?{query}")).text
        slugs_in_order = ("amal-fes", "assoc-a", "assoc-b", "club", "nour")
        shown = [s for s in slugs_in_order if f'<span class="slug" dir="ltr">{s}</span>' in html]
        assert shown == slugs, query


async def test_the_list_goes_by_pages_of_50_and_htmx_gets_the_list_alone(client, cast):
    for index in range(60):
        await make_association(NOW, f"zz-{index:02d}")
    first = (await admin_get(client, cast, "/admin/associations?q=zz")).text
    assert first.count('<tr id="association-') == 50
    assert 'href="/admin/associations?q=zz&amp;page=2"' in first
    second = await admin_get(client, cast, "/admin/associations?q=zz&page=2", **HTMX_LIST)
    assert second.text.lstrip().startswith('<section id="association-list"')
    assert second.text.count('<tr id="association-') == 10
    assert "<header" not in second.text
    beyond = await admin_get(client, cast, "/admin/associations?page=99999999999")
    assert beyond.status_code == 200


async def test_an_admin_registers_an_association_with_both_names(client, cast):
    data = {
        "slug": "amal-fes",
        "name_fr": "Association Amal",
        "name_ar": "جمعية الأمل",
        "region": "fes-meknes",
        "registration_number": "FES-2019-42",
        "contact_email": "Contact@Amal.ma",
        "contact_phone": "+212 535 00 00 00",
    }
    response = await answer(client, cast, "admin", "POST", "/admin/associations", data)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/associations?q=amal-fes"
    row = await Association.select().where(Association.slug == "amal-fes").first()
    assert row["name_ar"] == "جمعية الأمل"
    assert row["status"] == "active"
    assert row["contact_email"] == "contact@amal.ma"
    assert row["registration_number"] == "FES-2019-42"
    assert await audit_actions() == ["association.created"]
    listed = (await admin_get(client, cast, response.headers["location"])).text
    assert "Association Amal" in listed


@pytest.mark.parametrize(
    ("changes", "field", "status"),
    [
        ({"slug": "Not a slug"}, "slug", 422),
        ({"slug": "assoc-a"}, "slug", 409),
        ({"name_fr": "", "name_ar": ""}, "name_fr", 422),
        ({"name_fr": "x" * 201}, "name_fr", 422),
        ({"name_ar": "\u202eمقلوب"}, "name_ar", 422),
        ({"region": "atlantis"}, "region", 422),
        ({"region": ""}, "region", 422),
        ({"contact_email": "not-an-email"}, "contact_email", 422),
        ({"contact_phone": "0" * 33}, "contact_phone", 422),
        ({"registration_number": "r\n1"}, "registration_number", 422),
    ],
)
async def test_a_refused_registration_is_explained_beside_its_field(
    client, cast, changes, field, status
):
    data = {"slug": "amal", "name_fr": "Amal", "region": "fes-meknes", **changes}
    response = await answer(client, cast, "admin", "POST", "/admin/associations", data)
    assert response.status_code == status
    assert f'href="#{field}"' in response.text
    assert f'id="{field}-error"' in response.text
    assert await Association.count() == 2


async def test_suspending_lists_the_bookings_still_to_come(client, cast):
    past = await make_booking(NOW, cast, start=NOW - timedelta(days=2), title="Passée")
    kept = await make_booking(NOW, cast, start=TUESDAY, title="Atelier couture")
    approved = await make_booking(NOW, cast, start=TUESDAY + timedelta(days=1), status="approved")
    other = await make_booking(NOW, cast, association=cast.association_b, title="Réunion B")
    html = (await admin_get(client, cast, f"/admin/associations/{cast.association_a}/suspend")).text
    for booking_id in (kept, approved):
        assert f'id="cancel-{booking_id}"' in html
    for booking_id in (past, other):
        assert f'id="cancel-{booking_id}"' not in html
    assert "Atelier couture" in html


async def test_suspension_cancels_the_ticked_bookings_and_keeps_the_others(client, cast):
    first = await make_booking(NOW, cast, start=TUESDAY, status="approved")
    second = await make_booking(NOW, cast, start=TUESDAY + timedelta(days=1))
    third = await make_booking(NOW, cast, start=TUESDAY + timedelta(days=2))
    other = await make_booking(NOW, cast, association=cast.association_b)
    path = f"/admin/associations/{cast.association_a}/suspend"
    data = {"cancel": [str(first), str(third), str(other), "junk"], "reason": "Dissolution"}
    response = await answer(client, cast, "admin", "POST", path, {**data, "which": "chosen"})
    assert response.status_code == 303
    assert await status_of(cast.association_a) == "suspended"
    assert await booking_statuses([first, second, third, other]) == [
        "cancelled",
        "pending",
        "cancelled",
        "pending",  # not one of A's: never touched
    ]
    actions = await audit_actions()
    assert actions.count("booking.cancelled") == 2
    assert actions[-1] == "association.suspended"
    suspended = await AuditLog.select(AuditLog.details).where(
        AuditLog.action == "association.suspended"
    )
    details = suspended[0]["details"]
    details = json.loads(details) if isinstance(details, str) else details
    assert details["reason"] == "Dissolution"
    assert sorted(details["cancelled"]) == sorted([first, third])
    told = await Notification.select(Notification.booking, Notification.payload).where(
        Notification.kind == "cancelled"
    )
    assert {row["booking"] for row in told} == {first, third}
    payloads = [
        json.loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"] for r in told
    ]
    assert {p["reason"] for p in payloads} == {"Dissolution"}  # the people are told why
    kept = await Booking.select(Booking.decision_reason).where(Booking.id.is_in([first, third]))
    assert [row["decision_reason"] for row in kept] == ["Dissolution"] * 2


async def test_suspension_can_cancel_every_booking_at_once(client, cast):
    ids = [await make_booking(NOW, cast, start=TUESDAY + timedelta(days=i)) for i in range(3)]
    path = f"/admin/associations/{cast.association_a}/suspend"
    data = {"which": "all", "reason": "Statuts non renouvelés"}
    response = await answer(client, cast, "admin", "POST", path, data)
    assert response.status_code == 303
    assert await booking_statuses(ids) == ["cancelled"] * 3


async def test_cancelling_needs_a_reason_and_a_refusal_changes_nothing(client, cast):
    booking = await make_booking(NOW, cast, start=TUESDAY)
    path = f"/admin/associations/{cast.association_a}/suspend"
    for reason, error in (("", "reason"), ("x" * 501, "reason"), ("a\x00b", "reason")):
        data = {"which": "all", "reason": reason}
        response = await answer(client, cast, "admin", "POST", path, data)
        assert response.status_code == 422
        assert f'id="{error}-error"' in response.text
    assert await status_of(cast.association_a) == "active"
    assert await booking_statuses([booking]) == ["pending"]
    kept = await answer(client, cast, "admin", "POST", path, {"which": "chosen"})
    assert kept.status_code == 303  # nothing ticked: every booking kept, no reason needed
    assert await status_of(cast.association_a) == "suspended"
    assert await booking_statuses([booking]) == ["pending"]


async def test_a_suspended_association_cannot_book_until_it_is_activated(client, cast):
    path = f"/admin/associations/{cast.association_a}/suspend"
    await answer(client, cast, "admin", "POST", path, {"which": "chosen"})
    body = {
        "association_id": cast.association_a,
        "title": "Atelier",
        "starts_at": TUESDAY.isoformat(),
        "ends_at": (TUESDAY + timedelta(hours=1)).isoformat(),
        "attendees": 5,
        "items": [{"resource_id": cast.room, "quantity": 1}],
    }
    for role in ("member_a", "manager"):  # not even on its behalf by the hub's manager
        refused = await client.post("/api/v1/bookings", json=body, headers=cast.auth(role))
        assert refused.status_code == 422
        assert [v["code"] for v in refused.json()["violations"]] == ["association_inactive"]
    assert await Booking.count() == 0

    activated = await answer(
        client, cast, "admin", "POST", f"/admin/associations/{cast.association_a}/activate"
    )
    assert activated.status_code == 303
    assert await status_of(cast.association_a) == "active"
    booked = await client.post("/api/v1/bookings", json=body, headers=cast.auth("member_a"))
    assert booked.status_code == 201
    actions = await audit_actions()
    assert actions[:2] == ["association.suspended", "association.activated"]


async def test_the_list_offers_suspend_or_activate_by_status(client, cast):
    await make_association(NOW, "nour", status="suspended")
    html = (await admin_get(client, cast, "/admin/associations")).text
    assert f'href="/admin/associations/{cast.association_a}/suspend"' in html
    suspended = await Association.select(Association.id).where(Association.slug == "nour")
    assert f'action="/admin/associations/{suspended[0]["id"]}/activate"' in html
