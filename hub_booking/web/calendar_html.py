"""The rows of the calendar grid as HTML, built in Python.

A whole hub's week is some 350 cells and 400 bookings, a day 1,400 cells: written through
Jinja, those cells cost more than everything else a calendar request does, so the grid's body
is put together here, with the same markup a template would write. Everything a person typed
or a manager named (titles, associations, closure reasons, resource names) goes through
``escape``; the rest is our own words, numbers and Babel's dates. The table around the rows,
its headers and everything else stay in ``templates/partials/calendar*.html``.
"""

from __future__ import annotations

import gettext
from datetime import datetime

from markupsafe import Markup, escape

from hub_booking.domain.calendar import Block, Cell, CellState, View
from hub_booking.domain.calendar import Row as Resource
from hub_booking.domain.errors import N_
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


def grid_rows(cal: HubCalendar, language: str) -> Markup:
    """The body of the calendar's table in the reader's language."""
    build = day_rows if cal.query.view == View.DAY else week_rows
    return build(cal, formats(language), translations(language))


class _Words:
    """The few words the grid repeats, translated once per page."""

    def __init__(self, catalog: gettext.NullTranslations) -> None:
        self.catalog = catalog
        self.state = {state: escape(catalog.gettext(text)) for state, text in STATE_LABELS.items()}
        self.past = escape(catalog.gettext(PAST))

    def size(self, row: Resource) -> str:
        if row.kind == "space":
            n = row.capacity or 0
            return self.catalog.ngettext("%(num)d seat", "%(num)d seats", n) % {"num": n}
        n = row.quantity
        return self.catalog.ngettext("%(num)d unit", "%(num)d units", n) % {"num": n}


def week_rows(cal: HubCalendar, fmt: Formats, catalog: gettext.NullTranslations) -> Markup:
    """The ``<tr>`` of every resource in the week view."""
    words = _Words(catalog)
    days = cal.bookable_days
    parts: list[str] = []
    for index, grid_row in enumerate(cal.grid.rows):
        row = grid_row.resource
        parts.append(_row_head(row, words))
        for day, cell in zip(days, grid_row.cells, strict=True):
            parts.append(f'<td class="s-{cell.state.value}">')
            if index == 0:  # phones show the first row as a list: each day says which it is
                parts.append(f'<span class="lbl">{escape(fmt.day(cell.local_start))}</span>')
            parts.extend(_block(b, row, fmt, words) for b in cell.blocks)
            if cell.state == CellState.CLOSED or cell.reason:
                reason = escape(cell.reason) if cell.reason else words.state[CellState.CLOSED]
                parts.append(f'<p class="cl">{reason}</p>')
            if cell.state == CellState.FREE:
                free = words.state[CellState.FREE]
                if day:
                    parts.append(
                        f'<a class="fr" href="?view=day&amp;date={day}#r{row.id}">{free}</a>'
                    )
                else:
                    parts.append(f'<span class="fr">{free}</span>')
            parts.append("</td>")
        parts.append("</tr>\n")
    return Markup("".join(parts))


def day_rows(cal: HubCalendar, fmt: Formats, catalog: gettext.NullTranslations) -> Markup:
    """The ``<tr>`` of every resource in the day view (half hours; merged cells span)."""
    words = _Words(catalog)
    slots = {at: escape(query) for at, query in cal.slots.items()}
    parts: list[str] = []
    for index, grid_row in enumerate(cal.grid.rows):
        row = grid_row.resource
        parts.append(_row_head(row, words))
        parts.extend(_day_cell(cell, row, index == 0, slots, fmt, words) for cell in grid_row.cells)
        parts.append("</tr>\n")
    return Markup("".join(parts))


def _row_head(row: Resource, words: _Words) -> str:
    return (
        f'<tr id="r{row.id}" data-kind="{row.kind.value}"><th scope="row">{escape(row.name)} '
        f'<span class="meta">{escape(words.size(row))}</span></th>\n'
    )


def _day_cell(
    cell: Cell,
    row: Resource,
    labelled: bool,
    slots: dict[datetime, Markup],
    fmt: Formats,
    words: _Words,
) -> str:
    span = f' colspan="{cell.span}"' if cell.span > 1 else ""
    label = (
        f'<span class="lbl">{escape(fmt.period(cell.local_start, cell.local_end))}</span>'
        if labelled
        else ""
    )
    if cell.state == CellState.FREE:
        free = words.state[CellState.FREE]
        if cell.start is None:
            inner = f'<span class="fr">{words.past}</span>'
        else:
            units = f" ({cell.free_units})" if row.quantity > 1 else ""
            query = slots[cell.local_start]
            inner = (
                f'<a class="fr" href="/bookings/new?resource_id={row.id}&amp;{query}">'
                f"{free}{units}</a>"
            )
    elif cell.state == CellState.CLOSED:
        inner = escape(cell.reason) if cell.reason else words.state[CellState.CLOSED]
    else:
        inner = "".join(_block(b, row, fmt, words, cell.span > 1) for b in cell.blocks)
    return f'<td class="s-{cell.state.value}"{span}>{label}{inner}</td>\n'


def _block(
    block: Block, row: Resource, fmt: Formats, words: _Words, with_times: bool = True
) -> str:
    """A booking inside a cell: its times (unless the cell says them), units of a pool, and
    what the reader may see of it."""
    times = escape(fmt.period(block.local_start, block.local_end)) if with_times else ""
    units = f" ×{block.quantity}" if row.quantity > 1 else ""
    if block.booking_id is None:
        text = words.state[CellState.BOOKED]
    else:
        text = Markup(
            f'<a href="/bookings/{block.booking_id}">{words.state[block.state]}: '
            f"{escape(block.title)}</a>"
        )
        if block.association and not block.own:
            text += Markup(" · ") + escape(block.association)
    sep = " " if times or units else ""
    return f'<p class="s-{block.state.value}">{times}{units}{sep}{text}</p>'
