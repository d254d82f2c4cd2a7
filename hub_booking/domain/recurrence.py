"""Recurring series: a subset of RFC 5545 RRULE, expanded on the hub's wall clock.

Supported: FREQ=DAILY|WEEKLY|MONTHLY, INTERVAL, BYDAY (with an ordinal such as 2TU for
MONTHLY), and COUNT or UNTIL (one of them is required); at most 200 occurrences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from dateutil.rrule import rrulestr

from hub_booking.domain.errors import N_, Invalid, Violation
from hub_booking.domain.wallclock import to_local

MAX_OCCURRENCES = 200
FIELD = "recurrence.rrule"
_PARTS = ("FREQ", "INTERVAL", "BYDAY", "COUNT", "UNTIL")
_DAY = re.compile(r"^(?:[+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL = re.compile(r"^(\d{8})(T(\d{6})(Z?))?$")


@dataclass(frozen=True)
class Occurrence:
    """One occurrence on the wall clock (naive local times in the hub's zone)."""

    local_start: datetime
    local_end: datetime


def parse(text: str, zone: tzinfo) -> str:
    """The RRULE normalised for dateutil (UNTIL as floating local time); Invalid otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise _invalid(N_("Give a recurrence rule such as FREQ=WEEKLY;BYDAY=TU;COUNT=10."))
    body = text.strip().removeprefix("RRULE:")
    parts: dict[str, str] = {}
    for piece in body.split(";"):
        key, sep, value = piece.partition("=")
        key = key.strip().upper()
        if not sep or key in parts:
            raise _invalid(N_("The recurrence rule is malformed."))
        if key not in _PARTS:
            raise _invalid(N_("%(part)s is not supported in recurrence rules."), part=key)
        parts[key] = value.strip().upper()
    if parts.get("FREQ") not in ("DAILY", "WEEKLY", "MONTHLY"):
        raise _invalid(N_("FREQ must be DAILY, WEEKLY or MONTHLY."))
    if ("COUNT" in parts) == ("UNTIL" in parts):
        raise _invalid(N_("Give either COUNT or UNTIL, so the series ends."))
    if parts.get("COUNT", "").isdigit() and int(parts["COUNT"]) > MAX_OCCURRENCES:
        raise _too_many()
    for number in ("COUNT", "INTERVAL"):
        if number in parts and not (parts[number].isdigit() and 1 <= int(parts[number]) <= 999):
            raise _invalid(N_("%(part)s must be a whole number of at least 1."), part=number)
    if "BYDAY" in parts:
        days = parts["BYDAY"].split(",")
        if not all(_DAY.match(day) for day in days):
            raise _invalid(N_("BYDAY takes days such as MO,TU or, monthly, 2TU."))
        if parts["FREQ"] != "MONTHLY" and any(not day.isalpha() for day in days):
            raise _invalid(N_("BYDAY takes days such as MO,TU or, monthly, 2TU."))
    if "UNTIL" in parts:
        parts["UNTIL"] = _floating_until(parts["UNTIL"], zone)
    return ";".join(f"{key}={value}" for key, value in parts.items())


def expand(text: str, first_start: datetime, duration: timedelta, zone: tzinfo) -> list[Occurrence]:
    """Every occurrence of the series starting at the naive local ``first_start``."""
    rule = rrulestr(parse(text, zone), dtstart=first_start)
    starts = []
    for start in rule:
        starts.append(start)
        if len(starts) > MAX_OCCURRENCES:
            raise _too_many()
    return [Occurrence(start, start + duration) for start in starts]


def _floating_until(value: str, zone: tzinfo) -> str:
    """UNTIL as local time: a date means the end of that day; a UTC time is converted."""
    match = _UNTIL.match(value)
    if not match:
        raise _invalid(N_("UNTIL must look like 20270630 or 20270630T235959Z."))
    day, _, clock, utc = match.groups()
    try:
        # A floating wall-clock time, as RFC 5545 wants beside a floating DTSTART.
        when = datetime.strptime(day + (clock or "235959"), "%Y%m%d%H%M%S")  # noqa: DTZ007
    except ValueError as exc:
        raise _invalid(N_("UNTIL must look like 20270630 or 20270630T235959Z.")) from exc
    if utc:
        when = to_local(when.replace(tzinfo=UTC), zone)
    return when.strftime("%Y%m%dT%H%M%S")


def _invalid(message: str, **params: str) -> Invalid:
    return Invalid([Violation("invalid_rrule", message, FIELD, params)])


def _too_many() -> Invalid:
    return Invalid(
        [
            Violation(
                "too_many_occurrences",
                N_("A series has at most %(max)s occurrences."),
                FIELD,
                {"max": MAX_OCCURRENCES},
            )
        ]
    )
