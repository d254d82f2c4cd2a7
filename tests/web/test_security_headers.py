"""Browser-side protections: security headers on every answer, the origin check, no inline code."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from hub_booking.app import create_app
from hub_booking.web.headers import CONTENT_SECURITY_POLICY
from tests.conftest import NOW, Client, make_settings, serve_in_loop
from tests.factories import PASSWORD, make_user
from tests.web.test_accounts import csrf_of, log_in

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}
OURS = "http://testserver.local"  # the test client's own origin, made the app's base URL


@pytest.fixture
async def same_origin_client(database, database_url) -> AsyncIterator[Client]:
    """The app served at the base URL the test client uses, as in production."""
    app = create_app(make_settings(database_url, base_url=OURS), clock=lambda: NOW, engine=database)
    async with serve_in_loop(app) as client:
        yield client


def assert_secured(response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.request.url)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "strict-transport-security" not in response.headers  # http: no HSTS


def test_policy_allows_only_our_own_scripts_and_styles():
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
        "base-uri": "'none'",
        "object-src": "'none'",
    }


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/login", {"Accept": "text/html"}, 200),
        ("/healthz", {}, 200),
        ("/static/css/app.css", {}, 200),
        ("/static/js/htmx.min.js", {}, 200),
        ("/schema/openapi.json", {}, 200),
        ("/no-such-page", {"Accept": "text/html"}, 404),
        ("/api/v1/no-such-thing", {}, 404),
        ("/api/v1/hubs", {}, 401),
    ],
)
async def test_every_answer_carries_the_security_headers(client, database, path, headers, status):
    response = await client.get(path, headers=headers)
    assert response.status_code == status
    assert_secured(response)


async def test_api_answers_and_refusals_carry_the_headers(client, cast):
    assert_secured(await client.get("/api/v1/hubs", headers=cast.auth("member_a")))
    refused = await client.post("/api/v1/hubs", json={}, headers=cast.auth("member_a"))
    assert refused.status_code in (403, 422)
    assert_secured(refused)
    assert_secured(await client.put("/login"))  # 405


async def test_hsts_only_when_served_over_https(database, database_url):
    settings = make_settings(database_url, base_url="https://hubs.example.ma")
    async with serve_in_loop(create_app(settings, clock=lambda: NOW, engine=database)) as client:
        response = await client.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_pages_hold_no_inline_code(client, cast):
    await make_user(NOW, "ada@example.org", password=PASSWORD, admin=True)
    pages = [await client.get("/login")]
    await log_in(client, "ada@example.org")
    for path in ("/hubs", "/hubs/fes", "/account/tokens", "/account/password", "/nope"):
        pages.append(await client.get(path, headers={"Accept": "text/html"}))
    for page in pages:
        html = page.text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), page.url  # inline <script>
        assert not re.search(r"\son[a-z]+\s*=", html), page.url  # onsubmit=, onclick=...
        assert not re.search(r"\sstyle\s*=|<style", html), page.url
        assert not re.search(r"hx-on|hx-vals|hx-vars", html), page.url
        assert '"allowEval": false' in html
        assert '"includeIndicatorStyles": false' in html


# ---- Origin check -----------------------------------------------------------------------


async def _login_form(client: Client) -> dict[str, str]:
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    page = await client.get("/login")
    return {"email": "ada@example.org", "password": PASSWORD, "_csrf_token": csrf_of(page.text)}


async def test_form_from_our_own_origin_is_accepted(same_origin_client):
    form = await _login_form(same_origin_client)
    response = await same_origin_client.post("/login", data=form, headers={"Origin": OURS})
    assert response.status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://testserver.local:8080"},
        {"Origin": "https://testserver.local"},
        {"Referer": "https://evil.example/page"},
    ],
)
async def test_form_from_another_origin_is_refused_even_with_a_valid_token(
    same_origin_client, headers
):
    form = await _login_form(same_origin_client)
    response = await same_origin_client.post("/login", data=form, headers=headers)
    assert response.status_code == 403
    assert "hb_session" not in response.cookies


async def test_referer_of_our_own_site_is_accepted(same_origin_client):
    form = await _login_form(same_origin_client)
    response = await same_origin_client.post(
        "/login", data=form, headers={"Referer": f"{OURS}/login?next=/hubs"}
    )
    assert response.status_code == 303


async def test_request_naming_no_origin_relies_on_the_csrf_token(same_origin_client):
    form = await _login_form(same_origin_client)
    assert (await same_origin_client.post("/login", data=form)).status_code == 303


async def test_session_api_call_from_another_origin_is_refused(same_origin_client):
    form = await _login_form(same_origin_client)
    await same_origin_client.post("/login", data=form)
    token = same_origin_client.cookies.get("hb_csrf")
    response = await same_origin_client.post(
        "/api/v1/tokens",
        json={"label": "x"},
        headers={"x-csrftoken": token, "Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert response.json()["status_code"] == 403
    mine = await same_origin_client.get("/api/v1/tokens")
    assert mine.json()["total"] == 0


async def test_bearer_requests_are_exempt_from_the_origin_check(same_origin_client, cast):
    response = await same_origin_client.post(
        "/api/v1/tokens",
        json={"label": "from a script"},
        headers={**cast.auth("member_a"), "Origin": "https://tool.example"},
    )
    assert response.status_code == 201
