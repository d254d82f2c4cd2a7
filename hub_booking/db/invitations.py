"""One-time links (invitations, password resets, invitations to join an association): rows
in, frozen dataclasses out. Only a keyed hash of a link's token is ever stored here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from piccolo.custom_types import Combinable

from hub_booking.db.tables import AppUser, Invitation, Notification
from hub_booking.domain.model import Page


class Purpose(StrEnum):
    INVITE = "invite"  # set a first password (and get what the invitation grants)
    RESET = "reset"  # set a new password, asked by a platform admin
    JOIN = "join"  # join an association (a person who already has a password)


class State(StrEnum):
    PENDING = "pending"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


# The outbox kinds that carry a link's token until the mail is sent (see ``db.outbox``).
MAIL_KINDS = {
    Purpose.INVITE: "invitation",
    Purpose.RESET: "password_reset",
    Purpose.JOIN: "invitation",
}


@dataclass(frozen=True)
class NewInvitation:
    user_id: int
    token_hash: str
    purpose: Purpose
    created_by: int | None
    expires_at: datetime
    association_id: int | None = None
    role: str = ""
    hub_id: int | None = None


@dataclass(frozen=True)
class InvitationView:
    """A link as the admin pages and its own page show it (never its token)."""

    id: int
    user_id: int
    email: str
    name: str
    has_password: bool
    purpose: Purpose
    association_id: int | None
    association: tuple[str, str] | None  # (name_fr, name_ar)
    role: str
    hub_id: int | None
    hub: tuple[str, str] | None
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None
    state: State


_FIELDS = (
    Invitation.id,
    Invitation.user,
    Invitation.user.email.as_alias("email"),
    Invitation.user.name.as_alias("name"),
    Invitation.user.password_hash.as_alias("password_hash"),
    Invitation.purpose,
    Invitation.association,
    Invitation.association.name_fr.as_alias("association_fr"),
    Invitation.association.name_ar.as_alias("association_ar"),
    Invitation.role,
    Invitation.hub,
    Invitation.hub.name_fr.as_alias("hub_fr"),
    Invitation.hub.name_ar.as_alias("hub_ar"),
    Invitation.created_by.name.as_alias("creator_name"),
    Invitation.created_by.email.as_alias("creator_email"),
    Invitation.created_at,
    Invitation.expires_at,
    Invitation.used_at,
    Invitation.revoked_at,
)


async def insert(new: NewInvitation, now: datetime) -> int:
    row = Invitation(
        user=new.user_id,
        token_hash=new.token_hash,
        purpose=new.purpose,
        association=new.association_id,
        role=new.role,
        hub=new.hub_id,
        created_by=new.created_by,
        created_at=now.astimezone(UTC),
        expires_at=new.expires_at.astimezone(UTC),
    )
    return (await Invitation.insert(row).returning(Invitation.id))[0]["id"]


async def revoke_pending(
    user_id: int, purposes: tuple[Purpose, ...], now: datetime, association_id: int | None = None
) -> list[int]:
    """Revoke the user's links of these purposes (and of that association, when given) that
    could still be used; their ids."""
    where = (
        (Invitation.user == user_id)
        & Invitation.purpose.is_in(list(purposes))
        & _state(State.PENDING, now)
    )
    if association_id is not None:
        where &= Invitation.association == association_id
    rows = (
        await Invitation.update({Invitation.revoked_at: now.astimezone(UTC)})
        .where(where)
        .returning(Invitation.id)
    )
    return [row["id"] for row in rows]


async def revoke_made_by(created_by: int, association_id: int, now: datetime) -> list[int]:
    """Revoke the links to this association that this person made and that could still be
    used (they no longer represent it); their ids."""
    where = (
        (Invitation.created_by == created_by)
        & (Invitation.association == association_id)
        & _state(State.PENDING, now)
    )
    rows = (
        await Invitation.update({Invitation.revoked_at: now.astimezone(UTC)})
        .where(where)
        .returning(Invitation.id)
    )
    return [row["id"] for row in rows]


async def revoke(invitation_id: int, now: datetime) -> bool:
    """Revoke one link that could still be used; False when there is none."""
    where = (Invitation.id == invitation_id) & _state(State.PENDING, now)
    query = Invitation.update({Invitation.revoked_at: now.astimezone(UTC)}).where(where)
    return bool(await query.returning(Invitation.id))


async def use(token_hash: str, now: datetime) -> InvitationView | None:
    """Mark the link of that hash used, if it could still be used (one caller wins); the
    link as it was, None otherwise. An inactive account's links cannot be used."""
    found = await by_hash(token_hash, now)
    if found is None:
        return None
    where = (Invitation.id == found.id) & _state(State.PENDING, now)
    query = Invitation.update({Invitation.used_at: now.astimezone(UTC)}).where(where)
    return found if await query.returning(Invitation.id) else None


async def by_hash(token_hash: str, now: datetime) -> InvitationView | None:
    """The link of that hash if it can still be used by an active account."""
    where = (
        (Invitation.token_hash == token_hash)
        & _state(State.PENDING, now)
        & Invitation.user._.is_active.eq(True)
    )
    row = await Invitation.select(*_FIELDS).where(where).first()
    return _view(row, now) if row else None


async def page(state: State | None, now: datetime, limit: int, offset: int) -> Page[InvitationView]:
    """A page of links, newest first, optionally in one state, with their total."""
    where: Combinable = Invitation.id > 0
    if state is not None:
        where = _state(state, now)
    query = Invitation.select(*_FIELDS).where(where).order_by(Invitation.id, ascending=False)
    rows = await query.limit(limit).offset(offset)
    return Page([_view(row, now) for row in rows], await Invitation.count().where(where))


async def of_user(user_id: int, now: datetime, limit: int = 20) -> list[InvitationView]:
    """The user's latest links, newest first."""
    query = Invitation.select(*_FIELDS).where(Invitation.user == user_id)
    rows = await query.order_by(Invitation.id, ascending=False).limit(limit)
    return [_view(row, now) for row in rows]


async def withdraw_mail(invitation_ids: list[int]) -> None:
    """The link's mail is not to be sent (revoked, or used before it went out), and no copy
    of its token is kept: the unsent message is deleted, any other has its token removed."""
    keys = [mail_key(i) for i in invitation_ids]
    if not keys:
        return
    kinds = sorted(set(MAIL_KINDS.values()))
    mine = Notification.idempotency_key.is_in(keys) & Notification.kind.is_in(kinds)
    await Notification.delete().where(
        mine & Notification.sent_at.is_null() & Notification.claimed_at.is_null()
    )
    rows = await Notification.select(Notification.id, Notification.payload).where(mine)
    for row in rows:
        payload = _load(row["payload"])
        if "token" in payload:
            payload.pop("token")
            await Notification.update({Notification.payload: payload}).where(
                Notification.id == row["id"]
            )


def mail_key(invitation_id: int) -> str:
    """The outbox key of a link's mail (one mail per link)."""
    return f"invitation:{invitation_id}"


async def has_password(user_id: int) -> bool:
    row = await AppUser.select(AppUser.password_hash).where(AppUser.id == user_id).first()
    return bool(row and row["password_hash"])


def _state(state: State, now: datetime) -> Combinable:
    now = now.astimezone(UTC)
    if state == State.REVOKED:
        return Invitation.revoked_at.is_not_null()
    if state == State.USED:
        return Invitation.used_at.is_not_null() & Invitation.revoked_at.is_null()
    unused = Invitation.used_at.is_null() & Invitation.revoked_at.is_null()
    if state == State.EXPIRED:
        return unused & (Invitation.expires_at <= now)
    return unused & (Invitation.expires_at > now)


def _state_of(row: dict[str, Any], now: datetime) -> State:
    if row["revoked_at"] is not None:
        return State.REVOKED
    if row["used_at"] is not None:
        return State.USED
    return State.EXPIRED if row["expires_at"] <= now else State.PENDING


def _pair(fr: str | None, ar: str | None) -> tuple[str, str] | None:
    return None if fr is None and ar is None else (fr or "", ar or "")


def _view(row: dict[str, Any], now: datetime) -> InvitationView:
    return InvitationView(
        id=row["id"],
        user_id=row["user"],
        email=row["email"],
        name=row["name"] or "",
        has_password=bool(row["password_hash"]),
        purpose=Purpose(row["purpose"]),
        association_id=row["association"],
        association=_pair(row["association_fr"], row["association_ar"]),
        role=row["role"] or "",
        hub_id=row["hub"],
        hub=_pair(row["hub_fr"], row["hub_ar"]),
        created_by=row["creator_name"] or row["creator_email"] or "",
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        used_at=row["used_at"],
        revoked_at=row["revoked_at"],
        state=_state_of(row, now),
    )


def _load(payload: Any) -> dict[str, Any]:
    if isinstance(payload, str | bytes):
        return json.loads(payload) or {}
    return dict(payload or {})
