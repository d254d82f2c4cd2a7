"""Personal API tokens: listed, created and revoked by their owner only (API and page)."""

from __future__ import annotations

import re

from hub_booking.db.tables import ApiToken
from tests.conftest import NOW
from tests.factories import PASSWORD, make_user
from tests.web.test_accounts import csrf_of, log_in

TOKEN_FIELDS = {"id", "label", "created_at", "last_used_at"}


async def _token_ids(user_id: int) -> list[int]:
    rows = await ApiToken.select(ApiToken.id).where(
        (ApiToken.user == user_id) & ApiToken.revoked_at.is_null()
    )
    return [row["id"] for row in rows]


async def test_owner_lists_their_tokens_without_secrets(client, cast):
    response = await client.get("/api/v1/tokens", headers=cast.auth("member_a"))
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    (token,) = body["items"]
    assert set(token) == TOKEN_FIELDS
    assert token["label"] == "test"
    assert token["created_at"] == "2027-01-11T09:00:00+00:00"
    assert cast.tokens["member_a"] not in response.text
    assert token["id"] in await _token_ids(cast.users["member_a"])


async def test_anonymous_cannot_list_create_or_revoke(client, cast):
    (token_id,) = await _token_ids(cast.users["member_a"])
    assert (await client.get("/api/v1/tokens")).status_code == 401
    assert (await client.post("/api/v1/tokens", json={"label": "x"})).status_code == 401
    assert (await client.delete(f"/api/v1/tokens/{token_id}")).status_code == 401
    assert await _token_ids(cast.users["member_a"]) == [token_id]


async def test_created_token_is_shown_once_and_works(client, cast):
    created = await client.post(
        "/api/v1/tokens", json={"label": "calendar sync"}, headers=cast.auth("rep_a")
    )
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {*TOKEN_FIELDS, "token"}
    assert body["label"] == "calendar sync"
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["id"] == cast.users["rep_a"]
    listed = await client.get("/api/v1/tokens", headers=cast.auth("rep_a"))
    assert body["token"] not in listed.text
    assert {t["label"] for t in listed.json()["items"]} == {"test", "calendar sync"}


async def test_token_label_is_one_bounded_line(client, cast):
    for label in ("a" * 101, "line\nbreak", "rtl\u202eoverride"):
        response = await client.post(
            "/api/v1/tokens", json={"label": label}, headers=cast.auth("member_a")
        )
        assert response.status_code in (400, 422), label
    assert len(await _token_ids(cast.users["member_a"])) == 1


async def test_owner_revokes_a_token_and_it_stops_working(client, cast):
    created = await client.post("/api/v1/tokens", json={}, headers=cast.auth("member_a"))
    spare = created.json()
    response = await client.delete(f"/api/v1/tokens/{spare['id']}", headers=cast.auth("member_a"))
    assert response.status_code == 204
    revoked = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {spare['token']}"})
    assert revoked.status_code == 401
    again = await client.delete(f"/api/v1/tokens/{spare['id']}", headers=cast.auth("member_a"))
    assert again.status_code == 404


async def test_another_users_token_is_not_found_and_keeps_working(client, cast):
    (token_id,) = await _token_ids(cast.users["member_a"])
    for role in ("member_b", "manager", "admin"):
        response = await client.delete(f"/api/v1/tokens/{token_id}", headers=cast.auth(role))
        assert response.status_code == 404, role
    assert (await client.get("/api/v1/me", headers=cast.auth("member_a"))).status_code == 200
    others = await client.get("/api/v1/tokens", headers=cast.auth("admin"))
    assert token_id not in [t["id"] for t in others.json()["items"]]


async def test_unknown_or_out_of_range_token_id_is_refused_without_error(client, cast):
    for token_id in (999_999, 2**31, 2**63):
        response = await client.delete(f"/api/v1/tokens/{token_id}", headers=cast.auth("admin"))
        assert response.status_code in (400, 404, 422), token_id


async def test_session_user_manages_tokens_through_the_api_with_csrf(client, database):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    await log_in(client, "ada@example.org")
    refused = await client.post("/api/v1/tokens", json={"label": "x"})
    assert refused.status_code == 403  # no CSRF token
    csrf = {"x-csrftoken": client.cookies.get("hb_csrf")}
    created = await client.post("/api/v1/tokens", json={"label": "x"}, headers=csrf)
    assert created.status_code == 201
    token_id = created.json()["id"]
    assert (await client.delete(f"/api/v1/tokens/{token_id}", headers=csrf)).status_code == 204


# ---- The page ---------------------------------------------------------------------------


async def test_tokens_page_needs_a_signed_in_user(client, database):
    response = await client.get("/account/tokens", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account/tokens"


async def test_tokens_page_creates_shows_once_and_revokes_without_javascript(client, database):
    user_id = await make_user(NOW, "ada@example.org", password=PASSWORD)
    await log_in(client, "ada@example.org")
    page = await client.get("/account/tokens")
    assert page.status_code == 200
    assert 'id="token-list"' not in page.text
    created = await client.post(
        "/account/tokens", data={"label": "sync", "_csrf_token": csrf_of(page.text)}
    )
    assert created.status_code == 201
    secret = re.search(r'<code class="secret" dir="ltr">(hb_[^<]+)</code>', created.text).group(1)
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["id"] == user_id
    listing = await client.get("/account/tokens")
    assert "sync" in listing.text
    assert secret not in listing.text
    (token_id,) = await _token_ids(user_id)
    form = re.search(rf'action="/account/tokens/{token_id}/revoke">\s*(<input[^>]+>)', listing.text)
    assert "_csrf_token" in form.group(1)
    revoked = await client.post(
        f"/account/tokens/{token_id}/revoke",
        data={"_csrf_token": csrf_of(listing.text)},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    assert await _token_ids(user_id) == []
    assert 'id="token-revoked"' in (await client.get(revoked.headers["location"])).text


async def test_tokens_page_cannot_revoke_someone_elses_token(client, cast):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    await log_in(client, "ada@example.org")
    (token_id,) = await _token_ids(cast.users["member_a"])
    page = await client.get("/account/tokens")
    response = await client.post(
        f"/account/tokens/{token_id}/revoke",
        data={"_csrf_token": csrf_of(page.text)},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 404
    assert await _token_ids(cast.users["member_a"]) == [token_id]


async def test_tokens_page_shows_a_wrong_label_next_to_its_field(client, database):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    await log_in(client, "ada@example.org")
    page = await client.get("/account/tokens")
    response = await client.post(
        "/account/tokens", data={"label": "x" * 101, "_csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 422
    assert 'href="#label"' in response.text  # the error summary links to the field
    assert 'id="label-error"' in response.text
    assert 'aria-invalid="true"' in response.text
