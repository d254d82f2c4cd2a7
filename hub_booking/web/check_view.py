"""The booking check as the form shows it: every problem translated, every occurrence on the
hub's wall clock, suggestions as one-click values. Presentation only: the verdict itself comes
from ``services.bookings.assess`` (the same one the API's dry run answers with)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub_booking.domain.errors import BookingConflict, DomainError, Invalid, Violation
from hub_booking.domain.repeat import WEEKDAYS
from hub_booking.domain.verdict import Occurrence
from hub_booking.domain.wallclock import to_local
from hub_booking.i18n import format_datetime, formats, translate
from hub_booking.services.bookings import Assessment
from hub_booking.web.forms import FieldError, form_field
from hub_booking.zones import get_zone

CHECK_ANCHOR = "booking-check"  # the check, with its conflicts and suggestions


@dataclass(frozen=True)
class Problem:
    field: str | None  # the form field's id, to link to and to show beside
    message: str


@dataclass
class CheckView:
    """What ``partials/booking_check.html`` shows."""

    problems: list[Problem] = field(default_factory=list)
    checked: bool = False  # an assessment was made (the request could be read)
    ok: bool = False
    pending: bool = False
    series: bool = False
    occurrences: list[dict[str, Any]] = field(default_factory=list)
    clashes: list[str] = field(default_factory=list)
    next_slots: list[dict[str, str]] = field(default_factory=list)
    alternatives: list[dict[str, str]] = field(default_factory=list)
    deferred: bool = False  # something clashes; suggestions are shown when asked for
    kept: int = 0
    skipped: list[str] = field(default_factory=list)

    def by_field(self) -> dict[str, list[str]]:
        """Messages per form field, to show beside each field."""
        found: dict[str, list[str]] = {}
        for problem in self.problems:
            if problem.field:
                found.setdefault(problem.field, []).append(problem.message)
        return found


def problems(found: Iterable[FieldError | Violation], language: str) -> list[Problem]:
    """Form errors and rule violations, translated, each on the field that shows it."""
    result = []
    for item in found:
        where = item.field if isinstance(item, FieldError) else form_field(item.field)
        text = translate(language, item.message, **item.params)
        if Problem(where, text) not in result:
            result.append(Problem(where, text))
    return result


def refusal(exc: DomainError, language: str) -> list[Problem]:
    """What a refused request says, as problems of the form."""
    if isinstance(exc, Invalid):
        return problems(exc.violations, language)
    where = CHECK_ANCHOR if isinstance(exc, BookingConflict) else form_field(exc.field)
    return [Problem(where, translate(language, exc.message, **exc.params))]


def view(assessment: Assessment, language: str) -> CheckView:
    """The check of a request that could be read."""
    verdict, zone, fmt = assessment.verdict, get_zone(assessment.timezone), formats(language)
    names = {rid: r.name for rid, r in assessment.resources.items()}
    result = CheckView(
        problems=problems(verdict.violations, language),
        checked=True,
        ok=verdict.ok,
        pending=str(assessment.status) == "pending",
        series=assessment.request.rrule is not None,
        kept=len(verdict.kept),
        skipped=[fmt.when(s.slot.local_start, s.slot.local_end) for s in verdict.skipped],
    )
    result.occurrences = [_occurrence(o, language, names) for o in verdict.occurrences]
    periods = sorted({(c.resource_id, c.start, c.end) for c in verdict.clashes}, key=lambda c: c[1])
    result.clashes = [
        f"{names.get(rid, '')}: {when(start, end, zone, language)}"
        for rid, start, end in periods[:20]
    ]
    if assessment.suggestions is not None and assessment.suggestions.deferred:
        result.deferred = True
    elif assessment.suggestions is not None:
        result.next_slots = [
            {
                "label": when(f.start, f.end, zone, language),
                "value": f"slot:{f.start.isoformat()}/{f.end.isoformat()}",
            }
            for f in assessment.suggestions.next_slots
        ]
        result.alternatives = [
            {
                "label": a.name,
                "replaces": names.get(a.replaces, ""),
                "value": f"resource:{a.replaces}:{a.resource_id}",
            }
            for a in assessment.suggestions.alternatives
        ]
    return result


def when(start: datetime, end: datetime, zone: ZoneInfo, language: str) -> str:
    """A period of UTC instants as the hub's wall clock shows it, in the reader's language."""
    return formats(language).when(to_local(start, zone), to_local(end, zone))


def _occurrence(occurrence: Occurrence, language: str, names: dict[int, str]) -> dict[str, Any]:
    state = "ok"
    if occurrence.violations:
        state = "rule"
    elif occurrence.clashes:
        state = "clash"
    reasons = [translate(language, v.message, **v.params) for v in occurrence.violations]
    reasons += sorted({names.get(c.resource_id, "") for c in occurrence.clashes})
    slot, fmt = occurrence.slot, formats(language)
    return {
        "day": fmt.date(slot.local_start),
        "time": fmt.period(slot.local_start, slot.local_end),
        "iso": slot.local_start.date().isoformat(),
        "state": state,
        "reasons": reasons,
    }


def weekday_names(language: str) -> list[tuple[str, str]]:
    """``(RRULE code, weekday name)`` from Monday, in the reader's language."""
    monday = datetime(2027, 2, 1, 12, tzinfo=UTC)  # any Monday
    zone = get_zone("UTC")
    return [
        (code, format_datetime(monday + timedelta(days=i), zone, language, "EEEE"))
        for i, code in enumerate(WEEKDAYS)
    ]
