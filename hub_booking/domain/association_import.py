"""A CSV file of associations and their representatives, read and checked (pure).

The file is UTF-8 (with or without a byte-order mark), comma- or semicolon-separated, with a
header naming its columns (``COLUMNS``; ``slug``, ``region`` and a name are required). Every
row is checked like the registration form checks one association, and every problem of every
row is reported at once with the row's line number in the file. What needs the database
(slugs and registration numbers already taken, regions that do not exist) is checked by the
service, which adds its findings with ``with_problems``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from hub_booking.domain.catalogue import check_association, check_email, normalise_email
from hub_booking.domain.errors import N_, DomainError, Invalid, Violation
from hub_booking.domain.text import NOT_IN_LINE

MAX_BYTES = 1_000_000
MAX_ROWS = 5_000
COLUMNS = (
    "slug",
    "name_fr",
    "name_ar",
    "region",
    "registration_number",
    "contact_email",
    "contact_phone",
    "representative_email",
    "representative_name",
)
REQUIRED = ("slug", "region")
# The longest text each column takes (the same bounds as the JSON API's and the form's).
LIMITS = {
    "slug": 64,
    "name_fr": 200,
    "name_ar": 200,
    "region": 64,
    "registration_number": 64,
    "contact_email": 254,
    "contact_phone": 32,
    "representative_email": 254,
    "representative_name": 200,
}
_HEADER_SPACES = re.compile(r"[\s-]+")


class FileRefused(DomainError):
    """The file as a whole cannot be read (nothing about its rows is known): 422."""

    status_code = 422

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message, field="file", **params)


@dataclass(frozen=True)
class Row:
    """One row of the file: its line number, its values by column, and what is wrong."""

    line: int
    values: Mapping[str, str]
    problems: tuple[Violation, ...] = ()


@dataclass(frozen=True)
class ImportFile:
    """The rows of a file that could be read, in file order."""

    rows: tuple[Row, ...]
    delimiter: str

    @property
    def valid(self) -> bool:
        return not any(row.problems for row in self.rows)

    @property
    def problems(self) -> int:
        """How many rows have at least one problem."""
        return sum(1 for row in self.rows if row.problems)


def decode(data: bytes) -> str:
    """The file's text; refused when too large, empty, binary or not UTF-8."""
    if len(data) > MAX_BYTES:
        raise FileRefused(N_("The file is larger than 1 MB. Split it into several files."))
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise FileRefused(N_("The file is empty."))
    if b"\x00" in data:  # a spreadsheet, an image, or UTF-16 text: not a UTF-8 CSV
        raise FileRefused(
            N_("This is not a CSV text file. In your spreadsheet, save it as “CSV UTF-8”.")
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileRefused(
            N_(
                "The file is not UTF-8 text (line %(line)s). In your spreadsheet, save it as “CSV UTF-8”."  # noqa: E501
            ),
            line=line,
        ) from exc


def read(text: str) -> ImportFile:
    """Every row of the file, each with its own problems (duplicates within the file too)."""
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records = _records(reader)
    header = next(records, None)
    if header is None:
        raise FileRefused(N_("The file is empty."))
    columns = _columns(header[1])
    rows: list[Row] = []
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, and rows of empty cells that spreadsheets leave
        if len(rows) == MAX_ROWS:
            raise FileRefused(
                N_("The file has more than %(max)s rows. Split it into several files."),
                max=MAX_ROWS,
            )
        rows.append(_row(line, cells, columns))
    if not rows:
        raise FileRefused(N_("The file has a header but no rows."))
    return ImportFile(tuple(_duplicates(rows)), delimiter)


def check_values(values: Mapping[str, str]) -> list[Violation]:
    """Every problem of one association's fields, as the registration form checks them."""
    found = [v for name, value in values.items() if (v := _text_problem(name, value))]
    if found:
        return found
    data = {key: values.get(key, "") for key in LIMITS if not key.startswith("representative")}
    try:
        check_association(data)
    except Invalid as exc:
        found += exc.violations
    email, name = values.get("representative_email", ""), values.get("representative_name", "")
    if email:
        found += check_email(email, "representative_email")
    elif name:
        found.append(
            Violation(
                "required",
                N_("Give the representative's email as well as their name."),
                "representative_email",
            )
        )
    return found


def with_problems(file: ImportFile, found: Mapping[int, Iterable[Violation]]) -> ImportFile:
    """The file with more problems (from the database) added to rows by line number."""
    rows = tuple(
        replace(row, problems=(*row.problems, *found[row.line])) if row.line in found else row
        for row in file.rows
    )
    return replace(file, rows=rows)


def representative_email(row: Row) -> str:
    """The row's representative email as accounts store it ("" when there is none)."""
    return normalise_email(row.values.get("representative_email", ""))


def _delimiter(text: str) -> str:
    """A semicolon when the header holds more of them than commas (French spreadsheets)."""
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of each record; a quote left open or a giant cell refuses
    the file, naming the line where the trouble starts."""
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileRefused(
                N_('Line %(line)s cannot be read: check its quotes (").'), line=line
            ) from exc
        yield line, cells
        line = reader.line_num + 1


def _columns(header: list[str]) -> tuple[str, ...]:
    names = tuple(_HEADER_SPACES.sub("_", cell.strip().lower()) for cell in header)
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise FileRefused(
            N_("Unknown columns: %(columns)s. The columns are: %(expected)s."),
            columns=", ".join(name or "(empty)" for name in unknown)[:300],
            expected=", ".join(COLUMNS),
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise FileRefused(N_("Columns named twice: %(columns)s."), columns=", ".join(repeated))
    missing = [name for name in REQUIRED if name not in names]
    if "name_fr" not in names and "name_ar" not in names:
        missing.append("name_fr / name_ar")
    if missing:
        raise FileRefused(N_("Missing columns: %(columns)s."), columns=", ".join(missing))
    return names


def _row(line: int, cells: list[str], columns: tuple[str, ...]) -> Row:
    # A row shorter than the header (trailing empty cells left out) reads as empty cells.
    values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(columns)}
    extra = [cell for cell in cells[len(columns) :] if cell.strip()]
    if extra:
        problem = Violation(
            "too_many_values",
            N_("This row has %(found)s values but the header has %(expected)s columns."),
            None,
            {"found": len(cells), "expected": len(columns)},
        )
        return Row(line, values, (problem,))
    return Row(line, values, tuple(check_values(values)))


def _duplicates(rows: list[Row]) -> Iterator[Row]:
    """The rows, a slug or registration number seen on an earlier line marked on the later."""
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        found = list(row.problems)
        for column in ("slug", "registration_number"):
            key = (column, row.values.get(column, "").casefold())
            if not key[1]:
                continue
            if key in seen:
                found.append(
                    Violation(
                        "duplicate",
                        N_("Already given on line %(line)s of the file."),
                        column,
                        {"line": seen[key]},
                    )
                )
            else:
                seen[key] = row.line
        yield replace(row, problems=tuple(found))


def _text_problem(name: str, value: str) -> Violation | None:
    if len(value) > LIMITS[name]:
        return Violation("too_long", N_("At most %(max)s characters."), name, {"max": LIMITS[name]})
    if NOT_IN_LINE.search(value):
        return Violation("invalid_text", N_("This text has characters that are not allowed."), name)
    return None
