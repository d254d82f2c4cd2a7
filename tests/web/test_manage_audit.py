"""The history of a hub: which changes belong to it, before → after, filters, pages, bad input."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from hub_booking.db import audit
from hub_booking.db.tables import Booking, Hub
from hub_booking.i18n import translate, translations
from tests.conftest import NOW
from tests.factories import make_blackout, make_booking
from tests.web.sessions import HTML

HISTORY = "/manage/hubs/fes/audit"


def fr(message: str, **params: object) -> str:
    return translate("fr", message, **params)


def changes(html: str) -> int:
    return html.count('<li class="audit-entry">')


async def history(client, cast, query: str = "", status: int = 200) -> str:
    response = await client.get(f"{HISTORY}{query}", headers={**HTML, **cast.auth("manager")})
    assert response.status_code == status, response.text
    return response.text


@pytest.fixture
async def trail(cast):
    """Rows about Fès (its hub, resource, closures, bookings, an expiry batch) and about
    Rabat and users (never shown in Fès's history)."""
    manager, admin = cast.users["manager"], cast.users["admin"]
    ours = await make_booking(NOW, cast, title="Atelier de Fès")
    theirs = await make_booking(NOW, cast, resource=cast.other_room)
    await Booking.update({Booking.hub: cast.other_hub}).where(Booking.id == theirs)
    closure = await make_blackout(NOW, cast, NOW + timedelta(days=3), NOW + timedelta(days=4))
    at = NOW - timedelta(days=5)
    rows = [
        (manager, "booking.approved", "booking", ours, {}),
        (manager, "booking.rejected", "booking", theirs, {"reason": "Rabat"}),
        (
            admin,
            "hub.updated",
            "hub",
            cast.hub,
            {"before": {"timezone": "Africa/Casablanca"}, "after": {"timezone": "Europe/Paris"}},
        ),
        (admin, "hub.updated", "hub", cast.other_hub, {"before": {}, "after": {"name_fr": "R"}}),
        (
            manager,
            "resource.updated",
            "resource",
            cast.room,
            {"before": {"capacity": 30}, "after": {"capacity": 25}},
        ),
        (manager, "resource.updated", "resource", cast.other_room, {"before": {}, "after": {}}),
        (manager, "closure.added", "closure", closure, {"hub_id": cast.hub}),
        (manager, "closure.removed", "closure", 987654, {"hub_id": cast.hub}),
        (manager, "closure.removed", "closure", 987655, {"hub_id": cast.other_hub}),
        (None, "booking.expired", "booking", None, {"ids": [ours, theirs]}),
        (None, "booking.expired", "booking", None, {"ids": [theirs]}),
        (manager, "session.opened", "user", manager, {"ip": "203.0.113.7"}),
    ]
    for index, (actor, action, kind, object_id, details) in enumerate(rows):
        await audit.insert(actor, action, kind, object_id, at + timedelta(hours=index), details)
    return {"ours": ours, "theirs": theirs, "closure": closure}


async def test_the_history_holds_every_change_of_the_hub_and_nothing_else(client, cast, trail):
    html = await history(client, cast)
    assert changes(html) == 6
    assert fr("Request approved") in html
    assert "Atelier de Fès" in html
    assert "Rabat" not in re.sub(r"<header.*?</header>", "", html, flags=re.S)
    assert "203.0.113.7" not in html
    assert (
        f"Closure {trail['closure']}" in html
        or fr("Closure %(number)s", number=trail["closure"]) in html
    )
    assert html.count(fr("Requests expired")) == 2  # one in the filter's choices, one listed


async def test_a_change_shows_who_when_on_the_hubs_clock_and_before_after(client, cast, trail):
    await Hub.update({Hub.timezone: "Asia/Tokyo"}).where(Hub.id == cast.hub)
    html = await history(client, cast)
    # the hub's update was written at 2027-01-06 11:00 UTC: 20:00 in Tokyo
    entry = re.search(r'<li class="audit-entry">(?:(?!</li>).)*Europe/Paris.*?</li>', html, re.S)
    assert entry, html
    assert "20:00" in entry.group(0)
    assert 'Africa/Casablanca</span> → <span class="after">Europe/Paris' in entry.group(0)
    assert "admin@example.org" in entry.group(0)
    assert fr("By the system") in html  # the expiry job


async def test_filters_by_action_actor_dates_and_booking(client, cast, trail):
    assert changes(await history(client, cast, "?action=hub.updated")) == 1
    assert changes(await history(client, cast, "?actor=ADMIN@exa")) == 1
    assert changes(await history(client, cast, "?actor=manager%40")) == 4
    assert changes(await history(client, cast, "?actor=%25")) == 0  # a % is a character
    # the rows were written on 2027-01-06 from 09:00 to 20:00 (UTC, which is the hub's time)
    assert changes(await history(client, cast, "?from=2027-01-06&to=2027-01-06")) == 6
    assert changes(await history(client, cast, "?from=2027-01-07")) == 0
    booking = trail["ours"]
    html = await history(client, cast, f"?booking={booking}")
    assert changes(html) == 2  # its approval, and the expiry batch naming it
    assert changes(await history(client, cast, "?booking=999999")) == 0


async def test_unreadable_filters_are_shown_next_to_their_fields(client, cast, trail):
    for query, field, message in (
        ("?action=DROP%20TABLE", "action", "This value is not one of the choices."),
        ("?booking=abc", "booking", "Enter a booking number, such as 125."),
        ("?booking=99999999999", "booking", "Enter a booking number, such as 125."),
        ("?booking=-5", "booking", "Enter a booking number, such as 125."),
        ("?from=2027-13-01", "from", "Enter a date such as 2027-02-09."),
        ("?to=tomorrow", "to", "Enter a date such as 2027-02-09."),
        ("?from=2027-01-06&to=2027-01-01", "to", "The last date must not come before the first."),
        ("?actor=a%00b", "actor", "This text has characters that are not allowed."),
    ):
        html = await history(client, cast, query, status=422)
        assert f'id="{field}-error"' in html, query
        assert fr(message) in html, query
        assert f'href="#{field}"' in html, query
        assert changes(html) == 6, query  # the filter that could not be read is left out
    html = await history(client, cast, "?page=abc&" + "x=" + "y" * 5000)
    assert changes(html) == 6


async def test_the_history_is_paginated(client, cast):
    for minute in range(55):
        await audit.insert(
            cast.users["manager"],
            "hub.updated",
            "hub",
            cast.hub,
            NOW - timedelta(minutes=minute),
            {},
        )
    first = await history(client, cast)
    assert changes(first) == 50
    assert (
        translations("fr").ngettext("%(num)d change", "%(num)d changes", 55) % {"num": 55} in first
    )
    assert 'href="/manage/hubs/fes/audit?page=2"' in first
    second = await history(client, cast, "?action=hub.updated&page=2")
    assert changes(second) == 5
    assert 'href="/manage/hubs/fes/audit?action=hub.updated&amp;page=1"' in second
    assert changes(await history(client, cast, "?page=99")) == 0


async def test_the_history_is_read_only(client, cast):
    response = await client.post(HISTORY, headers={**HTML, **cast.auth("manager")})
    assert response.status_code == 405


async def test_times_are_utc_instants_at_the_boundaries_of_local_days(client, cast):
    await Hub.update({Hub.timezone: "Asia/Tokyo"}).where(Hub.id == cast.hub)
    late = datetime(2027, 1, 6, 14, 59, tzinfo=UTC)  # 23:59 on the 6th in Tokyo
    early = datetime(2027, 1, 6, 15, 0, tzinfo=UTC)  # 00:00 on the 7th in Tokyo
    for at in (late, early):
        await audit.insert(cast.users["manager"], "hub.updated", "hub", cast.hub, at, {})
    assert changes(await history(client, cast, "?from=2027-01-06&to=2027-01-06")) == 1
    assert changes(await history(client, cast, "?from=2027-01-07&to=2027-01-07")) == 1
