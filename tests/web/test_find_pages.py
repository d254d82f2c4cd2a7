"""Find a room: defaults, rooms and times that fit nearest first, equipment notes, one click
to the booking form, and URLs that cannot be read."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from hub_booking.db.tables import BookingItem
from tests.conftest import NOW
from tests.factories import make_booking, make_resource
from tests.web.test_booking_form_pages import sign_in

# NOW is Monday 2027-01-11 09:00Z (09:00 in Casablanca).
DAY = "2027-01-26"


def results(text: str) -> list[tuple[str, str]]:
    """(room, time) of each result, in order."""
    found = re.findall(
        r'class="card find-result">\s*<h3>([^<]+)</h3>.*?<bdi>([^<]+)</bdi>', text, re.S
    )
    return [(html.unescape(name), when) for name, when in found]


def links(text: str) -> list[dict[str, list[str]]]:
    return [
        parse_qs(urlsplit(html.unescape(href)).query)
        for href in re.findall(r'class="button-link" href="([^"]+)"', text)
    ]


async def test_defaults_are_the_users_hub_today_from_now_for_an_hour(client, cast):
    await sign_in(client, cast)
    response = await client.get("/find")
    assert response.status_code == 200
    text = response.text
    assert 'id="date" name="date" type="date" value="2027-01-11"' in text
    assert 'name="from" type="time" value="08:00"' in text
    assert 'name="to" type="time" value="22:00"' in text
    assert re.search(r'<option value="60" selected>', text)
    assert 'name="people" type="number" inputmode="numeric" min="1" max="100000" value="1"' in text
    # Nothing in the past: today's first start is now.
    assert results(text)[0] == ("Salle Atlas", "09:00–10:00")


async def test_rooms_that_fit_come_nearest_to_the_asked_time_first(client, cast):
    await make_resource(NOW, cast.hub, name_fr="Salle Zalagh", capacity=12)
    await make_resource(NOW, cast.hub, name_fr="Petite salle", capacity=4)
    await make_booking(NOW, cast, status="approved", start=datetime(2027, 1, 26, 14, tzinfo=UTC))
    await sign_in(client, cast)
    response = await client.get(
        f"/find?hub=fes&date={DAY}&from=14:00&to=18:00&duration=60&people=10"
    )
    found = results(response.text)
    assert found[0] == ("Salle Zalagh", "14:00–15:00")  # Atlas is taken at 14:00
    assert ("Salle Atlas", "15:00–16:00") in found
    assert all(name != "Petite salle" for name, _ in found)  # four seats: too small
    assert found.index(("Salle Atlas", "15:00–16:00")) < found.index(
        ("Salle Zalagh", "16:00–17:00")
    )


async def test_asked_equipment_is_noted_free_or_taken_at_each_time(client, cast):
    await make_booking(
        NOW,
        cast,
        status="approved",
        start=datetime(2027, 1, 26, 14, tzinfo=UTC),
        resource=cast.projectors,
    )
    await BookingItem.update({BookingItem.quantity: 3}).where(
        BookingItem.resource == cast.projectors
    )
    await sign_in(client, cast)
    query = f"?date={DAY}&from=14:00&to=16:00&equipment={cast.projectors}"
    text = (await client.get(f"/find{query}")).text
    cards = text.split('class="card find-result"')[1:]
    assert "14:00–15:00" in cards[0]
    assert 'class="badge clash"' in cards[0]
    assert "15:00–16:00" in cards[1]
    assert 'class="badge ok"' in cards[1]
    assert links(text)[1][f"qty_{cast.projectors}"] == ["1"]


async def test_each_result_opens_the_booking_form_prefilled(client, cast):
    await sign_in(client, cast)
    text = (await client.get(f"/find?date={DAY}&from=10:00&to=12:00&people=8")).text
    first = links(text)[0]
    assert first["resource_id"] == [str(cast.room)]
    assert first["starts_at"] == [f"{DAY}T10:00:00+00:00"]
    assert first["attendees"] == ["8"]
    href = html.unescape(re.search(r'class="button-link" href="([^"]+)"', text).group(1))
    form = await client.get(href)
    assert form.status_code == 200
    assert 'name="start" type="time" value="10:00"' in form.text
    assert 'name="end" type="time" value="11:00"' in form.text


async def test_htmx_swaps_only_the_results(client, cast):
    await sign_in(client, cast)
    response = await client.get(
        f"/find?date={DAY}", headers={"HX-Request": "true", "HX-Target": "find-results"}
    )
    assert response.status_code == 200
    assert response.text.startswith('<section id="find-results"')


async def test_unreadable_search_values_fall_back_to_defaults_with_a_message(client, cast):
    await sign_in(client, cast)
    for query in (
        "?date=2027-02-30",
        "?date=yesterday&from=25:00&to=07:00",
        "?duration=0&people=-1",
        "?duration=99999999999999999999&people=abc",
        "?equipment=projector&equipment=99999999999999",
        "?hub=nowhere",
        "?hub=%00&date=%00",
    ):
        response = await client.get(f"/find{query}")
        assert response.status_code == 200, query
        assert 'class="flash error"' in response.text, query
        assert 'id="find-results"' in response.text, query


async def test_a_day_with_nothing_free_says_what_to_try(client, cast):
    await sign_in(client, cast)
    response = await client.get(f"/find?date={DAY}&people=500")
    assert 'class="empty"' in response.text
    assert results(response.text) == []


async def test_anonymous_visitors_are_sent_to_sign_in(client, cast):
    response = await client.get("/find?date=2027-01-26", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/find")
