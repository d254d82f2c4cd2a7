"""Names in the reader's language, for the JSON shapes and the pages alike."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from hub_booking.domain.model import Association, Hub, Resource, display_name


def named(item: Hub | Resource | Association, language: str) -> dict[str, Any]:
    """The fields of a hub, resource or association, and ``name`` in ``language`` (falling
    back to the other language)."""
    found = {f.name: getattr(item, f.name) for f in fields(item)}  # shallow: read, not changed
    found["name"] = display_name(item.name_fr, item.name_ar, language)
    return found
