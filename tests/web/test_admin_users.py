"""Platform admin pages for users: search, roles, memberships (the last representative
kept), deactivation (sessions and API tokens stop at once), the last admin kept, who may
do what, and bad input never a 500."""

from __future__ import annotations

import asyncio

import pytest

from hub_booking.db import accounts as account_rows
from hub_booking.db.tables import ApiToken, AppUser, AuditLog, HubManager, Membership
from hub_booking.domain.errors import DomainError
from hub_booking.services import admin_users
from tests.conftest import NOW
from tests.factories import make_user
from tests.web.sessions import HTML, sign_in
from tests.web.test_accounts import log_in
from tests.web.test_invitations import post

ROLES = ("member_a", "rep_a", "manager", "other_manager", "outsider")


def routes(cast) -> list[tuple[str, str]]:
    user, hub, association = cast.users["member_a"], cast.hub, cast.association_a
    return [
        ("GET", "/admin/users"),
        ("GET", f"/admin/users/{user}"),
        ("POST", f"/admin/users/{user}/admin"),
        ("POST", f"/admin/users/{user}/active"),
        ("POST", f"/admin/users/{user}/hubs"),
        ("POST", f"/admin/users/{user}/hubs/{hub}/remove"),
        ("POST", f"/admin/users/{user}/memberships"),
        ("POST", f"/admin/users/{user}/memberships/{association}/remove"),
        ("POST", f"/admin/users/{user}/reset"),
    ]


async def call(client, method: str, url: str, data: dict | None = None):
    if method == "GET":
        return await client.get(url, headers=HTML, follow_redirects=False)
    return await post(client, url, data or {"admin": "yes", "active": "no", "hub_id": "1"})


@pytest.fixture
async def admin(client, cast):
    await sign_in(client, cast, "admin")
    return client


async def principal(user_id: int):
    return await account_rows.principal(user_id)


# Who may do what ----------------------------------------------------------------------------


async def test_anonymous_visitors_are_sent_to_sign_in(client, cast):
    await client.get("/login")
    for method, url in routes(cast):
        answer = await call(client, method, url)
        assert answer.status_code in (302, 303), url
        assert answer.headers["location"].startswith("/login"), url


@pytest.mark.parametrize("role", ROLES)
async def test_only_platform_admins_may_use_the_user_pages(client, cast, role):
    await sign_in(client, cast, role)
    audited = await AuditLog.count()
    for method, url in routes(cast):
        assert (await call(client, method, url)).status_code == 403, url
    member = await AppUser.select().where(AppUser.id == cast.users["member_a"]).first()
    assert member["is_active"]
    assert not member["is_platform_admin"]
    assert await AuditLog.count() == audited


async def test_an_admin_may_use_every_user_page(admin, cast):
    for method, url in routes(cast):
        if method == "GET":
            assert (await call(admin, method, url)).status_code == 200, url


# Search -------------------------------------------------------------------------------------


async def test_search_by_email_or_name_a_page_at_a_time(admin, cast):
    for n in range(30):
        await make_user(NOW, f"person{n:02d}@assoc.example.ma")
    await AppUser.update({AppUser.name: "Fatima Zahra"}).where(
        AppUser.email == "outsider@example.org"
    )
    first = await admin.get("/admin/users?q=person", headers=HTML)
    assert "30 users" in first.text or "30 utilisateurs" in first.text
    assert "person00@assoc.example.ma" in first.text
    assert "person29@assoc.example.ma" not in first.text
    second = await admin.get("/admin/users?q=PERSON&page=2", headers=HTML)
    assert "person29@assoc.example.ma" in second.text
    by_name = await admin.get("/admin/users?q=zahra", headers=HTML)
    assert "outsider@example.org" in by_name.text
    assert "person00" not in by_name.text


async def test_search_text_is_literal_and_any_query_is_answered(admin, cast):
    await make_user(NOW, "under_score@example.org")
    await make_user(NOW, "underXscore@example.org")
    found = await admin.get("/admin/users?q=under_", headers=HTML)
    assert "under_score@example.org" in found.text
    assert "underXscore@example.org" not in found.text
    for query in ("%", "\\", "'", "<script>", "\u202e", "x" * 5000, "%00"):
        assert (
            await admin.get("/admin/users", params={"q": query}, headers=HTML)
        ).status_code == 200
    for page in ("-1", "abc", "99999999999999999999", "0"):
        assert (await admin.get(f"/admin/users?page={page}", headers=HTML)).status_code == 200


async def test_the_search_answers_htmx_with_its_results_alone(admin, cast):
    part = await admin.get(
        "/admin/users?q=rep", headers={"HX-Request": "true", "HX-Target": "user-results"}
    )
    assert part.text.lstrip().startswith('<section id="user-results"')
    assert "rep.a@example.org" in part.text
    assert "member.b@example.org" not in part.text


# Roles --------------------------------------------------------------------------------------


async def test_an_admin_grants_and_takes_away_the_admin_role(admin, cast):
    user = cast.users["outsider"]
    answer = await post(admin, f"/admin/users/{user}/admin", {"admin": "yes"})
    assert answer.status_code == 303
    assert (await principal(user)).is_platform_admin
    await post(admin, f"/admin/users/{user}/admin", {"admin": "no"})
    assert not (await principal(user)).is_platform_admin
    actions = [r["action"] for r in await AuditLog.select(AuditLog.action)]
    assert actions.count("user.admin_granted") == actions.count("user.admin_revoked") == 1


async def test_hub_managers_are_assigned_through_the_hub_pages_own_service(admin, cast):
    user = cast.users["outsider"]
    added = await post(admin, f"/admin/users/{user}/hubs", {"hub_id": str(cast.other_hub)})
    assert added.status_code == 303
    assert (await principal(user)).managed_hubs == {cast.other_hub}
    page = await admin.get(f"/admin/users/{user}", headers=HTML)
    assert "Pôle Rabat" in page.text
    removed = await post(admin, f"/admin/users/{user}/hubs/{cast.other_hub}/remove")
    assert removed.status_code == 303
    assert not await HubManager.exists().where(HubManager.user == user)
    actions = {r["action"] for r in await AuditLog.select(AuditLog.action)}
    assert {"hub.manager_added", "hub.manager_removed"} <= actions


@pytest.mark.parametrize("hub_id", ["", "abc", "-1", "99999999999999999999", "2147483647"])
async def test_a_bad_hub_is_refused_next_to_its_field(admin, cast, hub_id):
    user = cast.users["outsider"]
    refused = await post(admin, f"/admin/users/{user}/hubs", {"hub_id": hub_id})
    assert refused.status_code == 422
    assert 'id="hub_id-error"' in refused.text
    assert not await HubManager.exists().where(HubManager.user == user)


async def test_removing_a_hub_the_user_does_not_manage_is_refused_on_the_page(admin, cast):
    refused = await post(admin, f"/admin/users/{cast.users['outsider']}/hubs/{cast.hub}/remove")
    assert refused.status_code == 404
    assert 'class="error-summary"' in refused.text


# Memberships --------------------------------------------------------------------------------


async def test_an_admin_adds_changes_and_removes_a_membership(admin, cast):
    user, association = cast.users["outsider"], cast.association_b
    body = {"association_id": str(association), "role": "member"}
    assert (await post(admin, f"/admin/users/{user}/memberships", body)).status_code == 303
    assert (await principal(user)).memberships == {association: "member"}
    body["role"] = "representative"
    assert (await post(admin, f"/admin/users/{user}/memberships", body)).status_code == 303
    assert (await principal(user)).memberships == {association: "representative"}
    url = f"/admin/users/{user}/memberships/{association}/remove"
    # Now the only representative of B: it cannot go.
    refused = await post(admin, url)
    assert refused.status_code == 409
    assert "last representative" in refused.text or "dernier représentant" in refused.text
    await post(
        admin,
        f"/admin/users/{cast.users['member_b']}/memberships",
        {"association_id": str(association), "role": "representative"},
    )
    assert (await post(admin, url)).status_code == 303
    assert not await Membership.exists().where(Membership.user == user)


async def test_the_last_representative_cannot_be_demoted(admin, cast):
    rep, association = cast.users["rep_a"], cast.association_a
    body = {"association_id": str(association), "role": "member"}
    refused = await post(admin, f"/admin/users/{rep}/memberships", body)
    assert refused.status_code == 409
    assert 'class="error-summary"' in refused.text
    assert (await principal(rep)).memberships == {association: "representative"}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"association_id": "", "role": "member"}, 422, "association_id"),
        ({"association_id": "abc", "role": "member"}, 422, "association_id"),
        ({"association_id": "2147483647", "role": "member"}, 422, "association_id"),
        ({"association_id": "99999999999999", "role": "member"}, 422, "association_id"),
        ({"association_id": "ASSOC", "role": "boss"}, 422, "association_id"),
    ],
)
async def test_bad_memberships_are_refused_next_to_their_field(admin, cast, body, status, field):
    user = cast.users["outsider"]
    if body["association_id"] == "ASSOC":
        body = {**body, "association_id": str(cast.association_a)}
        field = "role"
    refused = await post(admin, f"/admin/users/{user}/memberships", body)
    assert refused.status_code == status
    assert f'id="{field}-error"' in refused.text
    assert not await Membership.exists().where(Membership.user == user)


# Deactivation -------------------------------------------------------------------------------


async def test_a_deactivated_user_is_out_at_once_and_can_come_back(
    client, database, settings, cast
):
    from hub_booking.app import create_app
    from tests.conftest import serve_in_loop

    await sign_in(client, cast, "member_a")
    assert (await client.get("/bookings", headers=HTML)).status_code == 200
    async with serve_in_loop(create_app(settings, clock=lambda: NOW, engine=database)) as admin:
        await sign_in(admin, cast, "admin")
        answer = await post(
            admin, f"/admin/users/{cast.users['member_a']}/active", {"active": "no"}
        )
        assert answer.status_code == 303
        page = await admin.get(f"/admin/users/{cast.users['member_a']}", headers=HTML)
        assert "Réactiver" in page.text or "Reactivate" in page.text
        # The existing session and the API token stop working immediately.
        gone = await client.get("/bookings", headers=HTML, follow_redirects=False)
        assert gone.status_code in (302, 303)
        assert (await client.get("/api/v1/me", headers=cast.auth("member_a"))).status_code == 401
        client.cookies.clear()
        assert (await log_in(client, "member.a@example.org")).status_code == 401
        await post(admin, f"/admin/users/{cast.users['member_a']}/active", {"active": "yes"})
    assert (await log_in(client, "member.a@example.org")).status_code == 303
    # Its API tokens were revoked for good: a new one must be made.
    working = ApiToken.revoked_at.is_null() & (ApiToken.user == cast.users["member_a"])
    assert not await ApiToken.exists().where(working)
    actions = [r["action"] for r in await AuditLog.select(AuditLog.action)]
    assert "user.deactivated" in actions
    assert "user.activated" in actions


async def test_nobody_deactivates_themselves(admin, cast):
    await make_user(NOW, "boss2@example.org", admin=True)
    refused = await post(admin, f"/admin/users/{cast.users['admin']}/active", {"active": "no"})
    assert refused.status_code == 409
    assert (await principal(cast.users["admin"])) is not None


# The last platform admin --------------------------------------------------------------------


async def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(admin, cast):
    me = cast.users["admin"]
    for url, body in (
        (f"/admin/users/{me}/admin", {"admin": "no"}),
        (f"/admin/users/{me}/active", {"active": "no"}),
    ):
        refused = await post(admin, url, body)
        assert refused.status_code == 409
        assert "last active platform administrator" in refused.text or "dernier" in refused.text
    assert (await principal(me)).is_platform_admin


async def test_an_admin_demotes_another_but_not_themselves(admin, cast):
    other = await make_user(NOW, "boss2@example.org", admin=True)
    assert (await post(admin, f"/admin/users/{other}/admin", {"admin": "no"})).status_code == 303
    await AppUser.update({AppUser.is_platform_admin: True}).where(AppUser.id == other)
    me = cast.users["admin"]
    refused = await post(admin, f"/admin/users/{me}/admin", {"admin": "no"})
    assert refused.status_code == 409


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(cast):
    other = await make_user(NOW, "boss2@example.org", admin=True)
    me = cast.users["admin"]
    first, second = await principal(me), await principal(other)
    results = await asyncio.gather(
        admin_users.set_platform_admin(first, other, False, NOW),
        admin_users.set_platform_admin(second, me, False, NOW),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1, results
    assert [r for r in results if isinstance(r, BaseException)] == refused
    admins = await AppUser.count().where(AppUser.is_platform_admin.eq(True))
    assert admins == 1


async def test_an_inactive_admin_does_not_count_as_a_remaining_admin(admin, cast):
    other = await make_user(NOW, "boss2@example.org", admin=True)
    await AppUser.update({AppUser.is_active: False}).where(AppUser.id == other)
    refused = await post(admin, f"/admin/users/{cast.users['admin']}/admin", {"admin": "no"})
    assert refused.status_code == 409


# Bad input never gives a 500 ----------------------------------------------------------------


@pytest.mark.parametrize("user_id", ["0", "2147483648", "99999999999999999999", "-5", "abc"])
async def test_unknown_or_impossible_user_ids_are_not_found(admin, cast, user_id):
    for method, url in (
        ("GET", f"/admin/users/{user_id}"),
        ("POST", f"/admin/users/{user_id}/admin"),
        ("POST", f"/admin/users/{user_id}/reset"),
        ("POST", f"/admin/users/{user_id}/memberships/1/remove"),
    ):
        answer = await call(admin, method, url)
        assert answer.status_code in (400, 404), (url, answer.status_code)


async def test_a_user_that_does_not_exist_is_a_404_page(admin, cast):
    assert (await admin.get("/admin/users/2147483647", headers=HTML)).status_code == 404
    assert (
        await post(admin, "/admin/users/2147483647/active", {"active": "no"})
    ).status_code == 404


async def test_forms_with_odd_values_are_refused_and_change_nothing(admin, cast):
    user = cast.users["outsider"]
    for field in ("admin", "active"):
        for body in ({field: "maybe"}, {}, {field: "\x00"}, {field: "\u202e"}, {field: "y" * 999}):
            answer = await post(admin, f"/admin/users/{user}/{field}", body)
            assert answer.status_code == 422
            assert 'class="error-summary"' in answer.text
    found = await principal(user)
    assert found is not None
    assert not found.is_platform_admin
