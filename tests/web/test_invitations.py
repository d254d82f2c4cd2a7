"""Invitations and password resets: a one-time link, kept only as a keyed hash, valid 7 days,
single use, revocable, mailed through the outbox in the invitee's language; the public page
that uses it (password rules, errors next to the field) and who may do what."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from hub_booking.app import create_app
from hub_booking.db.tables import (
    ApiToken,
    AppUser,
    AuditLog,
    HubManager,
    Invitation,
    Membership,
    Notification,
    UserSession,
)
from hub_booking.mail import SmtpMailer
from hub_booking.services.dispatch import Dispatcher
from tests.conftest import NOW, serve_in_loop
from tests.factories import PASSWORD, make_user
from tests.smtp import MailSink, parts
from tests.web.sessions import HTML, sign_in
from tests.web.test_accounts import log_in

LINK = re.compile(r'id="issued-url"[^>]*value="([^"]+)"')
SENDER = "hub-booking <no-reply@hub-booking.test>"
ROLES = ("member_a", "rep_a", "manager", "other_manager", "outsider")


def csrf(client) -> dict[str, str]:
    return {"x-csrftoken": client.cookies.get("hb_csrf", ""), **HTML}


async def post(client, url: str, data: dict | None = None):
    if "hb_csrf" not in client.cookies:
        await client.get("/login")
    return await client.post(url, data=data or {}, headers=csrf(client), follow_redirects=False)


async def invite(client, cast, **fields) -> str:
    """Invite as the admin (signed in); the one-time link shown on the answer."""
    body = {"email": "samira@example.org", "name": "Samira", **fields}
    response = await post(client, "/admin/invitations", body)
    assert response.status_code == 201, response.text
    return LINK.search(response.text).group(1)


def path_of(link: str) -> str:
    return link.removeprefix("http://127.0.0.1:8000")


async def accept(client, link: str, password: str = "a brand new password"):
    await client.get(path_of(link), headers=HTML)  # its CSRF cookie, as a browser would
    return await post(client, path_of(link), {"password": password})


@pytest.fixture
async def admin(client, cast):
    await sign_in(client, cast, "admin")
    return client


# Making a link ------------------------------------------------------------------------------


async def test_an_admin_invites_a_new_person_who_gets_an_account_without_password(admin, cast):
    link = await invite(
        admin, cast, language="ar", association_id=str(cast.association_a), role="representative"
    )
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 random bits, url-safe base64
    user = await AppUser.select().where(AppUser.email == "samira@example.org").first()
    assert user["password_hash"] is None
    assert (user["name"], user["language"]) == ("Samira", "ar")
    row = await Invitation.select().first()
    assert row["token_hash"] != token
    assert token not in row["token_hash"]
    assert len(row["token_hash"]) == 64
    assert row["expires_at"] == NOW + timedelta(days=7)
    assert (row["purpose"], row["association"], row["role"]) == (
        "invite",
        cast.association_a,
        "representative",
    )
    # Nothing is granted before the link is used.
    assert not await Membership.exists().where(Membership.user == user["id"])
    mail = await Notification.select().where(Notification.user == user["id"]).first()
    assert (mail["kind"], mail["idempotency_key"]) == ("invitation", f"invitation:{row['id']}")
    assert await AuditLog.exists().where(AuditLog.action == "invitation.created")


async def test_the_link_works_once_and_signs_the_person_in_with_what_it_grants(admin, cast):
    link = await invite(
        admin, cast, association_id=str(cast.association_a), hub_id=str(cast.hub), role="member"
    )
    admin.cookies.clear()
    page = await admin.get(path_of(link), headers=HTML)
    assert page.status_code == 200
    assert "samira@example.org" in page.text
    assert page.headers["cache-control"] == "no-store"
    done = await accept(admin, link)
    assert done.status_code == 303
    assert done.headers["location"] == "/hubs"
    me = await admin.get("/api/v1/me")
    assert me.json()["email"] == "samira@example.org"
    assert me.json()["managed_hub_ids"] == [cast.hub]
    assert me.json()["memberships"] == [{"association_id": cast.association_a, "role": "member"}]
    assert (await admin.get(path_of(link), headers=HTML)).status_code == 404
    assert (await post(admin, path_of(link), {"password": "another password"})).status_code == 404
    assert (await log_in(admin, "samira@example.org", "a brand new password")).status_code == 303
    # The mail that was still waiting is withdrawn, and no copy of the token is kept.
    assert not await Notification.exists().where(Notification.kind == "invitation")


async def test_the_link_expires_after_7_days(database, settings, cast):
    clock = [NOW]
    app = create_app(settings, clock=lambda: clock[0], engine=database)
    async with serve_in_loop(app) as client:
        await sign_in(client, cast, "admin")
        link = await invite(client, cast)
        client.cookies.clear()
        clock[0] = NOW + timedelta(days=7) - timedelta(seconds=1)
        assert (await client.get(path_of(link), headers=HTML)).status_code == 200
        clock[0] = NOW + timedelta(days=7)
        assert (await client.get(path_of(link), headers=HTML)).status_code == 404
        assert (await post(client, path_of(link), {"password": PASSWORD})).status_code == 404
        await sign_in(client, cast, "admin")
        listing = await client.get("/admin/invitations?state=expired", headers=HTML)
        assert "samira@example.org" in listing.text


async def test_a_revoked_link_answers_404_and_its_mail_is_withdrawn(admin, cast):
    link = await invite(admin, cast)
    invitation = (await Invitation.select(Invitation.id).first())["id"]
    revoked = await post(admin, f"/admin/invitations/{invitation}/revoke")
    assert revoked.status_code == 303
    assert (await admin.get(path_of(link), headers=HTML)).status_code == 404
    assert not await Notification.exists().where(Notification.kind == "invitation")
    again = await post(admin, f"/admin/invitations/{invitation}/revoke")
    assert again.status_code == 404
    listing = await admin.get("/admin/invitations?state=revoked", headers=HTML)
    assert f'id="invitation-{invitation}"' in listing.text


async def test_a_new_invitation_replaces_the_pending_one(admin, cast):
    first = await invite(admin, cast)
    second = await invite(admin, cast)
    assert (await admin.get(path_of(first), headers=HTML)).status_code == 404
    assert (await admin.get(path_of(second), headers=HTML)).status_code == 200


@pytest.mark.parametrize(
    ("password", "message"),
    [("short", "8"), ("x" * 1025, "1024"), ("", "8")],
)
async def test_password_rules_are_shown_next_to_the_field(admin, cast, password, message):
    link = await invite(admin, cast)
    admin.cookies.clear()
    refused = await accept(admin, link, password)
    assert refused.status_code == 422
    assert 'id="password-error"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert message in refused.text
    assert 'href="#password"' in refused.text  # the error summary links to the field
    user = await AppUser.select().where(AppUser.email == "samira@example.org").first()
    assert user["password_hash"] is None
    assert (await accept(admin, link)).status_code == 303  # the link still works


async def test_the_accept_page_speaks_french_and_arabic(admin, cast):
    link = await invite(admin, cast)
    admin.cookies.clear()
    admin.cookies.set("hb_lang", "ar")
    page = await admin.get(path_of(link), headers=HTML)
    assert 'dir="rtl"' in page.text
    refused = await accept(admin, link, "short")
    assert "8" in refused.text
    assert 'lang="ar"' in refused.text


async def test_the_accept_form_needs_its_csrf_token(admin, cast):
    link = await invite(admin, cast)
    admin.cookies.clear()
    await admin.get(path_of(link), headers=HTML)
    refused = await admin.post(path_of(link), data={"password": PASSWORD}, headers=HTML)
    assert refused.status_code == 403
    assert (await admin.get(path_of(link), headers=HTML)).status_code == 200


@pytest.mark.parametrize(
    "token", ["x", "a" * 43, "a" * 5000, "%00", "..%2F..%2Fetc", "é" * 10, "<script>"]
)
async def test_any_unknown_token_is_a_404_never_a_500(client, cast, token):
    assert (await client.get(f"/invitations/{token}", headers=HTML)).status_code == 404
    await client.get("/login")
    refused = await post(client, f"/invitations/{token}", {"password": PASSWORD})
    assert refused.status_code == 404


# Someone who already has a password ---------------------------------------------------------


async def test_a_person_with_a_password_is_invited_to_join_without_changing_it(admin, cast):
    outsider = cast.users["outsider"]
    await AppUser.update({AppUser.password_hash: "kept"}).where(AppUser.id == outsider)
    link = await invite(
        admin, cast, email="outsider@example.org", association_id=str(cast.association_a)
    )
    assert (await Invitation.select(Invitation.purpose).first())["purpose"] == "join"
    admin.cookies.clear()
    page = await admin.get(path_of(link), headers=HTML)
    assert 'name="password"' not in page.text
    done = await accept(admin, link, "")
    assert (done.status_code, done.headers["location"]) == (303, "/login")
    kept = await AppUser.select(AppUser.password_hash).where(AppUser.id == outsider).first()
    assert kept["password_hash"] == "kept"
    member = await Membership.select(Membership.role).where(Membership.user == outsider).first()
    assert member["role"] == "member"


async def test_inviting_someone_with_a_password_and_nothing_to_grant_is_refused(admin, cast):
    await make_user(NOW, "ada@example.org", password=PASSWORD)
    refused = await post(admin, "/admin/invitations", {"email": "ada@example.org"})
    assert refused.status_code == 422
    assert 'id="email-error"' in refused.text
    assert not await Invitation.exists()


# The invitation form refuses bad input, next to its fields -----------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not an email"}, "email"),
        ({"email": ""}, "email"),
        ({"name": "Evil\u202eName"}, "name"),
        ({"name": "x" * 250}, "name"),
        ({"language": "de"}, "language"),
        ({"association_id": "abc"}, "association_id"),
        ({"association_id": "99999999999999999999"}, "association_id"),
        ({"association_id": "2147483647"}, "association_id"),
        ({"role": "boss", "association_id": "1"}, "role"),
        ({"hub_id": "-1"}, "hub_id"),
    ],
)
async def test_the_invitation_form_refuses_bad_input_and_writes_nothing(admin, cast, fields, field):
    users = await AppUser.count()
    body = {"email": "samira@example.org", **fields}
    refused = await post(admin, "/admin/invitations", body)
    assert refused.status_code == 422
    assert f'id="{field}-error"' in refused.text
    assert f'href="#{field}"' in refused.text
    assert await AppUser.count() == users
    assert not await Invitation.exists()
    assert not await Notification.exists()


async def test_a_deactivated_account_cannot_be_invited_and_its_links_stop_working(admin, cast):
    link = await invite(admin, cast)
    user = (await AppUser.select(AppUser.id).where(AppUser.email == "samira@example.org"))[0]
    await AppUser.update({AppUser.is_active: False}).where(AppUser.id == user["id"])
    assert (await admin.get(path_of(link), headers=HTML)).status_code == 404
    refused = await post(admin, "/admin/invitations", {"email": "samira@example.org"})
    assert refused.status_code == 422


# Password resets ----------------------------------------------------------------------------


async def test_a_reset_ends_every_session_and_the_old_password_and_mails_a_link(
    client, database, settings, cast
):
    await sign_in(client, cast, "member_a")  # the member's browser
    member_cookies = dict(client.cookies)
    async with serve_in_loop(create_app(settings, clock=lambda: NOW, engine=database)) as admin:
        await sign_in(admin, cast, "admin")
        user = cast.users["member_a"]
        answer = await post(admin, f"/admin/users/{user}/reset", {"revoke_tokens": "yes"})
        assert answer.status_code == 201
        link = LINK.search(answer.text).group(1)
    assert not await UserSession.exists().where(UserSession.user == user)
    client.cookies.clear()
    client.cookies.update(member_cookies)
    assert (await client.get("/api/v1/me")).status_code == 401
    member_token = {"Authorization": f"Bearer {cast.tokens['member_a']}"}
    assert (await client.get("/api/v1/me", headers=member_token)).status_code == 401
    assert not await ApiToken.exists().where(
        (ApiToken.user == user) & ApiToken.revoked_at.is_null()
    )
    client.cookies.clear()
    assert (await log_in(client, "member.a@example.org")).status_code == 401
    mail = await Notification.select().where(Notification.kind == "password_reset").first()
    assert mail["user"] == user
    page = await client.get(path_of(link), headers=HTML)
    assert page.status_code == 200
    assert (await accept(client, link, "my new password")).status_code == 303
    client.cookies.clear()
    assert (await log_in(client, "member.a@example.org", "my new password")).status_code == 303


async def test_a_reset_keeps_the_api_tokens_unless_asked(admin, cast):
    user = cast.users["member_a"]
    assert (await post(admin, f"/admin/users/{user}/reset")).status_code == 201
    assert await ApiToken.exists().where((ApiToken.user == user) & ApiToken.revoked_at.is_null())


# Mail through a real SMTP server ------------------------------------------------------------


@pytest.fixture
async def sink() -> AsyncIterator[MailSink]:
    with MailSink() as server:
        yield server


async def test_the_invitation_is_mailed_in_the_invitees_language_with_its_link(admin, cast, sink):
    link = await invite(admin, cast, language="ar", association_id=str(cast.association_a))
    await Dispatcher(
        SmtpMailer(sink.url, SENDER, timeout=5), "https://hubs.example.ma", lambda: NOW
    ).run()
    (mail,) = sink.to("samira@example.org")
    html = parts(mail)["text/html"].get_content()
    text = parts(mail)["text/plain"].get_content()
    assert 'dir="rtl"' in html
    assert 'lang="ar"' in html
    token = link.rsplit("/", 1)[1]
    assert f"https://hubs.example.ma/invitations/{token}" in text
    assert "Association assoc-a" in text or "جمعية assoc-a" in text
    # Once sent, the outbox keeps no copy of the token; the link still works.
    row = await Notification.select(Notification.payload).output(load_json=True).first()
    assert "token" not in row["payload"]
    admin.cookies.clear()
    assert (await admin.get(path_of(link), headers=HTML)).status_code == 200


async def test_a_reset_is_mailed_in_french_by_default(admin, cast, sink):
    await AppUser.update({AppUser.language: ""}).where(AppUser.id == cast.users["member_a"])
    assert (await post(admin, f"/admin/users/{cast.users['member_a']}/reset")).status_code == 201
    await Dispatcher(
        SmtpMailer(sink.url, SENDER, timeout=5), "https://hubs.example.ma", lambda: NOW
    ).run()
    (mail,) = sink.to("member.a@example.org")
    assert mail["Content-Language"] == "fr"
    assert "/invitations/" in parts(mail)["text/plain"].get_content()


async def test_a_link_that_expired_before_its_mail_went_out_is_not_mailed(admin, cast, sink):
    await invite(admin, cast)
    later = NOW + timedelta(days=8)
    await Dispatcher(
        SmtpMailer(sink.url, SENDER, timeout=5), "https://x.example", lambda: later
    ).run()
    assert sink.count() == 0


# Who may do what ----------------------------------------------------------------------------


INVITATION_ROUTES = (
    ("GET", "/admin/invitations"),
    ("POST", "/admin/invitations"),
    ("POST", "/admin/invitations/1/revoke"),
)


@pytest.mark.parametrize(("method", "url"), INVITATION_ROUTES)
async def test_anonymous_visitors_are_sent_to_sign_in(client, cast, method, url):
    await client.get("/login")
    answer = await (
        client.get(url, headers=HTML, follow_redirects=False)
        if method == "GET"
        else post(client, url, {"email": "x@example.org"})
    )
    assert answer.status_code in (302, 303)
    assert answer.headers["location"].startswith("/login")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url"), INVITATION_ROUTES)
async def test_only_platform_admins_may_use_the_invitation_pages(client, cast, role, method, url):
    await sign_in(client, cast, role)
    answer = await (
        client.get(url, headers=HTML)
        if method == "GET"
        else post(client, url, {"email": "x@example.org"})
    )
    assert answer.status_code == 403
    assert not await Invitation.exists()


async def test_the_admin_sees_the_list_by_state_and_an_htmx_part_alone(admin, cast):
    await invite(admin, cast)
    whole = await admin.get("/admin/invitations", headers=HTML)
    assert whole.status_code == 200
    assert "<html" in whole.text
    part = await admin.get(
        "/admin/invitations?state=pending",
        headers={"HX-Request": "true", "HX-Target": "invitation-list"},
    )
    assert part.text.lstrip().startswith('<section id="invitation-list"')
    assert "samira@example.org" in part.text
    empty = await admin.get("/admin/invitations?state=used&page=99999999999", headers=HTML)
    assert empty.status_code == 200
    odd = await admin.get("/admin/invitations?state=<b>&page=-3", headers=HTML)
    assert odd.status_code == 200


async def test_a_hub_manager_of_the_invitation_is_not_granted_before_use(admin, cast):
    await invite(admin, cast, hub_id=str(cast.other_hub))
    user = await AppUser.select(AppUser.id).where(AppUser.email == "samira@example.org").first()
    assert not await HubManager.exists().where(HubManager.user == user["id"])


# A representative's invitation (issue 7: nobody is attached without accepting) ----------------


async def test_a_representative_invites_an_existing_account_which_joins_on_accepting(
    client, cast, sink
):
    outsider = cast.users["outsider"]
    await AppUser.update({AppUser.password_hash: "kept"}).where(AppUser.id == outsider)
    url = f"/api/v1/associations/{cast.association_a}/members"
    body = {"email": "Outsider@Example.org", "role": "member"}
    answer = await client.post(url, json=body, headers=cast.auth("rep_a"))
    assert answer.status_code == 202
    assert "invitations/" not in answer.text  # the link goes to the person alone
    assert not await Membership.exists().where(Membership.user == outsider)
    link = await Invitation.select().first()
    assert (link["purpose"], link["association"], link["created_by"]) == (
        "join",
        cast.association_a,
        cast.users["rep_a"],
    )
    mailer = SmtpMailer(sink.url, SENDER, timeout=5)
    await Dispatcher(mailer, "http://127.0.0.1:8000", lambda: NOW).run()
    (mail,) = sink.to("outsider@example.org")
    mailed = re.search(
        r"http://127\.0\.0\.1:8000/invitations/\S+", parts(mail)["text/plain"].get_content()
    )
    done = await accept(client, mailed.group(0), "")
    assert (done.status_code, done.headers["location"]) == (303, "/login")
    member = await Membership.select(Membership.role).where(Membership.user == outsider).first()
    assert member["role"] == "member"


async def test_a_representatives_invitation_does_not_withdraw_an_admins(client, cast):
    await sign_in(client, cast, "admin")
    admins = await invite(client, cast, email="outsider@example.org", hub_id=str(cast.hub))
    url = f"/api/v1/associations/{cast.association_a}/members"
    body = {"email": "outsider@example.org"}
    assert (await client.post(url, json=body, headers=cast.auth("rep_a"))).status_code == 202
    assert (await client.get(path_of(admins), headers=HTML)).status_code == 200
    assert await Invitation.count().where(Invitation.revoked_at.is_null()) == 2
