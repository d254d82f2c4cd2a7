"""In-app notifications, the header's unread counter, notification settings and the
platform admin's failed mails: who may see and do what, in the reader's language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from hub_booking.db import outbox
from hub_booking.db.tables import AppUser, Notification
from tests.conftest import NOW
from tests.factories import ROLES, make_booking
from tests.web.sessions import HTML, csrf_of, sign_in

ALL_SIGNED_IN = {role: 200 for role in ROLES} | {"anonymous": 303}
ADMIN_ONLY = {role: 403 for role in ROLES} | {"anonymous": 303, "admin": 200}


def as_role(cast, role: str, **extra: str) -> dict[str, str]:
    return {**HTML, **cast.auth(role), **extra}


async def news(cast, role: str, kind: str, booking: int, n: int, **fields) -> int:
    """A due message for ``role`` about ``booking``, ``n`` minutes before NOW."""
    at = NOW - timedelta(minutes=n)
    key = f"{kind}:{booking}:{n}:{role}"
    await outbox.enqueue(
        cast.users[role], kind, {"booking_id": booking}, key, at, booking_id=booking
    )
    row = (
        await Notification.select(Notification.id)
        .where(Notification.idempotency_key == key)
        .first()
    )
    if fields:
        await Notification.update(fields).where(Notification.id == row["id"])
    return row["id"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/notifications", ALL_SIGNED_IN),
        ("/notifications/unread", ALL_SIGNED_IN),
        ("/account/notifications", ALL_SIGNED_IN),
        ("/admin/notifications", ADMIN_ONLY),
    ],
)
async def test_each_page_answers_each_role(client, cast, path, expected):
    for role in ROLES:
        response = await client.get(path, headers=as_role(cast, role), follow_redirects=False)
        assert response.status_code == expected[role], (role, response.text[:200])


async def test_the_list_is_the_readers_own_newest_first_in_their_language(client, cast):
    booking = await make_booking(NOW, cast, status="approved", title="Assemblée générale")
    await news(cast, "member_a", "approved", booking, 30)
    await news(cast, "member_a", "cancelled", booking, 5)
    await news(cast, "rep_a", "rejected", booking, 1)  # someone else's
    await outbox.enqueue(  # a reminder not yet due: not news yet
        cast.users["member_a"], "reminder", {"booking_id": booking, "minutes": 60}, "later",
        NOW, send_after=NOW + timedelta(hours=1), booking_id=booking,
    )  # fmt: skip
    page = await client.get("/notifications", headers=as_role(cast, "member_a"))
    text = page.text
    assert "Réservation annulée : Assemblée générale" in text
    assert text.index("Réservation annulée") < text.index("Réservation approuvée")
    assert "rejet" not in text.lower()
    assert "Rappel" not in text
    assert f'href="/bookings/{booking}"' in text
    await AppUser.update({AppUser.language: "ar"}).where(AppUser.id == cast.users["member_a"])
    arabic = await client.get("/notifications", headers=as_role(cast, "member_a"))
    assert 'dir="rtl"' in arabic.text
    assert "Réservation annulée" not in arabic.text


async def test_the_header_counts_the_unread_and_the_counter_polls(client, cast):
    booking = await make_booking(NOW, cast, status="approved")
    for n in (1, 2, 3):
        await news(cast, "member_a", "approved", booking, n)
    await news(cast, "member_a", "cancelled", booking, 4, read_at=NOW)
    page = await client.get("/hubs", headers=as_role(cast, "member_a"))
    assert 'id="unread-count"' in page.text
    assert 'hx-trigger="every 60s' in page.text
    assert re.search(r'<span class="badge unread">3 [^<]+</span>', page.text)
    counter = await client.get(
        "/notifications/unread",
        headers=as_role(cast, "member_a", **{"HX-Request": "true", "HX-Target": "unread-count"}),
    )
    assert counter.text.strip().startswith('<span id="unread-count"')
    assert "<header" not in counter.text
    assert "3" in counter.text


async def test_marking_one_read_and_then_all(client, cast):
    booking = await make_booking(NOW, cast, status="approved")
    first = await news(cast, "member_a", "approved", booking, 2)
    await news(cast, "member_a", "cancelled", booking, 1)
    answer = await client.post(
        f"/notifications/{first}/read", headers=as_role(cast, "member_a"), follow_redirects=False
    )
    assert answer.status_code == 303
    unread = await Notification.count().where(Notification.read_at.is_null())
    assert unread == 1
    fragment = await client.post(
        "/notifications/read",
        headers=as_role(
            cast, "member_a", **{"HX-Request": "true", "HX-Target": "notification-list"}
        ),
    )
    assert fragment.status_code == 200
    assert fragment.headers["HX-Trigger"] == "notifications-read"
    assert fragment.text.strip().startswith('<section id="notification-list"')
    assert await Notification.count().where(Notification.read_at.is_null()) == 0


async def test_someone_elses_notification_cannot_be_marked(client, cast):
    booking = await make_booking(NOW, cast, status="approved")
    theirs = await news(cast, "rep_a", "approved", booking, 2)
    answer = await client.post(
        f"/notifications/{theirs}/read", headers=as_role(cast, "member_a"), follow_redirects=False
    )
    assert answer.status_code == 404
    assert await Notification.count().where(Notification.read_at.is_null()) == 1


async def test_marking_read_needs_the_csrf_token(client, cast):
    booking = await make_booking(NOW, cast, status="approved")
    mine = await news(cast, "member_a", "approved", booking, 2)
    await sign_in(client, cast, "member_a")
    refused = await client.post(f"/notifications/{mine}/read", headers=HTML)
    assert refused.status_code == 403
    page = await client.get("/notifications", headers=HTML)
    answer = await client.post(
        f"/notifications/{mine}/read",
        data={"_csrf_token": csrf_of(page.text)},
        headers=HTML,
        follow_redirects=False,
    )
    assert answer.status_code == 303


async def test_settings_are_saved_and_refused_with_errors_beside_the_fields(client, cast):
    headers = as_role(cast, "member_a")
    page = await client.get("/account/notifications", headers=headers)
    assert 'value="1440" checked' in page.text
    saved = await client.post(
        "/account/notifications",
        data={"reminders": ["180", "2880"], "mails": ["decisions", "reminders"], "language": "ar"},
        headers=headers,
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "hb_lang=ar" in saved.headers.get("set-cookie", "")
    again = await client.get("/account/notifications", headers=headers)
    assert 'value="180" checked' in again.text
    assert 'value="1440" checked' not in again.text
    assert 'value="requests" checked' not in again.text
    refused = await client.post(
        "/account/notifications",
        data={"reminders": ["7"], "mails": ["spam"], "language": "fr"},
        headers=headers,
    )
    assert refused.status_code == 422
    assert 'id="error-summary"' in refused.text
    assert 'href="#reminders"' in refused.text
    assert 'id="reminders-error"' in refused.text
    assert 'id="mails-error"' in refused.text


async def test_the_admin_sees_failed_mails_and_sends_them_again(client, cast):
    booking = await make_booking(NOW, cast, status="approved")
    failed = [
        await news(
            cast,
            role,
            "approved",
            booking,
            5,
            failed_at=NOW,
            attempts=8,
            last_error="550 no such user",
        )
        for role in ("member_a", "rep_a")
    ]
    page = await client.get("/admin/notifications", headers=as_role(cast, "admin"))
    assert "550 no such user" in page.text
    assert "rep.a@example.org" in page.text
    refused = await client.post(
        f"/admin/notifications/{failed[0]}/retry", headers=as_role(cast, "member_a")
    )
    assert refused.status_code == 403
    one = await client.post(
        f"/admin/notifications/{failed[0]}/retry",
        headers=as_role(cast, "admin"),
        follow_redirects=False,
    )
    assert one.status_code == 303
    row = await Notification.select().where(Notification.id == failed[0]).first()
    assert (row["failed_at"], row["attempts"], row["send_after"]) == (None, 0, NOW)
    again = await client.post(
        f"/admin/notifications/{failed[0]}/retry", headers=as_role(cast, "admin")
    )
    assert again.status_code == 404  # no longer failed
    await client.post("/admin/notifications/retry", headers=as_role(cast, "admin"))
    assert await Notification.count().where(Notification.failed_at.is_not_null()) == 0
