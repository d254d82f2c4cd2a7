"""Morocco's public holidays of a year, from the ``holidays`` package, as closures to offer.

National holidays have fixed dates; the religious ones follow the Hijri calendar and are
announced after the moon is sighted: the package gives its estimate and marks it, so the
manager may shift such a holiday by a day. Days of one holiday (the two days of Eid) are
grouped into one period.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from holidays.countries import Morocco

FIRST_YEAR, LAST_YEAR = 2000, 2099  # the years a closure can concern (see wallclock)
SHIFTS = (-1, 0, 1)
_LANGUAGES = {"ar": "ar", "fr": "fr", "en": "en_US"}


@dataclass(frozen=True)
class Holiday:
    """One holiday: its name in the asked language and in French and Arabic (the closure's
    reason), its first and last day, and whether the dates are an estimate."""

    key: str  # stable within the year: "<first day>-<index of its name that day>"
    name: str
    name_fr: str
    name_ar: str
    first: date
    last: date
    estimated: bool

    def shifted(self, days: int) -> tuple[date, date]:
        """The first and last day moved by ``days`` (only an estimated date moves)."""
        step = timedelta(days=days if self.estimated and days in SHIFTS else 0)
        return self.first + step, self.last + step


@lru_cache(maxsize=32)
def of_year(year: int, language: str) -> tuple[Holiday, ...]:
    """The holidays of ``year`` in date order (none outside the years a closure can concern).
    Kept once computed: the package's dates do not change while the process runs."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return ()
    shown = _days(year, _LANGUAGES.get(language, "fr"))
    french, arabic = _days(year, "fr"), _days(year, "ar")
    found: list[Holiday] = []
    open_: dict[str, Holiday] = {}  # the latest period of each name, to extend by a day
    for day in sorted(shown):
        for index, (name, estimated) in enumerate(shown[day]):
            latest = open_.get(name)
            if latest is not None and latest.last == day - timedelta(days=1):
                grown = replace(latest, last=day)
                found[found.index(latest)] = open_[name] = grown
                continue
            holiday = Holiday(
                key=f"{day.isoformat()}-{index}",
                name=name,
                name_fr=_at(french, day, index),
                name_ar=_at(arabic, day, index),
                first=day,
                last=day,
                estimated=estimated,
            )
            found.append(holiday)
            open_[name] = holiday
    return tuple(found)


def _days(year: int, language: str) -> dict[date, list[tuple[str, bool]]]:
    """Each holiday's names by day: (plain name, estimated). A name is estimated when the
    package labels it so (compared with the same calendar asked without the labels)."""
    labelled = Morocco(years=year, language=language)
    plain = Morocco(years=year, language=language, islamic_show_estimated=False)
    found: dict[date, list[tuple[str, bool]]] = {}
    for day in sorted(plain):
        names, labels = plain.get_list(day), labelled.get_list(day)
        found[day] = [(name, label != name) for name, label in zip(names, labels, strict=False)]
    return found


def _at(days: dict[date, list[tuple[str, bool]]], day: date, index: int) -> str:
    names = days.get(day, [])
    return names[index][0] if index < len(names) else ""


def whole_days(first: date, last: date) -> tuple[datetime, datetime]:
    """The wall-clock period from the start of ``first`` to the end of ``last``."""
    return datetime.combine(first, time()), datetime.combine(last + timedelta(days=1), time())


def reason_of(holiday: Holiday) -> str:
    """The closure's reason: the holiday's name in French and in Arabic (what associations
    read, whatever the manager's language)."""
    names = [holiday.name_fr, holiday.name_ar]
    return " · ".join(dict.fromkeys(n for n in names if n))[:200]


def closures_for(year: int, chosen: dict[str, int]) -> list[tuple[Holiday, datetime, datetime]]:
    """The chosen holidays of ``year`` (key -> shift in days, estimated dates only) as
    whole-day wall-clock periods; keys that are not holidays of that year are ignored."""
    found = []
    for holiday in of_year(year, "fr"):
        if holiday.key in chosen:
            start, end = whole_days(*holiday.shifted(chosen[holiday.key]))
            found.append((holiday, start, end))
    return found
