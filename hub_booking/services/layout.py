"""What the header of every signed-in page shows besides the user's name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub_booking.db import associations, inbox
from hub_booking.domain.model import Principal, display_name
from hub_booking.services import manage

MAX_ASSOCIATIONS = 20  # named in the header


@dataclass(frozen=True)
class Header:
    associations: list[str]  # the reader's associations, by name
    manages: bool  # a hub manager or a platform admin: the "Manage" link
    admin: bool  # a platform admin: the "Admin" link
    pending: int  # pending requests in the hubs the reader manages
    unread: int  # unread in-app notifications


async def header(principal: Principal, language: str, now: datetime) -> Header:
    """The header's parts, in at most three small queries (the unread count is one range
    of a partial index)."""
    ids = sorted(principal.memberships)[:MAX_ASSOCIATIONS]
    names = sorted(display_name(fr, ar, language) for fr, ar in await associations.names(ids))
    manages = principal.is_platform_admin or bool(principal.managed_hubs)
    pending = await manage.pending_count(principal)
    unread = await inbox.unread(principal.user_id, now)
    return Header(names, manages, principal.is_platform_admin, pending, unread=unread)
