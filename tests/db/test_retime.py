"""When the zone rules change, future bookings keep their wall-clock time; problems are reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

from hub_booking.db.tables import AppState, Blackout, Booking, BookingItem, Notification
from hub_booking.services import retime
from hub_booking.zones import IANA_VERSION, get_zone
from tests.conftest import NOW
from tests.factories import make_blackout, make_booking

PLUS_ONE = timezone(timedelta(hours=1))  # as if Morocco had stayed on UTC+1


def old_rules(name: str) -> tzinfo:
    return PLUS_ONE if name == "Africa/Casablanca" else get_zone(name)


async def booking_row(booking_id: int) -> dict:
    return await Booking.select().where(Booking.id == booking_id).first()


async def test_future_bookings_keep_their_wall_clock_time(database, cast):
    future = await make_booking(
        NOW, cast, status="approved", start=datetime(2027, 2, 9, 14, tzinfo=UTC)
    )
    past = await make_booking(NOW, cast, status="approved", start=NOW - timedelta(days=1))
    report = await retime.retime(NOW, get_zone=old_rules, version="test")
    moved = await booking_row(future)
    assert moved["local_start"] == datetime(2027, 2, 9, 14, tzinfo=UTC).replace(
        tzinfo=None
    )  # the promise
    assert moved["starts_at"] == datetime(2027, 2, 9, 13, tzinfo=UTC)  # derived again
    assert moved["revision"] == 1  # calendars see a change
    item = await BookingItem.select().where(BookingItem.booking == future).first()
    assert item["hold_start"] == datetime(2027, 2, 9, 13, tzinfo=UTC)
    assert (await booking_row(past))["starts_at"] == NOW - timedelta(days=1)  # history stays
    assert [m["id"] for m in report.moved] == [future]


async def test_running_it_again_changes_nothing(database, cast):
    await make_booking(NOW, cast, status="approved")
    await retime.retime(NOW, get_zone=old_rules, version="test")
    again = await retime.retime(NOW, get_zone=old_rules, version="test")
    assert again.moved == []


async def test_bookings_that_would_clash_are_reported_not_moved(database, cast):
    # Two bookings of one room were made under zones that now differ: after the change one
    # of them would land on the other. Neither is moved silently; the managers are told.
    first = await make_booking(
        NOW, cast, status="approved", start=datetime(2027, 2, 9, 13, tzinfo=UTC)
    )
    second = await make_booking(
        NOW, cast, status="approved", start=datetime(2027, 2, 9, 14, tzinfo=UTC)
    )
    await Booking.update({Booking.timezone: "Africa/El_Aaiun"}).where(Booking.id == first)
    report = await retime.retime(NOW, get_zone=old_rules, version="test")
    assert [c["id"] for c in report.clashes] == [second]
    assert (await booking_row(second))["starts_at"] == datetime(2027, 2, 9, 14, tzinfo=UTC)
    told = await Notification.select(Notification.user, Notification.kind)
    assert told == [{"user": cast.users["manager"], "kind": "retime_problem"}]
    assert any(str(second) in line for line in report.lines())


async def test_a_time_that_no_longer_exists_is_reported(database, cast):
    class Jump(tzinfo):
        """Clocks jump from 14:00 to 15:00 on 2027-02-09 (a made-up decree)."""

        switch = datetime(2027, 2, 9, 14, tzinfo=UTC).replace(tzinfo=None)  # local wall clock

        def utcoffset(self, dt):
            return timedelta(0) if dt.replace(tzinfo=None) < self.switch else timedelta(hours=1)

        def dst(self, dt):
            return timedelta(0)

        def fromutc(self, dt):
            naive = dt.replace(tzinfo=None)
            return (naive if naive < self.switch else naive + timedelta(hours=1)).replace(
                tzinfo=self
            )

    booking_id = await make_booking(
        NOW, cast, status="approved", start=datetime(2027, 2, 9, 14, 30, tzinfo=UTC)
    )
    report = await retime.retime(NOW, get_zone=lambda _: Jump(), version="test")
    assert [(p["id"], p["problem"]) for p in report.unresolved] == [
        (booking_id, "nonexistent_time")
    ]
    assert (await booking_row(booking_id))["starts_at"] == datetime(2027, 2, 9, 14, 30, tzinfo=UTC)


async def test_closures_follow_the_wall_clock_too(database, cast):
    closure = await make_blackout(
        NOW, cast, datetime(2027, 3, 1, 8, tzinfo=UTC), datetime(2027, 3, 1, 20, tzinfo=UTC)
    )
    await retime.retime(NOW, get_zone=old_rules, version="test")
    row = await Blackout.select().where(Blackout.id == closure).first()
    assert row["starts_at"] == datetime(2027, 3, 1, 7, tzinfo=UTC)


async def test_it_runs_only_when_the_zone_data_changed(database, cast):
    booking_id = await make_booking(NOW, cast, status="approved")
    await Booking.update({Booking.starts_at: datetime(2027, 2, 2, 9, tzinfo=UTC)}).where(
        Booking.id == booking_id
    )
    first = await retime.retime_if_zone_data_changed(NOW)  # nothing recorded yet: it runs
    assert first is not None
    assert [m["id"] for m in first.moved] == [booking_id]
    assert await retime.recorded_version() == IANA_VERSION
    assert await retime.retime_if_zone_data_changed(NOW) is None
    assert await AppState.count() == 1


async def test_back_to_back_bookings_all_move_without_tripping_the_overlap_guard(database, cast):
    # made latest first, so moving them in the order they were made steps on the next one
    starts = [datetime(2027, 2, 9, hour, tzinfo=UTC) for hour in (15, 14, 13)]
    ids = [await make_booking(NOW, cast, status="approved", start=start) for start in starts]
    report = await retime.retime(NOW, get_zone=old_rules, version="test")
    assert sorted(m["id"] for m in report.moved) == sorted(ids)
    rows = (
        await Booking.select(Booking.starts_at)
        .where(Booking.id.is_in(ids))
        .order_by(Booking.starts_at)
    )
    assert [r["starts_at"].hour for r in rows] == [12, 13, 14]
    assert await BookingItem.count().where(BookingItem.holding.eq(True)) == 3
