"""Field types of request bodies and parameters: one place for every bound (DESIGN.md).

msgspec enforces them when Litestar decodes a body, and the OpenAPI document shows them.
A refusal becomes a 422 naming the field (``web/validation.py``); the domain still checks
what needs the database or the contract's violation codes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar.params import PathParameter, QueryParameter
from msgspec import Meta

from hub_booking.domain.rules import MAX_PERIODS, RULE_BOUNDS
from hub_booking.web.bounds import LINE_PATTERN, MAX_ID, MULTILINE_PATTERN


def line(max_length: int, *, min_length: int = 0) -> Meta:
    """One line of text: no control or bidi-override characters."""
    return Meta(min_length=min_length, max_length=max_length, pattern=LINE_PATTERN)


def multiline(max_length: int) -> Meta:
    """Free text that may hold line breaks and tabs, but no other control characters."""
    return Meta(max_length=max_length, pattern=MULTILINE_PATTERN)


Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
Count = Annotated[int, Meta(ge=1, le=100_000)]
Title = Annotated[str, line(200, min_length=1)]
Name = Annotated[str, line(200)]
Text = Annotated[str, multiline(2000)]
Reason = Annotated[str, multiline(2000)]
Slug = Annotated[str, Meta(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$", max_length=64)]
Email = Annotated[str, Meta(max_length=254, pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$")]
Zone = Annotated[str, line(64, min_length=1)]
# An instant with its offset (naive times are refused: whose clock?).
Instant = Annotated[datetime, Meta(tz=True)]

# Parameters in paths and query strings.
IdParam = Annotated[int, PathParameter(ge=1, le=MAX_ID)]  # beyond: cannot exist (404)
OptionalIdQuery = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]
MAX_LIMIT = 500
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_ID)]

# Catalogue bodies. The formats of slugs, times and zones are checked by the domain, which
# reports every problem at once; these types bound sizes and ranges.
Note = Annotated[str, line(200)]
Phone = Annotated[str, line(32)]
RegistrationNumber = Annotated[str, line(64)]
SlugText = Annotated[str, line(64)]
Address = Annotated[str, multiline(500)]
ClockTime = Annotated[str, Meta(max_length=5)]  # "08:00"
Period = Annotated[list[ClockTime], Meta(min_length=2, max_length=2)]
OpeningHours = Annotated[
    dict[str, Annotated[list[Period], Meta(max_length=MAX_PERIODS)]], Meta(max_length=7)
]


def _rule(key: str) -> Meta:
    low, high = RULE_BOUNDS[key]
    return Meta(ge=low, le=high)


# Rule values within the ranges the domain documents (domain/rules.py RULE_BOUNDS).
RuleMinutes = Annotated[int, _rule("max_minutes")]  # a duration: at most a year
GranularityMinutes = Annotated[int, _rule("granularity_minutes")]
BufferMinutes = Annotated[int, _rule("buffer_before_minutes")]
AdvanceDays = Annotated[int, _rule("max_advance_days")]
QuotaHours = Annotated[float, _rule("weekly_quota_hours")]
BookingLimit = Annotated[int, _rule("max_future_bookings")]
