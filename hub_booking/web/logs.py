"""Log lines that cannot be forged and carry no secrets.

Request paths and other values given by users reach log records as arguments; this filter
escapes their control characters (a ``%0A`` in a path cannot start a fake line) and masks
API tokens, feed tokens, session ids and passwords, whoever logs them.
"""

from __future__ import annotations

import logging
import re
from typing import Any

LOGGERS = ("hub_booking", "litestar", "uvicorn.access", "uvicorn.error")
MASK = "[redacted]"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SECRETS = (
    re.compile(r"(?<![A-Za-z0-9])hb_[A-Za-z0-9_-]{16,}"),  # personal API tokens
    re.compile(r"(?<=/feeds/)[^/\s?#\"']+"),  # calendar feed URLs are their own secret
    re.compile(r"(?<=/invitations/)[^/\s?#\"']+"),  # so are invitation and reset links
    re.compile(r"(?i)(?<=bearer )\S+"),
    re.compile(
        r"(?i)(?<=password=)[^&\s\"']+|(?<=hb_session=)[^;&\s\"']+|(?<=hb_csrf=)[^;&\s\"']+"
    ),
)


def clean(text: str) -> str:
    """``text`` with control characters escaped (``\\n``) and secrets masked."""
    text = _CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode(), text)
    for secret in _SECRETS:
        text = secret.sub(MASK, text)
    return text


class SafeLogFilter(logging.Filter):
    """Cleans the string arguments of every record (the message format is the code's own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            record.args = {key: _clean_value(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_clean_value(value) for value in record.args)
        if isinstance(record.msg, str):
            record.msg = clean(record.msg) if not record.args else record.msg
        return True


def _clean_value(value: Any) -> Any:
    return clean(value) if isinstance(value, str) else value


def install() -> None:
    """Attach the filter to the loggers the app and its server write to (once)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SafeLogFilter) for f in logger.filters):
            logger.addFilter(SafeLogFilter())
