"""The history of one hub: every audited change about the hub, its resources, closures and
bookings, filtered and by pages, with times on the hub's clock (read only).

Which audit rows belong to a hub is a condition of the query (``db.audit.hub_page``): a row
about a booking, resource or closure of the hub, about the hub itself, or carrying the hub's
id (``hub_id``) in its details; a batch row (expiries) through the booking ids it lists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hub_booking.db import audit as audit_rows
from hub_booking.db.audit import AuditEntry, AuditFilters
from hub_booking.domain.model import Hub, Principal
from hub_booking.domain.wallclock import to_local
from hub_booking.services import manage
from hub_booking.zones import get_zone

PAGE_SIZE = 50
_VALUE_MAX = 300  # characters of one value shown
_HIDDEN = frozenset({"hub_id"})  # details the page already says (it is the hub's history)


@dataclass(frozen=True)
class Wanted:
    """The filters as read from the page (already checked)."""

    action: str | None = None
    actor: str | None = None
    day_from: date | None = None  # the hub's local days, both included
    day_to: date | None = None
    booking_id: int | None = None


@dataclass(frozen=True)
class Change:
    """One audit row as the page shows it."""

    entry: AuditEntry
    local_at: datetime  # on the hub's clock
    changed: list[tuple[str, str, str]]  # (field, before, after)
    facts: list[tuple[str, str]]  # the other details: (name, value)


@dataclass(frozen=True)
class History:
    hub: Hub
    changes: list[Change]
    total: int
    page: int
    pages: int


async def history(principal: Principal, slug: str, wanted: Wanted, page: int = 1) -> History:
    """A page of the hub's changes, latest first."""
    hub = await manage.managed_hub(principal, slug)
    zone = get_zone(hub.timezone)
    filters = AuditFilters(
        action=wanted.action,
        actor=wanted.actor,
        start=_instant(wanted.day_from, zone),
        end=_instant(wanted.day_to + timedelta(days=1), zone) if wanted.day_to else None,
        booking_id=wanted.booking_id,
    )
    page = max(1, page)
    found = await audit_rows.hub_page(hub.id, filters, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    pages = max(1, -(-found.total // PAGE_SIZE))
    changes = [_change(entry, zone) for entry in found.items]
    return History(hub, changes, found.total, page, pages)


def _instant(day: date | None, zone: Any) -> datetime | None:
    """The start of a local day as a UTC instant (a day starting in a clock gap: the first
    instant after it, as the zone maps it)."""
    if day is None:
        return None
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _change(entry: AuditEntry, zone: Any) -> Change:
    details = dict(entry.details)
    before, after = details.pop("before", None), details.pop("after", None)
    changed = []
    if isinstance(before, dict) or isinstance(after, dict):
        before, after = before or {}, after or {}
        for name in sorted({*before, *after}):
            changed.append((name, _shown(before.get(name)), _shown(after.get(name))))
    facts = [
        (name, _shown(value))
        for name, value in sorted(details.items())
        if value is not None and name not in _HIDDEN
    ]
    return Change(entry, to_local(entry.at, zone), changed, facts)


def _shown(value: Any) -> str:
    """A detail's value as text: lists and objects as compact JSON, cut when long."""
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _VALUE_MAX else text[: _VALUE_MAX - 1] + "…"
