"""The rows of the approval queue as HTML, built in Python.

The queue lists 50 requests, each with a dozen facts, the quota use, its competing requests
and two forms: written through Jinja, the rows cost more than everything else the page does
(the calendar's grid is built the same way, in ``calendar_html``). So the rows are put
together here, with the markup a template would write. Everything a person typed or a
manager named (titles, purposes, reasons, association and resource names) goes through
``escape``; the rest is our own words, numbers and Babel's dates. The templates around the
rows (``partials/manage_request_list.html``, ``manage_request_entry.html``) call ``draw``
with their CSRF field, so a row is drawn by this one function on every path.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from markupsafe import Markup, escape

from hub_booking.domain.errors import N_
from hub_booking.i18n import Formats, formats, translations
from hub_booking.services.approvals import Entry, Queue, QuotaUse

# What every row says, translated once per language.
LABELS = {
    "select": N_("Select"),
    "when": N_("When"),
    "association": N_("Association"),
    "resources": N_("Booked resources"),
    "attendees": N_("Attendees"),
    "series": N_("Repeated booking"),
    "occurrence": N_("Occurrence %(number)d of %(count)d"),
    "purpose": N_("Purpose"),
    "hours": N_("The association's hours here"),
    "week": N_("Week of %(day)s:"),
    "month": N_("Month:"),
    "hm": N_("%(hours)d h %(minutes)02d"),
    "no_quota": N_("(the hub sets no quota)"),
    "over": N_("Over the quota"),
    "rivals": N_("Also wanted at this time"),
    "approve": N_("Approve"),
    "reason": N_("Reason for rejecting"),
    "reason_hint": N_("Required to reject. The association will read it."),
    "error": N_("Error:"),
    "reject": N_("Reject"),
}


@cache
def labels(language: str) -> dict[str, str]:
    """The rows' words in a language (the list's hint reads ``reason_hint`` from here too)."""
    catalog = translations(language)
    return {key: catalog.gettext(msgid) for key, msgid in LABELS.items()}


@lru_cache(maxsize=4096)
def hours_minutes(language: str, minutes: int) -> str:
    """``12 h 30``: a quota or its use (a few distinct values a page, each written once)."""
    return labels(language)["hm"] % {"hours": minutes // 60, "minutes": minutes % 60}


@dataclass(frozen=True)
class Rows:
    """What the rows of one answer need besides their entries; the templates call ``draw``."""

    found: Queue
    language: str
    errors: dict[int, str]  # booking id -> the reason field's error
    reasons: dict[int, str]  # booking id -> the reason typed

    @property
    def hint(self) -> str:
        """The hint of every row's reason field, said once above the rows."""
        return labels(self.language)["reason_hint"]

    def draw(self, entries: Iterable[Entry], csrf_input: str) -> Markup:
        """These entries' rows, each with its approve and reject forms."""
        words = _words(self.language)
        csrf = Markup(csrf_input)
        return Markup("\n").join(self._row(e, words, csrf) for e in entries)

    def _row(self, e: Entry, w: _Words, csrf: Markup) -> Markup:
        b, i = e.booking, e.booking.id
        title = escape(b.title)
        return Markup(
            f'<li class="request" id="request-{i}">\n'
            f'<h3 class="request-title"><input type="checkbox" name="ids" value="{i}"'
            f' form="bulk-approve" id="select-{i}"> <label for="select-{i}"><span'
            f' class="visually-hidden">{w.t["select"]} </span>{title}</label></h3>\n'
            f'<dl class="summary">\n{self._facts(e, w)}</dl>\n'
            f'<div class="decide">\n{self._forms(e, w, csrf, title)}</div>\n</li>'
        )

    def _facts(self, e: Entry, w: _Words) -> str:
        b, names = e.booking, self.found.names
        items = ", ".join(
            f"{escape(names.resources.get(item.resource_id, ''))}"
            + (f" × {item.quantity}" if item.quantity > 1 else "")
            for item in b.items
        )
        facts = [
            (w.t["when"], escape(w.fmt.when(b.local_start, b.local_end))),
            (w.t["association"], escape(names.associations.get(b.association_id, ""))),
            (w.t["resources"], items),
            (w.t["attendees"], str(b.attendees)),
        ]
        if e.place:
            facts.append(
                (w.t["series"], escape(w.occurrence % {"number": e.place[0], "count": e.place[1]}))
            )
        if b.purpose:
            facts.append((w.t["purpose"], escape(b.purpose)))
        lines = [f"<dt>{term}</dt><dd>{value}</dd>\n" for term, value in facts]
        lines.append(f"<dt>{w.t['hours']}</dt>{self._quota(e.quota, w)}\n")
        if e.rivals:
            lines.append(f'<dt>{w.t["rivals"]}</dt><dd><ul class="plain rivals">\n')
            lines += [
                f'<li><a href="#request-{r.booking_id}">{escape(r.title)}</a> · '
                f"{escape(r.association)} · {escape(names.resources.get(r.resource_id, ''))} · "
                f"{escape(w.fmt.period(r.local_start, r.local_end))}</li>\n"
                for r in e.rivals
            ]
            lines.append("</ul></dd>\n")
        return "".join(lines)

    def _quota(self, q: QuotaUse, w: _Words) -> str:
        def use(label: str, minutes: int, limit: int | None) -> str:
            shown = w.hm(minutes) + (f" / {w.hm(limit)}" if limit is not None else "")
            return f"<span>{label} {shown}</span>"

        week = escape(w.week % {"day": w.fmt.day(q.week)})
        parts = [
            use(week, q.week_minutes, q.weekly_limit),
            use(w.t["month"], q.month_minutes, q.monthly_limit),
        ]
        if q.weekly_limit is None and q.monthly_limit is None:
            parts.append(f'<span class="meta">{w.t["no_quota"]}</span>')
        if q.over:
            parts.append(f'<span class="badge status-rejected">{w.t["over"]}</span>')
        return f'<dd class="quota{" over" if q.over else ""}">{" ".join(parts)}</dd>'

    def _forms(self, e: Entry, w: _Words, csrf: Markup, title: str) -> str:
        i = e.booking.id
        base = f"/manage/hubs/{escape(self.found.hub.slug)}/requests/{i}"
        error, typed = self.errors.get(i), escape(self.reasons.get(i, ""))
        page = self.found.page
        kept = f'<input type="hidden" name="page" value="{page}">' if page > 1 else ""
        shown = (
            f'<p class="field-error" id="reason-{i}-error"><span class="visually-hidden">'
            f"{w.t['error']}</span> {escape(error)}</p>\n"
            if error
            else ""
        )
        described = f"reason-hint reason-{i}-error" if error else "reason-hint"
        invalid = ' aria-invalid="true"' if error else ""
        named = f'<span class="visually-hidden"> “{title}”</span>'
        return (
            f'<form method="post" action="{base}/approve">{csrf}<button type="submit"'
            f' class="primary">{w.t["approve"]}{named}</button></form>\n'
            f'<form method="post" action="{base}/reject" class="reject-form">{csrf}{kept}\n'
            f'<div class="field"><label for="reason-{i}">{w.t["reason"]}</label>\n{shown}'
            f'<textarea id="reason-{i}" name="reason" rows="2" maxlength="2000"'
            f' aria-describedby="{described}"{invalid}>{typed}</textarea></div>\n'
            f'<button type="submit" class="danger">{w.t["reject"]}{named}</button></form>\n'
        )


class _Words:
    """The rows' labels in one language, escaped once (``t``), its patterns (filled, then
    escaped) and its formats."""

    def __init__(self, language: str) -> None:
        said = labels(language)
        self.t = {key: str(escape(text)) for key, text in said.items()}
        self.occurrence, self.week = said["occurrence"], said["week"]
        self.fmt: Formats = formats(language)
        self.language = language

    def hm(self, minutes: int) -> str:
        return str(escape(hours_minutes(self.language, minutes)))


@cache
def _words(language: str) -> _Words:
    return _Words(language)
