"""Plain factory functions with keyword defaults, and the fixed cast of users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub_booking.db.tables import (
    AppUser,
    Association,
    Booking,
    Hub,
    HubManager,
    Membership,
    Region,
    Resource,
)
from hub_booking.domain.rules import DEFAULT_OPENING_HOURS
from hub_booking.services import accounts

PASSWORD = "correct horse battery"


async def make_region(slug: str = "fes-meknes") -> int:
    row = await Region.select(Region.id).where(Region.slug == slug).first()
    if row:
        return row["id"]
    return (await Region.insert(Region(slug=slug, name_fr=slug)).returning(Region.id))[0]["id"]


async def make_hub(
    now: datetime, slug: str = "fes", region: str = "fes-meknes", **fields: Any
) -> int:
    values = {
        "name_fr": f"Pôle {slug}",
        "name_ar": f"قطب {slug}",
        "timezone": "Africa/Casablanca",
        "opening_hours": DEFAULT_OPENING_HOURS,
        "rules": {},
        **fields,
    }
    row = Hub(slug=slug, region=await make_region(region), created_at=now, **values)
    return (await Hub.insert(row).returning(Hub.id))[0]["id"]


async def make_resource(now: datetime, hub: int, kind: str = "space", **fields: Any) -> int:
    values = {
        "name_fr": "Salle",
        "name_ar": "قاعة",
        "capacity": 20 if kind == "space" else None,
        "quantity": 1,
        **fields,
    }
    row = Resource(hub=hub, kind=kind, created_at=now, **values)
    return (await Resource.insert(row).returning(Resource.id))[0]["id"]


async def make_association(
    now: datetime, slug: str = "assoc-a", region: str = "fes-meknes", **fields: Any
) -> int:
    values = {
        "name_fr": f"Association {slug}",
        "name_ar": f"جمعية {slug}",
        "status": "active",
        **fields,
    }
    row = Association(slug=slug, region=await make_region(region), created_at=now, **values)
    return (await Association.insert(row).returning(Association.id))[0]["id"]


async def make_user(
    now: datetime,
    email: str,
    *,
    password: str | None = None,
    admin: bool = False,
    language: str = "fr",
    manages: tuple[int, ...] = (),
    member_of: dict[int, str] | None = None,
) -> int:
    row = AppUser(
        email=email,
        name=email.split("@")[0],
        password_hash=accounts.hash_password(password) if password else None,
        is_platform_admin=admin,
        language=language,
        created_at=now,
    )
    user_id = (await AppUser.insert(row).returning(AppUser.id))[0]["id"]
    for hub in manages:
        await HubManager.insert(HubManager(user=user_id, hub=hub))
    for association, role in (member_of or {}).items():
        await Membership.insert(Membership(user=user_id, association=association, role=role))
    return user_id


@dataclass
class Cast:
    hub: int
    other_hub: int
    room: int
    projectors: int
    other_room: int
    association_a: int
    association_b: int
    tokens: dict[str, str]  # role -> Bearer token ("anonymous" has none)
    users: dict[str, int]

    def auth(self, role: str) -> dict[str, str]:
        token = self.tokens.get(role)
        return {"Authorization": f"Bearer {token}"} if token else {}


ROLES = (
    "anonymous",
    "member_a",
    "rep_a",
    "member_b",
    "manager",
    "other_manager",
    "admin",
    "outsider",
)


async def make_cast(secret: str, now: datetime) -> Cast:
    hub = await make_hub(now, "fes")
    other_hub = await make_hub(now, "rabat", region="rabat-sale-kenitra", name_fr="Pôle Rabat")
    room = await make_resource(now, hub, name_fr="Salle Atlas", capacity=30)
    projectors = await make_resource(now, hub, "equipment", name_fr="Vidéoprojecteur", quantity=3)
    other_room = await make_resource(now, other_hub, name_fr="Salle Bouregreg")
    association_a = await make_association(now, "assoc-a")
    association_b = await make_association(now, "assoc-b", region="rabat-sale-kenitra")
    users = {
        "member_a": await make_user(
            now, "member.a@example.org", member_of={association_a: "member"}
        ),
        "rep_a": await make_user(
            now, "rep.a@example.org", member_of={association_a: "representative"}
        ),
        "member_b": await make_user(
            now, "member.b@example.org", member_of={association_b: "member"}
        ),
        "manager": await make_user(now, "manager@example.org", manages=(hub,)),
        "other_manager": await make_user(now, "manager.rabat@example.org", manages=(other_hub,)),
        "admin": await make_user(now, "admin@example.org", admin=True),
        "outsider": await make_user(now, "outsider@example.org"),
    }
    tokens = {}
    for role, user_id in users.items():
        email = (await AppUser.select(AppUser.email).where(AppUser.id == user_id).first())["email"]
        tokens[role] = await accounts.create_token(email, "test", now, secret)
    return Cast(
        hub, other_hub, room, projectors, other_room, association_a, association_b, tokens, users
    )


async def make_booking(
    now: datetime,
    cast: Cast,
    *,
    status: str = "pending",
    start: datetime | None = None,
    minutes: int = 60,
    resource: int | None = None,
    association: int | None = None,
    title: str = "Réunion",
) -> int:
    """A booking written directly (no rules checked): for tests about what happens next."""
    from datetime import UTC, timedelta

    from hub_booking.db import booking_writes, catalogue
    from hub_booking.domain.model import BookingStatus
    from hub_booking.domain.wallclock import Slot

    start = start or datetime(2027, 2, 2, 10, tzinfo=UTC) + timedelta(days=await Booking.count())
    end = start + timedelta(minutes=minutes)
    slot = Slot(start, end, start.replace(tzinfo=None), end.replace(tzinfo=None))
    resource = resource or cast.room
    new = booking_writes.NewBooking(
        association_id=association or cast.association_a,
        requested_by=cast.users["member_a"],
        hub_id=cast.hub,
        title=title,
        purpose="",
        attendees=5,
        timezone="Africa/Casablanca",
        status=BookingStatus(status),
        override=False,
        items={resource: 1},
    )
    resources = await catalogue.resource_infos([resource])
    return (await booking_writes.insert_bookings(new, [slot], resources, now))[0].id


async def make_blackout(
    now: datetime, cast: Cast, start: datetime, end: datetime, reason: str = "Aïd"
) -> int:
    from hub_booking.db.tables import Blackout

    row = Blackout(
        hub=cast.hub,
        local_start=start.replace(tzinfo=None),
        local_end=end.replace(tzinfo=None),
        timezone="Africa/Casablanca",
        starts_at=start,
        ends_at=end,
        reason=reason,
        created_at=now,
    )
    return (await Blackout.insert(row).returning(Blackout.id))[0]["id"]
