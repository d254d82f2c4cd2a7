"""``GET /feeds/{token}.ics``: what calendar clients read, checked by four independent readers
(icalendar, vobject, ical, recurring_ical_events); caching, privacy, windows, and the
single-booking download."""

from __future__ import annotations

import gzip
import re
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import recurring_ical_events
import vobject
from ical.calendar_stream import IcsCalendarStream

from hub_booking.app import create_app
from hub_booking.db.tables import (
    AppUser,
    Association,
    Booking,
    BookingItem,
    FeedToken,
    Hub,
    HubManager,
    Membership,
    Resource,
)
from hub_booking.services import accounts
from tests.conftest import NOW, SECRET, serve_in_loop
from tests.factories import make_association, make_booking, make_user
from tests.web.test_bookings_api import TUESDAY, booking, post

FEED_PATH = re.compile(r"^http://127\.0\.0\.1:8000(/feeds/[A-Za-z0-9_-]{43}\.ics)$")
EVERYTHING = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC))


@asynccontextmanager
async def client_at(database, settings, when: datetime) -> AsyncIterator:
    """The app with its clock stopped at ``when``."""
    async with serve_in_loop(create_app(settings, clock=lambda: when, engine=database)) as c:
        yield c


async def subscribe(client, cast, role: str, scope: str, target: int | None = None, **extra):
    body = {"scope": scope, **({"id": target} if target is not None else {}), **extra}
    response = await client.post("/api/v1/feeds", json=body, headers=cast.auth(role))
    assert response.status_code == 201, response.text
    match = FEED_PATH.match(response.json()["url"])
    assert match
    return match.group(1)


@dataclass(frozen=True, order=True)
class Seen:
    uid: str
    start: datetime
    end: datetime
    status: str
    sequence: int
    summary: str


def read(body: bytes) -> list[Seen]:
    """The events of a calendar as every reader sees them; the readers must all agree."""
    text = body.decode()
    parsed = icalendar.Calendar.from_ical(body)
    by_icalendar = sorted(
        Seen(
            str(e["UID"]),
            e["DTSTART"].dt,
            e["DTEND"].dt,
            str(e["STATUS"]),
            int(e["SEQUENCE"]),
            str(e["SUMMARY"]),
        )
        for e in parsed.walk("VEVENT")
    )
    by_vobject = sorted(
        Seen(
            e.uid.value,
            e.dtstart.value,
            e.dtend.value,
            e.status.value,
            int(e.sequence.value),
            e.summary.value,
        )
        for e in getattr(vobject.readOne(text), "vevent_list", [])
    )
    strict = IcsCalendarStream.calendar_from_ics(text)
    by_ical = sorted(
        Seen(e.uid, e.dtstart, e.dtend, str(e.status.value), e.sequence, e.summary)
        for e in strict.events
    )
    by_occurrence = sorted(
        Seen(
            str(e["UID"]),
            e["DTSTART"].dt,
            e["DTEND"].dt,
            str(e["STATUS"]),
            int(e["SEQUENCE"]),
            str(e["SUMMARY"]),
        )
        for e in recurring_ical_events.of(parsed).between(*EVERYTHING)
    )
    assert by_icalendar == by_vobject == by_ical == by_occurrence
    for seen in by_icalendar:
        assert seen.start.utcoffset() == timedelta(0) == seen.end.utcoffset()
    return by_icalendar


async def stored(ids: list[int]) -> dict[str, tuple[datetime, datetime, str, int]]:
    rows = await Booking.select(
        Booking.uid, Booking.starts_at, Booking.ends_at, Booking.status, Booking.revision
    ).where(Booking.id.is_in(ids))
    return {r["uid"]: (r["starts_at"], r["ends_at"], r["status"], r["revision"]) for r in rows}


def assert_matches(seen: list[Seen], expected: dict[str, tuple[datetime, datetime, str, int]]):
    """Every booking once, at its own UTC instants, with its revision as SEQUENCE."""
    status = {"pending": "TENTATIVE", "approved": "CONFIRMED"}
    assert sorted(s.uid for s in seen) == sorted(expected)
    for s in seen:
        start, end, state, revision = expected[s.uid]
        assert (s.start, s.end) == (start, end), s.uid
        assert s.status == status.get(state, "CANCELLED")
        assert s.sequence == revision


async def series_ids(client, cast, rrule: str, start: str, end: str) -> list[int]:
    body = booking(cast, start=start, end=end, recurrence={"rrule": rrule})
    created = await post(client, cast, body)
    assert created.status_code == 201, created.text
    return [o["id"] for o in created.json()["occurrences"]]


# --- what every reader sees ------------------------------------------------------------------


async def test_a_weekly_series_at_14h_in_2027_is_14z_in_every_feed(client, cast):
    ids = await series_ids(
        client,
        cast,
        "FREQ=WEEKLY;BYDAY=TU;COUNT=10",
        f"{TUESDAY}T14:00:00+00:00",
        f"{TUESDAY}T17:00:00+00:00",
    )
    expected = await stored(ids)
    paths = [
        await subscribe(client, cast, "member_a", "me"),
        await subscribe(client, cast, "member_a", "association", cast.association_a),
        await subscribe(client, cast, "manager", "hub", cast.hub),
        await subscribe(client, cast, "manager", "resource", cast.room),
        await subscribe(client, cast, "admin", "hub", cast.hub),
    ]
    for path in paths:
        response = await client.get(path)
        assert response.status_code == 200
        seen = read(response.content)
        assert_matches(seen, expected)
        assert {(s.start.hour, s.end.hour) for s in seen} == {(14, 17)}
        assert "DTSTART:20270126T140000Z" in response.text
        assert "TZID" not in response.text
        assert "VTIMEZONE" not in response.text


async def test_a_series_across_both_ramadan_switches_of_2026_with_a_clock_in_2025(
    database, settings, cast
):
    """Local 10:00 on Sundays: 09:00Z, then 10:00Z during Ramadan time, then 09:00Z."""
    december = datetime(2025, 12, 1, 9, tzinfo=UTC)
    async with client_at(database, settings, december) as client:
        ids = await series_ids(
            client,
            cast,
            "FREQ=WEEKLY;BYDAY=SU;COUNT=10",
            "2026-02-01T10:00:00+01:00",
            "2026-02-01T12:00:00+01:00",
        )
        path = await subscribe(client, cast, "member_a", "association", cast.association_a)
        response = await client.get(path)
    seen = read(response.content)
    assert_matches(seen, await stored(ids))
    hours = [s.start.hour for s in sorted(seen, key=lambda s: s.start)]
    assert hours == [9, 9, 10, 10, 10, 10, 10, 9, 9, 9]  # 02-15 to 03-15 in Ramadan time


async def test_a_series_with_one_occurrence_cancelled_and_one_moved(client, cast):
    ids = await series_ids(
        client,
        cast,
        "FREQ=WEEKLY;BYDAY=TU;COUNT=5",
        f"{TUESDAY}T14:00:00+00:00",
        f"{TUESDAY}T17:00:00+00:00",
    )
    before = await stored(ids)
    cancelled = await client.post(
        f"/api/v1/bookings/{ids[1]}/cancel", json={"scope": "this"}, headers=cast.auth("member_a")
    )
    assert cancelled.status_code == 200
    moved = await client.patch(
        f"/api/v1/bookings/{ids[3]}",
        json={"starts_at": "2027-02-17T09:00:00+00:00", "ends_at": "2027-02-17T11:00:00+00:00"},
        headers=cast.auth("member_a"),
    )
    assert moved.status_code == 200, moved.text
    after = await stored(ids)
    assert set(after) == set(before)  # the same UIDs
    for role, scope, target in (("member_a", "me", None), ("manager", "hub", cast.hub)):
        response = await client.get(await subscribe(client, cast, role, scope, target))
        seen = read(response.content)
        assert_matches(seen, after)
        by_uid = {s.uid: s for s in seen}
        uids = list(before)
        uid_cancelled = next(u for u in uids if after[u][2] == "cancelled")
        uid_moved = next(u for u in uids if after[u][0] != before[u][0])
        assert by_uid[uid_cancelled].status == "CANCELLED"
        assert by_uid[uid_cancelled].sequence == before[uid_cancelled][3] + 1
        assert by_uid[uid_moved].start == datetime(2027, 2, 17, 9, tzinfo=UTC)
        assert by_uid[uid_moved].sequence == before[uid_moved][3] + 1
        assert sum(s.status == "CONFIRMED" for s in seen) == 4


async def test_instants_are_truncated_to_the_second_like_the_single_booking_file(client, cast):
    booking_id = await make_booking(NOW, cast, status="approved")
    almost = datetime(2027, 1, 11, 9, 0, 59, 999_999, tzinfo=UTC)
    await Booking.update({Booking.updated_at: almost, Booking.created_at: almost}).where(
        Booking.id == booking_id
    )
    feed = (await client.get(await subscribe(client, cast, "member_a", "me"))).text
    single = await client.get(f"/bookings/{booking_id}/calendar.ics", headers=cast.auth("member_a"))
    for text in (feed, single.text):
        assert "LAST-MODIFIED:20270111T090059Z" in text
        assert "CREATED:20270111T090059Z" in text
    assert "DTSTAMP:20270111T090059Z" in feed


async def test_an_edit_keeps_the_uid_and_grows_the_sequence(client, cast):
    booking_id = await make_booking(NOW, cast, status="approved", title="Atelier")
    path = await subscribe(client, cast, "member_a", "me")
    (first,) = read((await client.get(path)).content)
    edited = await client.patch(
        f"/api/v1/bookings/{booking_id}",
        json={"title": "Atelier (salle changée)"},
        headers=cast.auth("member_a"),
    )
    assert edited.status_code == 200, edited.text
    (second,) = read((await client.get(path)).content)
    assert second.uid == first.uid
    assert second.sequence > first.sequence
    assert second.summary == "Atelier (salle changée)"


async def test_a_pending_booking_is_tentative(client, cast):
    await make_booking(NOW, cast, status="pending")
    path = await subscribe(client, cast, "member_a", "me")
    (seen,) = read((await client.get(path)).content)
    assert seen.status == "TENTATIVE"


async def test_a_cancelled_booking_stays_30_days_then_is_gone(database, settings, client, cast):
    booking_id = await make_booking(
        NOW, cast, status="approved", start=datetime(2027, 4, 6, 10, tzinfo=UTC)
    )
    path = await subscribe(client, cast, "member_a", "me")
    response = await client.post(
        f"/api/v1/bookings/{booking_id}/cancel", headers=cast.auth("member_a")
    )
    assert response.status_code == 200
    (seen,) = read((await client.get(path)).content)
    assert seen.status == "CANCELLED"
    async with client_at(database, settings, NOW + timedelta(days=29)) as later:
        assert [s.status for s in read((await later.get(path)).content)] == ["CANCELLED"]
    async with client_at(database, settings, NOW + timedelta(days=31)) as later:
        response = await later.get(path)
    assert response.status_code == 200
    assert read(response.content) == []
    assert "BEGIN:VEVENT" not in response.text


async def test_the_window_runs_from_90_days_back_to_400_ahead(client, cast):
    inside = [NOW - timedelta(days=89), NOW + timedelta(days=399)]
    outside = [NOW - timedelta(days=92), NOW + timedelta(days=402)]
    ids = [
        await make_booking(NOW, cast, status="approved", start=when) for when in inside + outside
    ]
    path = await subscribe(client, cast, "member_a", "me")
    seen = read((await client.get(path)).content)
    assert sorted(s.uid for s in seen) == sorted((await stored(ids[:2])).keys())


# --- the calendar and its texts ----------------------------------------------------------------


async def test_the_calendar_says_what_it_is_and_how_often_to_come_back(client, cast):
    await make_booking(NOW, cast, status="approved", title="Assemblée générale")
    path = await subscribe(client, cast, "member_a", "association", cast.association_a)
    response = await client.get(path)
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "set-cookie" not in response.headers  # no session, no CSRF cookie
    lines = response.text.split("\r\n")
    for line in (
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//hub-booking//Calendar feeds//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "NAME:Association assoc-a",
        "X-WR-CALNAME:Association assoc-a",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ):
        assert line in lines
    event = icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Assemblée générale"
    assert str(event["LOCATION"]) == "Pôle fes, Salle Atlas"
    booking_id = (await Booking.select(Booking.id).first())["id"]
    link = f"http://127.0.0.1:8000/bookings/{booking_id}"
    assert str(event["DESCRIPTION"]).split("\n") == ["Association assoc-a", "Salle Atlas", link]
    assert str(event["URL"]) == link
    for name in ("DTSTAMP", "CREATED", "LAST-MODIFIED"):
        assert event[name].dt == NOW


async def test_texts_follow_the_owners_language_or_the_feeds_own(client, cast):
    await AppUser.update({AppUser.language: "ar"}).where(AppUser.id == cast.users["manager"])
    await make_booking(NOW, cast, status="pending", association=cast.association_b)
    arabic = await client.get(await subscribe(client, cast, "manager", "hub", cast.hub))
    assert "NAME:قطب fes" in arabic.text.split("\r\n")
    event = icalendar.Calendar.from_ical(arabic.content).walk("VEVENT")[0]
    assert str(event["DESCRIPTION"]).split("\n")[0] == "في انتظار الموافقة"
    english = await client.get(
        await subscribe(client, cast, "manager", "hub", cast.hub, language="en", label="Fès")
    )
    assert "NAME:Fès" in english.text.split("\r\n")
    event = icalendar.Calendar.from_ical(english.content).walk("VEVENT")[0]
    assert str(event["DESCRIPTION"]).split("\n")[0] == "Awaiting approval"
    mine = await client.get(await subscribe(client, cast, "member_a", "me"))
    assert "NAME:Mes réservations" in mine.text.split("\r\n")


async def test_a_renamed_hub_reaches_every_event_with_the_feeds_next_change(client, cast):
    changed = await make_booking(NOW, cast, status="approved")
    await make_booking(NOW, cast, status="approved")
    path = await subscribe(client, cast, "member_a", "me")
    events = icalendar.Calendar.from_ical((await client.get(path)).content).walk("VEVENT")
    assert {str(e["LOCATION"]) for e in events} == {"Pôle fes, Salle Atlas"}
    await Hub.update({Hub.name_fr: "Pôle de Fès"}).where(Hub.id == cast.hub)
    edited = await client.patch(
        f"/api/v1/bookings/{changed}", json={"attendees": 6}, headers=cast.auth("member_a")
    )
    assert edited.status_code == 200
    events = icalendar.Calendar.from_ical((await client.get(path)).content).walk("VEVENT")
    assert {str(e["LOCATION"]) for e in events} == {"Pôle de Fès, Salle Atlas"}


# --- privacy --------------------------------------------------------------------------------


async def test_hub_feeds_show_titles_only_to_the_hubs_managers_and_the_bookings_association(
    client, cast
):
    await make_booking(NOW, cast, status="approved", title="Secret A")
    await make_booking(
        NOW, cast, status="approved", title="Secret B", association=cast.association_b
    )
    # A manager of the hub who is also a member of association A...
    user = await make_user(
        NOW, "both@example.org", manages=(cast.hub,), member_of={cast.association_a: "member"}
    )
    token = await accounts.create_token("both@example.org", "t", NOW, SECRET)
    cast.tokens["both"] = token
    hub_feed = await subscribe(client, cast, "both", "hub", cast.hub)
    room_feed = await subscribe(client, cast, "both", "resource", cast.room)
    for path in (hub_feed, room_feed):
        assert sorted(s.summary for s in read((await client.get(path)).content)) == [
            "Secret A",
            "Secret B",
        ]
    # ... who no longer manages it: only their association's booking keeps its title.
    await HubManager.delete().where(HubManager.user == user)
    for path in (hub_feed, room_feed):
        response = await client.get(path)
        assert sorted(s.summary for s in read(response.content)) == ["Réservé", "Secret A"]
        assert "Secret B" not in response.text
        assert "assoc-b" not in response.text
    # A platform administrator's hub feed is no exception (nobody's titles travel by default).
    admin_feed = await client.get(await subscribe(client, cast, "admin", "hub", cast.hub))
    assert sorted(s.summary for s in read(admin_feed.content)) == ["Réservé", "Réservé"]
    # Unless the hub makes its titles public.
    await Hub.update({Hub.feed_titles_public: True}).where(Hub.id == cast.hub)
    for path in (hub_feed, room_feed):
        summaries = sorted(s.summary for s in read((await client.get(path)).content))
        assert summaries == ["Secret A", "Secret B"]


async def test_booked_is_translated_for_the_reader(client, cast):
    await make_booking(NOW, cast, status="approved", title="Secret")
    for language, word in (("fr", "Réservé"), ("ar", "محجوز"), ("en", "Booked")):
        path = await subscribe(client, cast, "admin", "hub", cast.hub, language=language)
        (seen,) = read((await client.get(path)).content)
        assert seen.summary == word


async def test_a_feed_shows_what_its_owner_may_see_now(client, cast):
    await make_booking(NOW, cast, status="approved")
    association_feed = await subscribe(client, cast, "member_a", "association", cast.association_a)
    me_feed = await subscribe(client, cast, "member_a", "me")
    assert len(read((await client.get(me_feed)).content)) == 1
    await Membership.delete().where(Membership.user == cast.users["member_a"])
    assert (await client.get(association_feed)).status_code == 404
    response = await client.get(me_feed)
    assert response.status_code == 200
    assert read(response.content) == []


# --- unknown feeds ----------------------------------------------------------------------------


async def test_unknown_revoked_malformed_and_orphaned_feeds_answer_alike(client, cast):
    revoked = await subscribe(client, cast, "member_a", "me")
    await FeedToken.update({FeedToken.revoked_at: NOW}).where(FeedToken.scope == "me")
    gone_user = await subscribe(client, cast, "outsider", "me")
    await AppUser.delete().where(AppUser.id == cast.users["outsider"])
    inactive = await subscribe(client, cast, "member_b", "me")
    await AppUser.update({AppUser.is_active: False}).where(AppUser.id == cast.users["member_b"])
    spare = await make_association(NOW, "assoc-c")
    gone_association = await subscribe(client, cast, "admin", "association", spare)
    await Association.delete().where(Association.id == spare)
    room = (await Resource.insert(Resource(hub=cast.hub, kind="space", created_at=NOW)))[0]["id"]
    gone_room = await subscribe(client, cast, "manager", "resource", room)
    await Resource.delete().where(Resource.id == room)
    paths = [
        revoked,
        gone_user,
        inactive,
        gone_association,
        gone_room,
        f"/feeds/{secrets.token_urlsafe(32)}.ics",
        "/feeds/short.ics",
        "/feeds/" + "a" * 500 + ".ics",
        "/feeds/%00%27%22.ics",
        "/feeds/a/b.ics",
        "/feeds/",
        revoked.removesuffix(".ics"),
        revoked + ".ical",
    ]
    answers = [await client.get(path, headers={"Accept": "text/calendar"}) for path in paths]
    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1, [a.content for a in answers]
    head = await client.head(revoked)
    assert head.status_code == 404


# --- HTTP caching and encoding --------------------------------------------------------------


async def test_an_etag_round_trip_answers_304_with_an_empty_body(client, cast):
    await make_booking(NOW, cast, status="approved")
    path = await subscribe(client, cast, "member_a", "me")
    first = await client.get(path)
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}(-gz)?"', etag)  # httpx asks for gzip
    assert first.headers["cache-control"] == "private, max-age=300"
    again = await client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    for variant in (f"W/{etag}", f'"other", {etag}', "*"):
        assert (await client.get(path, headers={"If-None-Match": variant})).status_code == 304
    # A change makes the old ETag stale.
    await make_booking(NOW, cast, status="approved")
    changed = await client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert len(read(changed.content)) == 2


async def test_a_last_modified_round_trip_answers_304(client, cast):
    await make_booking(NOW, cast, status="approved")
    path = await subscribe(client, cast, "member_a", "me")
    first = await client.get(path)
    assert first.headers["last-modified"] == "Mon, 11 Jan 2027 09:00:00 GMT"
    since = {"If-Modified-Since": first.headers["last-modified"]}
    again = await client.get(path, headers=since)
    assert again.status_code == 304
    assert again.content == b""
    earlier = {"If-Modified-Since": "Mon, 11 Jan 2027 08:59:59 GMT"}
    assert (await client.get(path, headers=earlier)).status_code == 200
    # If-None-Match wins over If-Modified-Since when both are sent.
    both = {**since, "If-None-Match": '"stale"'}
    assert (await client.get(path, headers=both)).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"If-None-Match": '"' + "a" * 20_000 + '"'},
        {"If-None-Match": ", ".join(['"x"'] * 3000)},
        {"If-None-Match": "W/"},
        {"If-Modified-Since": "yesterday"},
        {"If-Modified-Since": "Mon, 99 Foo 2027 99:99:99 GMT"},
        {"If-Modified-Since": "Mon, 11 Jan 9999 09:00:00 GMT"},
        {"If-Modified-Since": "0" * 10_000},
        {"Accept-Encoding": "gzip;q=zzz, br;q=1"},
    ],
)
async def test_odd_conditional_headers_are_ignored(client, cast, headers):
    await make_booking(NOW, cast, status="approved")
    path = await subscribe(client, cast, "member_a", "me")
    response = await client.get(path, headers=headers)
    assert response.status_code == 200
    assert len(read(response.content)) == 1


async def test_gzip_when_asked_with_its_own_etag(client, cast):
    for day in range(20):
        await make_booking(NOW, cast, status="approved", start=NOW + timedelta(days=day + 1))
    path = await subscribe(client, cast, "manager", "hub", cast.hub)
    plain = await client.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    zipped = await client.get(path, headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.content == plain.content  # httpx has decoded it
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3
    assert zipped.headers["etag"] == plain.headers["etag"][:-1] + '-gz"'
    # Either ETag is current; the 304 names the representation asked for.
    for etag in (plain.headers["etag"], zipped.headers["etag"]):
        answer = await client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
        assert answer.status_code == 304
        assert answer.headers["etag"] == zipped.headers["etag"]
    bodies = []
    for _ in range(2):  # the same data gives the same bytes (no time in the gzip header)
        async with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as raw:
            bodies.append(b"".join([chunk async for chunk in raw.aiter_raw()]))
    assert bodies[0] == bodies[1]
    assert gzip.decompress(bodies[0]) == plain.content


async def test_head_answers_the_headers_of_get_without_the_body(client, cast):
    await make_booking(NOW, cast, status="approved")
    path = await subscribe(client, cast, "member_a", "me")
    got = await client.get(path)
    head = await client.head(path)
    assert head.status_code == 200
    assert head.content == b""
    for name in ("etag", "last-modified", "content-type", "cache-control"):
        assert head.headers[name] == got.headers[name]
    assert head.headers["content-length"] == got.headers["content-length"]
    etag = {"If-None-Match": got.headers["etag"]}
    assert (await client.head(path, headers=etag)).status_code == 304


# --- cost -----------------------------------------------------------------------------------


async def _add_bookings(cast, count: int, first: datetime) -> None:
    """``count`` approved one-hour bookings of the room, three a day, written in bulk."""
    for chunk in range(0, count, 200):
        rows = []
        for n in range(chunk, min(count, chunk + 200)):
            start = first + timedelta(days=n // 3, hours=3 * (n % 3))
            rows.append(
                Booking(
                    uid=f"{uuid.uuid4()}@hub-booking",
                    association=cast.association_a,
                    requested_by=cast.users["member_a"],
                    hub=cast.hub,
                    title="Cours",
                    local_start=start.replace(tzinfo=None),
                    local_end=(start + timedelta(hours=1)).replace(tzinfo=None),
                    timezone="Africa/Casablanca",
                    starts_at=start,
                    ends_at=start + timedelta(hours=1),
                    status="approved",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        written = await Booking.insert(*rows).returning(Booking.id, Booking.starts_at)
        await BookingItem.insert(
            *[
                BookingItem(
                    booking=row["id"],
                    resource=cast.room,
                    hold_start=row["starts_at"],
                    hold_end=row["starts_at"] + timedelta(hours=1),
                    exclusive=True,
                )
                for row in written
            ]
        )


async def _queries_of(database, monkeypatch, request) -> tuple[int, object]:
    """How many SQL statements the engine ran while ``request`` was answered (every query,
    raw or not, goes through ``run_querystring``; PostgresEngine has slots: patch its class)."""
    counted = 0
    engine_class = type(database)
    original = engine_class.run_querystring

    async def counting(self, *args, **kwargs):
        nonlocal counted
        counted += 1
        return await original(self, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(engine_class, "run_querystring", counting)
        response = await request()
    return counted, response


async def _costs(database, monkeypatch, client, path: str) -> tuple[int, int, int, int]:
    """(events, queries to build the feed, queries to answer it again unchanged, queries
    of a 304): the app's store of built answers is emptied first, so the build is real."""
    client.app.state.pop("feed_answers", None)
    built, response = await _queries_of(database, monkeypatch, lambda: client.get(path))
    again, repeated = await _queries_of(database, monkeypatch, lambda: client.get(path))
    assert repeated.content == response.content
    etag = {"If-None-Match": response.headers["etag"]}
    cached, answer = await _queries_of(
        database, monkeypatch, lambda: client.get(path, headers=etag)
    )
    assert answer.status_code == 304
    return len(read(response.content)), built, again, cached


async def test_the_number_of_queries_does_not_depend_on_the_number_of_events(
    database, client, cast, monkeypatch
):
    start = datetime(2027, 1, 12, 8, tzinfo=UTC)
    await _add_bookings(cast, 10, start)
    feeds = {
        "hub": await subscribe(client, cast, "manager", "hub", cast.hub),
        "resource": await subscribe(client, cast, "admin", "resource", cast.room),
        "me": await subscribe(client, cast, "member_a", "me"),
        "association": await subscribe(client, cast, "rep_a", "association", cast.association_a),
    }
    small = {}
    for name, path in feeds.items():
        await client.get(path)  # the first read of a feed also notes when it was used
        small[name] = await _costs(database, monkeypatch, client, path)
        assert small[name][0] == 10
    await _add_bookings(cast, 990, start + timedelta(days=4))
    for name, path in feeds.items():
        events, built, again, cached = await _costs(database, monkeypatch, client, path)
        assert events == 1000
        assert (built, again, cached) == small[name][1:], name
        # unchanged: one query (token, owner, scope and fingerprint); built: two more
        assert (built, again, cached) == (3, 1, 1), name


# --- one booking as a file ------------------------------------------------------------------


async def test_one_booking_downloads_with_the_uid_and_sequence_of_the_feeds(client, cast):
    booking_id = await make_booking(NOW, cast, status="approved", title="Atelier")
    await client.patch(
        f"/api/v1/bookings/{booking_id}", json={"attendees": 6}, headers=cast.auth("member_a")
    )
    download = await client.get(
        f"/bookings/{booking_id}/calendar.ics", headers=cast.auth("member_a")
    )
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/calendar; charset=utf-8"
    disposition = download.headers["content-disposition"]
    assert disposition == f'attachment; filename="booking-{booking_id}.ics"'
    assert "METHOD:PUBLISH" in download.text.split("\r\n")
    in_file = read(download.content)
    in_feed = read((await client.get(await subscribe(client, cast, "member_a", "me"))).content)
    assert [(s.uid, s.sequence, s.start) for s in in_file] == [
        (s.uid, s.sequence, s.start) for s in in_feed
    ]
    assert in_file[0].sequence == 1


async def test_a_series_downloads_all_its_occurrences(client, cast):
    ids = await series_ids(
        client,
        cast,
        "FREQ=WEEKLY;BYDAY=TU;COUNT=4",
        f"{TUESDAY}T14:00:00+00:00",
        f"{TUESDAY}T17:00:00+00:00",
    )
    download = await client.get(f"/bookings/{ids[2]}/calendar.ics", headers=cast.auth("manager"))
    assert download.status_code == 200
    assert_matches(read(download.content), await stored(ids))


@pytest.mark.parametrize("role", ["member_b", "other_manager", "outsider"])
async def test_a_booking_one_may_not_see_cannot_be_downloaded(client, cast, role):
    booking_id = await make_booking(NOW, cast, status="approved", title="Secret")
    response = await client.get(f"/bookings/{booking_id}/calendar.ics", headers=cast.auth(role))
    assert response.status_code == 404
    assert "Secret" not in response.text
    unknown = await client.get("/bookings/999999/calendar.ics", headers=cast.auth(role))
    assert unknown.status_code == 404


async def test_downloading_needs_a_signed_in_user(client, cast):
    booking_id = await make_booking(NOW, cast, status="approved")
    response = await client.get(f"/bookings/{booking_id}/calendar.ics")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
