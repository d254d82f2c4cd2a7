"""``PATCH /api/v1/hubs/{id}`` with ``feed_titles_public``: the hub's managers (and platform
admins) make its booking titles readable in every calendar feed, audited."""

from __future__ import annotations

import pytest

from hub_booking.db.tables import AuditLog, Hub
from tests.conftest import NOW
from tests.factories import make_booking
from tests.web.test_feed_calendar import read, subscribe

WHO_MAY = {
    "anonymous": 401,
    "member_a": 403,
    "rep_a": 403,
    "member_b": 403,
    "other_manager": 403,
    "outsider": 403,
    "manager": 200,
    "admin": 200,
}


async def public(hub_id: int) -> bool:
    return (await Hub.select(Hub.feed_titles_public).where(Hub.id == hub_id).first())[
        "feed_titles_public"
    ]


async def patch(client, cast, role: str, body, hub_id: int | None = None):
    return await client.patch(
        f"/api/v1/hubs/{hub_id or cast.hub}", json=body, headers=cast.auth(role)
    )


async def audited() -> list[dict]:
    query = AuditLog.select(AuditLog.actor, AuditLog.details).where(
        AuditLog.action == "hub.updated"
    )
    return await query.output(load_json=True)


@pytest.mark.parametrize(("role", "status"), sorted(WHO_MAY.items()))
async def test_only_the_hubs_managers_and_admins_make_titles_public(client, cast, role, status):
    response = await patch(client, cast, role, {"feed_titles_public": True})
    assert response.status_code == status, response.text
    assert await public(cast.hub) is (status == 200)
    assert await public(cast.other_hub) is False
    if status == 200:
        assert response.json()["feed_titles_public"] is True


async def test_the_change_is_audited_with_its_before_and_after(client, cast):
    response = await patch(client, cast, "manager", {"feed_titles_public": True})
    assert response.status_code == 200
    [row] = await audited()
    assert row["actor"] == cast.users["manager"]
    assert row["details"]["before"] == {"feed_titles_public": False}
    assert row["details"]["after"] == {"feed_titles_public": True}
    back = await patch(client, cast, "manager", {"feed_titles_public": False})
    assert back.json()["feed_titles_public"] is False
    assert await public(cast.hub) is False
    assert len(await audited()) == 2


async def test_setting_the_same_value_writes_no_audit_row(client, cast):
    response = await patch(client, cast, "manager", {"feed_titles_public": False})
    assert response.status_code == 200
    assert await audited() == []


async def test_other_fields_go_with_it_in_one_audited_change(client, cast):
    body = {"feed_titles_public": True, "name_fr": "Pôle de Fès-Saïss"}
    response = await patch(client, cast, "admin", body)
    assert response.status_code == 200
    assert response.json()["name_fr"] == "Pôle de Fès-Saïss"
    [row] = await audited()
    assert row["details"]["after"] == body


async def test_a_patch_without_it_leaves_it_alone_and_does_not_show_it(client, cast):
    await Hub.update({Hub.feed_titles_public: True}).where(Hub.id == cast.hub)
    response = await patch(client, cast, "manager", {"name_fr": "Pôle"})
    assert response.status_code == 200
    assert "feed_titles_public" not in response.json()
    assert await public(cast.hub) is True


@pytest.mark.parametrize("value", ["yes", 1, 0, None, [], {"on": True}])
async def test_anything_but_a_boolean_is_refused_and_changes_nothing(client, cast, value):
    response = await patch(client, cast, "manager", {"feed_titles_public": value})
    assert response.status_code in (400, 422), response.text
    assert await public(cast.hub) is False
    assert await audited() == []


async def test_an_unknown_hub_is_not_found(client, cast):
    response = await patch(client, cast, "admin", {"feed_titles_public": True}, hub_id=999_999)
    assert response.status_code == 404


async def test_public_titles_reach_every_feed_of_the_hub_at_once(client, cast):
    await make_booking(
        NOW, cast, status="approved", title="Atelier B", association=cast.association_b
    )
    path = await subscribe(client, cast, "admin", "hub", cast.hub)
    before = await client.get(path)
    assert [s.summary for s in read(before.content)] == ["Réservé"]
    assert (await patch(client, cast, "manager", {"feed_titles_public": True})).status_code == 200
    stale = await client.get(path, headers={"If-None-Match": before.headers["etag"]})
    assert stale.status_code == 200  # the feed changed: no 304 with the old ETag
    assert [s.summary for s in read(stale.content)] == ["Atelier B"]
