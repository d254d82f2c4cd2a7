"""Importing associations and their representatives from a CSV file: who may, the preview
(every row checked, line numbers, nothing written), then all rows in one transaction or none,
and files that are not what they should be (never a 500)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from hub_booking.db.tables import AppUser, Association, AuditLog, Membership
from hub_booking.domain.association_import import FileRefused
from hub_booking.services import accounts, association_import
from tests.conftest import NOW, SECRET
from tests.factories import ROLES, make_association, make_user
from tests.web.sessions import HTML, csrf_of
from tests.web.test_admin_hubs import audit_actions

HEADER = (
    "slug,name_fr,name_ar,region,registration_number,contact_email,contact_phone,"
    "representative_email,representative_name"
)


def rows(count: int, *, bad_line: int | None = None) -> list[str]:
    """``count`` valid rows (line 2 onwards), the one at ``bad_line`` with a bad email."""
    found = []
    for index in range(count):
        line = index + 2
        email = "not-an-email" if line == bad_line else f"contact{index}@assoc.ma"
        found.append(
            f"assoc-{index:02d},Association {index},جمعية {index},fes-meknes,REG-{index},"
            f"{email},+212 600 000 {index:03d},rep{index}@assoc.ma,Représentant {index}"
        )
    return found


def csv_bytes(lines: list[str], header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


async def upload(client, cast, content: bytes, *, role: str = "admin", name: str = "a.csv"):
    files = {"file": (name, content, "text/csv")}
    return await client.post(
        "/admin/import", files=files, headers={**HTML, **cast.auth(role)}, follow_redirects=False
    )


def token_of(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


async def confirm(client, cast, token: str, *, role: str = "admin"):
    return await client.post(
        "/admin/import/confirm",
        data={"token": token, "filename": "a.csv"},
        headers={**HTML, **cast.auth(role)},
        follow_redirects=False,
    )


async def counts() -> tuple[int, int, int, int]:
    return (
        await Association.count(),
        await AppUser.count(),
        await Membership.count(),
        await AuditLog.count(),
    )


async def test_only_a_platform_admin_may_import(client, cast):
    valid = csv_bytes(rows(2))
    token = token_of((await upload(client, cast, valid)).text)
    visitor_csrf = csrf_of((await client.get("/login")).text)
    for role in ROLES:
        page = await client.get("/admin/import", headers={**HTML, **cast.auth(role)})
        extra = {"_csrf_token": visitor_csrf} if role == "anonymous" else {}
        preview = await client.post(
            "/admin/import",
            data=extra,
            files={"file": ("a.csv", valid, "text/csv")},
            headers={**HTML, **cast.auth(role)},
            follow_redirects=False,
        )
        confirmed = await client.post(
            "/admin/import/confirm",
            data={"token": token, **extra},
            headers={**HTML, **cast.auth(role)},
            follow_redirects=False,
        )
        if role == "anonymous":
            for response in (page, preview, confirmed):
                assert response.status_code == 303
                assert response.headers["location"].startswith("/login?next=")
        elif role == "admin":
            assert (page.status_code, preview.status_code, confirmed.status_code) == (200, 200, 303)
        else:
            statuses = (page.status_code, preview.status_code, confirmed.status_code)
            assert statuses == (403, 403, 403), role
    assert await Association.count() == 4  # the cast's two, and the admin's import of two


async def test_the_preview_writes_nothing_then_confirming_imports_every_row(client, cast):
    await make_user(NOW, "rep3@assoc.ma")  # an existing account: attached, left as it is
    before = await counts()
    preview = await upload(client, cast, csv_bytes(rows(30)))
    assert preview.status_code == 200
    assert preview.text.count('class="import-row"') == 30
    assert "rep3@assoc.ma" in preview.text
    assert await counts() == before  # nothing written by the preview

    done = await confirm(client, cast, token_of(preview.text))
    assert done.status_code == 303
    assert done.headers["location"] == "/admin/associations"
    assert await Association.count() == before[0] + 30
    row = await Association.select().where(Association.slug == "assoc-07").first()
    assert (row["name_ar"], row["registration_number"]) == ("جمعية 7", "REG-7")
    assert (row["contact_email"], row["status"]) == ("contact7@assoc.ma", "active")
    reps = await Membership.select(
        Membership.user.email, Membership.user.name, Membership.user.password_hash
    ).where((Membership.role == "representative") & Membership.association.slug.like("assoc-%"))
    reps = [r for r in reps if r["user.email"].endswith("@assoc.ma")]
    assert len(reps) == 30
    new = next(r for r in reps if r["user.email"] == "rep9@assoc.ma")
    assert (new["user.name"], new["user.password_hash"]) == ("Représentant 9", None)
    existing = next(r for r in reps if r["user.email"] == "rep3@assoc.ma")
    assert existing["user.name"] == "rep3"  # an existing account is not renamed
    assert await AppUser.count() == before[1] + 29
    actions = await audit_actions()
    assert actions.count("association.created") == 30  # each naming its representative
    listing = await client.get("/admin/associations", headers={**HTML, **cast.auth("admin")})
    assert 'class="flash ok"' in listing.text

    again = await confirm(client, cast, token_of(preview.text))  # the same file twice
    assert again.status_code == 409
    assert await Association.count() == before[0] + 30


async def test_a_bad_row_is_refused_with_its_line_number_and_nothing_is_imported(client, cast):
    before = await counts()
    response = await upload(client, cast, csv_bytes(rows(30, bad_line=17)))
    assert response.status_code == 422
    assert 'href="#line-17"' in response.text
    assert 'id="line-17" class="import-row has-problems"' in response.text
    assert response.text.count("has-problems") == 1
    assert 'name="token"' not in response.text  # nothing to confirm
    assert 'type="file"' in response.text  # upload the corrected file from here
    assert await counts() == before


async def test_what_the_database_holds_is_checked_too(client, cast):
    await Association.update({Association.registration_number: "REG-1"}).where(
        Association.id == cast.association_b
    )
    lines = rows(4)
    lines[0] = lines[0].replace("assoc-00", "assoc-a")  # taken
    lines[2] = lines[2].replace("fes-meknes", "souss-massa")  # no such region: not created
    response = await upload(client, cast, csv_bytes(lines))
    assert response.status_code == 422
    bad = re.findall(r'id="line-(\d+)" class="import-row has-problems"', response.text)
    assert bad == ["2", "3", "4"]
    assert "souss-massa" in response.text
    assert await Association.count() == 2


async def test_an_excel_file_with_semicolons_a_bom_and_crlf_imports(client, cast):
    text = "\ufeffslug;name_fr;region;representative_email\r\namal;Amal, Fès;fes-meknes;\r\n"
    preview = await upload(client, cast, text.encode())
    assert preview.status_code == 200
    assert (await confirm(client, cast, token_of(preview.text))).status_code == 303
    row = await Association.select(Association.name_fr).where(Association.slug == "amal")
    assert row == [{"name_fr": "Amal, Fès"}]


async def test_formula_looking_cells_are_stored_and_shown_as_plain_text(client, cast):
    lines = ['calc,"=HYPERLINK(""http://evil.example"",""x"")",@SUM(1+1),fes-meknes,,,,,']
    preview = await upload(client, cast, csv_bytes(lines))
    assert preview.status_code == 200
    assert "=HYPERLINK(&#34;http://evil.example&#34;" in preview.text  # escaped, not markup
    await confirm(client, cast, token_of(preview.text))
    row = await Association.select(Association.name_fr, Association.name_ar).where(
        Association.slug == "calc"
    )
    assert row == [{"name_fr": '=HYPERLINK("http://evil.example","x")', "name_ar": "@SUM(1+1)"}]


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"", 422),
        (b"\r\n\r\n", 422),
        ("slug,name_fr,region\nx,Fès,fes-meknes\n".encode("cp1252"), 422),
        ("slug,name_fr,region\nx,Fès,fes-meknes\n".encode("utf-16"), 422),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", 422),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", 422),
        (b"slug,name_fr,region\n", 422),
        (b"slug,name_fr\nx,y\n", 422),
        (b"slug,nom,region\nx,y,z\n", 422),
        (b'slug,name_fr,region\nx,"never closed,fes-meknes\n', 422),
        (b"slug,name_fr,region\n" + b"a,b,c\n" * 5001, 422),  # over 5,000 rows
        (b"slug,name_fr,region\n" + b"x" * 1_000_000, 422),  # over 1 MB
        (b"x" * 2_100_000, 413),  # far over: refused before it is read
    ],
)
async def test_a_file_that_is_not_a_valid_csv_is_refused_as_a_whole(client, cast, content, status):
    before = await counts()
    response = await upload(client, cast, content)
    assert response.status_code == status
    if status == 422:
        assert 'id="file-error"' in response.text
        assert 'href="#file"' in response.text
    assert await counts() == before


async def test_a_form_without_a_file_is_asked_for_one(client, cast):
    headers = {**HTML, **cast.auth("admin")}
    no_file = {"file": ("", b"", "application/octet-stream")}  # what a browser sends
    text_field = {"note": ("n.txt", b"x", "text/plain")}
    for data, files in (({}, no_file), ({"file": "slug,name_fr,region"}, text_field)):
        response = await client.post("/admin/import", data=data, files=files, headers=headers)
        assert response.status_code == 422
        assert 'id="file-error"' in response.text
    for body, kind in (
        (b"", "multipart/form-data; boundary=xyz"),
        (
            b'--xyz\r\nContent-Disposition: form-data; name="file"\r\n\r\nno end',
            "multipart/form-data; boundary=xyz",
        ),
        (b"file=x", "application/x-www-form-urlencoded"),
        (b"{}", "application/json"),
    ):
        response = await client.post(
            "/admin/import", content=body, headers={**headers, "Content-Type": kind}
        )
        assert response.status_code in (400, 415, 422), (body, response.status_code)


async def test_only_the_previewed_file_can_be_confirmed(client, cast):
    preview = await upload(client, cast, csv_bytes(rows(3)))
    token = token_of(preview.text)
    issued, body, mac = token.split(".")
    forged = [
        "",
        "garbage",
        f"{issued}.{body[:-4]}AAAA.{mac}",  # other bytes
        f"{int(issued) + 1}.{body}.{mac}",  # another time
        f"{issued}.{body}.{'0' * len(mac)}",
        "x" * 3_000_000,
    ]
    for token_text in forged:
        response = await confirm(client, cast, token_text)
        assert response.status_code in (413, 422), response.status_code
    other_admin = await make_user(NOW, "admin2@example.org", admin=True)
    principal = await accounts.load_principal(other_admin)
    with pytest.raises(FileRefused):  # another admin cannot confirm it
        await association_import.confirm(principal, token, NOW, SECRET)
    admin = await accounts.load_principal(cast.users["admin"])
    with pytest.raises(FileRefused):  # an hour later it has expired
        await association_import.confirm(admin, token, NOW + timedelta(hours=1, seconds=1), SECRET)
    assert await Association.count() == 2


async def test_a_slug_taken_after_the_preview_refuses_the_whole_import(client, cast):
    preview = await upload(client, cast, csv_bytes(rows(5)))
    await make_association(NOW, "assoc-03")
    before = await counts()
    response = await confirm(client, cast, token_of(preview.text))
    assert response.status_code == 409
    assert 'href="#line-5"' in response.text
    assert await counts() == before


async def test_a_race_on_a_slug_during_the_import_leaves_nothing(client, cast, monkeypatch):
    """The check saw the slug free; another registration took it before the insert."""
    preview = await upload(client, cast, csv_bytes(rows(5)))
    await make_association(NOW, "assoc-04")
    before = await counts()

    async def nothing_taken(slugs, numbers):
        return set(), set()

    monkeypatch.setattr(association_import.associations, "taken", nothing_taken)
    response = await confirm(client, cast, token_of(preview.text))
    assert response.status_code == 409
    assert 'id="file-error"' in response.text
    assert await counts() == before


async def test_a_database_failure_in_the_middle_leaves_nothing(client, cast, monkeypatch):
    preview = await upload(client, cast, csv_bytes(rows(30)))
    before = await counts()
    real = association_import.audit.record
    calls = []

    async def failing(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 20:  # associations, accounts and memberships are written by now
            raise ConnectionError("the database went away")
        await real(*args, **kwargs)

    monkeypatch.setattr(association_import.audit, "record", failing)
    response = await confirm(client, cast, token_of(preview.text))
    assert response.status_code == 500
    assert await counts() == before
    assert not await AppUser.exists().where(AppUser.email == "rep0@assoc.ma")


async def test_the_import_pages_speak_arabic_and_offer_the_template(client, cast):
    headers = {**HTML, **cast.auth("admin"), "Cookie": "hb_lang=ar"}
    page = await client.get("/admin/import", headers=headers)
    assert '<html lang="ar" dir="rtl">' in page.text
    assert 'href="/static/association-import-template.csv"' in page.text
    template = await client.get("/static/association-import-template.csv")
    assert template.status_code == 200
    preview = await upload(client, cast, template.content)
    assert preview.status_code == 200
