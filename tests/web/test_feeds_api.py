"""Calendar feed tokens through the API: who may follow what, URLs shown once, rotation and
revocation by their owner only."""

from __future__ import annotations

import re

import pytest

from hub_booking.db.tables import AuditLog, FeedToken
from hub_booking.services.tokens import hash_secret
from tests.conftest import SECRET

FEED_FIELDS = {"id", "scope", "scope_id", "label", "language", "created_at", "last_used_at"}
URL = re.compile(r"^http://127\.0\.0\.1:8000/feeds/([A-Za-z0-9_-]{43})\.ics$")


async def create(client, cast, role: str, scope: str, target: str | int | None = None, **extra):
    ids = {
        "hub": cast.hub,
        "other_hub": cast.other_hub,
        "room": cast.room,
        "other_room": cast.other_room,
        "association_a": cast.association_a,
        "association_b": cast.association_b,
    }
    body = {"scope": scope, **extra}
    if target is not None:
        body["id"] = ids[target] if isinstance(target, str) else target
    return await client.post("/api/v1/feeds", json=body, headers=cast.auth(role))


def token_of(url: str) -> str:
    match = URL.match(url)
    assert match, url
    return match.group(1)


MATRIX = [
    # members: their associations and themselves
    ("member_a", "association", "association_a", 201),
    ("rep_a", "association", "association_a", 201),
    ("member_a", "association", "association_b", 404),
    ("member_b", "association", "association_a", 404),
    ("member_a", "me", None, 201),
    ("member_a", "hub", "hub", 404),
    ("member_a", "resource", "room", 404),
    ("outsider", "me", None, 201),
    ("outsider", "association", "association_a", 404),
    # managers: their hub and its resources
    ("manager", "hub", "hub", 201),
    ("manager", "resource", "room", 201),
    ("manager", "hub", "other_hub", 404),
    ("manager", "resource", "other_room", 404),
    ("manager", "association", "association_a", 404),
    ("other_manager", "hub", "hub", 404),
    ("other_manager", "hub", "other_hub", 201),
    ("other_manager", "resource", "other_room", 201),
    # platform admins: anything that exists
    ("admin", "hub", "other_hub", 201),
    ("admin", "resource", "room", 201),
    ("admin", "association", "association_b", 201),
    ("admin", "hub", 999_999, 404),
    ("admin", "resource", 999_999, 404),
    ("admin", "association", 999_999, 404),
]


@pytest.mark.parametrize(("role", "scope", "target", "status"), MATRIX)
async def test_who_may_create_which_feed(client, cast, role, scope, target, status):
    response = await create(client, cast, role, scope, target)
    assert response.status_code == status, response.text
    stored = await FeedToken.count().where(FeedToken.user == cast.users[role])
    assert stored == (1 if status == 201 else 0)


async def test_a_refused_scope_answers_like_an_unknown_one(client, cast):
    forbidden = await create(client, cast, "member_a", "association", "association_b")
    unknown = await create(client, cast, "member_a", "association", 999_999)
    assert forbidden.status_code == unknown.status_code == 404
    assert forbidden.json() == unknown.json()


async def test_anonymous_cannot_create_list_rotate_or_revoke(client, cast):
    created = await create(client, cast, "member_a", "me")
    feed_id = created.json()["id"]
    assert (await client.post("/api/v1/feeds", json={"scope": "me"})).status_code == 401
    assert (await client.get("/api/v1/feeds")).status_code == 401
    assert (await client.post(f"/api/v1/feeds/{feed_id}/rotate")).status_code == 401
    assert (await client.delete(f"/api/v1/feeds/{feed_id}")).status_code == 401
    assert await FeedToken.count() == 1


async def test_the_url_is_shown_once_and_only_its_hash_is_kept(client, cast):
    created = await create(client, cast, "member_a", "association", "association_a", label="Agenda")
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {*FEED_FIELDS, "url"}
    assert body["scope"] == "association"
    assert body["scope_id"] == cast.association_a
    token = token_of(body["url"])  # 32 random bytes
    stored = await FeedToken.select(FeedToken.token_hash).first()
    assert stored["token_hash"] == hash_secret(SECRET, token)
    assert token not in stored["token_hash"]
    listed = await client.get("/api/v1/feeds", headers=cast.auth("member_a"))
    assert listed.status_code == 200
    assert listed.json() == {
        "items": [
            {
                "id": body["id"],
                "scope": "association",
                "scope_id": cast.association_a,
                "label": "Agenda",
                "language": None,
                "created_at": "2027-01-11T09:00:00+00:00",
                "last_used_at": None,
            }
        ],
        "total": 1,
    }
    assert token not in listed.text
    audit = await AuditLog.select(AuditLog.action).where(AuditLog.object_type == "feed")
    assert [row["action"] for row in audit] == ["feed.created"]


async def test_each_user_lists_only_their_own_feeds_page_by_page(client, cast):
    for _ in range(3):
        await create(client, cast, "manager", "hub", "hub")
    await create(client, cast, "member_a", "me")
    page = await client.get("/api/v1/feeds?limit=2&offset=0", headers=cast.auth("manager"))
    rest = await client.get("/api/v1/feeds?limit=2&offset=2", headers=cast.auth("manager"))
    assert page.json()["total"] == rest.json()["total"] == 3
    assert len(page.json()["items"]) == 2
    assert len(rest.json()["items"]) == 1
    mine = await client.get("/api/v1/feeds", headers=cast.auth("member_a"))
    assert [f["scope"] for f in mine.json()["items"]] == ["me"]


async def test_a_me_feed_takes_no_id_or_the_callers_own(client, cast):
    own = await create(client, cast, "member_a", "me", cast.users["member_a"])
    assert own.status_code == 201
    assert own.json()["scope_id"] is None
    someone_else = await create(client, cast, "admin", "me", cast.users["member_a"])
    assert someone_else.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"scope": "hub"},
        {"scope": "room", "id": 1},
        {"scope": "hub", "id": 0},
        {"scope": "hub", "id": 2**31},
        {"scope": "me", "label": "x" * 101},
        {"scope": "me", "label": "two\nlines"},
        {"scope": "me", "language": "de"},
        {"scope": "me", "url": "https://example.org"},
    ],
)
async def test_malformed_bodies_are_refused(client, cast, body):
    response = await client.post("/api/v1/feeds", json=body, headers=cast.auth("admin"))
    assert response.status_code in (400, 422), response.text
    assert await FeedToken.count() == 0


async def test_owner_revokes_a_feed_and_its_url_stops_answering(client, cast):
    created = (await create(client, cast, "member_a", "me")).json()
    path = URL.sub(r"/feeds/\1.ics", created["url"])
    assert (await client.get(path)).status_code == 200
    revoked = await client.delete(f"/api/v1/feeds/{created['id']}", headers=cast.auth("member_a"))
    assert revoked.status_code == 204
    assert (await client.get(path)).status_code == 404
    again = await client.delete(f"/api/v1/feeds/{created['id']}", headers=cast.auth("member_a"))
    assert again.status_code == 404
    assert (await client.get("/api/v1/feeds", headers=cast.auth("member_a"))).json()["total"] == 0


async def test_rotation_gives_a_new_url_and_the_old_one_stops_answering(client, cast):
    created = (await create(client, cast, "manager", "hub", "hub")).json()
    old = URL.sub(r"/feeds/\1.ics", created["url"])
    rotated = await client.post(
        f"/api/v1/feeds/{created['id']}/rotate", headers=cast.auth("manager")
    )
    assert rotated.status_code == 200
    body = rotated.json()
    assert body["id"] == created["id"]
    assert body["scope"] == "hub"
    assert body["url"] != created["url"]
    new = URL.sub(r"/feeds/\1.ics", body["url"])
    assert (await client.get(old)).status_code == 404
    assert (await client.get(new)).status_code == 200


@pytest.mark.parametrize("role", ["member_b", "other_manager", "admin"])
async def test_someone_elses_feed_is_not_found_and_keeps_working(client, cast, role):
    created = (await create(client, cast, "manager", "hub", "hub")).json()
    path = URL.sub(r"/feeds/\1.ics", created["url"])
    feed_id = created["id"]
    assert (
        await client.delete(f"/api/v1/feeds/{feed_id}", headers=cast.auth(role))
    ).status_code == 404
    assert (
        await client.post(f"/api/v1/feeds/{feed_id}/rotate", headers=cast.auth(role))
    ).status_code == 404
    assert (await client.get(path)).status_code == 200
