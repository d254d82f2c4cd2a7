"""The hub's wall clock: local times are the promise, UTC instants are derived from them.

A local time that does not exist (the clock jumps forward over it) or happens twice (the
clock goes back, as in Morocco on 2026-09-20 between 01:00 and 01:59) is refused: we never
guess which of two instants an association meant.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from hub_booking.domain.errors import N_, Violation


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
