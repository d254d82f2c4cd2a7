"""Notification preferences: when reminders come, which mails come, and in which language.

Mail preferences are read when a message is sent, not when it is queued, so a change
applies to what is already waiting. A message turned off is still kept for the in-app list
(``/notifications``): the preferences choose what is mailed, not what is known. Waitlist
offers, invitations and zone-data problems are not in any group: they always go out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub_booking.db import accounts, inbox
from hub_booking.db import preferences as db
from hub_booking.db.engine import transaction
from hub_booking.domain.errors import N_, Invalid, Violation
from hub_booking.domain.model import Principal
from hub_booking.services import audit, notifications
from hub_booking.settings import LANGUAGES

REMINDER_CHOICES = (2880, 1440, 180, 60)  # minutes before the start: 48 h, 24 h, 3 h, 1 h
DEFAULT_REMINDERS = notifications.DEFAULT_REMINDER_MINUTES  # 24 h and 1 h
MAIL_GROUPS = ("requests", "decisions", "cancellations", "reminders", "digest")
GROUP_LABELS = {
    "requests": N_("Requests to decide (hub managers)"),
    "decisions": N_("Decisions on my requests: approved, rejected, expired, changed"),
    "cancellations": N_("Cancellations, closures and no-shows"),
    "reminders": N_("Reminders before my bookings"),
    "digest": N_("The daily summary of my hubs (hub managers)"),
}
KIND_GROUPS = {
    "approval_requested": "requests",
    "membership.requested": "requests",
    "approved": "decisions",
    "rejected": "decisions",
    "expired": "decisions",
    "moved": "decisions",
    "cancelled": "cancellations",
    "closed": "cancellations",
    "released": "cancellations",
    "reminder": "reminders",
    "digest": "digest",
}


@dataclass(frozen=True)
class Preferences:
    reminder_minutes: tuple[int, ...]
    mail_off: frozenset[str]
    association_reminders: bool
    language: str


def defaults(user_id: int) -> db.Stored:
    return db.Stored(user_id, DEFAULT_REMINDERS, frozenset(), False)


def mailed(kind: str, stored: db.Stored | None) -> bool:
    """Whether a message of ``kind`` is mailed to a reader with these choices."""
    group = KIND_GROUPS.get(kind)
    return stored is None or group is None or group not in stored.mail_off


async def of(principal: Principal) -> Preferences:
    """The reader's choices (the defaults until they make some)."""
    stored = (await db.of_users([principal.user_id])).get(principal.user_id)
    stored = stored or defaults(principal.user_id)
    return Preferences(
        tuple(sorted(stored.reminder_minutes, reverse=True)),
        stored.mail_off,
        stored.association_reminders,
        principal.language,
    )


async def save(principal: Principal, chosen: Preferences, now: datetime) -> None:
    """Store the reader's choices and plan their coming reminders again to match."""
    _check(chosen)
    user_id = principal.user_id
    stored = db.Stored(
        user_id, chosen.reminder_minutes, chosen.mail_off, chosen.association_reminders
    )
    async with transaction():
        await db.save(stored, now)
        if chosen.language and chosen.language != principal.language:
            await accounts.set_language(user_id, chosen.language)
        await inbox.withdraw_planned_reminders(user_id)
        upcoming = await inbox.upcoming_approved(sorted(principal.memberships), now)
        await notifications.plan_reminders(upcoming, now)
        await audit.record(
            user_id, "preferences.saved", "user", user_id, now, mail_off=sorted(chosen.mail_off)
        )


def _check(chosen: Preferences) -> None:
    found = []
    if any(minutes not in REMINDER_CHOICES for minutes in chosen.reminder_minutes):
        found.append(
            Violation("invalid_choice", N_("Choose among the times offered."), "reminders")
        )
    if any(group not in MAIL_GROUPS for group in chosen.mail_off):
        found.append(Violation("invalid_choice", N_("Choose among the mails offered."), "mails"))
    if chosen.language and chosen.language not in LANGUAGES:
        found.append(
            Violation("invalid_choice", N_("Choose among the languages offered."), "language")
        )
    if found:
        raise Invalid(found)
