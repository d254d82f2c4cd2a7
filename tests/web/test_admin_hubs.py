"""The platform admin's home and "Regions and hubs": who may open them, creating regions and
hubs, renaming a hub, and choosing its managers by email (audited)."""

from __future__ import annotations

from typing import Any

import pytest

from hub_booking.db.tables import AuditLog, Hub, HubManager, Region
from hub_booking.services import accounts
from tests.conftest import NOW
from tests.factories import ROLES, make_user
from tests.web.sessions import HTML, csrf_of

NOT_ADMINS = tuple(role for role in ROLES if role not in ("anonymous", "admin"))
HTMX_MANAGERS = {"HX-Request": "true", "HX-Target": "hub-managers"}


async def answer(
    client, cast, role: str, method: str, path: str, data: dict[str, Any] | None = None, **extra
):
    """The answer to ``role`` (a Bearer token; a visitor with a valid CSRF token)."""
    headers = {**HTML, **cast.auth(role), **extra.pop("headers", {})}
    if method == "POST" and role == "anonymous":
        data = {**(data or {}), "_csrf_token": csrf_of((await client.get("/login")).text)}
    return await client.request(
        method, path, data=data, headers=headers, follow_redirects=False, **extra
    )


async def check_matrix(client, cast, method: str, path: str, admin_status: int, data=None):
    """A visitor goes to the login page, everyone but an admin gets the 403 page."""
    for role in ROLES:
        response = await answer(client, cast, role, method, path, data)
        if role == "anonymous":
            assert response.status_code == 303, (path, role)
            assert response.headers["location"].startswith("/login?next=")
        elif role == "admin":
            assert response.status_code == admin_status, (path, role, response.text[:500])
        else:
            assert response.status_code == 403, (path, role, response.status_code)
            assert "<html" in response.text  # the error page, in the reader's language


async def audit_actions() -> list[str]:
    """What the audit trail records, but the cast's own API tokens."""
    rows = await AuditLog.select(AuditLog.action).order_by(AuditLog.id)
    return [row["action"] for row in rows if not row["action"].startswith("token.")]


@pytest.mark.parametrize(
    ("method", "path", "status", "data"),
    [
        ("GET", "/admin", 200, None),
        ("GET", "/admin/hubs", 200, None),
        ("GET", "/admin/hubs/fes", 200, None),
        ("POST", "/admin/regions", 303, {"slug": "oriental", "name_fr": "Oriental"}),
        (
            "POST",
            "/admin/hubs",
            303,
            {"slug": "oujda", "name_fr": "Pôle Oujda", "region": "fes-meknes", "timezone": "UTC"},
        ),
        ("POST", "/admin/hubs/fes/names", 303, {"name_fr": "Pôle de Fès"}),
        ("POST", "/admin/hubs/fes/managers", 303, {"email": "outsider@example.org"}),
    ],
)
async def test_only_a_platform_admin_opens_the_admin_pages(
    client, cast, method, path, status, data
):
    await check_matrix(client, cast, method, path, status, data)


async def test_only_a_platform_admin_removes_a_manager(client, cast):
    path = f"/admin/hubs/fes/managers/{cast.users['manager']}/remove"
    await check_matrix(client, cast, "POST", path, 303)
    assert not await HubManager.exists().where(HubManager.user == cast.users["manager"])


async def test_the_admin_link_is_shown_to_platform_admins_only(client, cast):
    for role in ("admin", "manager", "member_a"):
        html = (await client.get("/hubs", headers={**HTML, **cast.auth(role)})).text
        assert ('href="/admin"' in html) == (role == "admin"), role
    home = await client.get("/admin", headers={**HTML, **cast.auth("admin")})
    for link in ("/admin/hubs", "/admin/associations", "/admin/import"):
        assert f'href="{link}"' in home.text
    assert 'href="/admin" aria-current="page"' in home.text


async def test_the_overview_lists_regions_with_their_hubs(client, cast):
    html = (await client.get("/admin/hubs", headers={**HTML, **cast.auth("admin")})).text
    assert 'id="region-fes-meknes"' in html
    assert 'id="region-rabat-sale-kenitra"' in html
    assert 'href="/admin/hubs/fes"' in html
    assert 'href="/admin/hubs/rabat"' in html


async def test_an_admin_creates_a_region_then_a_hub_in_it(client, cast):
    admin = cast.auth("admin")
    created = await answer(
        client,
        cast,
        "admin",
        "POST",
        "/admin/regions",
        {"slug": "oriental", "name_fr": "L'Oriental", "name_ar": "الجهة الشرقية"},
    )
    assert created.status_code == 303
    region = await Region.select().where(Region.slug == "oriental").first()
    assert (region["name_fr"], region["name_ar"]) == ("L'Oriental", "الجهة الشرقية")
    page = await client.get("/admin/hubs", headers={**HTML, **admin})
    assert 'class="flash ok"' in page.text
    assert "oriental" in page.text

    hub = await answer(
        client,
        cast,
        "admin",
        "POST",
        "/admin/hubs",
        {
            "slug": "oujda",
            "name_fr": "Pôle Oujda",
            "name_ar": "قطب وجدة",
            "region": "oriental",
            "timezone": "Africa/Casablanca",
            "address": "Boulevard Mohammed V",
        },
    )
    assert hub.status_code == 303
    assert hub.headers["location"] == "/admin/hubs/oujda"
    row = await Hub.select(Hub.name_ar, Hub.region.slug, Hub.opening_hours).where(
        Hub.slug == "oujda"
    )
    assert row[0]["name_ar"] == "قطب وجدة"
    assert row[0]["region.slug"] == "oriental"
    assert await audit_actions() == ["region.created", "hub.created"]
    api = await client.get("/api/v1/hubs", headers=admin)  # the same hub as the API's
    assert "oujda" in [h["slug"] for h in api.json()["items"]]


@pytest.mark.parametrize(
    ("data", "field", "status"),
    [
        ({"slug": "Bad Slug!", "name_fr": "X"}, "region-slug", 422),
        ({"slug": "oriental"}, "region-name_fr", 422),
        ({"slug": "oriental", "name_fr": "x" * 201}, "region-name_fr", 422),
        ({"slug": "oriental", "name_ar": "a\x00b"}, "region-name_ar", 422),
        ({"slug": "fes-meknes", "name_fr": "Fès"}, "region-slug", 409),
    ],
)
async def test_a_refused_region_is_explained_beside_its_field(client, cast, data, field, status):
    before = await Region.count()
    response = await answer(client, cast, "admin", "POST", "/admin/regions", data)
    assert response.status_code == status
    assert f'href="#{field}"' in response.text  # the error summary links to the field
    assert f'id="{field}-error"' in response.text
    assert await Region.count() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"region": "atlantis"}, "hub-region"),  # pages choose among existing regions
        ({"region": ""}, "hub-region"),
        ({"timezone": "Mars/Olympus"}, "hub-timezone"),
        ({"slug": "fes"}, "hub-slug"),  # taken
        ({"name_fr": "", "name_ar": ""}, "hub-name_fr"),
        ({"address": "x" * 5000}, "hub-address"),
    ],
)
async def test_a_refused_hub_is_explained_and_nothing_is_created(client, cast, changes, field):
    data = {"slug": "oujda", "name_fr": "Pôle", "region": "fes-meknes", "timezone": "UTC"}
    response = await answer(client, cast, "admin", "POST", "/admin/hubs", {**data, **changes})
    assert response.status_code in (409, 422), response.text[:300]
    assert f'id="{field}-error"' in response.text
    assert await Hub.count() == 2
    assert not await Region.exists().where(Region.slug == "atlantis")


async def test_renaming_a_hub_goes_through_the_hubs_update(client, cast):
    response = await answer(
        client, cast, "admin", "POST", "/admin/hubs/fes/names", {"name_fr": "Pôle de Fès"}
    )
    assert response.status_code == 303
    row = await Hub.select(Hub.name_fr, Hub.name_ar).where(Hub.id == cast.hub).first()
    assert row == {"name_fr": "Pôle de Fès", "name_ar": ""}  # an empty name is no name
    assert await audit_actions() == ["hub.updated"]

    refused = await answer(
        client, cast, "admin", "POST", "/admin/hubs/fes/names", {"name_fr": "", "name_ar": ""}
    )
    assert refused.status_code == 422
    assert 'id="names-name_fr-error"' in refused.text
    unknown = await answer(client, cast, "admin", "POST", "/admin/hubs/nowhere/names", {})
    assert unknown.status_code == 404
    odd = await client.get("/admin/hubs/%E2%80%AE..", headers={**HTML, **cast.auth("admin")})
    assert odd.status_code == 404


async def test_an_admin_assigns_and_unassigns_a_manager_by_email(client, cast):
    outsider = cast.users["outsider"]
    added = await answer(
        client,
        cast,
        "admin",
        "POST",
        "/admin/hubs/fes/managers",
        {"email": " OUTSIDER@example.org "},
    )
    assert added.status_code == 303
    principal = await accounts.load_principal(outsider)
    assert principal is not None
    assert principal.managed_hubs == {cast.hub}
    page = await client.get("/admin/hubs/fes", headers={**HTML, **cast.auth("admin")})
    assert "outsider@example.org" in page.text
    assert "manager@example.org" in page.text

    again = await answer(
        client, cast, "admin", "POST", "/admin/hubs/fes/managers", {"email": "outsider@example.org"}
    )
    assert again.status_code == 303
    assert await HubManager.count().where(HubManager.user == outsider) == 1

    removed = await answer(
        client, cast, "admin", "POST", f"/admin/hubs/fes/managers/{outsider}/remove"
    )
    assert removed.status_code == 303
    principal = await accounts.load_principal(outsider)
    assert principal is not None
    assert principal.managed_hubs == frozenset()
    gone = await answer(
        client, cast, "admin", "POST", f"/admin/hubs/fes/managers/{outsider}/remove"
    )
    assert gone.status_code == 404
    assert await audit_actions() == ["hub.manager_added", "hub.manager_removed"]


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("nobody@example.org", "Personne n’a de compte"),
        ("not an email", "adresse"),
        ("x" * 300 + "@example.org", "adresse"),
        ("", "adresse"),
    ],
)
async def test_a_manager_must_have_an_account(client, cast, email, message):
    response = await answer(
        client, cast, "admin", "POST", "/admin/hubs/fes/managers", {"email": email}
    )
    assert response.status_code == 422
    assert 'id="manager-email-error"' in response.text
    assert await HubManager.count() == 2


async def test_htmx_swaps_the_managers_list_only(client, cast):
    user = await make_user(NOW, "new.manager@example.org")
    added = await answer(
        client,
        cast,
        "admin",
        "POST",
        "/admin/hubs/fes/managers",
        {"email": "new.manager@example.org"},
        headers=HTMX_MANAGERS,
    )
    assert added.status_code == 200
    assert added.text.lstrip().startswith('<section id="hub-managers"')
    assert "new.manager@example.org" in added.text
    assert "<header" not in added.text
    refused = await answer(
        client,
        cast,
        "admin",
        "POST",
        "/admin/hubs/fes/managers",
        {"email": "ghost@example.org"},
        headers=HTMX_MANAGERS,
    )
    assert refused.status_code == 422
    assert refused.text.lstrip().startswith('<section id="hub-managers"')
    assert 'aria-invalid="true"' in refused.text
    removed = await answer(
        client,
        cast,
        "admin",
        "POST",
        f"/admin/hubs/fes/managers/{user}/remove",
        headers=HTMX_MANAGERS,
    )
    assert removed.status_code == 200
    assert "new.manager@example.org" not in removed.text


async def test_arabic_admin_pages_speak_arabic(client, cast):
    headers = {**HTML, **cast.auth("admin"), "Cookie": "hb_lang=ar"}
    for path in ("/admin", "/admin/hubs", "/admin/hubs/fes"):
        html = (await client.get(path, headers=headers)).text
        assert '<html lang="ar" dir="rtl">' in html, path
        assert "Regions and hubs" not in html
