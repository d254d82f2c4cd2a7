"""Bounds of what people may type, shared by the JSON API and the HTML forms.

Pages never import from ``web/api``: both read the patterns and lengths from here.
"""

from __future__ import annotations

# PostgreSQL ``integer`` columns end here; a larger id cannot exist (and must not reach the driver).
MAX_ID = 2**31 - 1
# Control characters (C0, DEL, C1) and the bidirectional overrides and isolates that could
# reverse the text shown after a name (U+202A–U+202E, U+2066–U+2069).
_FORBIDDEN = "\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_FORBIDDEN_MULTILINE = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
LINE_PATTERN = f"^[^{_FORBIDDEN}]*$"
MULTILINE_PATTERN = f"^[^{_FORBIDDEN_MULTILINE}]*$"

TITLE_MAX = 200
TEXT_MAX = 2000
COUNT_MAX = 100_000  # attendees
QUANTITY_MAX = 10_000  # units of one resource in a booking
MAX_FIELDS = 200  # fields of one form read at most (equipment quantities)
