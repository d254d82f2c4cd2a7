"""Reading HTML forms: plain dicts of strings in, typed values or field errors out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.params import URLEncodedBody

from hub_booking.domain.bookings import MAX_ITEMS, BookingRequest
from hub_booking.domain.errors import N_
from hub_booking.domain.recurrence import MAX_OCCURRENCES
from hub_booking.domain.repeat import MAX_EVERY, Weekly, ordered_days, weekday_of, weekly_rule
from hub_booking.domain.wallclock import WallClockError, out_of_range, to_local, to_utc
from hub_booking.web import bounds

FormData = URLEncodedBody[dict[str, Any]]


def text(form: dict[str, Any], name: str, max_length: int = 1000) -> str:
    value = form.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip()[:max_length]


def optional_int(value: str | None) -> int | None:
    """A positive whole number from a query or form field; anything else is no filter."""
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    return number if number and number > 0 else None


def read_number(text: str, high: int, low: int = 1) -> int | None:
    """A whole number from ``low`` to ``high`` (Arabic-Indic digits too), else None: a word,
    a sign, or a number of any length, which is never handed to ``int`` whole."""
    if not text.isdecimal() or len(text) > len(str(high)):
        return None
    number = int(text)
    return number if low <= number <= high else None


def read_id(text: str) -> int | None:
    """A database id from a query or form field: 1 to ``MAX_ID`` (no column holds more)."""
    return read_number(text, bounds.MAX_ID)


def safe_next(target: str | None) -> str:
    """Only a local path may follow a login: never an open redirect to another site."""
    if not target:
        return "/hubs"
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return "/hubs"
    return target


# The booking form ---------------------------------------------------------------------------

FormInput = Mapping[str, Any]  # a decoded form or query: one string, or a list when repeated
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?$")
_LINE = re.compile(bounds.LINE_PATTERN)
_MULTILINE = re.compile(bounds.MULTILINE_PATTERN)
_QUANTITY = re.compile(r"^qty_(\d{1,10})$")
# Where the domain's fields are shown on the form (the rest go in the error summary only).
_FORM_FIELDS = {
    "starts_at": "start",
    "ends_at": "end",
    "title": "title",
    "attendees": "attendees",
    "purpose": "purpose",
    "association_id": "association_id",
    "items": "resource_id",
    "recurrence.rrule": "days",
}
REQUIRED = N_("This field is required.")
NOT_A_CHOICE = N_("This value is not one of the choices.")
NOT_A_NUMBER = N_("Must be a number.")
OUT_OF_RANGE = N_("This number is out of range.")


@dataclass(frozen=True)
class FieldError:
    """A problem with one field of a form (``field`` None: the form as a whole)."""

    field: str | None
    message: str  # a msgid, translated when shown
    params: dict[str, Any] = dc_field(default_factory=dict)


@dataclass(frozen=True)
class BookingForm:
    """The booking form as typed (``values``, shown back as they were) and, when every field
    could be read, the request it asks for."""

    values: dict[str, Any]
    request: BookingRequest | None
    errors: tuple[FieldError, ...] = ()


def query_of(request: Request) -> dict[str, Any]:
    """A request's query string as a decoded form: one string, or a list when repeated."""
    return {k: v if len(v) > 1 else v[0] for k, v in request.query_params.dict().items()}


def one(form: FormInput, name: str) -> str:
    """The first value of a field, stripped ("" when absent)."""
    value = form.get(name, "")
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value).strip()


def every(form: FormInput, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes), stripped, empty ones left out."""
    value = form.get(name, [])
    values = value if isinstance(value, list | tuple) else [value]
    return [str(v).strip() for v in values if str(v).strip()]


def booking_values(form: FormInput) -> dict[str, Any]:
    """What the form holds, bounded, to show back in its fields whatever was wrong."""
    values: dict[str, Any] = {
        name: one(form, name)[:limit] for name, limit in _TEXT_FIELDS.items() if limit
    }
    values["days"] = ordered_days(every(form, "days"))
    values["quantities"] = {
        int(m.group(1)): one(form, key)[:8]
        for key in list(form)[: bounds.MAX_FIELDS]
        if (m := _QUANTITY.match(key)) and one(form, key)
    }
    values["repeat"] = values["repeat"] or "none"
    return values


_TEXT_FIELDS = {  # in the order of the form
    "title": bounds.TITLE_MAX + 1,
    "association_id": 12,
    "attendees": 7,
    "purpose": bounds.TEXT_MAX + 1,
    "resource_id": 12,
    "date": 10,
    "start": 8,
    "end": 8,
    "duration": 5,
    "repeat": 8,
    "every": 3,
    "days": 0,  # a list, read apart
    "ends": 6,
    "count": 4,
    "until": 10,
    "on_conflict": 5,
    "form_token": 64,
}


def parse_booking(form: FormInput, zone: tzinfo, *, draft: bool = False) -> BookingForm:
    """The booking request of a posted form, or every field error at once.

    Dates and times are the hub's wall clock (``zone``); a time the clock skips or repeats is
    refused on its field, as the API refuses it. A ``draft`` (the live check while the form
    is being filled in) may leave the title empty: the rules do not read it.
    """
    values = booking_values(form)
    errors: list[FieldError] = []
    association = _number(values, "association_id", errors, high=bounds.MAX_ID, required=True)
    attendees = _number(values, "attendees", errors, high=bounds.COUNT_MAX) or 1
    title = _text(values, "title", errors, bounds.TITLE_MAX, _LINE, required=not draft) or "…"
    purpose = _text(values, "purpose", errors, bounds.TEXT_MAX, _MULTILINE)
    items = _items(values, errors)
    period = _period(values, zone, errors)
    rule, on_conflict = _repeat(values, errors)
    if errors or association is None or period is None:
        return BookingForm(values, None, tuple(sorted(errors, key=_place)))
    request = BookingRequest(
        association_id=association,
        title=title,
        starts_at=period[0],
        ends_at=period[1],
        attendees=attendees,
        items=items,
        purpose=purpose,
        rrule=rule,
        on_conflict=on_conflict,
    )
    return BookingForm(values, request)


def _place(error: FieldError) -> int:
    """Errors in the order of the form's fields, as the error summary lists them."""
    name = error.field or ""
    order = list(_TEXT_FIELDS)
    if name.startswith("qty_"):
        name = "resource_id"
    return order.index(name) if name in order else len(order)


def _number(
    values: dict[str, Any],
    name: str,
    errors: list[FieldError],
    *,
    low: int = 1,
    high: int,
    required: bool = False,
) -> int | None:
    text = values.get(name, "")
    if not text:
        if required:
            errors.append(FieldError(name, REQUIRED))
        return None
    if not text.isdecimal():
        errors.append(FieldError(name, NOT_A_NUMBER))
        return None
    number = read_number(text, high, low)
    if number is None:
        errors.append(FieldError(name, OUT_OF_RANGE))
    return number


def _text(
    values: dict[str, Any],
    name: str,
    errors: list[FieldError],
    max_length: int,
    allowed: re.Pattern[str],
    *,
    required: bool = False,
) -> str:
    text = values.get(name, "")
    if required and not text:
        errors.append(FieldError(name, REQUIRED))
    elif len(text) > max_length:
        errors.append(FieldError(name, N_("This text is too long.")))
    elif not allowed.match(text):
        errors.append(FieldError(name, N_("This text has characters that are not allowed.")))
    return text


def _items(values: dict[str, Any], errors: list[FieldError]) -> dict[int, int]:
    """The room (one unit) and the equipment asked for (units above zero)."""
    items: dict[int, int] = {}
    room = _number(values, "resource_id", errors, high=bounds.MAX_ID)
    if room is not None:
        items[room] = 1
    for resource_id, text in values["quantities"].items():
        name = f"qty_{resource_id}"
        units = read_number(text, bounds.QUANTITY_MAX, low=0)
        if not text.isdecimal():
            errors.append(FieldError(name, NOT_A_NUMBER))
        elif units is None or read_id(str(resource_id)) is None:
            errors.append(FieldError(name, OUT_OF_RANGE))
        elif units > 0 and resource_id not in items:
            items[resource_id] = units
    if len(items) > MAX_ITEMS:
        errors.append(FieldError("resource_id", N_("This list is too long.")))
    elif not items and not any(e.field and e.field[:4] in ("qty_", "reso") for e in errors):
        errors.append(FieldError("resource_id", N_("Book at least one resource.")))
    return items


def _period(
    values: dict[str, Any], zone: tzinfo, errors: list[FieldError]
) -> tuple[datetime, datetime] | None:
    """The asked period in UTC, from the local date, start, and end (or duration)."""
    day = read_date(values["date"])
    start = read_clock(values["start"])
    if day is None:
        errors.append(FieldError("date", N_("Enter a date such as 2027-02-09.")))
    if start is None:
        errors.append(FieldError("start", N_("Enter a time such as 14:30.")))
    if values["end"] or not values["duration"]:
        length = _length(values, start, errors)
    else:  # a link may give a duration (minutes) instead of an end: shown as the end
        minutes = _number(values, "duration", [], high=24 * 60)
        length = timedelta(minutes=minutes) if minutes else None
        if length is None:
            errors.append(FieldError("end", N_("Enter a time such as 14:30.")))
    if day is None or start is None or length is None:
        return None
    local_start = datetime.combine(day, start)
    try:
        return (
            to_utc(local_start, zone, "start"),
            to_utc(local_start + length, zone, "end"),
        )
    except WallClockError as exc:
        v = exc.violation
        errors.append(FieldError(v.field, v.message, v.params))
        return None


def _length(
    values: dict[str, Any], start: time | None, errors: list[FieldError]
) -> timedelta | None:
    end = read_clock(values["end"])
    if end is None:
        errors.append(FieldError("end", N_("Enter a time such as 14:30.")))
        return None
    if start is None:
        return None
    length = datetime.combine(date.min, end) - datetime.combine(date.min, start)
    if length <= timedelta(0):
        errors.append(FieldError("end", N_("The end must come after the start.")))
        return None
    return length


def _repeat(values: dict[str, Any], errors: list[FieldError]) -> tuple[str | None, str]:
    """The RRULE of the "Repeat" fields (None for a single booking) and fail/skip."""
    on_conflict = values["on_conflict"] or "fail"
    if on_conflict not in ("fail", "skip"):
        errors.append(FieldError("on_conflict", NOT_A_CHOICE))
    if values["repeat"] == "none":
        return None, "fail"
    if values["repeat"] != "weekly":
        errors.append(FieldError("repeat", NOT_A_CHOICE))
        return None, "fail"
    found = len(errors)
    every_n = _number(values, "every", errors, high=MAX_EVERY) if values["every"] else 1
    days = values["days"] or _start_day(values)  # none: the date's own error says why
    count = until = None
    if values["ends"] == "until":
        until = read_date(values["until"])
        if until is None:
            errors.append(FieldError("until", N_("Enter a date such as 2027-02-09.")))
        elif (first := read_date(values["date"])) and until < first:
            errors.append(FieldError("until", N_("The last date must not come before the first.")))
    elif values["ends"] in ("count", ""):
        count = _number(values, "count", errors, high=MAX_OCCURRENCES, required=True)
    else:
        errors.append(FieldError("ends", NOT_A_CHOICE))
    if len(errors) > found or every_n is None or not days:
        return None, on_conflict
    return weekly_rule(Weekly(days, every_n, count, until)), on_conflict


def _start_day(values: dict[str, Any]) -> tuple[str, ...]:
    day = read_date(values["date"])
    return (weekday_of(day),) if day else ()


def read_date(text: str) -> date | None:
    """A ``YYYY-MM-DD`` date between the years 2000 and 2099, else None."""
    if not _DATE.match(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2099 else None


def read_clock(text: str) -> time | None:
    """A 24-hour ``HH:MM`` time (seconds, as some browsers send them, are ignored)."""
    match = _CLOCK.match(text)
    return time(int(match.group(1)), int(match.group(2))) if match else None


def read_instant(text: str) -> datetime | None:
    """An ISO 8601 instant with its offset (a link's ``starts_at``), within the bookable
    years; None for anything else."""
    try:
        when = datetime.fromisoformat(text[:40])
    except ValueError:
        return None
    if when.utcoffset() is None or out_of_range(when, "starts_at") is not None:
        return None
    return when.astimezone(UTC)


def prefill(
    query: FormInput, zone: tzinfo, *, pool: bool = False
) -> tuple[dict[str, Any], list[FieldError]]:
    """The form's first values from a link (a free cell of the calendar, a found room):
    ``resource_id``, ``starts_at``/``ends_at`` instants shown on the hub's wall clock,
    ``attendees`` and equipment ``qty_<id>``; a ``pool``'s ``resource_id`` asks one unit of
    it. What cannot be read is left out, with a note."""
    values = booking_values(query)
    if pool and (unit := read_id(values["resource_id"])) is not None:
        values["quantities"] = {**values["quantities"], unit: "1"}
        values["resource_id"] = ""
    notes = []
    start, end = read_instant(one(query, "starts_at")), read_instant(one(query, "ends_at"))
    if (one(query, "starts_at") and start is None) or (one(query, "ends_at") and end is None):
        notes.append(FieldError("date", N_("The time in the link could not be read; choose one.")))
    if start is not None:
        local = to_local(start, zone)
        values.update(date=local.date().isoformat(), start=f"{local:%H:%M}")
        values["days"] = values["days"] or (weekday_of(local.date()),)
        if end is not None and end > start:
            values["end"] = f"{to_local(end, zone):%H:%M}"
    if values["resource_id"] and read_id(values["resource_id"]) is None:
        values["resource_id"] = ""
    return values, notes


def form_field(domain_field: str | None) -> str | None:
    """The form field showing a domain violation about ``domain_field`` (None: the summary)."""
    if domain_field is None:
        return None
    if domain_field.startswith("items"):
        return "resource_id"
    return _FORM_FIELDS.get(domain_field)


def apply_suggestion(form: FormInput, zone: tzinfo) -> dict[str, Any]:
    """The posted form with the suggestion its button carried applied: another time
    (``slot:<start>/<end>``, instants shown on the hub's clock) or another resource
    (``resource:<replaced id>:<new id>``). Anything unreadable changes nothing."""
    values = dict(form)
    kind, _, rest = one(form, "suggestion").partition(":")
    values.pop("suggestion", None)
    if kind == "slot":
        start_text, _, end_text = rest.partition("/")
        start, end = read_instant(start_text), read_instant(end_text)
        if start is not None and end is not None and end > start:
            local_start, local_end = to_local(start, zone), to_local(end, zone)
            values.update(
                date=local_start.date().isoformat(),
                start=f"{local_start:%H:%M}",
                end=f"{local_end:%H:%M}",
            )
    elif kind == "resource":
        old, _, new = rest.partition(":")
        readable = read_id(old) is not None and read_id(new) is not None
        if readable and one(form, "resource_id") == old:
            values["resource_id"] = new
        elif readable and f"qty_{old}" in values:
            values[f"qty_{new}"] = values.pop(f"qty_{old}")
    return values
