"""Bounds of what people may type, shared by the JSON API and the HTML forms.

Pages never import from ``web/api``: both read the patterns and lengths from here.
"""

from __future__ import annotations

from hub_booking.domain.text import FORBIDDEN_IN_LINE, FORBIDDEN_IN_TEXT

# PostgreSQL ``integer`` columns end here; a larger id cannot exist (and must not reach the driver).
MAX_ID = 2**31 - 1
LINE_PATTERN = f"^[^{FORBIDDEN_IN_LINE}]*$"  # see domain/text.py
MULTILINE_PATTERN = f"^[^{FORBIDDEN_IN_TEXT}]*$"

TITLE_MAX = 200
TEXT_MAX = 2000
COUNT_MAX = 100_000  # attendees
QUANTITY_MAX = 10_000  # units of one resource in a booking
MAX_FIELDS = 200  # fields of one form read at most (equipment quantities)
