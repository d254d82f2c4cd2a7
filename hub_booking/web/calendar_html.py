"""The rows of the calendar grid as HTML, built in Python.

A whole hub's week is some 350 cells and 400 bookings, a day 1,400 cells: written through
Jinja, those cells cost more than everything else a calendar request does, so the grid's body
is put together here, with the same markup a template would write. Everything a person typed
or a manager named (titles, associations, closure reasons, resource names) goes through
``escape``; the rest is our own words, numbers and Babel's dates, each worked out once per
page. The table around the rows, its headers and everything else stay in
``templates/partials/calendar*.html``.
"""

from __future__ import annotations

import gettext
from datetime import datetime

from markupsafe import Markup, escape

from hub_booking.domain.calendar import Block, Cell, CellState, View
from hub_booking.domain.calendar import Row as Resource
from hub_booking.domain.errors import N_
from hub_booking.domain.model import display_name
from hub_booking.i18n import Formats, formats, translations
from hub_booking.services.calendar import HubCalendar

STATE_LABELS = {
    CellState.FREE: N_("Free"),
    CellState.CLOSED: N_("Closed"),
    CellState.BOOKED: N_("Booked"),
    CellState.PENDING: N_("Awaiting approval"),
    CellState.APPROVED: N_("Approved"),
    CellState.OWN: N_("Your booking"),
}
PAST = N_("Already past")
BOOK_PATH = "/bookings/new"  # where a free half hour leads (the manager's calendar: its own)
_CELL = {state: f'<td class="s-{state.value}"' for state in CellState}
_BLOCK = {state: f'<p class="s-{state.value}">' for state in CellState}


def grid_rows(cal: HubCalendar, language: str, book_path: str = BOOK_PATH) -> Markup:
    """The body of the calendar's table in the reader's language."""
    words = _Words(formats(language), translations(language))
    if cal.query.view == View.DAY:
        return day_rows(cal, words, book_path)
    return week_rows(cal, words)


def resource_options(cal: HubCalendar, language: str) -> Markup:
    """The ``<option>`` of every resource to choose from (the one shown alone selected)."""
    chosen = cal.query.resource_id
    return Markup(
        "".join(
            f'<option value="{r.id}"{" selected" if r.id == chosen else ""}>'
            f"{escape(display_name(r.name_fr, r.name_ar, language))}</option>\n"
            for r in cal.resources
        )
    )


class _Words:
    """What the grid repeats, translated and formatted once per page."""

    def __init__(self, fmt: Formats, catalog: gettext.NullTranslations) -> None:
        self.fmt = fmt
        self.catalog = catalog
        self.state = {state: escape(catalog.gettext(text)) for state, text in STATE_LABELS.items()}
        self.past = escape(catalog.gettext(PAST))
        self.free = self.state[CellState.FREE]
        self._periods: dict[tuple[datetime, datetime], str] = {}
        self.masked: dict[tuple[datetime, datetime, int, bool], str] = {}  # "Booked" blocks

    def size(self, row: Resource) -> str:
        if row.kind == "space":
            n = row.capacity or 0
            return self.catalog.ngettext("%(num)d seat", "%(num)d seats", n) % {"num": n}
        n = row.quantity
        return self.catalog.ngettext("%(num)d unit", "%(num)d units", n) % {"num": n}

    def period(self, start: datetime, end: datetime) -> str:
        """``14:30–16:00`` (with the dates when it crosses midnight), escaped."""
        key = (start, end)
        found = self._periods.get(key)
        if found is None:
            found = self._periods[key] = escape(self.fmt.period(start, end))
        return found


def week_rows(cal: HubCalendar, words: _Words) -> Markup:
    """The ``<tr>`` of every resource in the week view."""
    days = cal.bookable_days
    labels = [f'<span class="lbl">{escape(words.fmt.day(d))}</span>' for d in cal.days]
    closed, free = words.state[CellState.CLOSED], words.free
    parts: list[str] = []
    for index, grid_row in enumerate(cal.grid.rows):
        row = grid_row.resource
        pool = row.quantity > 1
        parts.append(_row_head(row, words))
        for i, cell in enumerate(grid_row.cells):
            parts.append(_CELL[cell.state] + ">")
            if index == 0:  # phones show the first row as a list: each day says which it is
                parts.append(labels[i])
            for block in cell.blocks:
                parts.append(_block(block, pool, words, True))
            if cell.state == CellState.CLOSED or cell.reason:
                parts.append(f'<p class="cl">{escape(cell.reason) if cell.reason else closed}</p>')
            if cell.state == CellState.FREE:
                day = days[i]
                parts.append(
                    f'<a class="fr" href="?view=day&amp;date={day}#r{row.id}">{free}</a>'
                    if day
                    else f'<span class="fr">{free}</span>'
                )
            parts.append("</td>")
        parts.append("</tr>\n")
    return Markup("".join(parts))


def day_rows(cal: HubCalendar, words: _Words, book_path: str = BOOK_PATH) -> Markup:
    """The ``<tr>`` of every resource in the day view (half hours; merged cells span)."""
    slots: dict[datetime, str] = {}  # a free half hour's query, by its wall-clock start
    parts: list[str] = []
    for index, grid_row in enumerate(cal.grid.rows):
        row = grid_row.resource
        parts.append(_row_head(row, words))
        link = f'<a class="fr" href="{book_path}?resource_id={row.id}&amp;'
        for cell in grid_row.cells:
            parts.append(_day_cell(cell, row, link, index == 0, slots, words))
        parts.append("</tr>\n")
    return Markup("".join(parts))


def _row_head(row: Resource, words: _Words) -> str:
    return (
        f'<tr id="r{row.id}" data-kind="{row.kind.value}"><th scope="row">{escape(row.name)} '
        f'<span class="meta">{escape(words.size(row))}</span></th>\n'
    )


def _day_cell(
    cell: Cell, row: Resource, link: str, labelled: bool, slots: dict[datetime, str], words: _Words
) -> str:
    span = f' colspan="{cell.span}"' if cell.span > 1 else ""
    label = ""
    if labelled:  # phones show the first row as a list: each cell says its times
        label = f'<span class="lbl">{words.period(cell.local_start, cell.local_end)}</span>'
    state = cell.state
    if state == CellState.FREE:
        if cell.start is None or cell.end is None:
            inner = f'<span class="fr">{words.past}</span>'
        else:
            query = slots.get(cell.local_start)
            if query is None:
                query = slots[cell.local_start] = (
                    f"starts_at={cell.start:%Y-%m-%dT%H:%M:%SZ}"
                    f"&amp;ends_at={cell.end:%Y-%m-%dT%H:%M:%SZ}"
                )
            units = f" ({cell.free_units})" if row.quantity > 1 else ""
            inner = f'{link}{query}">{words.free}{units}</a>'
    elif state == CellState.CLOSED:
        inner = escape(cell.reason) if cell.reason else words.state[CellState.CLOSED]
    else:
        pool, times = row.quantity > 1, cell.span > 1
        inner = "".join(_block(b, pool, words, times) for b in cell.blocks)
    return f"{_CELL[state]}{span}>{label}{inner}</td>\n"


def _block(block: Block, pool: bool, words: _Words, with_times: bool) -> str:
    """A booking inside a cell: its times (unless the cell says them), units of a pool, and
    what the reader may see of it."""
    if block.booking_id is None:  # the same times make the same words: made once a page
        key = (block.local_start, block.local_end, block.quantity if pool else 0, with_times)
        found = words.masked.get(key)
        if found is None:
            found = words.masked[key] = _words_of(block, pool, words, with_times)
        return found
    return _words_of(block, pool, words, with_times)


def _words_of(block: Block, pool: bool, words: _Words, with_times: bool) -> str:
    times = words.period(block.local_start, block.local_end) if with_times else ""
    units = f" ×{block.quantity}" if pool else ""
    sep = " " if times or units else ""
    if block.booking_id is None:
        return f"{_BLOCK[block.state]}{times}{units}{sep}{words.state[CellState.BOOKED]}</p>"
    text = (
        f'<a href="/bookings/{block.booking_id}">{words.state[block.state]}: '
        f"{escape(block.title)}</a>"
    )
    if block.association and not block.own:
        text += f" · {escape(block.association)}"
    return f"{_BLOCK[block.state]}{times}{units}{sep}{text}</p>"
