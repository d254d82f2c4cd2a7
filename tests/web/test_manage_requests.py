"""The approval queue: what each request shows, approving and rejecting inline (htmx) and
without JavaScript, bulk approval, stale decisions, bad input, and a constant query count."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from hub_booking.db.tables import AuditLog, Booking, Hub, Notification, Resource
from hub_booking.i18n import translate, translations
from tests.conftest import NOW
from tests.factories import make_booking, make_hub, make_resource
from tests.web.sessions import HTML, csrf_of, sign_in

QUEUE = "/manage/hubs/fes/requests"
TUESDAY = datetime(2027, 2, 2, 10, tzinfo=UTC)


def fr(message: str, **params: object) -> str:
    return translate("fr", message, **params)


def fr_n(singular: str, plural: str, count: int) -> str:
    return translations("fr").ngettext(singular, plural, count) % {"num": count}


def htmx(target: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": target}


async def status_of(booking_id: int) -> tuple[str, str]:
    row = await Booking.select(Booking.status, Booking.decision_reason).where(
        Booking.id == booking_id
    )
    return row[0]["status"], row[0]["decision_reason"]


async def manager_page(client, cast) -> str:
    """Sign the manager in (session cookie) and open the queue; its HTML (with the token)."""
    await sign_in(client, cast, "manager")
    page = await client.get(QUEUE)
    assert page.status_code == 200, page.text
    return page.text


async def pending_series(client, cast, count: int = 3) -> list[int]:
    """A weekly series of association A needing approval, made through the API."""
    await Resource.update({Resource.requires_approval: True}).where(Resource.id == cast.room)
    body = {
        "association_id": cast.association_a,
        "title": "Atelier hebdomadaire",
        "starts_at": "2027-02-02T10:00:00+00:00",
        "ends_at": "2027-02-02T11:00:00+00:00",
        "attendees": 5,
        "items": [{"resource_id": cast.room, "quantity": 1}],
        "recurrence": {"rrule": f"FREQ=WEEKLY;COUNT={count}"},
    }
    response = await client.post("/api/v1/bookings", json=body, headers=cast.auth("member_a"))
    assert response.status_code == 201, response.text
    return [o["id"] for o in response.json()["occurrences"]]


def row_of(html: str, booking_id: int) -> str:
    match = re.search(
        rf'<li class="request[^"]*" id="request-{booking_id}">.*?</li>\s*(?=<li class="request|</ol>)',
        html,
        re.S,
    )
    assert match, f"request {booking_id} is not listed"
    return match.group(0)


# What the queue shows ---------------------------------------------------------------------


async def test_the_queue_lists_the_hubs_pending_requests_by_start(client, cast):
    late = await make_booking(NOW, cast, start=TUESDAY + timedelta(days=3), title="Plus tard")
    early = await make_booking(NOW, cast, start=TUESDAY, title="Plus tôt")
    await make_booking(NOW, cast, status="approved", start=TUESDAY + timedelta(days=1))
    await make_booking(NOW, cast, status="cancelled", start=TUESDAY + timedelta(days=2))
    html = await manager_page(client, cast)
    ids = [int(i) for i in re.findall(r'<li class="request" id="request-(\d+)"', html)]
    assert ids == [early, late]
    assert "Salle Atlas" in row_of(html, early)
    assert "Association assoc-a" in row_of(html, early)
    waiting = fr_n("%(num)d request awaiting approval", "%(num)d requests awaiting approval", 2)
    assert waiting in html


async def test_a_request_shows_its_series_place(client, cast):
    ids = await pending_series(client, cast, count=3)
    html = await manager_page(client, cast)
    assert fr("Occurrence %(number)d of %(count)d", number=2, count=3) in row_of(html, ids[1])


async def test_a_request_shows_the_associations_hours_against_the_hubs_quotas(client, cast):
    await Hub.update({Hub.rules: {"weekly_quota_hours": 10, "monthly_quota_hours": 20}}).where(
        Hub.id == cast.hub
    )
    asked = await make_booking(NOW, cast, start=TUESDAY, minutes=90)
    await make_booking(NOW, cast, status="approved", start=TUESDAY + timedelta(days=1), minutes=120)
    await make_booking(NOW, cast, status="cancelled", start=TUESDAY + timedelta(days=2))
    await make_booking(  # another association's hours are not counted
        NOW,
        cast,
        status="approved",
        start=TUESDAY + timedelta(days=2),
        association=cast.association_b,
    )
    await make_booking(NOW, cast, status="approved", start=TUESDAY + timedelta(days=8))  # next week
    row = row_of(await manager_page(client, cast), asked)
    hours = fr("%(hours)d h %(minutes)02d", hours=3, minutes=30)
    assert f"{hours} / {fr('%(hours)d h %(minutes)02d', hours=10, minutes=0)}" in row
    month = fr("%(hours)d h %(minutes)02d", hours=4, minutes=30)
    assert f"{month} / {fr('%(hours)d h %(minutes)02d', hours=20, minutes=0)}" in row
    assert "quota over" not in row


async def test_weeks_start_on_monday_and_months_on_the_first_on_the_hubs_clock(client, cast):
    await Hub.update({Hub.rules: {"weekly_quota_hours": 10}}).where(Hub.id == cast.hub)
    asked = await make_booking(NOW, cast, start=TUESDAY, minutes=60)
    sunday = datetime(2027, 1, 31, 23, tzinfo=UTC)  # the week and month before
    await make_booking(NOW, cast, status="approved", start=sunday, minutes=30)
    monday = datetime(2027, 2, 1, 0, tzinfo=UTC)  # this week and month, from midnight
    await make_booking(NOW, cast, status="approved", start=monday, minutes=45)
    next_monday = datetime(2027, 2, 8, 0, tzinfo=UTC)  # this month, the next week
    await make_booking(NOW, cast, status="approved", start=next_monday, minutes=15)
    row = row_of(await manager_page(client, cast), asked)
    week = fr("%(hours)d h %(minutes)02d", hours=1, minutes=45)
    month = fr("%(hours)d h %(minutes)02d", hours=2, minutes=0)
    assert f"{week} / {fr('%(hours)d h %(minutes)02d', hours=10, minutes=0)}" in row
    assert f"{fr('Month:')} {month}" in row


async def test_a_request_over_the_quota_is_marked(client, cast):
    await Hub.update({Hub.rules: {"weekly_quota_hours": 1}}).where(Hub.id == cast.hub)
    asked = await make_booking(NOW, cast, start=TUESDAY, minutes=120)
    row = row_of(await manager_page(client, cast), asked)
    assert 'class="quota over"' in row
    assert fr("Over the quota") in row


async def test_competing_pending_requests_name_each_other(client, cast):
    one = await make_booking(NOW, cast, start=TUESDAY, resource=cast.projectors, title="Un")
    two = await make_booking(
        NOW,
        cast,
        start=TUESDAY + timedelta(minutes=30),
        resource=cast.projectors,
        title="Deux",
        association=cast.association_b,
    )
    alone = await make_booking(
        NOW, cast, start=TUESDAY + timedelta(days=1), resource=cast.projectors
    )
    html = await manager_page(client, cast)
    assert f'href="#request-{two}">Deux</a>' in row_of(html, one)
    assert "Association assoc-b" in row_of(html, one)
    assert f'href="#request-{one}">Un</a>' in row_of(html, two)
    assert fr("Also wanted at this time") not in row_of(html, alone)


async def test_an_empty_queue_says_so(client, cast):
    html = await manager_page(client, cast)
    assert fr("No request is awaiting approval.") in html


# Deciding without JavaScript ----------------------------------------------------------------


async def test_approving_redirects_back_with_a_message_and_is_audited(client, cast):
    booking = await make_booking(NOW, cast, title="Formation")
    html = await manager_page(client, cast)
    response = await client.post(
        f"{QUEUE}/{booking}/approve", data={"_csrf_token": csrf_of(html)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == QUEUE
    assert (await status_of(booking))[0] == "approved"
    shown = await client.get(QUEUE)
    assert (
        fr(
            "Approved: “%(title)s” (%(association)s).",
            title="Formation",
            association="Association assoc-a",
        )
        in shown.text
    )
    assert f'id="request-{booking}"' not in shown.text
    audited = await AuditLog.select(AuditLog.action, AuditLog.actor).where(
        (AuditLog.object_type == "booking") & (AuditLog.object_id == booking)
    )
    assert {"action": "booking.approved", "actor": cast.users["manager"]} in audited


async def test_rejecting_needs_a_reason_shown_next_to_its_field(client, cast):
    booking = await make_booking(NOW, cast)
    html = await manager_page(client, cast)
    response = await client.post(
        f"{QUEUE}/{booking}/reject",
        data={"_csrf_token": csrf_of(html), "reason": "   "},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert 'id="error-summary"' in response.text
    assert f'href="#reason-{booking}"' in response.text
    row = row_of(response.text, booking)
    assert f'id="reason-{booking}-error"' in row
    assert fr("Say why the request is rejected.") in row
    assert 'aria-invalid="true"' in row
    assert await status_of(booking) == ("pending", "")


async def test_rejecting_with_a_reason_tells_the_association(client, cast):
    booking = await make_booking(NOW, cast, title="Formation")
    html = await manager_page(client, cast)
    response = await client.post(
        f"{QUEUE}/{booking}/reject",
        data={"_csrf_token": csrf_of(html), "reason": "La salle est en travaux."},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert await status_of(booking) == ("rejected", "La salle est en travaux.")
    await sign_in(client, cast, "member_a")
    mine = await client.get("/bookings")
    assert "La salle est en travaux." in mine.text


async def test_a_reason_too_long_or_with_control_characters_is_refused(client, cast):
    booking = await make_booking(NOW, cast)
    html = await manager_page(client, cast)
    for reason, message in (
        ("x" * 2001, "This text is too long."),
        ("Non\x00merci", "This text has characters that are not allowed."),
        ("a\u202eb", "This text has characters that are not allowed."),
    ):
        response = await client.post(
            f"{QUEUE}/{booking}/reject", data={"_csrf_token": csrf_of(html), "reason": reason}
        )
        assert response.status_code == 422, reason
        assert fr(message) in row_of(response.text, booking)
    assert await status_of(booking) == ("pending", "")


async def test_a_stale_approval_says_what_the_request_is_now(client, cast):
    booking = await make_booking(NOW, cast, title="Formation")
    html = await manager_page(client, cast)
    await Booking.update({Booking.status: "cancelled"}).where(Booking.id == booking)
    response = await client.post(
        f"{QUEUE}/{booking}/approve", data={"_csrf_token": csrf_of(html)}, follow_redirects=False
    )
    assert response.status_code == 303
    shown = await client.get(QUEUE)
    expected = fr(
        "Nothing changed: “%(title)s” is no longer awaiting approval. It is now: %(status)s.",
        title="Formation",
        status=fr("Cancelled"),
    )
    assert expected in shown.text
    assert 'class="flash error"' in shown.text
    assert (await status_of(booking))[0] == "cancelled"


async def test_deciding_needs_the_csrf_token(client, cast):
    booking = await make_booking(NOW, cast)
    await manager_page(client, cast)
    for action in ("approve", "reject"):
        response = await client.post(f"{QUEUE}/{booking}/{action}", data={"reason": "Non"})
        assert response.status_code == 403
    assert (await status_of(booking))[0] == "pending"


async def test_unknown_foreign_and_unreadable_ids_are_not_found(client, cast):
    other_room = await make_booking(NOW, cast, resource=cast.other_room)
    await Booking.update({Booking.hub: cast.other_hub}).where(Booking.id == other_room)
    html = await manager_page(client, cast)
    token = csrf_of(html)
    for path in (
        f"{QUEUE}/999999/approve",
        f"{QUEUE}/{other_room}/approve",
        f"{QUEUE}/99999999999/approve",
        f"{QUEUE}/0/approve",
        f"{QUEUE}/abc/approve",
        f"{QUEUE}/-1/reject",
    ):
        response = await client.post(path, data={"_csrf_token": token, "reason": "x"})
        assert response.status_code == 404, path
    assert (await status_of(other_room))[0] == "pending"
    # the admin manages both hubs, but a request of Rabat is not in Fès's queue
    response = await client.post(
        f"{QUEUE}/{other_room}/approve", headers={**HTML, **cast.auth("admin")}
    )
    assert response.status_code == 404
    assert (await status_of(other_room))[0] == "pending"


async def test_a_page_number_that_cannot_be_read_shows_the_first_page(client, cast):
    booking = await make_booking(NOW, cast)
    await sign_in(client, cast, "manager")
    for page in ("abc", "-3", "99999999999999999999", "0"):
        response = await client.get(f"{QUEUE}?page={page}")
        assert response.status_code == 200, page
    response = await client.get(f"{QUEUE}?page=abc")
    assert f'id="request-{booking}"' in response.text


# Deciding inline (htmx) ---------------------------------------------------------------------


async def test_approving_inline_swaps_the_row(client, cast):
    booking = await make_booking(NOW, cast)
    html = await manager_page(client, cast)
    # the list boosts its rows' plain forms, and each answer replaces its own row
    listing = re.search(r'<ol class="request-list"[^>]*>', html).group(0)
    assert 'hx-boost="true"' in listing
    assert 'hx-target="closest li"' in listing
    assert 'hx-swap="outerHTML' in listing
    assert 'hx-push-url="false"' in listing
    assert f'<form method="post" action="{QUEUE}/{booking}/approve">' in row_of(html, booking)
    response = await client.post(
        f"{QUEUE}/{booking}/approve",
        data={"_csrf_token": csrf_of(html)},
        headers=htmx(f"request-{booking}"),
    )
    assert response.status_code == 200
    assert response.text.strip().startswith(f'<li class="request decided" id="request-{booking}">')
    assert "<header" not in response.text
    assert fr("You approved this request.") in response.text
    assert (await status_of(booking))[0] == "approved"


async def test_rejecting_inline_without_a_reason_keeps_the_row_with_the_error(client, cast):
    booking = await make_booking(NOW, cast)
    html = await manager_page(client, cast)
    response = await client.post(
        f"{QUEUE}/{booking}/reject",
        data={"_csrf_token": csrf_of(html), "reason": ""},
        headers=htmx(f"request-{booking}"),
    )
    assert response.status_code == 422
    assert response.text.strip().startswith(f'<li class="request" id="request-{booking}">')
    assert fr("Say why the request is rejected.") in response.text
    done = await client.post(
        f"{QUEUE}/{booking}/reject",
        data={"_csrf_token": csrf_of(html), "reason": "Complet"},
        headers=htmx(f"request-{booking}"),
    )
    assert done.status_code == 200
    assert fr("You rejected this request.") in done.text
    assert "Complet" in done.text


async def test_a_stale_inline_approval_answers_409_with_the_current_state(client, cast):
    booking = await make_booking(NOW, cast)
    html = await manager_page(client, cast)
    await Booking.update({Booking.status: "approved"}).where(Booking.id == booking)
    response = await client.post(
        f"{QUEUE}/{booking}/approve",
        data={"_csrf_token": csrf_of(html)},
        headers=htmx(f"request-{booking}"),
    )
    assert response.status_code == 409
    assert fr("Approved") in response.text
    assert (
        fr(
            "Nothing changed: this request is no longer awaiting approval. It is now: %(status)s.",
            status=fr("Approved"),
        )
        in response.text
    )


# Approving several at once -------------------------------------------------------------------


async def test_bulk_approval_reports_each_decision(client, cast):
    first = await make_booking(NOW, cast, title="Un")
    second = await make_booking(NOW, cast, title="Deux")
    cancelled = await make_booking(NOW, cast, title="Annulée")
    foreign = await make_booking(NOW, cast, resource=cast.other_room)
    await Booking.update({Booking.hub: cast.other_hub}).where(Booking.id == foreign)
    html = await manager_page(client, cast)
    assert f'form="bulk-approve" id="select-{first}"' in html
    await Booking.update({Booking.status: "cancelled"}).where(Booking.id == cancelled)
    ids = [str(first), str(second), str(cancelled), str(foreign), "abc", "99999999999", str(first)]
    response = await client.post(
        f"{QUEUE}/approve", data={"_csrf_token": csrf_of(html), "ids": ids}
    )
    assert response.status_code == 200
    report = re.search(r'<div class="bulk-report".*?</div>', response.text, re.S).group(0)
    assert fr_n("%(num)d request approved", "%(num)d requests approved", 2) in report
    assert report.count('<li class="ok">') == 2
    assert report.count('<li class="error">') == 2
    assert fr("Cancelled") in report
    assert (
        fr(
            "Request %(number)s: not approved, there is no such request in this hub.",
            number=foreign,
        )
        in report
    )
    assert [(await status_of(i))[0] for i in (first, second, cancelled, foreign)] == [
        "approved",
        "approved",
        "cancelled",
        "pending",
    ]


async def test_bulk_approval_is_audited_once_and_tells_each_association(client, cast):
    ids = [await make_booking(NOW, cast, title=f"Atelier {n}") for n in range(3)]
    html = await manager_page(client, cast)
    response = await client.post(
        f"{QUEUE}/approve", data={"_csrf_token": csrf_of(html), "ids": [str(i) for i in ids]}
    )
    assert response.status_code == 200
    rows = await AuditLog.select(AuditLog.actor, AuditLog.details).where(
        AuditLog.action == "booking.approved"
    )
    assert [row["actor"] for row in rows] == [cast.users["manager"]]
    details = rows[0]["details"]
    details = json.loads(details) if isinstance(details, str) else details
    assert details["ids"] == ids
    told = await Notification.select(Notification.booking).where(Notification.kind == "approved")
    assert {row["booking"] for row in told} == set(ids)
    decided = await Booking.select(Booking.revision, Booking.decided_by).where(
        Booking.id.is_in(ids)
    )
    assert decided == [{"revision": 1, "decided_by": cast.users["manager"]}] * 3
    for booking in ids:  # the one row is on each booking's history
        shown = await client.get(f"/manage/hubs/fes/audit?booking={booking}")
        assert shown.text.count('<li class="audit-entry">') == 1


async def test_bulk_approval_inline_swaps_the_queue(client, cast):
    ids = [await make_booking(NOW, cast) for _ in range(3)]
    html = await manager_page(client, cast)
    response = await client.post(
        f"{QUEUE}/approve",
        data={"_csrf_token": csrf_of(html), "ids": [str(i) for i in ids]},
        headers=htmx("request-queue"),
    )
    assert response.status_code == 200
    assert response.text.strip().startswith('<section id="request-queue"')
    assert "<header" not in response.text
    assert [(await status_of(i))[0] for i in ids] == ["approved"] * 3


async def test_bulk_approval_with_nothing_selected_says_so(client, cast):
    booking = await make_booking(NOW, cast)
    html = await manager_page(client, cast)
    response = await client.post(f"{QUEUE}/approve", data={"_csrf_token": csrf_of(html)})
    assert response.status_code == 422
    assert fr("Select at least one request to approve.") in response.text
    assert 'href="#bulk-approve-button"' in response.text
    assert (await status_of(booking))[0] == "pending"


# Queries ------------------------------------------------------------------------------------


async def test_the_queue_reads_the_same_number_of_queries_for_3_or_30_requests(
    client, cast, database, monkeypatch
):
    seen: list[str] = []
    monkeypatch.setattr(
        type(database), "print_query", lambda self, query_id, query: seen.append(query)
    )
    headers = {**HTML, **cast.auth("manager")}
    await Hub.update({Hub.rules: {"weekly_quota_hours": 40}}).where(Hub.id == cast.hub)
    second_hub = await make_hub(NOW, "meknes")
    await make_resource(NOW, second_hub)

    async def count() -> int:
        seen.clear()
        database.log_queries = True
        try:
            response = await client.get(QUEUE, headers=headers)
        finally:
            database.log_queries = False
        assert response.status_code == 200
        return len(seen)

    async def add(n: int, offset: int) -> None:
        for i in range(n):
            start = TUESDAY + timedelta(days=offset + i // 3, hours=i % 3)
            resource = cast.projectors if i % 2 else cast.room
            await make_booking(NOW, cast, start=start, resource=resource, association=None)

    await client.get(QUEUE, headers=headers)  # the token's first use is recorded: not counted
    await add(3, 0)
    few = await count()
    await add(27, 10)
    many = await count()
    assert few == many, (few, many)
    assert few <= 16, seen
