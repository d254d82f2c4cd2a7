"""The hub's wall clock: local times are the promise, UTC instants are derived from them.

A local time that does not exist (the clock jumps forward over it) or happens twice (the
clock goes back, as in Morocco on 2026-09-20 between 01:00 and 01:59) is refused: we never
guess which of two instants an association meant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from hub_booking.domain.errors import N_, Violation

# Every instant a request may name lies in this window; beyond it a date is a typo.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Slot:
    """One occurrence: UTC instants and the hub's naive wall-clock times."""

    start: datetime
    end: datetime
    local_start: datetime
    local_end: datetime


class WallClockError(ValueError):
    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.message)
        self.violation = violation


def to_utc(local: datetime, zone: tzinfo, field: str = "starts_at") -> datetime:
    """The one UTC instant of a naive local time in ``zone``; WallClockError if there is none
    or more than one."""
    first = local.replace(tzinfo=zone, fold=0)
    second = local.replace(tzinfo=zone, fold=1)
    instant = first.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local:
        raise WallClockError(
            Violation(
                "nonexistent_time",
                N_("%(time)s does not exist on the hub's clock (the clock jumps over it)."),
                field,
                {"time": local.strftime("%Y-%m-%d %H:%M")},
            )
        )
    if first.utcoffset() != second.utcoffset():
        raise WallClockError(
            Violation(
                "ambiguous_time",
                N_(
                    "%(time)s happens twice on the hub's clock (the clock goes back); choose another time."  # noqa: E501
                ),
                field,
                {"time": local.strftime("%Y-%m-%d %H:%M")},
            )
        )
    return instant


def to_local(instant: datetime, zone: tzinfo) -> datetime:
    """The naive wall-clock time of a UTC instant in ``zone``."""
    return instant.astimezone(zone).replace(tzinfo=None)


def local_slot(local_start: datetime, local_end: datetime, zone: tzinfo) -> Slot:
    """The slot of a wall-clock period in ``zone``; WallClockError when a time has no single
    instant."""
    return Slot(
        to_utc(local_start, zone, "starts_at"),
        to_utc(local_end, zone, "ends_at"),
        local_start,
        local_end,
    )


def slot(start: datetime, end: datetime, zone: tzinfo) -> Slot:
    """The slot of two aware instants, read on the hub's wall clock (the one way everywhere)."""
    return local_slot(to_local(start, zone), to_local(end, zone), zone)


def out_of_range(when: datetime | None, field: str) -> Violation | None:
    """A violation when ``when`` has no offset or lies outside the years a booking can
    concern (None when it is fine or absent)."""
    if when is None:
        return None
    if when.utcoffset() is None:
        return Violation(
            "naive_datetime",
            N_("Give the time with its offset, e.g. 2027-02-09T14:00:00+00:00."),
            field,
        )
    if EARLIEST <= when < LATEST:
        return None
    return Violation("out_of_range", N_("Give a date between the years 2000 and 2099."), field)


def period_violations(start: datetime | None, end: datetime | None) -> list[Violation]:
    """What is wrong with the bounds of an asked period (``from``/``to``)."""
    found = [v for v in (out_of_range(start, "from"), out_of_range(end, "to")) if v]
    if not found and start is not None and end is not None and end <= start:
        found.append(Violation("end_before_start", N_("The end must come after the start."), "to"))
    return found
