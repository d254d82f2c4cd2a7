"""The hub calendar page: who sees what (masking), states, links, bad addresses, htmx."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from hub_booking.db.tables import Resource
from hub_booking.i18n import translate
from hub_booking.services.calendar import OUT_OF_RANGE, UNKNOWN_RESOURCE
from hub_booking.web.pages.hubs import IGNORED, UNREADABLE_DATE
from tests.conftest import NOW
from tests.factories import ROLES, make_blackout, make_booking
from tests.web.sessions import HTML, HTMX_CALENDAR

TUESDAY = datetime(2027, 1, 12, 10, tzinfo=UTC)  # NOW is Monday 2027-01-11 09:00 (UTC+0)
SECRET_TITLE = "Réunion confidentielle B"
B_NAME = "Association assoc-b"


def page(cast, role: str) -> dict[str, str]:
    return {**HTML, **cast.auth(role)}


async def calendar(client, cast, role: str, query: str = "", **headers: str) -> str:
    response = await client.get(f"/hubs/fes{query}", headers={**page(cast, role), **headers})
    assert response.status_code == 200, response.text
    return response.text


def grid(html: str) -> str:
    """The calendar's table alone (the legend names every state too)."""
    return re.search(r'<table class="cal .*?</table>', html, re.S).group(0)


async def test_anonymous_is_sent_to_sign_in_and_back(client, cast):
    response = await client.get("/hubs/fes?view=day", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/hubs/fes%3Fview%3Dday"


@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
async def test_every_signed_in_role_sees_the_calendar(client, cast, role):
    for query in ("", "?view=day"):
        html = await calendar(client, cast, role, query)
        assert 'id="calendar"' in html
        assert f'id="r{cast.room}"' in html


async def test_unknown_hub_is_a_404_page(client, cast):
    response = await client.get("/hubs/nowhere", headers=page(cast, "member_a"))
    assert response.status_code == 404
    assert "<h1>404</h1>" in response.text


async def test_other_associations_bookings_show_as_booked_without_title_or_name(client, cast):
    await make_booking(
        NOW,
        cast,
        status="approved",
        start=TUESDAY,
        association=cast.association_b,
        title=SECRET_TITLE,
    )
    await make_booking(
        NOW,
        cast,
        status="pending",
        start=TUESDAY + timedelta(hours=3),
        association=cast.association_b,
        title=SECRET_TITLE,
    )
    for query in ("", "?view=day&date=2027-01-12"):
        html = await calendar(client, cast, "member_a", query)
        assert SECRET_TITLE not in html
        assert B_NAME not in html
        assert "s-booked" in grid(html)
        assert "Réservé" in grid(html)
        assert "s-pending" not in grid(html)
        assert "s-approved" not in grid(html)


async def test_own_bookings_show_their_title_and_state(client, cast):
    approved = await make_booking(
        NOW, cast, status="approved", start=TUESDAY, title="Atelier couture"
    )
    pending = await make_booking(
        NOW, cast, status="pending", start=TUESDAY + timedelta(hours=3), title="Assemblée"
    )
    for query in ("", "?view=day&date=2027-01-12"):
        html = await calendar(client, cast, "member_a", query)
        assert re.search(
            rf'class="s-own"[^§]*?href="/bookings/{approved}">[^<]*Atelier couture', html
        )
        assert re.search(rf'href="/bookings/{pending}">[^<]*Assemblée', html)
        assert "s-pending" in grid(html)


async def test_managers_of_the_hub_see_every_title_and_association(client, cast):
    await make_booking(
        NOW,
        cast,
        status="approved",
        start=TUESDAY,
        association=cast.association_b,
        title=SECRET_TITLE,
    )
    for role in ("manager", "admin"):
        html = await calendar(client, cast, role)
        assert SECRET_TITLE in html
        assert B_NAME in html
        assert "s-approved" in grid(html)
    html = await calendar(client, cast, "other_manager")  # manages another hub: masked
    assert SECRET_TITLE not in html
    assert B_NAME not in html


async def test_closures_and_closed_hours_are_shown_with_their_reason(client, cast):
    await make_blackout(
        NOW, cast, datetime(2027, 1, 13, tzinfo=UTC), datetime(2027, 1, 14, tzinfo=UTC), "Aïd"
    )
    await Resource.update({Resource.rules: {"opening_hours": {"tue": [["10:00", "12:00"]]}}}).where(
        Resource.id == cast.room
    )
    week = await calendar(client, cast, "member_a")
    assert "Aïd" in week
    wednesday = await calendar(client, cast, "member_a", "?view=day&date=2027-01-13")
    assert re.search(
        r'<td class="s-closed" colspan="28">(<span class="lbl">[^<]*</span>)?\s*Aïd', wednesday
    )
    tuesday = await calendar(client, cast, "member_a", "?view=day&date=2027-01-12")
    row = re.search(rf'<tr id="r{cast.room}".*?</tr>', tuesday, re.S).group(0)
    assert row.count('href="/bookings/new') == 4  # 10:00 to 12:00 in half hours
    assert "s-closed" in row


async def test_free_cells_link_to_the_booking_form_with_utc_instants(client, cast):
    html = await calendar(client, cast, "member_a", "?view=day&date=2027-01-12")
    link = (
        f'href="/bookings/new?resource_id={cast.room}'
        '&amp;starts_at=2027-01-12T14:00:00Z&amp;ends_at=2027-01-12T14:30:00Z"'
    )
    assert link in html


async def test_past_half_hours_of_today_are_not_bookable(client, cast):
    html = await calendar(client, cast, "member_a", "?view=day")  # today, 09:00 on the hub's clock
    assert "starts_at=2027-01-11T08:30:00Z" not in html
    assert "starts_at=2027-01-11T09:00:00Z" in html


async def test_bookings_begun_long_before_the_week_are_shown_in_it(client, cast):
    """The bookings query reads a room's holds from a day before the week, and the one
    earlier hold that may still run; a pool's, all of them."""
    began = datetime(2026, 12, 20, 8, tzinfo=UTC)  # three weeks before, for a month
    await make_booking(NOW, cast, status="approved", start=began, minutes=60 * 24 * 30)
    await make_booking(NOW, cast, status="approved", start=began, resource=cast.projectors)
    loan = await make_booking(
        NOW, cast, status="approved", start=began, minutes=60 * 24 * 30, resource=cast.projectors
    )
    html = await calendar(client, cast, "member_a", "?date=2027-01-12")
    room = re.search(rf'<tr id="r{cast.room}".*?</tr>', html, re.S).group(0)
    assert room.count('<td class="s-own"') == 7  # every day of the week, and nothing free
    assert 'class="fr"' not in room
    projectors = re.search(rf'<tr id="r{cast.projectors}".*?</tr>', html, re.S).group(0)
    assert projectors.count(f'href="/bookings/{loan}"') == 7
    day = await calendar(client, cast, "member_a", "?view=day&date=2027-01-14")
    room = re.search(rf'<tr id="r{cast.room}".*?</tr>', day, re.S).group(0)
    assert "/bookings/new" not in room


async def test_week_cells_lead_to_the_day_to_choose_a_time(client, cast):
    html = await calendar(client, cast, "member_a")
    assert f'href="?view=day&amp;date=2027-01-12#r{cast.room}"' in html
    assert "Semaine du lundi 11 janvier 2027" in html or "lundi 11 janvier 2027" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?date=2027-13-45", UNREADABLE_DATE),
        ("?date=yesterday&view=day", UNREADABLE_DATE),
        ("?view=month", IGNORED),
        ("?kind=boats&min_capacity=lots", IGNORED),
        ("?resource=abc", IGNORED),
        ("?date=1999-01-01", UNREADABLE_DATE),
        ("?date=2099-12-30", OUT_OF_RANGE),
        ("?resource=999999999999", UNKNOWN_RESOURCE),
    ],
)
async def test_unreadable_addresses_fall_back_to_today_with_a_message(client, cast, query, message):
    html = await calendar(client, cast, "member_a", query)
    assert translate("fr", message) in html
    assert "11 janvier 2027" in html  # today on the hub's clock


async def test_another_hubs_resource_is_not_shown(client, cast):
    html = await calendar(client, cast, "member_a", f"?resource={cast.other_room}")
    assert translate("fr", UNKNOWN_RESOURCE) in html
    assert f'id="r{cast.other_room}"' not in html


async def test_filters_choose_the_rows(client, cast):
    html = await calendar(client, cast, "member_a", "?kind=equipment")
    assert f'id="r{cast.projectors}"' in html
    assert f'id="r{cast.room}"' not in html
    html = await calendar(client, cast, "member_a", f"?resource={cast.room}&view=day")
    assert re.findall(r'<tr id="r(\d+)"', html) == [str(cast.room)]
    html = await calendar(client, cast, "member_a", "?min_capacity=500")
    assert '<tr id="r' not in html
    assert 'class="empty"' in html


async def test_htmx_navigation_gets_only_the_calendar(client, cast):
    html = await calendar(client, cast, "member_a", "?date=2027-01-18", **HTMX_CALENDAR)
    assert html.lstrip().startswith('<section id="calendar"')
    assert "<html" not in html
    assert "<header" not in html
    assert "18 janvier 2027" in html
    full = await calendar(client, cast, "member_a", "?date=2027-01-18")
    assert html.strip() in full  # the page includes the very same partial


async def test_history_restore_gets_the_whole_page(client, cast):
    headers = {**HTMX_CALENDAR, "HX-History-Restore-Request": "true"}
    html = await calendar(client, cast, "member_a", "?date=2027-01-18", **headers)
    assert "<html" in html


async def test_the_number_of_queries_does_not_grow_with_the_bookings(
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
            await calendar(client, cast, "member_a", query)
        finally:
            database.log_queries = False
        return len(seen)

    # the token's first use is recorded: not counted; another week, not to keep the ones counted
    await calendar(client, cast, "member_a", "?date=2027-03-01")
    before = {view: await count(view) for view in ("", "?view=day&date=2027-01-12")}
    kept = {view: await count(view) for view in before}  # unchanged: the bookings are not read
    assert kept == {view: n - 1 for view, n in before.items()}
    for day in range(5):
        for hour in (8, 10, 12, 14):
            start = datetime(2027, 1, 11 + day, hour, tzinfo=UTC)
            await make_booking(
                NOW, cast, status="approved", start=start, association=cast.association_b
            )
            await make_booking(NOW, cast, status="approved", start=start, resource=cast.projectors)
    after = {view: await count(view) for view in before}
    assert after == before
    # token and roles; the reader's association (header); hub and resources; closures; the
    # bookings' version and, when it changed, the bookings with their items
    assert before[""] <= 8, before
