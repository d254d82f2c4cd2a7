"""The booking form's "Repeat" choices as an RRULE of the engine's subset (domain/recurrence).

Weekly on chosen weekdays, every N weeks, until a date or N times: exactly what the form
offers, so the rule it builds is always one the engine expands.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from hub_booking.domain.recurrence import MAX_OCCURRENCES

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # index = date.weekday()
MAX_EVERY = 52  # weeks between occurrences


@dataclass(frozen=True)
class Weekly:
    """Every ``every`` weeks on ``days``, ``count`` times or until ``until`` (that day included)."""

    days: tuple[str, ...]
    every: int = 1
    count: int | None = None
    until: date | None = None


def weekly_rule(repeat: Weekly) -> str:
    """The RRULE text, e.g. ``FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=10``.

    Days are written in calendar order whatever order they were chosen in; exactly one of
    ``count`` and ``until`` must be given (ValueError otherwise, as for days or numbers out
    of the engine's range).
    """
    days = ordered_days(repeat.days)
    if not days:
        raise ValueError("at least one weekday")
    if not 1 <= repeat.every <= MAX_EVERY:
        raise ValueError("every is out of range")
    if (repeat.count is None) == (repeat.until is None):
        raise ValueError("give either count or until")
    parts = ["FREQ=WEEKLY"]
    if repeat.every > 1:
        parts.append(f"INTERVAL={repeat.every}")
    parts.append("BYDAY=" + ",".join(days))
    if repeat.count is not None:
        if not 1 <= repeat.count <= MAX_OCCURRENCES:
            raise ValueError("count is out of range")
        parts.append(f"COUNT={repeat.count}")
    elif repeat.until is not None:
        parts.append(f"UNTIL={repeat.until:%Y%m%d}")
    return ";".join(parts)


def ordered_days(days: Iterable[str]) -> tuple[str, ...]:
    """The known weekday codes among ``days``, once each, Monday first; unknown ones dropped."""
    chosen = {day.strip().upper() for day in days}
    return tuple(day for day in WEEKDAYS if day in chosen)


def weekday_of(day: date) -> str:
    """The RRULE code of a date's weekday (``TU`` for a Tuesday)."""
    return WEEKDAYS[day.weekday()]
