"""Sign-in, sessions stored in the database, CSRF and login throttling."""

from __future__ import annotations

import re

from hub_booking.app import create_app
from hub_booking.services import accounts
from tests.conftest import NOW, serve_in_loop
from tests.factories import PASSWORD, make_user


def csrf_of(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


async def log_in(client, email: str, password: str = PASSWORD, **extra: str):
    page = await client.get("/login")
    form = {"email": email, "password": password, "_csrf_token": csrf_of(page.text), **extra}
    return await client.post("/login", data=form, follow_redirects=False)


async def test_login_opens_a_session_and_redirects_to_next(client, cast):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    response = await log_in(client, "ADA@example.org", next="/hubs/fes")
    assert response.status_code == 303
    assert response.headers["location"] == "/hubs/fes"
    me = await client.get("/api/v1/me")
    assert me.json()["email"] == "ada@example.org"


async def test_login_never_redirects_to_another_site(client, database):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    response = await log_in(client, "ada@example.org", next="//evil.example/phish")
    assert response.headers["location"] == "/hubs"


async def test_wrong_password_shows_the_form_again_with_an_error(client, database):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    response = await log_in(client, "ada@example.org", "wrong password", next="/hubs")
    assert response.status_code == 401
    assert 'id="login-error"' in response.text
    assert 'value="ada@example.org"' in response.text
    assert "hb_session" not in response.cookies


async def test_login_without_csrf_token_is_refused(client, database):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    await client.get("/login")
    response = await client.post("/login", data={"email": "ada@example.org", "password": PASSWORD})
    assert response.status_code == 403


async def test_session_request_without_csrf_token_is_refused_and_writes_nothing(client, cast):
    await make_user(NOW, "boss@example.org", password=PASSWORD, admin=True)
    await log_in(client, "boss@example.org")
    body = {
        "slug": "oujda",
        "name_fr": "Pôle Oujda",
        "timezone": "Africa/Casablanca",
        "region": "oriental",
    }
    refused = await client.post("/api/v1/hubs", json=body)
    assert refused.status_code == 403
    token = client.cookies.get("hb_csrf")
    accepted = await client.post("/api/v1/hubs", json=body, headers={"x-csrftoken": token})
    assert accepted.status_code == 201
    slugs = [hub["slug"] for hub in (await client.get("/api/v1/hubs")).json()["items"]]
    assert slugs.count("oujda") == 1


async def test_bearer_token_is_the_only_credential_when_sent(client, cast):
    await make_user(NOW, "boss@example.org", password=PASSWORD, admin=True)
    await log_in(client, "boss@example.org")  # the admin's session cookie rides along
    body = {
        "slug": "oujda",
        "name_fr": "Pôle Oujda",
        "timezone": "Africa/Casablanca",
        "region": "oriental",
    }
    response = await client.post("/api/v1/hubs", json=body, headers=cast.auth("member_a"))
    assert response.status_code == 403


async def test_invalid_or_revoked_token_is_401(client, cast):
    response = await client.get("/api/v1/hubs", headers={"Authorization": "Bearer hb_nope"})
    assert response.status_code == 401
    assert response.json()["status_code"] == 401


async def test_session_survives_a_restart_of_the_app(client, settings, database):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    await log_in(client, "ada@example.org")
    cookie = client.cookies.get("hb_session")
    restarted_app = create_app(settings, clock=lambda: NOW, engine=database)
    async with serve_in_loop(restarted_app) as restarted:
        restarted.cookies.set("hb_session", cookie)
        assert (await restarted.get("/api/v1/me")).status_code == 200


async def test_logout_ends_the_session_on_the_server(client, database):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    await log_in(client, "ada@example.org")
    cookie = client.cookies.get("hb_session")
    page = await client.get("/hubs")
    await client.post("/logout", data={"_csrf_token": csrf_of(page.text)})
    client.cookies.set("hb_session", cookie)  # a stolen copy of the old cookie
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_pages_redirect_anonymous_visitors_to_login(client, database):
    response = await client.get("/hubs/fes", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/hubs/fes"


async def test_account_is_throttled_after_five_failures_even_with_the_right_password(
    client, database
):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    for _ in range(5):
        assert (await log_in(client, "ada@example.org", "wrong")).status_code == 401
    response = await log_in(client, "ada@example.org")
    assert response.status_code == 429
    assert "hb_session" not in response.cookies


async def test_address_is_throttled_after_twenty_failures_across_accounts(client, database):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    for index in range(20):
        await log_in(client, f"guess{index}@example.org", "wrong")
    assert (await log_in(client, "ada@example.org")).status_code == 429


async def test_user_without_password_cannot_sign_in(client, database):
    await make_user(NOW, "invited@example.org")
    assert (await log_in(client, "invited@example.org", "")).status_code == 401


async def test_login_comes_back_to_the_filtered_page(client, database):
    response = await client.get("/hubs/fes?kind=equipment&min_capacity=2", follow_redirects=False)
    assert (
        response.headers["location"]
        == "/login?next=/hubs/fes%3Fkind%3Dequipment%26min_capacity%3D2"
    )
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    login = await log_in(client, "ada@example.org", next="/hubs/fes?kind=equipment&min_capacity=2")
    assert login.headers["location"] == "/hubs/fes?kind=equipment&min_capacity=2"


async def test_csrf_token_is_renewed_at_sign_in(client, database):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    page = await client.get("/login")
    before = client.cookies.get("hb_csrf")
    response = await log_in(client, "ada@example.org")
    after = response.cookies.get("hb_csrf")
    assert after
    assert after != before
    assert client.cookies.get("hb_csrf") == after
    # A token read before signing in (by a script on the login page, say) is now useless.
    stale = await client.post("/logout", data={"_csrf_token": csrf_of(page.text)})
    assert stale.status_code == 403
    assert (await client.get("/api/v1/me")).status_code == 200


async def _second_session(settings, database, email: str):
    other = serve_in_loop(create_app(settings, clock=lambda: NOW, engine=database))
    browser = await other.__aenter__()
    await log_in(browser, email)
    return other, browser


async def _change_password(client, current: str, new: str, **extra: str):
    page = await client.get("/account/password")
    form = {
        "current_password": current,
        "new_password": new,
        "_csrf_token": csrf_of(page.text),
        **extra,
    }
    return await client.post("/account/password", data=form, follow_redirects=False)


async def test_password_change_ends_the_other_sessions_and_keeps_this_one(
    client, settings, database
):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    other, laptop = await _second_session(settings, database, "ada@example.org")
    try:
        await log_in(client, "ada@example.org")
        token = await accounts.create_token("ada@example.org", "sync", NOW, settings.secret_key)
        response = await _change_password(client, PASSWORD, "a brand new passphrase")
        assert response.status_code == 303
        assert response.headers["location"] == "/account/password?changed=true"
        assert (await client.get("/api/v1/me")).status_code == 200
        assert (await laptop.get("/api/v1/me")).status_code == 401
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/api/v1/me", headers=bearer)).status_code == 200  # kept
        done = await client.get(response.headers["location"])
        assert 'id="password-changed"' in done.text
    finally:
        await other.__aexit__(None, None, None)
    assert (await log_in(client, "ada@example.org")).status_code == 401
    assert (await log_in(client, "ada@example.org", "a brand new passphrase")).status_code == 303


async def test_password_change_can_revoke_every_api_token(client, settings, database):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    token = await accounts.create_token("ada@example.org", "sync", NOW, settings.secret_key)
    await log_in(client, "ada@example.org")
    page = await client.get("/account/password")
    assert 'name="revoke_tokens"' in page.text
    response = await _change_password(
        client, PASSWORD, "a brand new passphrase", revoke_tokens="yes"
    )
    assert response.status_code == 303
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/me", headers=bearer)).status_code == 401


async def test_wrong_current_password_changes_nothing(client, database):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    await log_in(client, "ada@example.org")
    response = await _change_password(client, "not my password", "a brand new passphrase")
    assert response.status_code == 422
    assert 'href="#current_password"' in response.text
    assert 'id="current_password-error"' in response.text
    short = await _change_password(client, PASSWORD, "short")
    assert short.status_code == 422
    assert 'id="new_password-error"' in short.text
    assert (await client.get("/api/v1/me")).status_code == 200
    assert (await log_in(client, "ada@example.org")).status_code == 303


async def test_password_page_needs_a_signed_in_user(client, database):
    response = await client.get("/account/password", follow_redirects=False)
    assert response.headers["location"] == "/login?next=/account/password"


async def test_password_reset_from_the_command_line_ends_every_session(client, database):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    await log_in(client, "ada@example.org")
    await accounts.save_user("ada@example.org", "reset by the admin", NOW)
    assert (await client.get("/api/v1/me")).status_code == 401
