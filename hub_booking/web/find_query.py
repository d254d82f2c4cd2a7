"""The "find a room" search as read from its URL: unreadable values fall back to defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from hub_booking.domain.errors import N_
from hub_booking.web import bounds
from hub_booking.web.forms import (
    FieldError,
    FormInput,
    every,
    one,
    read_clock,
    read_date,
    read_id,
    read_number,
)

FIND_FROM, FIND_TO = time(8), time(22)
FIND_DURATION, FIND_PEOPLE = 60, 1
MAX_EQUIPMENT = 20


@dataclass(frozen=True)
class FindQuery:
    """The search of "find a room"; ``day`` None means today on the hub's clock."""

    hub: str = ""
    day: date | None = None
    start: time = FIND_FROM
    end: time = FIND_TO
    duration: int = FIND_DURATION
    people: int = FIND_PEOPLE
    equipment: tuple[int, ...] = ()
    notices: tuple[FieldError, ...] = ()

    def window(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The asked hours of ``day`` on the hub's clock, as UTC instants."""
        start = datetime.combine(day, self.start, tzinfo=zone)
        return start.astimezone(UTC), datetime.combine(day, self.end, tzinfo=zone).astimezone(UTC)


def parse_find(query: FormInput) -> FindQuery:
    """The search from the URL: what cannot be read falls back to its default, with a note."""
    notes: list[FieldError] = []
    day = read_date(one(query, "date")) if one(query, "date") else None
    if one(query, "date") and day is None:
        notes.append(FieldError("date", N_("The date could not be read; today is shown.")))
    start, end = _window(query, notes)
    duration = _bounded(query, "duration", FIND_DURATION, 24 * 60, notes)
    people = _bounded(query, "people", FIND_PEOPLE, bounds.COUNT_MAX, notes)
    wanted = every(query, "equipment")
    equipment = tuple(
        dict.fromkeys(found for v in wanted[:MAX_EQUIPMENT] if (found := read_id(v)) is not None)
    )
    if len(equipment) < len(wanted):
        notes.append(
            FieldError("equipment", N_("Some equipment could not be read and was left out."))
        )
    hub = one(query, "hub")[:64]
    return FindQuery(hub, day, start, end, duration, people, equipment, tuple(notes))


def _window(query: FormInput, notes: list[FieldError]) -> tuple[time, time]:
    start_text, end_text = one(query, "from"), one(query, "to")
    start = read_clock(start_text) if start_text else FIND_FROM
    end = read_clock(end_text) if end_text else FIND_TO
    if start is None or end is None or end <= start:
        notes.append(
            FieldError("from", N_("The time window could not be read; 08:00–22:00 is used."))
        )
        return FIND_FROM, FIND_TO
    return start, end


def _bounded(query: FormInput, name: str, default: int, high: int, notes: list[FieldError]) -> int:
    text = one(query, name)
    if not text:
        return default
    if (number := read_number(text, high)) is not None:
        return number
    messages = {
        "duration": N_("The duration could not be read; 60 minutes is used."),
        "people": N_("The number of people could not be read; 1 is used."),
    }
    notes.append(FieldError(name, messages[name]))
    return default
