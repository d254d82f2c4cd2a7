"""Reading a CSV file of associations (pure): encodings, separators, columns, line numbers,
every problem of every row, duplicates within the file."""

from __future__ import annotations

import pytest

from hub_booking.domain.association_import import (
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    FileRefused,
    ImportFile,
    decode,
    read,
    representative_email,
    with_problems,
)
from hub_booking.domain.errors import Violation

HEADER = "slug,name_fr,name_ar,region,registration_number,contact_email,representative_email"


def parse(text: str) -> ImportFile:
    return read(decode(text.encode()))


def problems(file: ImportFile) -> dict[int, list[tuple[str | None, str]]]:
    return {r.line: [(p.field, p.code) for p in r.problems] for r in file.rows if r.problems}


def refusal(data: bytes) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        read(decode(data))
    assert caught.value.field == "file"
    return caught.value


def test_a_valid_file_gives_one_row_per_line_with_its_number():
    file = parse(
        f"{HEADER}\n"
        "amal-fes,Association Amal,جمعية الأمل,fes-meknes,FES-1,contact@amal.ma,Nadia@Amal.ma\n"
        "\n"  # blank lines are skipped, but counted
        "nour,,جمعية النور,fes-meknes,,,\n"
    )
    assert file.valid
    assert file.delimiter == ","
    assert [row.line for row in file.rows] == [2, 4]
    first = file.rows[0]
    assert first.values["name_ar"] == "جمعية الأمل"
    assert representative_email(first) == "nadia@amal.ma"
    assert representative_email(file.rows[1]) == ""


def test_semicolons_a_byte_order_mark_and_windows_line_ends_are_read():
    text = "\ufeffslug;name_fr;region\r\namal;Amal, Fès;fes-meknes\r\n"
    file = read(decode(text.encode()))
    assert file.delimiter == ";"
    assert file.rows[0].values == {"slug": "amal", "name_fr": "Amal, Fès", "region": "fes-meknes"}


def test_header_names_are_forgiving_about_case_and_spaces():
    file = parse("Slug, Name FR ,REGION\namal,Amal,fes\n")
    assert file.rows[0].values == {"slug": "amal", "name_fr": "Amal", "region": "fes"}


def test_every_problem_of_every_row_is_reported_with_its_line():
    file = parse(
        f"{HEADER}\n"
        "Bad Slug,Amal,,fes-meknes,,not-an-email,\n"
        "ok-1,,,fes-meknes,,,\n"  # no name at all
        "ok-2,Nour,,,,,rep@\n"  # no region, a bad representative email
        "ok-3,Nour,,fes-meknes,,,,extra\n"  # more values than columns
    )
    assert not file.valid
    assert file.problems == 4
    assert problems(file) == {
        2: [("slug", "invalid_slug"), ("contact_email", "invalid_email")],
        3: [("name_fr", "required")],
        4: [("region", "invalid_slug"), ("representative_email", "invalid_email")],
        5: [(None, "too_many_values")],
    }


def test_a_short_row_reads_its_missing_cells_as_empty():
    file = parse("slug,name_fr,region,contact_email\namal,Amal,fes-meknes\n")
    assert file.valid
    assert file.rows[0].values["contact_email"] == ""


def test_line_numbers_count_the_lines_of_quoted_cells():
    file = parse('slug,name_fr,region\nok,"Amal\nde Fès",fes\nBAD,Nour,fes\n')
    assert [row.line for row in file.rows] == [2, 4]
    assert problems(file)[4] == [("slug", "invalid_slug")]
    assert problems(file)[2] == [("name_fr", "invalid_text")]  # a line break in a name


def test_duplicates_within_the_file_name_the_first_line():
    file = parse(
        "slug,name_fr,region,registration_number\n"
        "amal,Amal,fes,R-1\n"
        "nour,Nour,fes,r-1\n"
        "amal,Amal bis,fes,\n"
    )
    assert problems(file) == {3: [("registration_number", "duplicate")], 4: [("slug", "duplicate")]}
    assert file.rows[2].problems[0].params == {"line": 2}


def test_formula_looking_cells_are_kept_as_plain_text():
    file = parse('slug,name_fr,name_ar,region\namal,"=HYPERLINK(""http://x"")",+1+1,fes\n')
    assert file.valid
    assert file.rows[0].values["name_fr"] == '=HYPERLINK("http://x")'
    assert file.rows[0].values["name_ar"] == "+1+1"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("x" * 201, "too_long"),
        ("a\x07b", "invalid_text"),
        ("a\u202eb", "invalid_text"),
    ],
)
def test_texts_are_bounded_like_everywhere_else(value, code):
    file = parse(f'slug,name_fr,region\namal,"{value}",fes\n')
    assert problems(file) == {2: [("name_fr", code)]}


def test_a_representative_name_needs_an_email():
    file = parse("slug,name_fr,region,representative_name\namal,Amal,fes,Nadia\n")
    assert problems(file) == {2: [("representative_email", "required")]}


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b" \r\n\r\n", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        ("slug,name_fr,region\nx,Fès,y\n".encode("cp1252"), "UTF-8"),
        ("slug,name_fr,region\nx,y,z\n".encode("utf-16"), "not a CSV"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV"),
        (b"PK\x03\x04\x14\x00\x06\x00", "not a CSV"),  # an .xlsx
        (b"slug,name_fr,region\n", "no rows"),
        (b"slug,name_fr,region\n,,\n , ,\n", "no rows"),
        (b"slug,name_fr\nx,y\n", "Missing columns"),
        (b"slug,region\nx,y\n", "Missing columns"),
        (b"slug,nom,region\nx,y,z\n", "Unknown columns"),
        (b"slug,name_fr,name_fr,region\nx,y,y,z\n", "twice"),
        (b'slug,name_fr,region\nx,"open quote,z\n', "quotes"),
        (b"slug,name_fr,region\nx," + b"y" * 200_000 + b",z\n", "quotes"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(data, words):
    assert words in refusal(data).message


def test_the_line_of_a_byte_that_is_not_utf8_is_named():
    exc = refusal("slug,name_fr,region\nok,Amal,fes\nx,Fès,y\n".encode("latin-1"))
    assert exc.params == {"line": 3}


def test_a_file_over_1_mb_or_over_5000_rows_is_refused():
    assert "1 MB" in refusal(b"x" * (MAX_BYTES + 1)).message
    rows = "".join(f"a-{i},Amal,fes\n" for i in range(MAX_ROWS + 1))
    assert "5000" in refusal(f"slug,name_fr,region\n{rows}".encode()).message.replace(
        "%(max)s", "5000"
    )
    exactly = "".join(f"a-{i},Amal,fes\n" for i in range(MAX_ROWS))
    assert len(parse(f"slug,name_fr,region\n{exactly}").rows) == MAX_ROWS


def test_the_database_findings_join_the_rows_by_line():
    file = parse("slug,name_fr,region\namal,Amal,fes\nnour,Nour,fes\n")
    taken = Violation("taken", "taken", "slug")
    found = with_problems(file, {3: [taken]})
    assert not found.valid
    assert found.rows[1].problems == (taken,)
    assert found.rows[0].problems == ()


def test_the_template_offered_for_download_is_valid():
    from pathlib import Path

    template = Path(__file__).resolve().parents[2] / "static" / "association-import-template.csv"
    file = read(decode(template.read_bytes()))
    assert file.valid
    assert len(file.rows) >= 2
    header = template.read_bytes().decode("utf-8-sig").splitlines()[0].split(",")
    assert tuple(header) == COLUMNS
