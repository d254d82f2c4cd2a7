"""Members of associations: who may attach whom, what the answer reveals, and the last
representative."""

from __future__ import annotations

import pytest

from hub_booking.db.tables import AppUser, AuditLog, Membership, Notification
from tests.conftest import NOW
from tests.factories import make_user


def members_url(cast, user_id: int | None = None) -> str:
    url = f"/api/v1/associations/{cast.association_a}/members"
    return url if user_id is None else f"{url}/{user_id}"


async def role_in_a(cast, user_id: int) -> str | None:
    row = (
        await Membership.select(Membership.role)
        .where((Membership.user == user_id) & (Membership.association == cast.association_a))
        .first()
    )
    return row["role"] if row else None


async def test_a_representative_cannot_attach_an_existing_account(client, cast):
    body = {"email": "outsider@example.org", "role": "member"}
    response = await client.post(members_url(cast), json=body, headers=cast.auth("rep_a"))
    assert response.status_code == 202
    assert response.json()["status"] == "invited"
    assert "user_id" not in response.json()
    assert await role_in_a(cast, cast.users["outsider"]) is None


async def test_the_answer_does_not_tell_whether_an_email_has_an_account(client, cast):
    existing = await client.post(
        members_url(cast), json={"email": "outsider@example.org"}, headers=cast.auth("rep_a")
    )
    unknown = await client.post(
        members_url(cast), json={"email": "nobody@example.org"}, headers=cast.auth("rep_a")
    )
    assert existing.status_code == unknown.status_code == 202
    assert existing.headers.keys() == unknown.headers.keys()
    strip = lambda answer: {k: v for k, v in answer.json().items() if k != "email"}  # noqa: E731
    assert strip(existing) == strip(unknown)
    # Nothing was created for the unknown email either.
    assert not await AppUser.exists().where(AppUser.email == "nobody@example.org")


async def test_a_representatives_request_is_recorded_and_sent_to_the_admins_once(client, cast):
    body = {"email": "Nobody@Example.org", "role": "representative"}
    for _ in range(2):
        await client.post(members_url(cast), json=body, headers=cast.auth("rep_a"))
    messages = await Notification.select(Notification.user, Notification.payload).output(
        load_json=True
    )
    assert [(m["user"], m["payload"]["email"]) for m in messages] == [
        (cast.users["admin"], "nobody@example.org")
    ]
    audited = await AuditLog.count().where(AuditLog.action == "membership.requested")
    assert audited == 2


async def test_an_admin_attaches_an_existing_account(client, cast):
    body = {"email": "outsider@example.org", "role": "member"}
    response = await client.post(members_url(cast), json=body, headers=cast.auth("admin"))
    assert response.status_code == 201
    assert response.json()["user_id"] == cast.users["outsider"]
    assert await role_in_a(cast, cast.users["outsider"]) == "member"


async def test_an_admin_adding_a_new_email_makes_an_account_without_a_password(client, cast):
    body = {"email": "Samira@Example.org"}
    response = await client.post(members_url(cast), json=body, headers=cast.auth("admin"))
    assert response.status_code == 201
    user = await AppUser.select().where(AppUser.email == "samira@example.org").first()
    assert user["password_hash"] is None
    assert await role_in_a(cast, user["id"]) == "member"


async def test_a_representative_promotes_and_demotes_current_members(client, cast):
    member = {"email": "member.a@example.org", "role": "representative"}
    promoted = await client.post(members_url(cast), json=member, headers=cast.auth("rep_a"))
    assert promoted.status_code == 201
    assert await role_in_a(cast, cast.users["member_a"]) == "representative"
    demoted = await client.post(
        members_url(cast), json={**member, "role": "member"}, headers=cast.auth("rep_a")
    )
    assert demoted.status_code == 201
    assert await role_in_a(cast, cast.users["member_a"]) == "member"


async def test_the_last_representative_cannot_be_demoted(client, cast):
    body = {"email": "rep.a@example.org", "role": "member"}
    for role in ("rep_a", "admin"):
        response = await client.post(members_url(cast), json=body, headers=cast.auth(role))
        assert response.status_code == 409
        assert "dernier représentant" in response.json()["detail"]  # the users read French
    assert await role_in_a(cast, cast.users["rep_a"]) == "representative"


async def test_the_last_representative_cannot_be_removed(client, cast):
    for role in ("rep_a", "admin"):
        response = await client.delete(
            members_url(cast, cast.users["rep_a"]), headers=cast.auth(role)
        )
        assert response.status_code == 409
    assert await role_in_a(cast, cast.users["rep_a"]) == "representative"


async def test_a_representative_may_step_down_once_another_is_named(client, cast):
    second = await make_user(
        NOW, "rep2.a@example.org", member_of={cast.association_a: "representative"}
    )
    response = await client.delete(
        members_url(cast, cast.users["rep_a"]), headers=cast.auth("rep_a")
    )
    assert response.status_code == 204
    assert await role_in_a(cast, cast.users["rep_a"]) is None
    last = await client.delete(members_url(cast, second), headers=cast.auth("admin"))
    assert last.status_code == 409


async def test_a_representative_removes_a_member_and_it_is_audited(client, cast):
    response = await client.delete(
        members_url(cast, cast.users["member_a"]), headers=cast.auth("rep_a")
    )
    assert response.status_code == 204
    assert await role_in_a(cast, cast.users["member_a"]) is None
    assert await AuditLog.exists().where(AuditLog.action == "membership.removed")


async def test_removing_someone_who_is_not_a_member_is_404(client, cast):
    response = await client.delete(
        members_url(cast, cast.users["member_b"]), headers=cast.auth("rep_a")
    )
    assert response.status_code == 404
    assert await role_in_a(cast, cast.users["member_b"]) is None


async def test_members_cannot_remove_and_outsiders_cannot_see(client, cast):
    url = members_url(cast, cast.users["rep_a"])
    assert (await client.delete(url, headers=cast.auth("member_a"))).status_code == 403
    for role in ("member_b", "outsider", "manager"):
        assert (await client.delete(url, headers=cast.auth(role))).status_code == 404
    assert await role_in_a(cast, cast.users["rep_a"]) == "representative"


async def test_an_unknown_association_is_404_for_an_admin(client, cast):
    response = await client.post(
        "/api/v1/associations/424242/members",
        json={"email": "a@example.org"},
        headers=cast.auth("admin"),
    )
    assert response.status_code == 404
    assert not await AppUser.exists().where(AppUser.email == "a@example.org")


async def test_unknown_fields_and_bad_emails_are_422(client, cast):
    for body in (
        {"email": "a@example.org", "is_platform_admin": True},
        {"email": "a@\u0000.org"},
        {"email": "a" * 250 + "@example.org"},
        {"email": 12},
    ):
        response = await client.post(members_url(cast), json=body, headers=cast.auth("admin"))
        assert response.status_code == 422, body


async def links_and_mails_from(user_id: int) -> tuple[int, int]:
    """Links this person made that can still be used, and their mails still to send."""
    from hub_booking.db.invitations import mail_key
    from hub_booking.db.tables import Invitation

    rows = await Invitation.select(Invitation.id).where(
        (Invitation.created_by == user_id) & Invitation.revoked_at.is_null()
    )
    keys = [mail_key(row["id"]) for row in rows] or ["none"]
    mails = await Notification.count().where(Notification.idempotency_key.is_in(keys))
    return len(rows), mails


@pytest.mark.parametrize("how", ["steps down", "is removed"])
async def test_a_representatives_links_go_when_they_no_longer_represent(client, cast, how):
    await make_user(NOW, "rep2.a@example.org", member_of={cast.association_a: "representative"})
    invited = await client.post(
        members_url(cast), json={"email": "outsider@example.org"}, headers=cast.auth("rep_a")
    )
    assert invited.status_code == 202
    assert await links_and_mails_from(cast.users["rep_a"]) == (1, 1)
    if how == "steps down":
        body = {"email": "rep.a@example.org", "role": "member"}
        done = await client.post(members_url(cast), json=body, headers=cast.auth("rep_a"))
        assert done.status_code == 201
    else:
        done = await client.delete(
            members_url(cast, cast.users["rep_a"]), headers=cast.auth("admin")
        )
        assert done.status_code == 204
    assert await links_and_mails_from(cast.users["rep_a"]) == (0, 0)
