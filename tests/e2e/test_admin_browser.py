"""The platform admin's pages in a real browser: importing 30 associations from a CSV file
with one bad row (refused with its line number), fixed and imported; axe-core's verdict on
every admin page in Arabic and French; no horizontal scroll on a 360 px phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.checks import (
    AXE,
    AXE_MISSING,
    new_context,
    overflow,
    serious_violations,
    sign_in,
)

pytestmark = pytest.mark.e2e

ADMIN = "admin@demo.hub-booking.ma"
HEADER = "slug,name_fr,name_ar,region,registration_number,contact_email,representative_email"


def csv_file(folder: Path, prefix: str, *, bad_line: int | None = None) -> Path:
    """30 associations of the demo region; the row on ``bad_line`` has a bad contact email."""
    lines = [HEADER]
    for index in range(30):
        email = "pas-un-email" if index + 2 == bad_line else f"contact{index}@{prefix}.ma"
        lines.append(
            f"{prefix}-{index:02d},Association {prefix} {index},جمعية {index},fes-meknes,"
            f"REG-{index:04d}-{prefix},{email},rep{index}@{prefix}.ma"
        )
    path = folder / f"{prefix}-{bad_line or 'ok'}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def open_as_admin(browser: Any, base_url: str, language: str, width: int, axe: bool = False):
    context = new_context(browser, base_url, language=language, width=width, axe=axe)
    page = context.new_page()
    sign_in(page, ADMIN)
    return context, page


def check_file(page: Any, path: Path) -> None:
    page.set_input_files("#file", str(path))
    with page.expect_navigation():
        page.click("form[action='/admin/import'] button[type=submit]")


def test_an_admin_imports_30_associations_after_fixing_the_bad_row(
    browser: Any, live_server: str, tmp_path: Path
) -> None:
    context, page = open_as_admin(browser, live_server, "fr", 1280)
    try:
        with page.expect_navigation():
            page.click("header.site nav a[href='/admin']")
        with page.expect_navigation():
            page.click("a[href='/admin/import']")
        check_file(page, csv_file(tmp_path, "e2e-imp", bad_line=12))
        summary = page.locator("#error-summary")
        assert summary.is_visible()
        assert summary.locator("a[href='#line-12']").count() == 1
        assert "Ligne 12" in summary.inner_text()
        assert page.locator("li.import-row.has-problems").count() == 1
        assert page.locator("#confirm-import").count() == 0  # nothing can be imported
        before = page.request.get("/api/v1/associations?limit=1").json()["total"]

        check_file(page, csv_file(tmp_path, "e2e-imp"))  # corrected, sent from the same page
        assert page.locator("li.import-row").count() == 30
        assert page.locator("li.import-row.has-problems").count() == 0
        assert page.request.get("/api/v1/associations?limit=1").json()["total"] == before
        with page.expect_navigation():
            page.click("#confirm-button")
        assert page.url.endswith("/admin/associations")
        assert "30 associations ont été importées" in page.locator("#flash").inner_text()
        assert page.request.get("/api/v1/associations?limit=1").json()["total"] == before + 30

        page.wait_for_function("() => window.htmx !== undefined")
        with page.expect_response(lambda r: "q=e2e-imp-1" in r.url):
            page.fill("#q", "e2e-imp-1")
        page.wait_for_function(
            "() => document.querySelectorAll('#association-list tbody tr').length === 10"
        )
        assert "q=e2e-imp-1" in page.url  # the search is in the address, for the back button
    finally:
        context.close()


def admin_pages(page: Any, folder: Path, language: str) -> list[tuple[str, Any]]:
    """(name, how to reach it) of every admin page type, forms with errors included."""
    found = page.request.get("/api/v1/associations?limit=1").json()["items"][0]

    def goto(path: str):
        return lambda: page.goto(path)

    def refused_form():
        page.goto("/admin/associations/new")
        with page.expect_navigation():
            page.click("form[action='/admin/associations'] button[type=submit]")

    def preview(bad_line: int | None):
        def run():
            page.goto("/admin/import")
            check_file(page, csv_file(folder, f"axe-{language}", bad_line=bad_line))

        return run

    return [
        ("home", goto("/admin")),
        ("regions and hubs", goto("/admin/hubs")),
        ("hub", goto("/admin/hubs/fes-meknes")),
        ("associations", goto("/admin/associations")),
        ("new association", goto("/admin/associations/new")),
        ("refused association", refused_form),
        ("suspend", goto(f"/admin/associations/{found['id']}/suspend")),
        ("import", goto("/admin/import")),
        ("import with a bad row", preview(5)),
        ("import ready", preview(None)),
    ]


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_admin_pages_pass_axe_and_fit_a_phone(
    browser: Any, live_server: str, tmp_path: Path, language: str
) -> None:
    assert AXE.exists(), AXE_MISSING
    violations: dict[str, list[str]] = {}
    too_wide: dict[str, Any] = {}
    for width in (1280, 360):
        context, page = open_as_admin(browser, live_server, language, width, axe=True)
        try:
            for name, reach in admin_pages(page, tmp_path, language):
                reach()
                assert page.locator("html").get_attribute("lang") == language, name
                if width == 360 and (found := overflow(page, skip_scrollers=True)):
                    too_wide[name] = found
                if problems := serious_violations(page):
                    violations[f"{name} @{width}"] = problems
        finally:
            context.close()
    assert violations == {}
    assert too_wide == {}
