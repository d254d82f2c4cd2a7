"""The booking form: prefill from the calendar, live checks, suggestions, series, one booking
per form token, and the API's Idempotency-Key."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

from hub_booking.db.tables import AppUser, Booking, BookingItem, IdempotencyKey, Membership
from hub_booking.i18n import translate
from hub_booking.services import accounts
from tests.conftest import NOW
from tests.factories import PASSWORD, make_booking, make_resource
from tests.web.test_accounts import csrf_of, log_in
from tests.web.test_bookings_api import TUESDAY, booking, post, set_rules

HTMX = {"HX-Request": "true", "HX-Target": "booking-check"}
EMAILS = {"member_a": "member.a@example.org", "member_b": "member.b@example.org"}


@cache
def _password_hash() -> str:
    return accounts.hash_password(PASSWORD)


async def sign_in(client, cast, role: str = "member_a") -> None:
    """Sign a user of the cast in through the login form."""
    user = cast.users[role]
    await AppUser.update({AppUser.password_hash: _password_hash()}).where(AppUser.id == user)
    assert (await log_in(client, EMAILS[role])).status_code == 303


async def open_form(client, query: str = "") -> tuple[str, dict[str, str]]:
    """The form page and the hidden fields a browser would send back."""
    page = await client.get(f"/bookings/new{query}")
    assert page.status_code == 200, page.text
    hidden = {
        "_csrf_token": csrf_of(page.text),
        "form_token": _value(page.text, "form_token"),
        "hub": _value(page.text, "hub"),
    }
    return page.text, hidden


def _value(text: str, name: str) -> str:
    return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', text).group(1))


def fields(cast, **extra: Any) -> dict[str, Any]:
    values = {
        "association_id": str(cast.association_a),
        "resource_id": str(cast.room),
        "date": TUESDAY,
        "start": "14:00",
        "end": "16:00",
        "title": "Atelier de formation",
        "attendees": "12",
    }
    return {**values, **extra}


async def submit(client, hidden: dict[str, str], data: dict[str, Any], path: str = "/bookings/new"):
    return await client.post(path, data={**hidden, **data}, follow_redirects=False)


def booking_id(response) -> int:
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/bookings/(\d+)", response.headers["location"])
    assert match, response.headers["location"]
    assert "hb_flash" in response.headers.get("set-cookie", "")  # a message for that page
    return int(match.group(1))


def suggestions(text: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'name="suggestion" value="([^"]+)"', text)]


async def test_a_free_cell_of_the_calendar_opens_the_form_prefilled(client, cast):
    await sign_in(client, cast)
    query = (
        f"?resource_id={cast.room}&starts_at={TUESDAY}T14:00:00%2B00:00"
        f"&ends_at={TUESDAY}T15:30:00%2B00:00"
    )
    text, hidden = await open_form(client, query)
    assert re.search(rf'<option value="{cast.room}" selected>', text)
    assert f'id="date" name="date" type="date" value="{TUESDAY}"' in text
    assert 'name="start" type="time" value="14:00"' in text
    assert 'name="end" type="time" value="15:30"' in text
    assert f'name="association_id" value="{cast.association_a}"' in text  # one: hidden
    assert re.search(rf'id="qty_{cast.projectors}"[^>]*max="3"', text)
    assert hidden["hub"] == "fes"
    assert 'hx-trigger="load"' in text  # checked as soon as it is shown, with JavaScript


async def test_a_free_cell_of_an_equipment_pool_asks_one_unit_of_it(client, cast):
    await sign_in(client, cast)
    text, _ = await open_form(client, f"?resource_id={cast.projectors}&starts_at={TUESDAY}T14:00Z")
    assert re.search(rf'id="qty_{cast.projectors}"[^>]*value="1"', text)
    assert '<option value="" selected>' not in text  # no room chosen: the first option shows
    assert 'hx-trigger="load"' in text


async def test_the_hub_alone_opens_its_form(client, cast):
    await sign_in(client, cast)
    text, hidden = await open_form(client, "?hub=rabat")
    assert hidden["hub"] == "rabat"
    assert f'<option value="{cast.other_room}"' in text
    assert f'<option value="{cast.room}"' not in text


async def test_someone_in_two_associations_chooses_one(client, cast):
    await Membership.insert(
        Membership(user=cast.users["member_a"], association=cast.association_b, role="member")
    )
    await sign_in(client, cast)
    text, hidden = await open_form(client)
    assert '<select id="association_id" name="association_id"' in text
    assert f'<option value="{cast.association_b}"' in text
    missing = fields(cast, association_id="")
    response = await submit(client, hidden, missing)
    assert response.status_code == 422
    assert 'href="#association_id"' in response.text
    theirs = fields(cast, association_id=str(cast.association_b))
    created = booking_id(await submit(client, hidden, theirs))
    row = await Booking.select(Booking.association).where(Booking.id == created).first()
    assert row["association"] == cast.association_b


async def test_booking_a_room_and_a_projector_redirects_to_the_booking(client, cast):
    await sign_in(client, cast)
    _, hidden = await open_form(client)
    response = await submit(client, hidden, fields(cast, **{f"qty_{cast.projectors}": "1"}))
    created = booking_id(response)
    row = await Booking.select().where(Booking.id == created).first()
    assert (row["title"], row["attendees"], row["status"]) == (
        "Atelier de formation",
        12,
        "approved",
    )
    assert row["starts_at"] == datetime(2027, 1, 26, 14, tzinfo=UTC)
    items = await BookingItem.select(BookingItem.resource, BookingItem.quantity).where(
        BookingItem.booking == created
    )
    assert sorted((i["resource"], i["quantity"]) for i in items) == [
        (cast.room, 1),
        (cast.projectors, 1),
    ]


async def test_field_errors_show_beside_their_fields_and_keep_what_was_typed(client, cast):
    await sign_in(client, cast)
    _, hidden = await open_form(client)
    typed = fields(cast, title="", date="2027-02-31", start="25:00", attendees="douze")
    response = await submit(client, hidden, typed)
    assert response.status_code == 422
    text = response.text
    summary = text[
        text.index('id="error-summary"') : text.index("</ul>", text.index("error-summary"))
    ]
    for field in ("title", "attendees", "date", "start"):
        assert f'href="#{field}"' in summary
        assert f'id="{field}-error"' in text
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', text, re.S)
    assert 'value="douze"' in text
    assert 'value="2027-02-31"' in text
    assert await Booking.count() == 0


async def test_control_characters_and_over_long_text_are_refused(client, cast):
    await sign_in(client, cast)
    _, hidden = await open_form(client)
    typed = fields(cast, title="Atelier\x1b[31m", purpose="x" * 2001)
    response = await submit(client, hidden, typed)
    assert response.status_code == 422
    assert 'id="title-error"' in response.text
    assert 'id="purpose-error"' in response.text
    assert await Booking.count() == 0


async def test_more_units_than_the_pool_has_is_refused_beside_the_room(client, cast):
    await sign_in(client, cast)
    _, hidden = await open_form(client)
    response = await submit(client, hidden, fields(cast, **{f"qty_{cast.projectors}": "5"}))
    assert response.status_code == 422
    assert "Vidéoprojecteur" in response.text
    assert 'id="resource_id-error"' in response.text
    assert await Booking.count() == 0


async def test_the_live_check_lists_every_violation_at_once_in_arabic(client, cast):
    response = await client_check(client, cast, "ar")
    assert response.startswith('<section id="booking-check"')  # the partial alone
    for message, params in _expected_violations("ar"):
        assert html.escape(translate("ar", message, **params)) in response
    assert translate("ar", "This field is required.") not in response  # a draft: no title yet


async def test_the_live_check_lists_every_violation_at_once_in_french(client, cast):
    response = await client_check(client, cast, "fr")
    for message, params in _expected_violations("fr"):
        assert html.escape(translate("fr", message, **params)) in response


async def client_check(client, cast, language: str) -> str:
    await set_rules(
        cast.hub, max_minutes=60, granularity_minutes=30, min_notice_minutes=60 * 24 * 30
    )
    await sign_in(client, cast)
    client.cookies.set("hb_lang", language)
    _, hidden = await open_form(client)
    typed = fields(cast, start="14:10", end="16:10", attendees="40", title="")
    response = await client.post("/bookings/check", data={**hidden, **typed}, headers=HTMX)
    assert response.status_code == 200
    return response.text


def _expected_violations(language: str) -> list[tuple[str, dict[str, Any]]]:
    room = {"name": "قاعة" if language == "ar" else "Salle Atlas"}  # the room's name in each
    return [
        ("%(name)s is booked for at most %(minutes)s minutes.", {**room, "minutes": 60}),
        ("Start and end must fall on %(step)s-minute marks.", {"step": 30}),
        ("%(name)s must be booked at least %(minutes)s minutes ahead.", {**room, "minutes": 43200}),
        (
            "%(name)s seats %(capacity)s people; %(attendees)s were asked.",
            {**room, "capacity": 30, "attendees": 40},
        ),
    ]


async def test_a_taken_slot_shows_the_conflict_and_suggestions_not_an_error_page(client, cast):
    await sign_in(client, cast)
    _, hidden = await open_form(client)
    # Someone books the slot while the form is open.
    await make_booking(
        NOW, cast, status="approved", start=datetime(2027, 1, 26, 14, tzinfo=UTC), minutes=120
    )
    response = await submit(client, hidden, fields(cast))
    assert response.status_code == 409
    assert 'id="check-clashes"' in response.text
    assert "Salle Atlas" in response.text
    assert suggestions(response.text)
    assert 'value="Atelier de formation"' in response.text  # what was typed is kept
    assert await Booking.count() == 1


async def test_the_live_check_shows_a_clash_and_suggestions_only_when_asked(client, cast):
    await sign_in(client, cast)
    await make_booking(
        NOW, cast, status="approved", start=datetime(2027, 1, 26, 14, tzinfo=UTC), minutes=120
    )
    _, hidden = await open_form(client)
    typing = await client.post("/bookings/check", data={**hidden, **fields(cast)}, headers=HTMX)
    assert 'id="check-clashes"' in typing.text
    assert not suggestions(typing.text)  # not looked for on every change of the form
    assert re.search(r'id="show-suggestions" name="suggest" value="1"', typing.text)
    asked = {**hidden, **fields(cast), "suggest": "1"}
    shown = await client.post("/bookings/check", data=asked, headers=HTMX)
    assert suggestions(shown.text)[0] == "slot:2027-01-26T16:00:00+00:00/2027-01-26T18:00:00+00:00"
    assert 'id="show-suggestions"' not in shown.text
    whole = await client.post("/bookings/check", data=asked)  # without JavaScript: the form
    assert "<form" in whole.text
    assert suggestions(whole.text)
    assert await Booking.count() == 1


async def test_one_click_on_a_suggested_time_books_it(client, cast):
    await sign_in(client, cast)
    await make_booking(
        NOW, cast, status="approved", start=datetime(2027, 1, 26, 14, tzinfo=UTC), minutes=120
    )
    _, hidden = await open_form(client)
    refused = await submit(client, hidden, fields(cast))
    first = suggestions(refused.text)[0]
    assert first == "slot:2027-01-26T16:00:00+00:00/2027-01-26T18:00:00+00:00"
    _, hidden = await open_form(client)
    created = booking_id(await submit(client, hidden, fields(cast, suggestion=first)))
    row = (
        await Booking.select(Booking.starts_at, Booking.ends_at)
        .where(Booking.id == created)
        .first()
    )
    assert (row["starts_at"], row["ends_at"]) == (
        datetime(2027, 1, 26, 16, tzinfo=UTC),
        datetime(2027, 1, 26, 18, tzinfo=UTC),
    )


async def test_one_click_on_another_room_books_that_room(client, cast):
    other = await make_resource(NOW, cast.hub, name_fr="Salle Zalagh", capacity=20)
    await sign_in(client, cast)
    await make_booking(
        NOW, cast, status="approved", start=datetime(2027, 1, 26, 14, tzinfo=UTC), minutes=120
    )
    _, hidden = await open_form(client)
    refused = await submit(client, hidden, fields(cast))
    alternative = f"resource:{cast.room}:{other}"
    assert alternative in suggestions(refused.text)
    assert "Salle Zalagh" in refused.text
    created = booking_id(await submit(client, hidden, fields(cast, suggestion=alternative)))
    items = await BookingItem.select(BookingItem.resource).where(BookingItem.booking == created)
    assert [i["resource"] for i in items] == [other]


def series(cast, **extra: Any) -> dict[str, Any]:
    return fields(cast, repeat="weekly", days="TU", ends="count", count="4", **extra)


async def test_the_series_preview_marks_each_occurrence_and_skip_books_the_free_ones(client, cast):
    await sign_in(client, cast)
    await make_booking(NOW, cast, status="approved", start=datetime(2027, 2, 2, 15, tzinfo=UTC))
    _, hidden = await open_form(client)
    preview = await client.post("/bookings/check", data={**hidden, **series(cast)}, headers=HTMX)
    states = re.findall(r'class="occurrence (\w+)" data-date="([\d-]+)"', preview.text)
    assert states == [
        ("ok", "2027-01-26"),
        ("clash", "2027-02-02"),
        ("ok", "2027-02-09"),
        ("ok", "2027-02-16"),
    ]
    assert 'name="on_conflict" value="skip"' in preview.text
    skipping = await client.post(
        "/bookings/check", data={**hidden, **series(cast, on_conflict="skip")}, headers=HTMX
    )
    skipped = skipping.text[skipping.text.index('id="check-skipped"') :]
    assert "2 février 2027" in skipped.split("</ul>")[0]
    refused = await submit(client, hidden, series(cast))
    assert refused.status_code == 409  # "fail": nothing booked
    assert await Booking.count() == 1
    made = booking_id(await submit(client, hidden, series(cast, on_conflict="skip")))
    shown = await client.get(f"/bookings/{made}")  # the booking's page says what was skipped
    flash = shown.text[shown.text.index('id="flash"') :].split("</div>")[0]
    assert "3 dates" in flash
    assert "mardi 2 février 2027" in flash
    rows = await Booking.select(Booking.starts_at).where(Booking.series.is_not_null())
    assert sorted(r["starts_at"].date().isoformat() for r in rows) == [
        "2027-01-26",
        "2027-02-09",
        "2027-02-16",
    ]


async def test_a_double_submitted_form_makes_one_booking(client, cast):
    await sign_in(client, cast)
    _, hidden = await open_form(client)
    first = booking_id(await submit(client, hidden, fields(cast)))
    again = booking_id(await submit(client, hidden, fields(cast)))
    assert again == first
    assert await Booking.count() == 1
    assert await IdempotencyKey.count() == 1


async def test_a_used_form_token_with_other_values_is_refused_with_a_new_token(client, cast):
    await sign_in(client, cast)
    _, hidden = await open_form(client)
    booking_id(await submit(client, hidden, fields(cast)))
    response = await submit(client, hidden, fields(cast, start="17:00", end="18:00"))
    assert response.status_code == 422
    assert _value(response.text, "form_token") != hidden["form_token"]
    assert await Booking.count() == 1


async def test_a_refused_form_can_be_sent_again_once_corrected(client, cast):
    await sign_in(client, cast)
    _, hidden = await open_form(client)
    assert (await submit(client, hidden, fields(cast, end="13:00"))).status_code == 422
    booking_id(await submit(client, hidden, fields(cast)))  # the same token, unused so far


async def test_check_without_javascript_shows_the_whole_form_and_writes_nothing(client, cast):
    await sign_in(client, cast)
    _, hidden = await open_form(client)
    response = await submit(client, hidden, fields(cast, action="check"))
    assert response.status_code == 200
    assert response.text.startswith("<!doctype html>")
    assert 'id="check-ok"' in response.text
    assert await Booking.count() == 0


async def test_the_check_posted_without_htmx_answers_the_whole_form(client, cast):
    await sign_in(client, cast)
    _, hidden = await open_form(client)
    response = await submit(client, hidden, fields(cast), "/bookings/check")
    assert response.status_code == 200
    assert response.text.startswith("<!doctype html>")
    assert 'id="check-ok"' in response.text
    assert 'value="Atelier de formation"' in response.text


async def test_api_idempotency_key_books_once_and_answers_the_same(client, cast):
    body = booking(cast, recurrence={"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=3"})
    key = {"Idempotency-Key": "c0ffee-2027-01-26"}
    first = await post(client, cast, body, **key)
    again = await post(client, cast, body, **key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert await Booking.count() == 3
    other = await post(client, cast, {**body, "title": "Autre"}, **key)
    assert other.status_code == 422
    assert other.json()["violations"][0]["code"] == "idempotency_key_reused"
    assert await Booking.count() == 3


async def test_simultaneous_requests_with_one_key_make_one_booking(client, cast):
    key = {"Idempotency-Key": "double-click"}
    answers = await asyncio.gather(*(post(client, cast, booking(cast), **key) for _ in range(4)))
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.json()["id"] for a in answers}) == 1
    assert await Booking.count() == 1


async def test_a_form_sent_twice_at_once_makes_one_booking(client, cast):
    await sign_in(client, cast)
    _, hidden = await open_form(client)
    sent = await asyncio.gather(*(submit(client, hidden, fields(cast)) for _ in range(3)))
    assert len({booking_id(response) for response in sent}) == 1
    assert await Booking.count() == 1


async def test_api_idempotency_keys_belong_to_their_user(client, cast):
    key = {"Idempotency-Key": "same-key"}
    assert (await post(client, cast, booking(cast), **key)).status_code == 201
    moved = booking(cast, start=f"{TUESDAY}T18:00:00+00:00", end=f"{TUESDAY}T19:00:00+00:00")
    assert (await post(client, cast, moved, role="rep_a", **key)).status_code == 201
    assert await Booking.count() == 2


async def test_api_refuses_a_malformed_idempotency_key(client, cast):
    response = await post(client, cast, booking(cast), **{"Idempotency-Key": "x" * 256})
    assert response.status_code == 422
    assert response.json()["violations"][0]["field"] == "Idempotency-Key"
    assert await Booking.count() == 0


async def test_api_refused_request_leaves_its_key_free(client, cast):
    key = {"Idempotency-Key": "retry-me"}
    too_late = booking(cast, start="2027-01-26T21:30:00+00:00", end="2027-01-26T23:00:00+00:00")
    assert (await post(client, cast, too_late, **key)).status_code == 422
    assert (await post(client, cast, booking(cast), **key)).status_code == 201


async def test_unreadable_link_values_fall_back_with_a_note(client, cast):
    await sign_in(client, cast)
    for query in (
        "?resource_id=abc&starts_at=garbage",
        "?resource_id=99999999999999999999&ends_at=2027-13-01T00:00Z",
        "?hub=%00nope&starts_at=1999-01-01T00:00:00%2B00:00",
        "?resource_id=-4&hub=" + "x" * 300,
        "?resource_id=" + "9" * 5000,
    ):
        response = await client.get(f"/bookings/new{query}")
        assert response.status_code == 200, query
        assert 'class="flash error"' in response.text, query


async def test_anonymous_visitors_are_sent_to_sign_in(client, cast):
    response = await client.get("/bookings/new?hub=fes", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/bookings/new")
    login = await client.get("/login")
    posted = await client.post(
        "/bookings/check",
        data={"_csrf_token": csrf_of(login.text), **fields(cast), "hub": "fes"},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/login")


async def test_booking_for_another_association_is_refused_as_the_api_refuses_it(client, cast):
    await sign_in(client, cast)
    _, hidden = await open_form(client)
    theirs = fields(cast, association_id=str(cast.association_b))
    api = await post(client, cast, booking(cast, association_id=cast.association_b))
    page = await submit(client, hidden, theirs)
    check = await client.post("/bookings/check", data={**hidden, **theirs}, headers=HTMX)
    assert api.status_code == page.status_code == check.status_code == 403
    assert await Booking.count() == 0
