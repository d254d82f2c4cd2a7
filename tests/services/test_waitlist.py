"""The waitlist on the real database: joining through the one booking check, a freed slot
offered to the first association waiting (held by an ``offered`` booking row the conflict
checks see), confirmation through the one booking path, a lapsed hold passing to the next,
and the offer's letter at a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from hub_booking.db.tables import AuditLog, Booking, BookingItem, Notification, WaitlistEntry
from hub_booking.domain.bookings import BookingRequest
from hub_booking.domain.errors import BookingConflict, Conflict, Forbidden, Invalid, NotFound
from hub_booking.domain.model import BookingStatus, MemberRole, Principal
from hub_booking.mail import SmtpMailer
from hub_booking.services import booking_changes, bookings, waitlist
from hub_booking.services.dispatch import Dispatcher
from tests import factories
from tests.conftest import NOW
from tests.smtp import MailSink, parts

START = datetime(2027, 1, 20, 10, tzinfo=UTC)  # 10:00 in Casablanca
END = START + timedelta(hours=1)
SENDER = "hub-booking <no-reply@hub-booking.test>"


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink() as server:
        yield server


def member(cast, role: str, association: int) -> Principal:
    return Principal(
        user_id=cast.users[role],
        email=f"{role}@example.org",
        name=role,
        language="fr",
        memberships={association: MemberRole.MEMBER},
    )


def manager(cast) -> Principal:
    return Principal(cast.users["manager"], "m@x.org", "manager", "fr", managed_hubs={cast.hub})


def ask(
    cast, association: int, start: datetime = START, end: datetime = END, **kw
) -> BookingRequest:
    return BookingRequest(
        association_id=association,
        title=kw.pop("title", "Atelier"),
        starts_at=start,
        ends_at=end,
        attendees=5,
        items=kw.pop("items", {cast.room: 1}),
        **kw,
    )


async def third_association(cast) -> tuple[int, Principal]:
    association = await factories.make_association(NOW, "assoc-c")
    user = await factories.make_user(NOW, "member.c@example.org", member_of={association: "member"})
    cast.users["member_c"] = user
    return association, member(cast, "member_c", association)


async def held(cast, status: str = "approved") -> int:
    """The room taken at START by association A."""
    created = await bookings.create_booking(
        member(cast, "member_a", cast.association_a), ask(cast, cast.association_a), NOW
    )
    return created.first.id


async def holders(cast) -> list[tuple[int, str]]:
    """(booking, status) of every booking whose items hold the room at START."""
    rows = await BookingItem.select(
        BookingItem.booking, BookingItem.booking.status.as_alias("status")
    ).where(
        (BookingItem.resource == cast.room)
        & BookingItem.holding.eq(True)
        & (BookingItem.hold_start < END)
        & (BookingItem.hold_end > START)
    )
    return sorted((r["booking"], r["status"]) for r in rows)


async def entry(entry_id: int) -> dict:
    return await WaitlistEntry.select().where(WaitlistEntry.id == entry_id).first()


async def test_joining_needs_the_time_taken_and_every_rule_kept(database, cast):
    b = member(cast, "member_b", cast.association_b)
    with pytest.raises(Conflict):  # free: book it instead
        await waitlist.join(b, ask(cast, cast.association_b), NOW)
    await held(cast)
    with pytest.raises(Invalid):  # outside the opening hours
        await waitlist.join(
            b,
            ask(cast, cast.association_b, START.replace(hour=23), END.replace(hour=23, minute=30)),
            NOW,
        )
    with pytest.raises(Forbidden):  # an association the member is not in
        await waitlist.join(b, ask(cast, cast.association_a), NOW)
    joined = await waitlist.join(b, ask(cast, cast.association_b), NOW)
    assert (await entry(joined.entry_id))["status"] == "waiting"
    with pytest.raises(Conflict):  # once
        await waitlist.join(b, ask(cast, cast.association_b), NOW)


async def test_a_cancel_offers_the_slot_to_the_first_waiting_association(database, cast):
    booking = await held(cast)
    c_association, c = await third_association(cast)
    first = await waitlist.join(
        member(cast, "member_b", cast.association_b), ask(cast, cast.association_b), NOW
    )
    second = await waitlist.join(c, ask(cast, c_association), NOW)
    later = NOW + timedelta(hours=1)
    await booking_changes.cancel(manager(cast), booking, "this", later)
    offered = await entry(first.entry_id)
    assert offered["status"] == "offered"
    assert offered["hold_until"] == later + timedelta(hours=12)
    assert (await entry(second.entry_id))["status"] == "waiting"
    assert await holders(cast) == [(offered["offer"], "offered")]
    # The offer holds like a booking: nobody else can take the time meanwhile.
    with pytest.raises(BookingConflict):
        await bookings.create_booking(c, ask(cast, c_association), later)
    told = await Notification.select(Notification.user, Notification.payload).where(
        Notification.kind == "waitlist_offer"
    )
    assert [row["user"] for row in told] == [cast.users["member_b"]]


async def test_confirming_books_through_the_one_booking_path(database, cast):
    booking = await held(cast)
    b = member(cast, "member_b", cast.association_b)
    joined = await waitlist.join(b, ask(cast, cast.association_b, title="Assemblée"), NOW)
    await booking_changes.cancel(manager(cast), booking, "this", NOW)
    created = await waitlist.confirm(b, joined.entry_id, NOW + timedelta(hours=2))
    assert created.first.status == BookingStatus.APPROVED
    assert created.first.association_id == cast.association_b
    done = await entry(joined.entry_id)
    assert (done["status"], done["booking"], done["offer"]) == ("booked", created.first.id, None)
    assert await holders(cast) == [(created.first.id, "approved")]
    assert await Booking.count().where(Booking.status == "offered") == 0
    assert await AuditLog.exists().where(AuditLog.action == "booking.created")
    with pytest.raises(Conflict):  # twice: the offer is closed
        await waitlist.confirm(b, joined.entry_id, NOW + timedelta(hours=2))


async def test_another_association_cannot_see_or_confirm_an_offer(database, cast):
    booking = await held(cast)
    joined = await waitlist.join(
        member(cast, "member_b", cast.association_b), ask(cast, cast.association_b), NOW
    )
    await booking_changes.cancel(manager(cast), booking, "this", NOW)
    with pytest.raises(NotFound):
        await waitlist.confirm(member(cast, "member_a", cast.association_a), joined.entry_id, NOW)


async def test_an_unclaimed_hold_lapses_and_passes_to_the_next(database, cast):
    booking = await held(cast)
    c_association, c = await third_association(cast)
    b = member(cast, "member_b", cast.association_b)
    first = await waitlist.join(b, ask(cast, cast.association_b), NOW)
    second = await waitlist.join(c, ask(cast, c_association), NOW)
    await booking_changes.cancel(manager(cast), booking, "this", NOW)
    assert (await waitlist.tick(NOW + timedelta(hours=11)))["lapsed"] == 0
    report = await waitlist.tick(NOW + timedelta(hours=12))
    assert report["lapsed"] == 1
    assert (await entry(first.entry_id))["status"] == "lapsed"
    passed = await entry(second.entry_id)
    assert passed["status"] == "offered"
    assert await holders(cast) == [(passed["offer"], "offered")]
    with pytest.raises(Conflict):
        await waitlist.confirm(b, first.entry_id, NOW + timedelta(hours=12))
    assert await Notification.exists().where(
        (Notification.kind == "waitlist_lapsed") & (Notification.user == cast.users["member_b"])
    )
    created = await waitlist.confirm(c, second.entry_id, NOW + timedelta(hours=13))
    assert created.first.association_id == c_association


async def test_letting_an_offer_go_passes_it_on_at_once(database, cast):
    booking = await held(cast)
    c_association, c = await third_association(cast)
    b = member(cast, "member_b", cast.association_b)
    first = await waitlist.join(b, ask(cast, cast.association_b), NOW)
    second = await waitlist.join(c, ask(cast, c_association), NOW)
    await booking_changes.cancel(manager(cast), booking, "this", NOW)
    await waitlist.leave(b, first.entry_id, NOW)
    assert (await entry(first.entry_id))["status"] == "left"
    assert (await entry(second.entry_id))["status"] == "offered"


async def test_a_rejection_frees_the_slot_for_the_waitlist(database, cast):
    room = await factories.make_resource(NOW, cast.hub, name_fr="Salle Rif", requires_approval=True)
    a = member(cast, "member_a", cast.association_a)
    pending = await bookings.create_booking(a, ask(cast, cast.association_a, items={room: 1}), NOW)
    joined = await waitlist.join(
        member(cast, "member_b", cast.association_b),
        ask(cast, cast.association_b, items={room: 1}),
        NOW,
    )
    await booking_changes.reject(manager(cast), pending.first.id, "Travaux", NOW)
    assert (await entry(joined.entry_id))["status"] == "offered"


async def test_a_slot_freed_by_a_move_is_offered_by_the_job(database, cast):
    booking = await held(cast)
    joined = await waitlist.join(
        member(cast, "member_b", cast.association_b), ask(cast, cast.association_b), NOW
    )
    from hub_booking.domain.bookings import Change

    later = START + timedelta(hours=3)
    await booking_changes.edit(
        manager(cast), booking, Change(starts_at=later, ends_at=later + timedelta(hours=1)), NOW
    )
    assert (await entry(joined.entry_id))["status"] == "waiting"
    assert (await waitlist.tick(NOW))["offered"] == 1
    assert (await entry(joined.entry_id))["status"] == "offered"


async def test_an_entry_whose_time_came_is_retired(database, cast):
    await held(cast)
    joined = await waitlist.join(
        member(cast, "member_b", cast.association_b), ask(cast, cast.association_b), NOW
    )
    assert (await waitlist.tick(START))["retired"] == 1
    assert (await entry(joined.entry_id))["status"] == "gone"


async def test_the_offer_letter_links_to_its_confirmation_in_the_readers_language(
    database, cast, sink
):
    from hub_booking.db.tables import AppUser

    await AppUser.update({AppUser.language: "ar"}).where(AppUser.id == cast.users["member_b"])
    booking = await held(cast)
    joined = await waitlist.join(
        member(cast, "member_b", cast.association_b), ask(cast, cast.association_b), NOW
    )
    await booking_changes.cancel(manager(cast), booking, "this", NOW)
    mailer = SmtpMailer(sink.url, SENDER, timeout=5)
    await Dispatcher(mailer, "https://hubs.example.ma", lambda: NOW).run()
    (letter,) = sink.to("member.b@example.org")
    html = parts(letter)["text/html"].get_content()
    assert f"https://hubs.example.ma/waitlist/{joined.entry_id}" in html
    assert 'dir="rtl"' in html
    assert "10:00" in parts(letter)["text/plain"].get_content()


async def test_an_offer_already_taken_is_not_mailed(database, cast, sink):
    booking = await held(cast)
    b = member(cast, "member_b", cast.association_b)
    joined = await waitlist.join(b, ask(cast, cast.association_b), NOW)
    await booking_changes.cancel(manager(cast), booking, "this", NOW)
    await waitlist.confirm(b, joined.entry_id, NOW)
    mailer = SmtpMailer(sink.url, SENDER, timeout=5)
    await Dispatcher(mailer, "https://hubs.example.ma", lambda: NOW).run()
    links = [parts(m)["text/plain"].get_content() for m in sink.to("member.b@example.org")]
    assert not any("/waitlist/" in text for text in links)


def test_the_hold_length_comes_from_the_settings():
    from hub_booking.settings import Settings, SettingsError

    env = {"HUB_BOOKING_SECRET_KEY": "s" * 40, "HUB_BOOKING_WAITLIST_HOLD_HOURS": "6"}
    settings = Settings.from_env(env)
    assert settings.waitlist_hold_hours == 6
    waitlist.configure(settings)
    try:
        assert timedelta(hours=6) == waitlist.HOLD
    finally:
        waitlist.configure(Settings(secret_key="s" * 40))
    assert timedelta(hours=12) == waitlist.HOLD
    for bad in ("0", "twelve", "500"):
        with pytest.raises(SettingsError):
            Settings.from_env({**env, "HUB_BOOKING_WAITLIST_HOLD_HOURS": bad})


async def test_a_slot_freed_by_a_closure_is_not_offered(database, cast):
    booking = await held(cast)
    joined = await waitlist.join(
        member(cast, "member_b", cast.association_b), ask(cast, cast.association_b), NOW
    )
    await factories.make_blackout(NOW, cast, START - timedelta(hours=2), END + timedelta(hours=2))
    await booking_changes.cancel(manager(cast), booking, "this", NOW)
    assert (await entry(joined.entry_id))["status"] == "waiting"
    assert (await waitlist.tick(NOW))["offered"] == 0
