"""The letters that carry a one-time link (``services.invitations``): an invitation to join,
or a password reset; each says what the link grants and until when it works."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from hub_booking import zones
from hub_booking.db.outbox import Claimed, Recipient
from hub_booking.domain.errors import N_
from hub_booking.domain.model import display_name
from hub_booking.i18n import format_datetime
from hub_booking.services.messages import DATE, TIME, Draft, Withdrawn, _letter, _translator

# kind -> (subject, lead, the link's label)
LINK_LETTERS = {
    "invitation": (
        N_("Your invitation to hub-booking"),
        N_("%(name)s invites you to hub-booking, the booking service of the regional hubs."),
        N_("Accept the invitation"),
    ),
    "password_reset": (
        N_("Choose a new password for hub-booking"),
        N_("%(name)s reset your password on hub-booking. Your old password no longer works."),
        N_("Choose a new password"),
    ),
}


def link_letter(
    claimed: Claimed,
    reader: Recipient,
    by: Recipient | None,
    language: str,
    now: datetime,
    base_url: str,
) -> Draft | Withdrawn:
    """The invitation or reset sent by ``by``, or nothing once the link was used or expired."""
    payload, t = claimed.payload, _translator(language)
    expires = datetime.fromisoformat(str(payload.get("expires_at", now.isoformat())))
    if "token" not in payload or expires <= now:
        return Withdrawn("the link was used, withdrawn or has expired")
    subject, lead, label = LINK_LETTERS[claimed.kind]
    paragraphs = [t(lead, name=(by.name or by.email) if by else "hub-booking")]
    paragraphs += _grants(claimed, language, t)
    zone = zones.get_zone(str(payload.get("timezone") or "UTC"))
    when = format_datetime(expires, zone, language, f"{DATE}, {TIME}")
    paragraphs.append(
        t(N_("The link works once, until %(when)s (%(zone)s)."), when=when, zone=zone.key)
    )
    paragraphs.append(t(N_("If you did not expect this message, you can ignore it.")))
    letter = _letter(t(subject), reader, language, paragraphs, base_url)
    url = f"{base_url.rstrip('/')}/invitations/{payload['token']}"
    return Draft(dataclasses.replace(letter, link=(url, t(label))), reader)


def _grants(claimed: Claimed, language: str, t: Any) -> list[str]:
    """What accepting the link makes of the reader: a member of an association, a manager."""
    payload, paragraphs = claimed.payload, []
    if payload.get("association_fr") or payload.get("association_ar"):
        name = display_name(
            payload.get("association_fr", ""), payload.get("association_ar", ""), language
        )
        role = (
            t(N_("representative")) if payload.get("role") == "representative" else t(N_("member"))
        )
        paragraphs.append(
            t(N_("You will join %(association)s as %(role)s."), association=name, role=role)
        )
    if payload.get("hub_fr") or payload.get("hub_ar"):
        name = display_name(payload.get("hub_fr", ""), payload.get("hub_ar", ""), language)
        paragraphs.append(t(N_("You will manage the hub %(hub)s."), hub=name))
    return paragraphs
