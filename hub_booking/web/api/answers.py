"""The error answers every API operation documents (CONTRACT.md), in one place."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec


class ViolationBody(msgspec.Struct):
    code: str
    field: str | None
    message: str


class ErrorBody(msgspec.Struct):
    """``{status_code, detail, extra}``; refusals of a booking also carry ``violations``,
    ``conflicts`` and ``suggestions`` at the top (CONTRACT.md)."""

    status_code: int
    detail: str
    extra: dict[str, Any] | list[Any] | None = None
    violations: list[ViolationBody] | None = None
    conflicts: list[dict[str, Any]] | None = None
    suggestions: dict[str, Any] | None = None


_MEANINGS = {
    400: "Malformed request (not JSON, not an object, nested too deep)",
    401: "No or invalid credentials",
    403: "Not allowed, or the CSRF token or origin is wrong",
    404: "Unknown, or not visible to the caller",
    409: "Conflicts with the current state (taken slot, duplicate, decision already made)",
    422: "Rule violations or invalid fields, listed in violations",
    429: "Too many requests",
}
ERRORS = {
    status: ResponseSpec(ErrorBody, description=text, generate_examples=False)
    for status, text in _MEANINGS.items()
}


def documented(handlers: list[HTTPRouteHandler]) -> list[HTTPRouteHandler]:
    """The handlers, each documenting every error answer the API can give."""
    for handler in handlers:
        handler.responses = {**ERRORS, **(handler.responses or {})}
    return handlers
