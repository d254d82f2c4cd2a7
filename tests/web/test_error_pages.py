"""Error pages for browsers: a whole page in the reader's language for every status, never a 500."""

from __future__ import annotations

import re

import pytest
from litestar import get

from hub_booking.app import create_app
from hub_booking.i18n import translate
from hub_booking.web.auth import platform_admin
from hub_booking.web.errors import GENERIC
from tests.conftest import NOW, serve_in_loop
from tests.factories import PASSWORD, make_user
from tests.web.test_accounts import csrf_of, log_in

HTML = {"Accept": "text/html,application/xhtml+xml"}
CSRF_MESSAGE = "The CSRF token is missing or wrong. Reload the page and try again."
ORIGIN_MESSAGE = "This form was sent from another site. Reload the page and try again."


@get("/test-only/admin-page", guards=[platform_admin], include_in_schema=False)
async def admin_only_page() -> str:
    return "secret"


def assert_error_page(response, status: int, language: str, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in response.text
    assert f"<h1>{status}</h1>" in response.text
    assert translate(language, message) in response.text
    # The page is a page like any other: its language switch can be used.
    assert csrf_of(response.text)


@pytest.mark.parametrize("language", ["fr", "ar"])
async def test_missing_page_is_a_translated_404_page(client, database, language):
    response = await client.get("/no/such/page", headers={**HTML, "Accept-Language": language})
    assert_error_page(response, 404, language, GENERIC[404])


@pytest.mark.parametrize("language", ["fr", "ar"])
async def test_wrong_method_is_a_translated_405_page(client, database, language):
    response = await client.put("/login", headers={**HTML, "Accept-Language": language})
    assert_error_page(response, 405, language, GENERIC[405])
    assert "GET" in response.headers["allow"]


@pytest.mark.parametrize("language", ["fr", "ar"])
async def test_forbidden_page_is_a_translated_403_page(database, settings, language):
    app = create_app(settings, clock=lambda: NOW, engine=database)  # its own: a route is added
    app.register(admin_only_page)
    await make_user(NOW, "member@example.org", password=PASSWORD, language=language)
    async with serve_in_loop(app) as client:
        await log_in(client, "member@example.org")
        response = await client.get("/test-only/admin-page", headers=HTML)
    assert_error_page(
        response, 403, language, "Only a platform administrator can do this."
    )  # in the account's own language
    assert 'href="/hubs"' in response.text  # the signed-in header


@pytest.mark.parametrize("language", ["fr", "ar"])
async def test_csrf_failure_is_a_translated_403_page(client, database, language):
    await client.get("/login")
    response = await client.post(
        "/login",
        data={"email": "ada@example.org", "password": PASSWORD},
        headers={**HTML, "Accept-Language": language},
    )
    assert_error_page(response, 403, language, CSRF_MESSAGE)


async def test_csrf_failure_page_lets_the_reader_go_on(client, database):
    """The refused form's page carries a token that works with the browser's cookie."""
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    await client.get("/login")
    refused = await client.post("/login", data={"email": "ada@example.org"}, headers=HTML)
    token = csrf_of(refused.text)
    form = {"email": "ada@example.org", "password": PASSWORD, "_csrf_token": token}
    assert (await client.post("/login", data=form)).status_code == 303


@pytest.mark.parametrize("language", ["fr", "ar"])
async def test_foreign_origin_is_a_translated_403_page(client, database, language):
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={"email": "a@example.org", "password": "x", "_csrf_token": csrf_of(page.text)},
        headers={**HTML, "Accept-Language": language, "Origin": "https://evil.example"},
    )
    assert_error_page(response, 403, language, ORIGIN_MESSAGE)


async def test_language_cookie_wins_over_accept_language_on_error_pages(client, database):
    client.cookies.set("hb_lang", "ar")
    response = await client.get("/nothing-here", headers={**HTML, "Accept-Language": "fr"})
    assert_error_page(response, 404, "ar", GENERIC[404])


async def test_api_errors_stay_json_even_for_a_browser(client, cast):
    response = await client.get(
        "/api/v1/bookings/999999", headers={**HTML, **cast.auth("member_a")}
    )
    assert response.status_code == 404
    assert response.json()["status_code"] == 404


async def test_unknown_api_path_is_json_in_the_asked_language(client, database):
    response = await client.get("/api/v1/nothing", headers={"Accept-Language": "ar"})
    assert response.status_code == 404
    assert response.json()["detail"] == translate("ar", GENERIC[404])


async def test_error_page_without_csrf_cookie_sets_one_that_works(client, database):
    response = await client.get("/missing", headers=HTML)
    token = csrf_of(response.text)
    assert re.fullmatch(r"[0-9a-f]{128}", token)
    assert client.cookies.get("hb_csrf") == token
