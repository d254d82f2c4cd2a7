"""Languages: Babel catalogs (ar, fr, en), negotiation and formatting for the reader.

Catalogs are the ``.po`` files under ``locale/``; they are compiled in memory at start,
so there is no build step and no binary file to keep in sync.
"""

from __future__ import annotations

import gettext
import io
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.dates import format_time as _format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from hub_booking.settings import LANGUAGES

LOCALE_DIR = Path(__file__).parent / "locale"
RTL = frozenset({"ar"})
LANGUAGE_NAMES = {"ar": "العربية", "fr": "Français", "en": "English"}


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of a language (English msgids fall through unchanged)."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translate(language: str, message: str, **params: Any) -> str:
    """Translate a msgid and interpolate ``%(name)s`` params."""
    text = translations(language).gettext(message)
    return text % params if params else text


def pick_language(*candidates: str | None, accept_language: str | None, default: str) -> str:
    """The first supported language among explicit candidates, then Accept-Language."""
    for candidate in candidates:
        if candidate in LANGUAGES:
            return candidate
    for tag in _parse_accept_language(accept_language or ""):
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return default


def _parse_accept_language(header: str) -> list[str]:
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        if not tag:
            continue
        quality = 1.0
        for param in pieces[1:]:
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def direction(language: str) -> str:
    return "rtl" if language in RTL else "ltr"


def format_datetime(value: datetime, zone: ZoneInfo, language: str, fmt: str = "medium") -> str:
    """A UTC instant shown on the hub's wall clock, in the reader's language."""
    return _format_datetime(
        value.astimezone(zone), format=fmt, tzinfo=zone, locale=_locale(language)
    )


@cache
def _locale(language: str) -> Locale:
    # Moroccan Arabic formatting (Latin digits, as Moroccans write them).
    return Locale.parse({"ar": "ar_MA", "fr": "fr_MA", "en": "en"}[language])


Day = date | datetime  # (a name of its own: ``Formats.date`` hides the type in the class)


class Formats:
    """Dates and times of the hub's wall clock for one language, as templates show them.

    Times are naive local datetimes (bookings keep them so); Babel is slow enough to matter
    on a calendar of a thousand cells, so the few distinct clock times are formatted once.
    """

    def __init__(self, language: str) -> None:
        self.language = language

    def clock(self, value: datetime) -> str:
        """``14:30`` (``2:30 PM`` in English)."""
        return _clock(value.hour, value.minute, self.language)

    def period(self, start: datetime, end: datetime) -> str:
        """``14:30–16:00``; the end's date is added when it falls on another day."""
        midnight = datetime.combine(start.date() + timedelta(days=1), time())
        if end.date() != start.date() and end != midnight:
            return f"{self.day(start)} {self.clock(start)} – {self.day(end)} {self.clock(end)}"
        return f"{self.clock(start)}–{self.clock(end)}"

    def day(self, value: Day) -> str:
        """A short day: ``mar. 9 févr.``."""
        return _day(_date(value), self.language, "EEE d MMM")

    def weekday(self, value: Day) -> str:
        """The weekday alone, abbreviated: ``mar.``."""
        return _day(_date(value), self.language, "EEE")

    def date(self, value: Day) -> str:
        """A date in full: ``mardi 9 février 2027``."""
        return _day(_date(value), self.language, "full")

    def medium(self, value: Day) -> str:
        """A date of medium length: ``9 févr. 2027``."""
        return _day(_date(value), self.language, "medium")

    def when(self, start: datetime, end: datetime) -> str:
        """A booking's date and times: ``mardi 9 février 2027, 14:30–16:00``."""
        comma = "، " if self.language == "ar" else ", "
        return f"{self.date(start)}{comma}{self.period(start, end)}"


def _date(value: Day) -> date:
    return value.date() if isinstance(value, datetime) else value


@cache
def formats(language: str) -> Formats:
    return Formats(language)


@cache
def _clock(hour: int, minute: int, language: str) -> str:
    return _format_time(time(hour, minute), format="short", locale=_locale(language))


@cache
def _day(value: date, language: str, fmt: str) -> str:
    return _format_date(value, format=fmt, locale=_locale(language))
