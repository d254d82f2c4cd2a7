"""Reading the hub manager's forms: settings (opening hours, rules), resources, closures.

Strings in, the data the services take out (the same dicts as the JSON API's bodies), or
the field errors of what could not be read. Ranges and the shape of rules and opening hours
are checked by the services' own validators, whose violations are shown on the fields here
(``form_field``): there is one validator, not a second copy in the pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from itertools import pairwise
from typing import Any

from hub_booking.domain.errors import N_, Violation
from hub_booking.domain.model import Hub, Resource, ResourceKind
from hub_booking.domain.rules import FLAG_RULES, INTEGER_RULES, MAX_PERIODS, NUMBER_RULES, WEEKDAYS
from hub_booking.i18n import translate
from hub_booking.web import bounds
from hub_booking.web.check_view import Problem
from hub_booking.web.forms import (
    REQUIRED,
    FieldError,
    FormInput,
    every,
    one,
    read_clock,
    read_date,
    read_id,
)

PERIODS_SHOWN = 3  # opening periods offered per day (more are kept when a hub has them)
RULE_FIELDS = (*INTEGER_RULES, *NUMBER_RULES)
MAX_LISTED = 5_000  # booking ids a confirmation may carry
_LINE = re.compile(bounds.LINE_PATTERN)
_MULTILINE = re.compile(bounds.MULTILINE_PATTERN)
_DECIMAL = re.compile(r"^\d{1,7}(?:[.,]\d{1,2})?$")
BAD_TIME = N_("Enter a time such as 14:30.")
BAD_DATE = N_("Enter a date such as 2027-02-09.")
NOT_A_NUMBER = N_("Must be a number.")
AFTER_START = N_("The end must come after the start.")


@dataclass(frozen=True)
class Parsed:
    """A form as typed (``values``, shown back), the data it asks for, and its errors."""

    values: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)
    errors: tuple[FieldError, ...] = ()


# Errors on fields -----------------------------------------------------------------------------


def form_field(domain_field: str | None) -> str | None:
    """The field showing a service's violation (``rules.max_minutes`` -> ``max_minutes``)."""
    if domain_field is None:
        return None
    name = domain_field.removeprefix("rules.")
    if name == "opening_hours":
        return "hours"
    if name == "rules":  # the rule set as a whole: the error summary says it
        return None
    return {"starts_at": "start_date", "ends_at": "end_date"}.get(name, name)


def problems(found: Iterable[FieldError | Violation], language: str) -> list[Problem]:
    """Form errors and service violations, translated, each on the field that shows it."""
    result: list[Problem] = []
    for item in found:
        where = item.field if isinstance(item, FieldError) else form_field(item.field)
        problem = Problem(where, translate(language, item.message, **item.params))
        if problem not in result:
            result.append(problem)
    return result


def by_field(found: list[Problem]) -> dict[str, list[str]]:
    """Messages per field, to show beside each field."""
    result: dict[str, list[str]] = {}
    for problem in found:
        if problem.field:
            result.setdefault(problem.field, []).append(problem.message)
    return result


def listed_ids(form: FormInput) -> frozenset[int]:
    """The booking ids a confirmation carries (those listed to the manager)."""
    ids = (read_id(text) for text in every(form, "listed")[:MAX_LISTED])
    return frozenset(i for i in ids if i is not None)


def confirmed(form: FormInput) -> bool:
    return one(form, "confirm") == "yes"


# Opening hours --------------------------------------------------------------------------------


def hours_values(hours: dict[str, list[list[str]]]) -> dict[str, Any]:
    """Form values of opening hours: ``<day>_closed``, ``<day>_from_<n>``, ``<day>_to_<n>``."""
    values: dict[str, Any] = {}
    for day in WEEKDAYS:
        periods = hours.get(day, [])
        values[f"{day}_closed"] = not periods
        for n, (start, end) in enumerate(periods, start=1):
            values[f"{day}_from_{n}"], values[f"{day}_to_{n}"] = start, end
    return values


def hours_rows(values: dict[str, Any]) -> dict[str, int]:
    """How many periods to show for each day: three, or more when the hub has more."""
    rows = {}
    for day in WEEKDAYS:
        used = [n for n in range(1, MAX_PERIODS + 1) if values.get(f"{day}_from_{n}")]
        rows[day] = max([PERIODS_SHOWN, *used])
    return rows


def _read_hours(form: FormInput, values: dict[str, Any], errors: list[FieldError]) -> dict:
    """Opening hours from the grid; a day ticked closed, or without any period, is closed."""
    hours: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        values[f"{day}_closed"] = bool(one(form, f"{day}_closed"))
        periods = []
        for n in range(1, MAX_PERIODS + 1):
            period = _period(form, values, errors, f"{day}_from_{n}", f"{day}_to_{n}")
            if period is not None:
                periods.append(period)
        if values[f"{day}_closed"] or not periods:
            hours[day] = []
            continue
        periods.sort()
        for (_, end), (start, _) in pairwise(periods):
            if start < end:
                errors.append(FieldError(f"{day}_from_1", N_("Opening periods must not overlap.")))
        hours[day] = [[start, end] for start, end in periods]
    return hours


def _period(
    form: FormInput, values: dict[str, Any], errors: list[FieldError], opens: str, closes: str
) -> tuple[str, str] | None:
    start_text, end_text = one(form, opens)[:8], one(form, closes)[:8]
    values[opens], values[closes] = start_text, end_text
    if not start_text and not end_text:
        return None
    start = read_clock(start_text)
    end = "24:00" if end_text in ("24:00", "00:00") else _clock(end_text)
    if start is None:
        errors.append(FieldError(opens, BAD_TIME))
    if end is None:
        errors.append(FieldError(closes, BAD_TIME))
    if start is None or end is None:
        return None
    if end <= f"{start:%H:%M}":
        errors.append(FieldError(closes, AFTER_START))
        return None
    return f"{start:%H:%M}", end


def _clock(text: str) -> str | None:
    found = read_clock(text)
    return f"{found:%H:%M}" if found else None


# Rules ----------------------------------------------------------------------------------------


def rules_values(rules: dict[str, Any]) -> dict[str, str]:
    return {key: _number_text(rules[key]) for key in RULE_FIELDS if key in rules}


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_rules(form: FormInput, values: dict[str, Any], errors: list[FieldError]) -> dict:
    """The rules typed in; an empty field sets nothing (the default, or the hub's value)."""
    rules: dict[str, Any] = {}
    for key in RULE_FIELDS:
        text = one(form, key)[:20]
        values[key] = text
        if not text:
            continue
        if text.isdecimal():
            rules[key] = int(text)
        elif key in NUMBER_RULES and _DECIMAL.match(text):
            rules[key] = float(text.replace(",", "."))
        else:
            errors.append(FieldError(key, NOT_A_NUMBER))
    return rules


# Hub settings ---------------------------------------------------------------------------------


def settings_values(hub: Hub) -> dict[str, Any]:
    """The settings form filled with the hub as it is."""
    return {
        "name_fr": hub.name_fr,
        "name_ar": hub.name_ar,
        "address": hub.address,
        "timezone": hub.timezone,
        **hours_values(hub.opening_hours),
        **rules_values(hub.rules),
        **{key: "1" for key in FLAG_RULES if hub.rules.get(key)},
    }


def parse_settings(form: FormInput, hub: Hub) -> Parsed:
    """``update_hub``'s data from the settings form. Rules the form does not show (set
    through the API) are kept as they are."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    data: dict[str, Any] = {}
    for name, limit in (("name_fr", 200), ("name_ar", 200), ("address", 500), ("timezone", 64)):
        data[name] = values[name] = _line(form, name, limit + 1, errors)
    data["opening_hours"] = _read_hours(form, values, errors)
    kept = {k: v for k, v in hub.rules.items() if k not in (*RULE_FIELDS, *FLAG_RULES)}
    flags = {key: True for key in FLAG_RULES if one(form, key)}  # unticked: absent, off
    values.update({key: "1" for key in flags})
    data["rules"] = {**kept, **_read_rules(form, values, errors), **flags}
    return Parsed(values, data, tuple(errors))


def _line(form: FormInput, name: str, limit: int, errors: list[FieldError]) -> str:
    text = one(form, name)[:limit]
    if not _LINE.match(text):
        errors.append(FieldError(name, N_("This text has characters that are not allowed.")))
    return text


# Resources ------------------------------------------------------------------------------------


def resource_values(resource: Resource | None) -> dict[str, Any]:
    """The resource form, empty (a new resource) or filled with ``resource``."""
    if resource is None:
        return {"kind": "space", "requires_approval": False, "own_hours": False}
    own = resource.rules.get("opening_hours")
    return {
        "kind": str(resource.kind),
        "name_fr": resource.name_fr,
        "name_ar": resource.name_ar,
        "description": resource.description,
        "capacity": "" if resource.capacity is None else str(resource.capacity),
        "quantity": str(resource.quantity),
        "requires_approval": resource.requires_approval,
        "own_hours": own is not None,
        **hours_values(own or {}),
        **rules_values(resource.rules),
    }


def parse_resource(form: FormInput, current: Resource | None) -> Parsed:
    """``create_resource`` / ``update_resource`` data from the resource form (the kind of an
    existing resource does not change)."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    kind = str(current.kind) if current else one(form, "kind")[:16]
    values["kind"] = kind
    data: dict[str, Any] = {} if current else {"kind": kind}
    for name in ("name_fr", "name_ar"):
        data[name] = values[name] = _line(form, name, 201, errors)
    description = one(form, "description")[: bounds.TEXT_MAX + 1]
    values["description"] = data["description"] = description
    if not _MULTILINE.match(description):
        errors.append(
            FieldError("description", N_("This text has characters that are not allowed."))
        )
    amount = "capacity" if kind == ResourceKind.SPACE else "quantity"
    text = values[amount] = one(form, amount)[:12]
    if text.isdecimal():
        data[amount] = int(text)
    elif text:
        errors.append(FieldError(amount, NOT_A_NUMBER))
    elif amount == "capacity":
        errors.append(FieldError(amount, REQUIRED))
    data["requires_approval"] = values["requires_approval"] = bool(one(form, "requires_approval"))
    values["own_hours"] = bool(one(form, "own_hours"))
    rules = _read_rules(form, values, errors)
    hours = _read_hours(form, values, errors if values["own_hours"] else [])
    if values["own_hours"]:
        rules["opening_hours"] = hours
    data["rules"] = rules
    return Parsed(values, data, tuple(errors))


# Closures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosureAsked:
    """A closure as typed: the hub's wall-clock period, the resource (None: the whole hub)."""

    local_start: datetime
    local_end: datetime
    resource_id: int | None
    reason: str


def parse_closure(form: FormInput) -> tuple[dict[str, Any], ClosureAsked | None, list[FieldError]]:
    """A closure from its form: dates, optional times (none: from the start of the first
    day to the end of the last), the resource or the whole hub, and a required reason."""
    values = {
        name: one(form, name)[:limit]
        for name, limit in (
            ("resource_id", 12),
            ("start_date", 10),
            ("start_time", 8),
            ("end_date", 10),
            ("end_time", 8),
            ("reason", 201),
        )
    }
    errors: list[FieldError] = []
    resource_id = None
    if values["resource_id"]:
        resource_id = read_id(values["resource_id"])
        if resource_id is None:
            errors.append(FieldError("resource_id", N_("This value is not one of the choices.")))
    start = _moment(values, "start", errors, end=False)
    end = _moment(values, "end", errors, end=True)
    reason = values["reason"]
    if not reason:
        errors.append(FieldError("reason", N_("Say why: the associations will read it.")))
    elif len(reason) > 200 or not _LINE.match(reason):
        errors.append(FieldError("reason", N_("Use at most 200 characters, on one line.")))
    if start and end and end <= start:
        errors.append(FieldError("end_date", AFTER_START))
    if errors or start is None or end is None:
        return values, None, errors
    return values, ClosureAsked(start, end, resource_id, reason), []


def _moment(
    values: dict[str, Any], which: str, errors: list[FieldError], *, end: bool
) -> datetime | None:
    """A date and an optional time; an end date without a time means the end of that day."""
    day = read_date(values[f"{which}_date"])
    if day is None:
        errors.append(FieldError(f"{which}_date", BAD_DATE))
    clock = read_clock(values[f"{which}_time"]) if values[f"{which}_time"] else None
    if values[f"{which}_time"] and clock is None:
        errors.append(FieldError(f"{which}_time", BAD_TIME))
        return None
    if day is None:
        return None
    if clock is None:
        return datetime.combine(day + timedelta(days=1 if end else 0), time())
    return datetime.combine(day, clock)


# Public holidays ------------------------------------------------------------------------------


def chosen_holidays(form: FormInput) -> dict[str, int]:
    """The ticked holidays (their keys) and the shift of each (-1, 0 or +1 day)."""
    chosen = {}
    for key in every(form, "holiday")[:100]:
        shift = one(form, f"shift_{key[:16]}")
        chosen[key[:16]] = {"-1": -1, "1": 1, "+1": 1}.get(shift, 0)
    return chosen
