"""What a text people type may not hold, everywhere it is typed (API, forms, CSV imports).

Control characters (C0, DEL, C1) and the bidirectional overrides and isolates that could
reverse the text shown after a name (U+202A–U+202E, U+2066–U+2069); a multi-line text keeps
tab, line feed and carriage return.
"""

from __future__ import annotations

import re

FORBIDDEN_IN_LINE = "\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
FORBIDDEN_IN_TEXT = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
NOT_IN_LINE = re.compile(f"[{FORBIDDEN_IN_LINE}]")
NOT_IN_TEXT = re.compile(f"[{FORBIDDEN_IN_TEXT}]")
