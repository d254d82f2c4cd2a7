"""What every page shares: the header, the language, flash messages, compression."""

from __future__ import annotations

from hub_booking.db.tables import AppUser
from hub_booking.services import accounts
from tests.conftest import NOW
from tests.factories import PASSWORD
from tests.web.sessions import HTML, csrf_of, sign_in
from tests.web.test_accounts import log_in


async def test_the_header_names_the_user_their_associations_and_the_main_pages(client, cast):
    html = (await client.get("/hubs", headers={**HTML, **cast.auth("member_a")})).text
    assert '<span class="user-name">member.a</span>' in html
    assert '<span class="user-associations">Association assoc-a</span>' in html
    for link in ("/hubs", "/bookings", "/find", "/account/password"):
        assert f'href="{link}"' in html
    assert 'href="/hubs" aria-current="page"' in html
    assert 'id="language-select"' in html  # a plain form: works without JavaScript


async def test_an_account_that_never_chose_follows_the_browser_until_it_chooses(client, database):
    await accounts.save_user("nadia@example.org", PASSWORD, NOW)  # as `create-user` does
    assert (await log_in(client, "nadia@example.org")).status_code == 303
    arabic = await client.get("/hubs", headers={**HTML, "Accept-Language": "ar-MA,ar;q=0.9"})
    assert '<html lang="ar" dir="rtl">' in arabic.text
    english = await client.get("/hubs", headers={**HTML, "Accept-Language": "en-GB"})
    assert '<html lang="en" dir="ltr">' in english.text

    switched = await client.post(
        "/language",
        data={"language": "fr", "next": "/hubs", "_csrf_token": csrf_of(english.text)},
        follow_redirects=False,
    )
    assert switched.status_code == 303
    stored = await AppUser.select(AppUser.language).where(AppUser.email == "nadia@example.org")
    assert stored == [{"language": "fr"}]
    client.cookies.delete("hb_lang")  # another browser: the account remembers the choice
    chosen = await client.get("/hubs", headers={**HTML, "Accept-Language": "ar"})
    assert '<html lang="fr" dir="ltr">' in chosen.text


async def test_arabic_pages_are_right_to_left_with_latin_digits(client, cast):
    await AppUser.update({AppUser.language: "ar"}).where(AppUser.id == cast.users["member_a"])
    html = (await client.get("/hubs/fes", headers={**HTML, **cast.auth("member_a")})).text
    assert '<html lang="ar" dir="rtl">' in html
    assert "11 يناير 2027" in html  # Moroccan Arabic writes its digits as 0-9
    assert not any("\u0660" <= ch <= "\u0669" for ch in html)


async def test_a_flash_message_is_signed_and_shown_once(client, cast):
    await sign_in(client, cast, "member_a")
    client.cookies.set("hb_flash", "eyJtIjoiSGFja2VkISJ9.0000", domain="testserver.local")
    html = (await client.get("/bookings")).text
    assert "Hacked!" not in html  # a forged cookie is dropped
    assert "hb_flash" not in client.cookies


async def test_pages_are_compressed_when_the_browser_accepts_it(client, cast):
    response = await client.get(
        "/hubs/fes", headers={**HTML, **cast.auth("member_a"), "Accept-Encoding": "gzip"}
    )
    assert response.headers.get("content-encoding") == "gzip"
    assert "<html" in response.text  # httpx inflated it
