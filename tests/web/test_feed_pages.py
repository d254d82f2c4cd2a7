"""Calendar feeds on the pages: /account/feeds (list, create, rotate, revoke, with the URL and
its subscribe links shown once), the "Subscribe" part of other pages, and a booking's .ics
link. Who may do what, CSRF, and bad input that never gives a 500."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

import pytest

from hub_booking.db.tables import FeedToken
from hub_booking.i18n import translate
from hub_booking.services import feeds
from tests.conftest import NOW
from tests.factories import make_booking
from tests.web.sessions import HTML, csrf_of, sign_in

FEED_URL = re.compile(r'value="(http://127\.0\.0\.1:8000/feeds/([A-Za-z0-9_-]{43})\.ics)"')


def as_role(cast, role: str) -> dict[str, str]:
    return {**HTML, **cast.auth(role)}


async def create(client, cast, role: str, target: str, label: str = ""):
    return await client.post(
        "/account/feeds",
        data={"target": target, "label": label},
        headers=as_role(cast, role),
        follow_redirects=False,
    )


def issued(page: str) -> tuple[str, str]:
    """The feed URL and its token shown on a page."""
    found = FEED_URL.search(page)
    assert found, page
    return found.group(1), found.group(2)


async def stored(cast, role: str) -> int:
    return await FeedToken.count().where(
        (FeedToken.user == cast.users[role]) & FeedToken.revoked_at.is_null()
    )


# --- the page, and creating a feed -----------------------------------------------------------


async def test_the_page_asks_anonymous_readers_to_sign_in(client, cast):
    response = await client.get("/account/feeds", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account/feeds"
    refused = await client.post("/account/feeds", data={"target": "me"}, follow_redirects=False)
    assert refused.status_code in (303, 401, 403)
    assert await FeedToken.count() == 0


async def test_a_member_creates_a_feed_of_their_bookings_and_sees_its_url_once(client, cast):
    empty = await client.get("/account/feeds", headers=as_role(cast, "member_a"))
    assert empty.status_code == 200
    assert translate("fr", "You have no calendar feeds.") in empty.text
    response = await create(client, cast, "member_a", "me")
    assert response.status_code == 201
    url, token = issued(response.text)
    webcal = url.replace("http://", "webcal://", 1)
    assert f'href="{webcal}"' in response.text
    assert html.escape(feeds.subscription(url, "x").google) in response.text
    assert (await client.get(f"/feeds/{token}.ics")).status_code == 200
    again = await client.get("/account/feeds", headers=as_role(cast, "member_a"))
    assert token not in again.text
    assert f"/account/feeds/{(await FeedToken.select(FeedToken.id).first())['id']}/revoke" in (
        again.text
    )
    assert translate("fr", "My bookings") in again.text


async def test_the_form_offers_what_the_reader_may_follow(client, cast):
    member = (await client.get("/account/feeds", headers=as_role(cast, "member_a"))).text
    assert 'value="me"' in member
    assert f'value="association:{cast.association_a}"' in member
    assert f'value="association:{cast.association_b}"' not in member
    assert 'value="hub:' not in member
    manager = (await client.get("/account/feeds", headers=as_role(cast, "manager"))).text
    assert f'value="hub:{cast.hub}"' in manager
    assert f'value="resource:{cast.room}"' in manager
    assert f'value="hub:{cast.other_hub}"' not in manager
    assert f'value="resource:{cast.other_room}"' not in manager


CREATES = [
    ("member_a", "association:{association_a}", 201),
    ("member_a", "association:{association_b}", 404),
    ("member_a", "hub:{hub}", 404),  # a member cannot follow a hub (and its titles)
    ("member_a", "resource:{room}", 404),
    ("manager", "hub:{hub}", 201),
    ("manager", "resource:{room}", 201),
    ("manager", "hub:{other_hub}", 404),  # a manager of hub A, for hub B
    ("manager", "resource:{other_room}", 404),
    ("other_manager", "hub:{hub}", 404),
    ("admin", "hub:{other_hub}", 201),
    ("admin", "hub:999999", 404),
    ("outsider", "association:{association_a}", 404),
]


@pytest.mark.parametrize(("role", "target", "status"), CREATES)
async def test_who_may_create_which_feed_from_the_page(client, cast, role, target, status):
    ids = {k: getattr(cast, k) for k in ("hub", "other_hub", "room", "other_room")}
    ids |= {"association_a": cast.association_a, "association_b": cast.association_b}
    response = await create(client, cast, role, target.format(**ids))
    assert response.status_code == status, response.text
    assert await stored(cast, role) == (1 if status == 201 else 0)
    if status == 404:
        assert "<h1>404</h1>" in response.text
        assert "/feeds/" not in response.text.replace("/account/feeds", "")


async def test_a_label_names_the_calendar_in_the_subscribe_links(client, cast):
    response = await create(client, cast, "manager", f"hub:{cast.hub}", label="Pôle & salles")
    assert response.status_code == 201
    url, _ = issued(response.text)
    expected = feeds.subscription(url, "Pôle & salles")
    assert html.escape(expected.outlook) in response.text
    assert html.escape(expected.office) in response.text
    assert "Pôle &amp; salles" in response.text


# --- the links' exact forms ------------------------------------------------------------------


def test_subscribe_links_have_their_exact_forms():
    url = "https://booking.example.org/feeds/abc_DEF-123.ics"
    found = feeds.subscription(url, "Pôle de Fès & co")
    assert found.https == url
    assert found.webcal == "webcal://booking.example.org/feeds/abc_DEF-123.ics"
    assert found.google == (
        "https://calendar.google.com/calendar/r?cid="
        "webcal%3A%2F%2Fbooking.example.org%2Ffeeds%2Fabc_DEF-123.ics"
    )
    encoded_url = "https%3A%2F%2Fbooking.example.org%2Ffeeds%2Fabc_DEF-123.ics"
    name = "P%C3%B4le%20de%20F%C3%A8s%20%26%20co"
    assert found.outlook == (
        f"https://outlook.live.com/calendar/0/addfromweb?url={encoded_url}&name={name}"
    )
    assert found.office == (
        f"https://outlook.office.com/calendar/0/addfromweb?url={encoded_url}&name={name}"
    )
    assert quote("قطب", safe="") in feeds.subscription(url, "قطب").outlook


def test_a_plain_http_address_subscribes_as_webcal_too():
    found = feeds.subscription("http://127.0.0.1:8000/feeds/t.ics", "x")
    assert found.webcal == "webcal://127.0.0.1:8000/feeds/t.ics"


# --- rotating and revoking -------------------------------------------------------------------


async def _feed_of(client, cast, role: str, target: str = "me") -> tuple[int, str]:
    response = await create(client, cast, role, target)
    assert response.status_code == 201
    _, token = issued(response.text)
    row = await FeedToken.select(FeedToken.id).where(FeedToken.user == cast.users[role]).first()
    return row["id"], token


@pytest.mark.parametrize("action", ["rotate", "revoke"])
async def test_rotating_and_revoking_ask_for_a_confirmation_first(client, cast, action):
    feed_id, token = await _feed_of(client, cast, "member_a")
    page = await client.get(f"/account/feeds/{feed_id}/{action}", headers=as_role(cast, "member_a"))
    assert page.status_code == 200
    assert f'action="/account/feeds/{feed_id}/{action}"' in page.text
    assert 'href="/account/feeds"' in page.text
    assert (await client.get(f"/feeds/{token}.ics")).status_code == 200  # nothing changed


async def test_rotating_shows_the_new_url_once_and_the_old_one_stops(client, cast):
    feed_id, old = await _feed_of(client, cast, "manager", f"hub:{cast.hub}")
    response = await client.post(
        f"/account/feeds/{feed_id}/rotate", headers=as_role(cast, "manager")
    )
    assert response.status_code == 200
    _, new = issued(response.text)
    assert new != old
    assert (await client.get(f"/feeds/{old}.ics")).status_code == 404
    assert (await client.get(f"/feeds/{new}.ics")).status_code == 200
    assert await stored(cast, "manager") == 1


async def test_revoking_redirects_with_a_message_and_the_url_stops(client, cast):
    feed_id, token = await _feed_of(client, cast, "member_a")
    response = await client.post(
        f"/account/feeds/{feed_id}/revoke",
        headers=as_role(cast, "member_a"),
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account/feeds"
    page = await client.get("/account/feeds", headers=as_role(cast, "member_a"))
    assert translate("fr", "The calendar feed was revoked.") in page.text
    assert (await client.get(f"/feeds/{token}.ics")).status_code == 404
    assert await stored(cast, "member_a") == 0


@pytest.mark.parametrize("role", ["member_b", "manager", "admin"])
@pytest.mark.parametrize("action", ["rotate", "revoke"])
async def test_someone_elses_feed_is_not_found_and_keeps_working(client, cast, role, action):
    feed_id, token = await _feed_of(client, cast, "member_a")
    path = f"/account/feeds/{feed_id}/{action}"
    assert (await client.get(path, headers=as_role(cast, role))).status_code == 404
    response = await client.post(path, headers=as_role(cast, role), follow_redirects=False)
    assert response.status_code == 404
    assert "/feeds/" not in response.text.replace("/account/feeds", "")
    assert (await client.get(f"/feeds/{token}.ics")).status_code == 200
    assert await stored(cast, "member_a") == 1


@pytest.mark.parametrize(
    "path",
    [
        "/account/feeds/0/revoke",
        "/account/feeds/2147483648/rotate",
        "/account/feeds/99999999999999999999/revoke",
        "/account/feeds/-1/rotate",
        "/account/feeds/1/other",
    ],
)
async def test_odd_feed_addresses_are_not_found(client, cast, path):
    for method in ("GET", "POST"):
        response = await client.request(method, path, headers=as_role(cast, "member_a"))
        assert response.status_code in (404, 405), (method, response.status_code)


# --- CSRF and bad input ----------------------------------------------------------------------


async def test_session_forms_need_the_csrf_token(client, cast):
    await sign_in(client, cast, "member_a")
    page = await client.get("/account/feeds")
    refused = await client.post("/account/feeds", data={"target": "me"})
    assert refused.status_code == 403
    assert await FeedToken.count() == 0
    token = csrf_of(page.text)
    created = await client.post("/account/feeds", data={"target": "me", "_csrf_token": token})
    assert created.status_code == 201
    feed_id = (await FeedToken.select(FeedToken.id).first())["id"]
    for action in ("rotate", "revoke"):
        path = f"/account/feeds/{feed_id}/{action}"
        assert (await client.post(path)).status_code == 403
        confirm = await client.get(path)
        assert 'name="_csrf_token"' in confirm.text
    assert await stored(cast, "member_a") == 1
    done = await client.post(
        f"/account/feeds/{feed_id}/revoke",
        data={"_csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert await stored(cast, "member_a") == 0


@pytest.mark.parametrize(
    ("target", "label", "field"),
    [
        ("", "", "target"),
        ("hub", "", "target"),
        ("hub:", "", "target"),
        ("hub:abc", "", "target"),
        ("hub:0", "", "target"),
        ("hub:2147483648", "", "target"),
        ("hub:99999999999999999999", "", "target"),
        ("resource:-1", "", "target"),
        ("room:1", "", "target"),
        ("me:1", "", "target"),
        ("x" * 5000, "", "target"),
        ("hub:1\x00", "", "target"),
        ("me", "x" * 101, "label"),
        ("me", "two\u202elines", "label"),
        ("me", "nul\x00byte", "label"),
    ],
)
async def test_bad_input_is_shown_beside_its_field_and_creates_nothing(
    client, cast, target, label, field
):
    response = await create(client, cast, "member_a", target, label)
    assert response.status_code == 422, response.text
    assert 'id="error-summary"' in response.text
    assert f'href="#{field}"' in response.text
    assert f'id="{field}-error"' in response.text
    assert await FeedToken.count() == 0


async def test_a_repeated_field_or_an_empty_body_is_not_a_500(client, cast):
    repeated = await client.post(
        "/account/feeds",
        content="target=me&target=hub:1",
        headers={**as_role(cast, "member_a"), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert repeated.status_code in (201, 422)
    empty = await client.post(
        "/account/feeds",
        content=b"",
        headers={**as_role(cast, "member_a"), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert empty.status_code == 422


# --- the other pages -------------------------------------------------------------------------


async def test_my_bookings_offers_a_feed_of_my_bookings(client, cast):
    page = (await client.get("/bookings", headers=as_role(cast, "member_a"))).text
    assert 'id="feed-links-me"' in page
    assert '<input type="hidden" name="target" value="me">' in page
    assert 'href="/account/feeds"' in page


@pytest.mark.parametrize(
    ("role", "target"),
    [("manager", "hub:{hub}"), ("admin", "hub:{hub}"), ("member_a", "me"), ("other_manager", "me")],
)
async def test_the_hub_calendar_offers_its_feed_to_those_who_may_follow_it(
    client, cast, role, target
):
    page = (await client.get("/hubs/fes", headers=as_role(cast, role))).text
    expected = target.format(hub=cast.hub)
    assert f'<input type="hidden" name="target" value="{expected}">' in page
    response = await create(client, cast, role, expected)
    assert response.status_code == 201


async def test_a_booking_page_links_to_its_calendar_file(client, cast):
    booking = await make_booking(NOW, cast, status="approved")
    page = (await client.get(f"/bookings/{booking}", headers=as_role(cast, "member_a"))).text
    assert f'href="/bookings/{booking}/calendar.ics"' in page
    download = await client.get(
        f"/bookings/{booking}/calendar.ics", headers=as_role(cast, "member_a")
    )
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/calendar")


async def test_the_footer_links_to_the_feeds_page(client, cast):
    page = (await client.get("/account/feeds", headers=as_role(cast, "member_a"))).text
    assert '<a href="/account/feeds">' in page


@pytest.mark.parametrize("language", ["ar", "en"])
async def test_the_page_speaks_the_readers_language(client, cast, language):
    headers = {**as_role(cast, "manager"), "Cookie": f"hb_lang={language}"}
    response = await client.post(
        "/account/feeds", data={"target": f"hub:{cast.hub}"}, headers=headers
    )
    assert response.status_code == 201
    assert translate(language, "Add to Google Calendar") in response.text
    assert f'lang="{language}"' in response.text


async def test_the_managers_calendar_offers_the_hubs_feed(client, cast):
    page = await client.get("/manage/hubs/fes/calendar", headers=as_role(cast, "manager"))
    assert page.status_code == 200
    assert f'<input type="hidden" name="target" value="hub:{cast.hub}">' in page.text
