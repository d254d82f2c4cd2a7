"""The manager's calendar of a hub and booking from it on behalf of an association: who sees
what, the region's associations, the override of the rules with its reason (audited), a
member's forged override, a constant number of queries, and bad input."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub_booking.db.tables import AuditLog, Booking
from hub_booking.i18n import translate
from hub_booking.web.forms import REQUIRED
from tests.conftest import NOW
from tests.factories import ROLES, make_association, make_booking
from tests.web.sessions import HTML, HTMX_CALENDAR, sign_in
from tests.web.test_accounts import csrf_of
from tests.web.test_bookings_api import TUESDAY, set_rules

CALENDAR = "/manage/hubs/fes/calendar"
FORM = "/manage/hubs/fes/bookings/new"
CHECK = "/manage/hubs/fes/bookings/check"
SECRET_TITLE = "Réunion confidentielle B"
B_NAME = "Association assoc-b"
WEDNESDAY = datetime(2027, 1, 13, 10, tzinfo=UTC)  # NOW is Monday 2027-01-11 09:00 (UTC+0)
HTMX_CHECK = {"HX-Request": "true", "HX-Target": "booking-check"}


async def page(client, cast, role: str, path: str, **headers: str):
    return await client.get(path, headers={**HTML, **cast.auth(role), **headers})


async def secret_booking(cast) -> int:
    return await make_booking(
        NOW,
        cast,
        status="approved",
        start=WEDNESDAY,
        association=cast.association_b,
        title=SECRET_TITLE,
    )


@pytest.mark.parametrize("role", ["manager", "admin"])
async def test_the_hubs_managers_see_every_title_and_association(client, cast, role):
    booked = await secret_booking(cast)
    for query in ("", "?view=day&date=2027-01-13"):
        response = await page(client, cast, role, CALENDAR + query)
        assert response.status_code == 200, response.text
        assert SECRET_TITLE in response.text
        assert B_NAME in response.text
        assert f'href="/bookings/{booked}"' in response.text  # each booking leads to its page
        assert re.search(r'href="/manage/hubs/fes/calendar"\s+aria-current="page"', response.text)


@pytest.mark.parametrize("role", ["other_manager", "member_a", "rep_a", "member_b", "outsider"])
async def test_anyone_but_the_hubs_managers_gets_a_404(client, cast, role):
    await secret_booking(cast)
    for path in (CALENDAR, f"{CALENDAR}?view=day", FORM):
        response = await page(client, cast, role, path)
        assert response.status_code == 404, (path, response.status_code)
        assert SECRET_TITLE not in response.text


async def test_anonymous_visitors_are_sent_to_sign_in(client, cast):
    response = await client.get(CALENDAR, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/manage/hubs/fes/calendar")


async def test_members_see_the_masked_public_calendar(client, cast):
    await secret_booking(cast)
    for role in ("member_a", "rep_a", "other_manager", "outsider"):
        response = await page(client, cast, role, "/hubs/fes?date=2027-01-13")
        assert response.status_code == 200
        assert SECRET_TITLE not in response.text
        assert B_NAME not in response.text
    own = await page(client, cast, "member_b", "/hubs/fes?date=2027-01-13")  # theirs: in full
    assert SECRET_TITLE in own.text


async def test_free_half_hours_lead_to_the_form_on_behalf_of_an_association(client, cast):
    response = await page(client, cast, "manager", f"{CALENDAR}?view=day&date=2027-01-13")
    link = (
        f'href="{FORM}?resource_id={cast.room}'
        '&amp;starts_at=2027-01-13T14:00:00Z&amp;ends_at=2027-01-13T14:30:00Z"'
    )
    assert link in response.text
    week = await page(client, cast, "manager", CALENDAR)
    assert f'href="?view=day&amp;date=2027-01-13#r{cast.room}"' in week.text


async def test_htmx_navigation_gets_only_the_calendar(client, cast):
    await secret_booking(cast)
    response = await page(client, cast, "manager", f"{CALENDAR}?date=2027-01-18", **HTMX_CALENDAR)
    assert response.text.lstrip().startswith('<section id="calendar"')
    assert "<header" not in response.text
    assert 'action="/manage/hubs/fes/calendar"' in response.text  # its links stay here


async def test_the_form_offers_the_active_associations_of_the_hubs_region(client, cast):
    await make_association(NOW, "assoc-suspended", status="suspended")
    nearby = await make_association(NOW, "assoc-c")
    await sign_in(client, cast, "manager")
    text, _ = await open_form(client, f"?resource_id={cast.room}&starts_at={TUESDAY}T14:00Z")
    chooser = re.search(r'<select id="association_id".*?</select>', text, re.S).group(0)
    offered = {int(v) for v in re.findall(r'<option value="(\d+)"', chooser)}
    assert offered == {cast.association_a, nearby}  # assoc-b is of another region
    assert re.search(rf'<option value="{cast.room}" selected>', text)
    assert 'id="override"' in text
    assert 'action="/manage/hubs/fes/bookings/new"' in text
    assert 'hx-post="/manage/hubs/fes/bookings/check"' in text
    assert 'href="/manage/hubs/fes/calendar"' in text  # the way back


async def open_form(client, query: str = "") -> tuple[str, dict[str, str]]:
    response = await client.get(f"{FORM}{query}")
    assert response.status_code == 200, response.text
    hidden = {
        "_csrf_token": csrf_of(response.text),
        "form_token": _value(response.text, "form_token"),
        "hub": "fes",
    }
    return response.text, hidden


def _value(text: str, name: str) -> str:
    return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', text).group(1))


def fields(cast, **extra: Any) -> dict[str, Any]:
    values = {
        "association_id": str(cast.association_a),
        "resource_id": str(cast.room),
        "date": TUESDAY,
        "start": "14:00",
        "end": "16:00",
        "title": "Assemblée générale",
        "attendees": "12",
    }
    return {**values, **extra}


async def test_booking_on_behalf_with_the_rules_overridden_is_audited_with_its_reason(client, cast):
    await set_rules(cast.hub, max_minutes=60)  # two hours break the hub's rule
    await sign_in(client, cast, "manager")
    _, hidden = await open_form(client)
    refused = await client.post(FORM, data={**hidden, **fields(cast)})
    assert refused.status_code == 422  # without the override, the rules apply to managers too
    assert await Booking.count() == 0
    _, hidden = await open_form(client)
    reason = "Assemblée annuelle: la salle est libre toute la journée"
    data = {**hidden, **fields(cast, override="on", override_reason=reason)}
    response = await client.post(FORM, data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    booking_id = int(response.headers["location"].rsplit("/", 1)[1])
    row = await Booking.select().where(Booking.id == booking_id).first()
    assert (row["association"], row["override"], row["status"]) == (
        cast.association_a,
        True,
        "approved",
    )
    entry = (
        await AuditLog.select()
        .where((AuditLog.action == "booking.created") & (AuditLog.object_id == booking_id))
        .first()
    )
    assert entry["actor"] == cast.users["manager"]
    details = entry["details"]
    details = details if isinstance(details, dict) else json.loads(details)
    assert details["override"] is True
    assert details["override_reason"] == reason


async def test_overriding_without_a_reason_is_refused_beside_the_field(client, cast):
    await sign_in(client, cast, "manager")
    _, hidden = await open_form(client)
    response = await client.post(FORM, data={**hidden, **fields(cast, override="on")})
    assert response.status_code == 422
    text = response.text
    message = translate("fr", REQUIRED)
    assert re.search(r'<p class="field-error" id="override_reason-error">.*?' + message, text)
    assert 'href="#override_reason"' in text  # the error summary links to the field
    assert re.search(r'id="override_reason"[^>]*aria-invalid="true"', text)
    assert 'value="Assemblée générale"' in text  # what was typed is kept
    assert 'id="override" name="override" value="on" aria-describedby="override-hint" checked' in (
        text
    )
    assert await Booking.count() == 0


async def test_the_live_check_on_behalf_overrides_the_rules_too(client, cast):
    await set_rules(cast.hub, max_minutes=60)
    await sign_in(client, cast, "manager")
    _, hidden = await open_form(client)
    plain = await client.post(CHECK, data={**hidden, **fields(cast)}, headers=HTMX_CHECK)
    assert plain.status_code == 200
    assert plain.text.lstrip().startswith('<section id="booking-check"')
    assert 'id="check-ok"' not in plain.text
    data = {**hidden, **fields(cast, override="on", override_reason="Assemblée annuelle")}
    overridden = await client.post(CHECK, data=data, headers=HTMX_CHECK)
    assert 'id="check-ok"' in overridden.text
    assert await Booking.count() == 0


async def test_a_member_cannot_override_the_rules_by_forging_the_field(client, cast):
    await set_rules(cast.hub, max_minutes=60)
    await sign_in(client, cast, "member_a")
    page_ = await client.get("/bookings/new")
    assert 'id="override"' not in page_.text  # not offered
    hidden = {
        "_csrf_token": csrf_of(page_.text),
        "form_token": _value(page_.text, "form_token"),
        "hub": "fes",
    }
    forged = fields(cast, override="on", override_reason="Je le veux")
    response = await client.post("/bookings/new", data={**hidden, **forged})
    assert response.status_code == 403
    check = await client.post("/bookings/check", data={**hidden, **forged}, headers=HTMX_CHECK)
    assert check.status_code == 403
    on_behalf = await client.post(FORM, data={**hidden, **forged})
    assert on_behalf.status_code == 404  # not a hub they manage
    assert await Booking.count() == 0


async def test_the_manager_calendar_runs_as_many_queries_whatever_it_shows(
    client, cast, database, monkeypatch
):
    seen: list[str] = []
    monkeypatch.setattr(
        type(database), "print_query", lambda self, query_id, query: seen.append(query)
    )

    async def count(query: str) -> int:
        seen.clear()
        database.log_queries = True
        try:
            response = await page(client, cast, "manager", CALENDAR + query)
        finally:
            database.log_queries = False
        assert response.status_code == 200
        return len(seen)

    await page(client, cast, "manager", CALENDAR)  # the token's first use is recorded
    views = ("", "?view=day&date=2027-01-12")
    before = {view: await count(view) for view in views}
    for day in range(5):
        for hour in (8, 10, 12, 14):
            start = datetime(2027, 1, 11 + day, hour, tzinfo=UTC) + timedelta(days=1)
            await make_booking(
                NOW, cast, status="approved", start=start, association=cast.association_b
            )
            await make_booking(NOW, cast, status="pending", start=start, resource=cast.projectors)
    after = {view: await count(view) for view in views}
    assert after == before
    # token and roles; the header's association names, pending requests and unread
    # notifications; the hub with its resources; the bookings; the closures
    assert before[""] <= 8, before


@pytest.mark.parametrize(
    "path",
    [
        f"{CALENDAR}?date=2027-13-45&view=month&kind=boats&min_capacity=lots&resource=abc",
        f"{CALENDAR}?date=1999-01-01&resource=999999999999999999999",
        f"{CALENDAR}?view=day&date=2099-12-31&min_capacity=99999999999999999999",
        "/manage/hubs/n%00owhere/calendar",
        "/manage/hubs/" + "x" * 300 + "/calendar",
        f"{FORM}?resource_id=abc&starts_at=yesterday&ends_at=%00",
        f"{FORM}?resource_id=999999999999999999999&starts_at=2027-01-26T14:00Z",
        "/manage/hubs/rabat/bookings/new",
    ],
)
async def test_unreadable_addresses_never_give_a_500(client, cast, path):
    response = await page(client, cast, "manager", path)
    assert response.status_code in (200, 404), (response.status_code, response.text[-500:])


@pytest.mark.parametrize(
    "extra",
    [
        {"override": "on", "override_reason": "a\x00b"},
        {"override": "on", "override_reason": "x" * 5000},
        {"override": "yes-please", "override_reason": ""},
        {"association_id": "999999999999", "override": "on", "override_reason": "ok"},
        {"association_id": "-1", "date": "2027-02-30", "start": "25:99"},
        {"resource_id": str(10**12), "attendees": "9" * 40},
    ],
)
async def test_bad_posts_are_answered_with_the_form_never_a_500(client, cast, extra):
    await sign_in(client, cast, "manager")
    _, hidden = await open_form(client)
    data = {**hidden, **fields(cast, **extra)}
    response = await client.post(FORM, data=data)
    assert response.status_code in (200, 303, 403, 404, 409, 422), response.text[-500:]
    check = await client.post(CHECK, data=data, headers=HTMX_CHECK)
    assert check.status_code in (200, 403, 404, 422), check.text[-500:]
    assert await Booking.count() == 0 or extra.get("override") == "yes-please"


@pytest.mark.parametrize("role", [r for r in ROLES if r not in ("anonymous", "manager", "admin")])
async def test_the_form_on_behalf_refuses_posts_from_anyone_but_the_hubs_managers(
    client, cast, role
):
    response = await client.post(CHECK, data=fields(cast), headers=cast.auth(role))
    assert response.status_code == 404
