"""Booking rules of a hub (defaults) and of a resource (overrides): their shape and defaults.

The checks of a booking against these rules come with the booking engine; this module owns
what a valid rule set is, so hubs and resources can store them from the start.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Any

from hub_booking.domain.errors import N_, Violation
from hub_booking.domain.model import Resource, ResourceInfo, display_name

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_OPENING_HOURS: dict[str, list[list[str]]] = {day: [["08:00", "22:00"]] for day in WEEKDAYS}
DEFAULT_RULES: dict[str, Any] = {
    "granularity_minutes": 15,
    "max_minutes": 12 * 60,
    "max_advance_days": 400,
}
YEAR_MINUTES = 365 * 24 * 60
DAY_MINUTES = 24 * 60
# The range of every rule value: a manager's typo (a huge number) is refused, so it can never
# make booking or availability of the hub unworkable.
RULE_BOUNDS: dict[str, tuple[int, int]] = {
    "min_minutes": (0, YEAR_MINUTES),
    "max_minutes": (0, YEAR_MINUTES),
    "granularity_minutes": (1, DAY_MINUTES),
    "min_notice_minutes": (0, YEAR_MINUTES),
    "max_advance_days": (0, 1826),  # five years
    "buffer_before_minutes": (0, DAY_MINUTES),
    "buffer_after_minutes": (0, DAY_MINUTES),
    "cancel_deadline_minutes": (0, YEAR_MINUTES),
    "max_future_bookings": (0, 10_000),
    "weekly_quota_hours": (0, 10_000),
    "monthly_quota_hours": (0, 10_000),
}
NUMBER_RULES = ("weekly_quota_hours", "monthly_quota_hours")
INTEGER_RULES = tuple(key for key in RULE_BOUNDS if key not in NUMBER_RULES)
# Switches (true or false). requires_check_in: a booking not checked in NO_SHOW_AFTER its
# start is a no-show, and the rest of its slot is freed (for the waitlist).
FLAG_RULES = ("requires_check_in",)
RULE_KEYS = (*INTEGER_RULES, *NUMBER_RULES, *FLAG_RULES, "opening_hours")
NO_SHOW_AFTER = timedelta(minutes=30)
MAX_PERIODS = 24  # opening periods in one day
_HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")


def opening_hours_violations(raw: Any, field: str = "opening_hours") -> list[Violation]:
    """Why ``raw`` is not ``{"mon": [["08:00", "20:00"]], ...}`` (empty list when it is)."""
    bad = Violation(
        "invalid_opening_hours",
        N_('Opening hours must look like {"mon": [["08:00", "20:00"]]}, with times HH:MM.'),
        field,
    )
    if not isinstance(raw, dict) or any(day not in WEEKDAYS for day in raw):
        return [bad]
    for periods in raw.values():
        if not isinstance(periods, list) or len(periods) > MAX_PERIODS:
            return [bad]
        previous_end = time.min
        for period in periods:
            if (
                not isinstance(period, list | tuple)
                or len(period) != 2
                or not all(isinstance(t, str) and _HHMM.match(t) for t in period)
            ):
                return [bad]
            start, end = (_parse_hhmm(t) for t in period)
            if end <= start or start < previous_end:
                return [
                    Violation(
                        "invalid_opening_hours",
                        N_("Opening periods must end after they start, in order, without overlap."),
                        field,
                    )
                ]
            previous_end = end
    return []


def rules_violations(raw: Any, field: str = "rules") -> list[Violation]:
    """Why ``raw`` is not a valid rule set (empty list when it is)."""
    if not isinstance(raw, dict):
        return [Violation("invalid_rules", N_("Rules must be an object."), field)]
    found: list[Violation] = []
    for key, value in raw.items():
        name = f"{field}.{key}"
        if key not in RULE_KEYS:
            found.append(
                Violation("unknown_rule", N_("Unknown rule %(rule)s."), name, {"rule": key})
            )
        elif key == "opening_hours":
            found.extend(opening_hours_violations(value, name))
        elif key in FLAG_RULES:
            if not isinstance(value, bool):
                found.append(
                    Violation(
                        "invalid_rule", N_("%(rule)s must be true or false."), name, {"rule": key}
                    )
                )
        elif not _in_bounds(key, value):
            low, high = RULE_BOUNDS[key]
            found.append(
                Violation(
                    "invalid_rule",
                    N_("%(rule)s must be a number from %(min)s to %(max)s."),
                    name,
                    {"rule": key, "min": low, "max": high},
                )
            )
    return found


def effective_rules(hub_rules: dict[str, Any], resource_rules: dict[str, Any]) -> dict[str, Any]:
    """Contract defaults, overridden by the hub's rules, overridden by the resource's."""
    return {**DEFAULT_RULES, **hub_rules, **resource_rules}


def resource_info(resource: Resource, hub_rules: dict[str, Any], language: str) -> ResourceInfo:
    """A resource as the booking rules see it: its own rules over its hub's (``hub_rules``,
    stored or about to be), its name in ``language``."""
    return ResourceInfo(
        id=resource.id,
        hub_id=resource.hub_id,
        kind=resource.kind,
        quantity=resource.quantity,
        capacity=resource.capacity,
        requires_approval=resource.requires_approval,
        active=resource.active,
        rules=effective_rules(hub_rules, resource.rules),
        name=display_name(resource.name_fr, resource.name_ar, language),
    )


def _parse_hhmm(text: str) -> time:
    if text == "24:00":
        return time.max
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _in_bounds(key: str, value: Any) -> bool:
    """A number of the rule's type within its range (``True`` is not a number here)."""
    if isinstance(value, bool):
        return False
    allowed = (int,) if key in INTEGER_RULES else (int, float)
    low, high = RULE_BOUNDS[key]
    return isinstance(value, allowed) and low <= value <= high
