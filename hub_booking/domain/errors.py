"""Errors the domain and services raise; the web layer turns them into responses.

Messages are English msgids marked with ``N_`` so Babel extracts them; they are translated
only when shown, in the reader's language, with ``params`` interpolated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def N_(message: str) -> str:
    """Mark a message for translation without translating it now."""
    return message


@dataclass(frozen=True)
class Violation:
    """One reason a request is refused: a CONTRACT code, the field at fault, a message."""

    code: str
    message: str
    field: str | None = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


class DomainError(Exception):
    """Base of every refusal that is the caller's fault (never a 500)."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.params = params


class Invalid(DomainError):
    """The request breaks one or more rules (422)."""

    status_code = 422

    def __init__(self, violations: list[Violation]) -> None:
        first = violations[0]
        super().__init__(first.message, field=first.field, **first.params)
        self.violations = violations


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Unauthenticated(DomainError):
    status_code = 401


class Conflict(DomainError):
    """A uniqueness or state conflict (409), naming the field when there is one."""

    status_code = 409


class TooManyAttempts(DomainError):
    status_code = 429


def invalid(field: str, code: str, message: str, **params: Any) -> Invalid:
    """A one-violation ``Invalid``."""
    return Invalid([Violation(code=code, message=message, field=field, params=params)])


class BookingConflict(Conflict):
    """The asked time clashes with holds already there (409), with alternatives.

    ``clashes`` are the domain's ``Clash`` periods (never who holds them); ``suggestions``
    what the services found instead (or None)."""

    def __init__(self, clashes: Sequence[Any], suggestions: Any) -> None:
        super().__init__(N_("This time is already taken for at least one resource."))
        self.clashes = tuple(clashes)
        self.suggestions = suggestions
