"""Litestar's validation failures (msgspec) as the contract's answers: 422 naming the field.

msgspec stops at the first problem and words it in English; this turns its message into a
violation code and one of our translatable messages. A body that is not a JSON object is
malformed (400); an id outside the column's range cannot exist (404).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException

from hub_booking.domain.errors import N_, Violation

# (pattern of msgspec's message, code, our message); the first that matches wins.
_RULES: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern), code, message)
    for pattern, code, message in (
        (r"missing required field", "required", N_("This field is required.")),
        (r"length >= 1\b", "required", N_("This field is required.")),
        (r"`str` of length <=", "too_long_text", N_("This text is too long.")),
        (r"`array` of length <=", "too_many_items", N_("This list is too long.")),
        (
            r"`str` matching regex",
            "invalid_characters",
            N_("This text has characters that are not allowed."),
        ),
        (r"unknown field", "unknown_field", N_("This field is not part of the request.")),
        (
            r"timezone component",
            "naive_datetime",
            N_("Give the time with its offset, e.g. 2027-02-09T14:00:00+00:00."),
        ),
        (
            r"RFC3339|`datetime`",
            "invalid_datetime",
            N_("Use an ISO 8601 time such as 2027-02-09T14:00:00+00:00."),
        ),
        (r"Invalid enum value", "invalid_choice", N_("This value is not one of the choices.")),
        (r"`int` [<>]=", "invalid_number", N_("This number is out of range.")),
        (r"Expected `(int|float)`", "invalid_number", N_("Must be a number.")),
        (r"Expected `bool`", "invalid_boolean", N_("Must be true or false.")),
        (r"Expected `str`", "invalid_text", N_("Must be text.")),
    )
)
_INVALID = ("invalid_value", N_("This value is invalid."))
# Codes the contract's clients already know for some fields.
_FIELD_CODES = {
    r"items\[\d+\]\.quantity": "invalid_quantity",
    r"items\[\d+\]\.resource_id": "invalid_resource",
}


def violation(message: str, key: str | None) -> Violation:
    """One violation from msgspec's ``message`` about the field ``key``."""
    code, text = next(((c, m) for p, c, m in _RULES if p.search(message)), _INVALID)
    field = _field(key, message)
    for pattern, field_code in _FIELD_CODES.items():
        if field and re.fullmatch(pattern, field) and code not in ("required", "unknown_field"):
            code = field_code
    return Violation(code, text, field)


def answer(extra: Any) -> tuple[int, list[Violation]]:
    """The status and violations for Litestar's ``ValidationException.extra``."""
    problems = extra if isinstance(extra, list) else []
    found = [
        (p.get("source"), violation(str(p.get("message", "")), p.get("key")))
        for p in problems
        if isinstance(p, dict)
    ]
    if any(source == "path" for source, _ in found):
        return 404, []
    if not found or any(source == "body" and v.field in (None, "data") for source, v in found):
        return 400, [v for _, v in found]
    return 422, [v for _, v in found]


def _field(key: str | None, message: str) -> str | None:
    """The dotted field: msgspec names a missing or unknown field in its message."""
    named = re.search(r"field `([^`]+)`", message)
    if key in (None, "", "data"):
        return named.group(1) if named else key
    return f"{key}.{named.group(1)}" if named else key


async def strict_body(request: Request) -> None:
    """``before_request`` of the API: decode the JSON body strictly against the handler's
    body type, so that ``"12"`` is not taken for the number 12.

    Litestar converts bodies leniently (the same conversion reads query strings). This
    answers a wrong type exactly as Litestar answers other validation failures; anything it
    cannot read (no body, malformed JSON) is left to Litestar's own answer."""
    target = _body_type(request.route_handler)
    body = await request.body() if target is not None else b""
    if not body.strip():
        return
    try:
        msgspec.json.decode(body, type=target, strict=True)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - ")
        found = _PATH.search(where)
        problem = {"message": message, "key": found.group(1) if found else "data"}
        extra = [{**problem, "source": "body"}]
        raise ValidationException(detail="Validation failed", extra=extra) from None
    except msgspec.DecodeError:
        return


_PATH = re.compile(r"`\$\.(.+)`$")


@cache
def _body_type(handler: Any) -> Any:
    """The type of the handler's ``data`` parameter, when it has one."""
    field = handler.parsed_fn_signature.parameters.get("data")
    return None if field is None else field.annotation
