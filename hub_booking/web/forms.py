"""Reading HTML forms: plain dicts of strings in, typed values or field errors out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar.params import URLEncodedBody

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
