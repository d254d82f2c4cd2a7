"""What a valid hub, resource, association and membership is (input checks, pure)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hub_booking.domain.errors import N_, Invalid, Violation
from hub_booking.domain.model import AssociationStatus, MemberRole, ResourceKind
from hub_booking.domain.rules import opening_hours_violations, rules_violations
from hub_booking.domain.text import FORBIDDEN_IN_LINE

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
# No spaces, control characters or bidirectional overrides, which could disguise an address.
_NOT_IN_EMAIL = "@\\s" + FORBIDDEN_IN_LINE
EMAIL = re.compile(f"^[^{_NOT_IN_EMAIL}]+@[^{_NOT_IN_EMAIL}]+\\.[^{_NOT_IN_EMAIL}]+$")
NAME_MAX = 200
MAX_UNITS = 100_000  # seats of a space, units of an equipment pool


def check_hub(data: dict[str, Any], zone_exists: Callable[[str], bool]) -> None:
    """Raise ``Invalid`` listing every problem of a new hub's fields."""
    found = _slug(data.get("slug")) + _names(data) + _zone(data.get("timezone"), zone_exists)
    found += _slug(data.get("region"), "region")
    _raise(found + _hours_and_rules(data))


def check_hub_changes(
    changes: dict[str, Any], current: dict[str, Any], zone_exists: Callable[[str], bool]
) -> None:
    """Raise ``Invalid`` listing every problem of a hub update (only what is sent is checked).

    ``current`` holds the hub's names, so a change cannot leave it without any name."""
    found: list[Violation] = []
    if "name_fr" in changes or "name_ar" in changes:
        found += _names({**current, **changes})
    if "timezone" in changes:
        found += _zone(changes["timezone"], zone_exists)
    _raise(found + _hours_and_rules(changes))


def check_resource(data: dict[str, Any], *, partial: bool = False) -> None:
    """Raise ``Invalid`` listing every problem of a resource's fields (``partial`` for PATCH)."""
    found: list[Violation] = []
    if not partial or "name_fr" in data or "name_ar" in data:
        found += _names(data)
    if (not partial or "kind" in data) and data.get("kind") not in tuple(ResourceKind):
        found.append(Violation("invalid_kind", N_("Kind must be space or equipment."), "kind"))
    for field in ("capacity", "quantity"):
        value = data.get(field)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_UNITS
        ):
            found.append(
                Violation(
                    "invalid_number",
                    N_("Must be a whole number from 1 to %(max)s."),
                    field,
                    {"max": MAX_UNITS},
                )
            )
    if not partial and data.get("kind") == ResourceKind.SPACE and data.get("capacity") is None:
        found.append(Violation("required", N_("A space needs a capacity."), "capacity"))
    for flag in ("requires_approval", "active"):
        if flag in data and not isinstance(data[flag], bool):
            found.append(Violation("invalid_boolean", N_("Must be true or false."), flag))
    if data.get("rules") is not None:
        found += rules_violations(data["rules"])
    _raise(found)


def check_association(data: dict[str, Any]) -> None:
    """Raise ``Invalid`` listing every problem of a new association's fields."""
    found = _slug(data.get("slug")) + _names(data) + _slug(data.get("region"), "region")
    if data.get("contact_email"):
        found += check_email(data["contact_email"], "contact_email")
    status = data.get("status")
    if status is not None and status not in tuple(AssociationStatus):
        found.append(
            Violation(
                "invalid_status", N_("Status must be pending, active or suspended."), "status"
            )
        )
    _raise(found)


def check_membership(data: dict[str, Any]) -> None:
    """Raise ``Invalid`` when the email or the role of a membership is not valid."""
    found = check_email(data.get("email"))
    if data.get("role", MemberRole.MEMBER) not in tuple(MemberRole):
        found.append(
            Violation("invalid_role", N_("Role must be member or representative."), "role")
        )
    _raise(found)


def check_email(value: Any, field: str = "email") -> list[Violation]:
    """A violation when ``value`` is not an email address (empty list when it is)."""
    if not isinstance(value, str) or len(value) > 254 or not EMAIL.match(value.strip()):
        return [Violation("invalid_email", N_("Enter a valid email address."), field)]
    return []


def normalise_email(email: str) -> str:
    """Emails are unique case-insensitively: store and compare them lower-cased."""
    return email.strip().lower()


def _slug(value: Any, field: str = "slug") -> list[Violation]:
    if not isinstance(value, str) or not SLUG.match(value):
        return [
            Violation(
                "invalid_slug",
                N_("Use 1 to 64 lower-case letters, digits and dashes (e.g. fes-meknes)."),
                field,
            )
        ]
    return []


def _names(data: dict[str, Any]) -> list[Violation]:
    found: list[Violation] = []
    names = [data.get("name_fr"), data.get("name_ar")]
    for field, value in zip(("name_fr", "name_ar"), names, strict=True):
        if value is not None and (not isinstance(value, str) or len(value) > NAME_MAX):
            found.append(
                Violation("invalid_name", N_("A name is text of at most 200 characters."), field)
            )
    if not any(isinstance(n, str) and n.strip() for n in names):
        found.append(
            Violation("required", N_("Give a name in French or in Arabic (or both)."), "name_fr")
        )
    return found


def _zone(value: Any, zone_exists: Callable[[str], bool]) -> list[Violation]:
    if isinstance(value, str) and zone_exists(value):
        return []
    return [
        Violation(
            "invalid_timezone",
            N_("Unknown time zone; use an IANA name such as Africa/Casablanca."),
            "timezone",
        )
    ]


def _hours_and_rules(data: dict[str, Any]) -> list[Violation]:
    """``{}`` is a valid opening schedule (closed every day); only ``None`` means not given."""
    found: list[Violation] = []
    if data.get("opening_hours") is not None:
        found += opening_hours_violations(data["opening_hours"])
    if data.get("rules") is not None:
        found += rules_violations(data["rules"])
    return found


def _raise(found: list[Violation]) -> None:
    if found:
        raise Invalid(found)
