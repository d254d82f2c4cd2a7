"""Hubs, resources, associations and members through the JSON API, good input and bad."""

from __future__ import annotations

import pytest

HUB = {
    "slug": "oujda",
    "name_fr": "Pôle Oujda",
    "name_ar": "قطب وجدة",
    "timezone": "Africa/Casablanca",
    "region": "oriental",
}


async def test_admin_creates_a_hub_open_every_day_by_default(client, cast):
    response = await client.post("/api/v1/hubs", json=HUB, headers=cast.auth("admin"))
    assert response.status_code == 201
    hub = response.json()
    assert hub["id"] > 0
    assert hub["region"] == "oriental"
    assert hub["opening_hours"]["sun"] == [["08:00", "22:00"]]
    assert hub["name"] == "Pôle Oujda"


async def test_name_follows_accept_language_and_falls_back(client, cast):
    await client.post("/api/v1/hubs", json={**HUB, "name_fr": ""}, headers=cast.auth("admin"))
    headers = {**cast.auth("member_a"), "Accept-Language": "fr-MA,fr;q=0.9"}
    hubs = {
        h["slug"]: h for h in (await client.get("/api/v1/hubs", headers=headers)).json()["items"]
    }
    assert hubs["oujda"]["name"] == "قطب وجدة"  # no French name: the Arabic one
    arabic = {**cast.auth("member_a"), "Accept-Language": "ar"}
    hubs = {
        h["slug"]: h for h in (await client.get("/api/v1/hubs", headers=arabic)).json()["items"]
    }
    assert hubs["fes"]["name"] == "قطب fes"


async def test_duplicate_hub_slug_is_409_naming_the_field(client, cast):
    await client.post("/api/v1/hubs", json=HUB, headers=cast.auth("admin"))
    response = await client.post("/api/v1/hubs", json=HUB, headers=cast.auth("admin"))
    assert response.status_code == 409
    assert response.json()["extra"]["field"] == "slug"


async def test_duplicate_association_slug_is_409(client, cast):
    body = {"slug": "assoc-a", "name_fr": "Encore", "region": "fes-meknes"}
    response = await client.post("/api/v1/associations", json=body, headers=cast.auth("admin"))
    assert response.status_code == 409
    assert response.json()["extra"]["field"] == "slug"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"slug": "Bad Slug!"}, "slug"),
        ({"name_fr": "", "name_ar": ""}, "name_fr"),
        ({"opening_hours": {"mon": [["20:00", "08:00"]]}}, "opening_hours"),
        ({"opening_hours": {"lundi": [["08:00", "20:00"]]}}, "opening_hours"),
        ({"rules": {"max_minutes": -5}}, "rules.max_minutes"),
        ({"rules": {"teleport": True}}, "rules.teleport"),
    ],
)
async def test_invalid_hub_is_422_naming_the_field(client, cast, change, field):
    response = await client.post("/api/v1/hubs", json={**HUB, **change}, headers=cast.auth("admin"))
    assert response.status_code == 422
    assert field in [v["field"] for v in response.json()["extra"]["violations"]]


async def test_every_problem_is_reported_at_once(client, cast):
    body = {"slug": "X", "timezone": "Nowhere", "region": "oriental"}
    response = await client.post("/api/v1/hubs", json=body, headers=cast.auth("admin"))
    fields = {v["field"] for v in response.json()["extra"]["violations"]}
    assert fields == {"slug", "timezone", "name_fr"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "space", "name_fr": "S", "capacity": -3}, "capacity"),
        ({"kind": "space", "name_fr": "S"}, "capacity"),
        ({"kind": "equipment", "name_fr": "PC", "quantity": 0}, "quantity"),
        ({"kind": "equipment", "name_fr": "PC", "quantity": "many"}, "quantity"),
        ({"kind": "boat", "name_fr": "B"}, "kind"),
        ({"kind": "space", "name_fr": "x" * 201, "capacity": 3}, "name_fr"),
    ],
)
async def test_invalid_resource_is_422_naming_the_field(client, cast, body, field):
    response = await client.post(
        "/api/v1/resources", json={"hub_id": cast.hub, **body}, headers=cast.auth("manager")
    )
    assert response.status_code == 422
    assert field in [v["field"] for v in response.json()["extra"]["violations"]]


async def test_unknown_hub_is_422_naming_hub_id(client, cast):
    body = {"hub_id": 999999, "kind": "space", "name_fr": "S", "capacity": 3}
    response = await client.post("/api/v1/resources", json=body, headers=cast.auth("admin"))
    assert response.status_code == 422
    assert response.json()["extra"]["field"] == "hub_id"


async def test_malformed_json_is_400(client, cast):
    headers = {**cast.auth("admin"), "Content-Type": "application/json"}
    response = await client.post("/api/v1/hubs", content=b'{"slug": ', headers=headers)
    assert response.status_code == 400
    assert response.json()["status_code"] == 400


async def test_a_json_array_body_is_400(client, cast):
    response = await client.post("/api/v1/hubs", json=[1, 2], headers=cast.auth("admin"))
    assert response.status_code == 400


async def test_unknown_resource_is_404(client, cast):
    response = await client.patch(
        "/api/v1/resources/424242", json={"capacity": 3}, headers=cast.auth("admin")
    )
    assert response.status_code == 404


async def test_manager_updates_rules_and_capacity(client, cast):
    body = {
        "capacity": 35,
        "requires_approval": True,
        "rules": {"max_minutes": 240, "buffer_after_minutes": 15},
    }
    response = await client.patch(
        f"/api/v1/resources/{cast.room}", json=body, headers=cast.auth("manager")
    )
    assert response.status_code == 200
    room = response.json()
    assert (room["capacity"], room["requires_approval"]) == (35, True)
    assert room["rules"] == {"max_minutes": 240, "buffer_after_minutes": 15}


async def test_a_space_stays_a_single_unit(client, cast):
    response = await client.patch(
        f"/api/v1/resources/{cast.room}", json={"quantity": 4}, headers=cast.auth("manager")
    )
    assert response.status_code == 422


async def test_resources_filter_by_kind_and_capacity(client, cast):
    auth = cast.auth("member_a")
    base = f"/api/v1/hubs/{cast.hub}/resources"
    equipment = (await client.get(base, params={"kind": "equipment"}, headers=auth)).json()
    assert [r["id"] for r in equipment["items"]] == [cast.projectors]
    big = (await client.get(base, params={"min_capacity": 31}, headers=auth)).json()
    assert big == {"items": [], "total": 0}
    bad = await client.get(base, params={"min_capacity": -1}, headers=auth)
    assert bad.status_code == 422
    assert [v["field"] for v in bad.json()["violations"]] == ["min_capacity"]


async def test_lists_page_with_limit_and_offset(client, cast):
    auth = cast.auth("member_a")
    page = (await client.get("/api/v1/hubs", params={"limit": 1, "offset": 1}, headers=auth)).json()
    assert page["total"] == 2
    assert [h["slug"] for h in page["items"]] == ["rabat"]


async def test_admin_adds_a_member_whom_a_representative_can_then_promote(client, cast):
    body = {"email": "New.Person@Example.org", "role": "member"}
    url = f"/api/v1/associations/{cast.association_a}/members"
    response = await client.post(url, json=body, headers=cast.auth("admin"))
    assert response.status_code == 201
    assert response.json()["email"] == "new.person@example.org"
    again = await client.post(
        url, json={**body, "role": "representative"}, headers=cast.auth("rep_a")
    )
    assert again.status_code == 201
    assert again.json()["user_id"] == response.json()["user_id"]  # same person, case-insensitively
    assert again.json()["role"] == "representative"


@pytest.mark.parametrize("body", [{"email": "not-an-email"}, {"email": "a@b.org", "role": "boss"}])
async def test_invalid_member_is_422(client, cast, body):
    url = f"/api/v1/associations/{cast.association_a}/members"
    response = await client.post(url, json=body, headers=cast.auth("admin"))
    assert response.status_code == 422


async def test_error_messages_follow_accept_language(client, cast):
    body = {**HUB, "timezone": "Mars/Olympus"}
    answers = {}
    for language in ("en", "fr", "ar"):
        headers = {**cast.auth("admin"), "Accept-Language": language}
        response = await client.post("/api/v1/hubs", json=body, headers=headers)
        answers[language] = response.json()["extra"]["violations"][0]["message"]
    assert answers["en"].startswith("Unknown time zone")
    assert answers["fr"] != answers["en"]
    assert answers["ar"] != answers["en"]
    assert any("\u0600" <= ch <= "\u06ff" for ch in answers["ar"])


async def test_unknown_api_route_is_json_404(client, cast):
    response = await client.get("/api/v1/nothing-here", headers=cast.auth("admin"))
    assert response.status_code == 404
    assert response.json()["status_code"] == 404


async def test_every_change_is_audited(client, cast):
    from hub_booking.db.tables import AuditLog

    await client.post("/api/v1/hubs", json=HUB, headers=cast.auth("admin"))
    await client.patch(
        f"/api/v1/resources/{cast.room}", json={"capacity": 12}, headers=cast.auth("manager")
    )
    rows = await AuditLog.select(AuditLog.action, AuditLog.actor).where(
        AuditLog.action.is_in(["hub.created", "resource.updated"])
    )
    assert {(r["action"], r["actor"]) for r in rows} == {
        ("hub.created", cast.users["admin"]),
        ("resource.updated", cast.users["manager"]),
    }


async def test_every_list_pages_in_the_database_with_its_total(client, cast):
    auth = cast.auth("admin")
    resources = await client.get(
        f"/api/v1/hubs/{cast.hub}/resources", params={"limit": 1, "offset": 1}, headers=auth
    )
    assert resources.json()["total"] == 2
    assert [r["id"] for r in resources.json()["items"]] == [cast.projectors]  # spaces first
    associations = await client.get(
        "/api/v1/associations", params={"limit": 1, "offset": 1}, headers=auth
    )
    assert associations.json()["total"] == 2
    assert [a["slug"] for a in associations.json()["items"]] == ["assoc-b"]
    beyond = await client.get("/api/v1/hubs", params={"offset": 10}, headers=auth)
    assert beyond.json() == {"items": [], "total": 2}


async def test_an_empty_resource_change_writes_nothing(client, cast):
    from hub_booking.db.tables import AuditLog

    for body in ({}, {"capacity": 30, "name_fr": "Salle Atlas"}):
        response = await client.patch(
            f"/api/v1/resources/{cast.room}", json=body, headers=cast.auth("manager")
        )
        assert response.status_code == 200
        assert response.json()["capacity"] == 30
    assert not await AuditLog.exists().where(AuditLog.action == "resource.updated")


async def test_resource_updates_are_audited_with_before_and_after(client, cast):
    from hub_booking.db.tables import AuditLog

    await client.patch(
        f"/api/v1/resources/{cast.room}", json={"capacity": 12}, headers=cast.auth("manager")
    )
    row = (
        await AuditLog.select(AuditLog.details)
        .where(AuditLog.action == "resource.updated")
        .first()
        .output(load_json=True)
    )
    assert row["details"] == {"before": {"capacity": 30}, "after": {"capacity": 12}}


async def test_unknown_fields_are_refused_naming_them(client, cast):
    response = await client.post(
        "/api/v1/hubs", json={**HUB, "is_public": True}, headers=cast.auth("admin")
    )
    assert response.status_code == 422
    assert [v["field"] for v in response.json()["violations"]] == ["is_public"]
