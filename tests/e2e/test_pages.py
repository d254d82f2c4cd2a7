"""What a person sees in a real browser: sign-in, live filters, languages, sign-out, no CDN.

The hub page is the hub's calendar: its rows are the resources the filters keep.

Selectors go by id, role and attribute rather than by UI strings (the catalogs may change);
the hub and resource names come from the demo data and are stable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import DEMO_PASSWORD, MANAGER

pytestmark = pytest.mark.e2e

HUB_FR = "Pôle de compétences Fès-Meknès"
HUB_AR = "قطب الكفاءات فاس-مكناس"
BIG_HALL = "Grande salle polyvalente"
HUB_PATH = "/hubs/fes-meknes"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
ROWS = "#calendar table.cal tbody tr"
NAMES = "#calendar table.cal tbody th"


def _switch_language(page: Any, code: str) -> None:
    page.select_option("#language-select", code)
    with page.expect_navigation():
        page.click("form.lang button[type=submit]")


def test_login_keeps_next_rejects_a_wrong_password_and_lands_on_the_hubs(page: Any) -> None:
    page.goto("/hubs")
    parts = urlsplit(page.url)
    assert parts.path == "/login"
    assert parse_qs(parts.query).get("next") == ["/hubs"]
    assert page.input_value("form[action='/login'] input[name=next]") == "/hubs"

    page.fill("#email", MANAGER)
    page.fill("#password", "not-the-password")
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    error = page.locator("#login-error")
    assert error.is_visible()
    assert error.get_attribute("role") == "alert"
    assert error.inner_text().strip()
    # The message sits inside the form, next to the fields it is about, and the form is still there.
    assert page.locator("form[action='/login'] #login-error").count() == 1
    assert page.locator("#email").is_visible()
    assert page.input_value("#email") == MANAGER
    assert page.input_value("#password") == ""
    assert page.get_attribute("#password", "aria-describedby") == "login-error"
    assert "/hubs" not in urlsplit(page.url).path

    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    assert urlsplit(page.url).path == "/hubs"
    assert page.locator("#login-error").count() == 0
    assert page.get_by_role("link", name=HUB_FR).is_visible()


def test_hub_filters_update_the_list_in_place(page: Any, login: Any) -> None:
    login(page)
    page.goto(HUB_PATH)
    assert page.locator("h1").inner_text() == HUB_FR
    total = page.locator(ROWS).count()
    assert total == 18
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate("() => { window.__marker = 1; }")

    with page.expect_response(
        lambda r: "kind=equipment" in r.url and r.request.headers.get("hx-request")
    ):
        page.select_option("#kind", "equipment")
    page.wait_for_function(
        "() => { const c = document.querySelectorAll('#calendar table.cal tbody tr');"
        " return c.length > 0 && [...c].every(e => e.dataset.kind === 'equipment'); }"
    )
    kinds = page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.kind)")
    assert kinds == ["equipment"] * 10
    assert page.evaluate("() => window.__marker") == 1, "the filter reloaded the whole page"
    assert parse_qs(urlsplit(page.url).query).get("kind") == ["equipment"]
    assert page.locator("header.site").count() == 1
    assert page.locator("#calendar").count() == 1

    with page.expect_response(
        lambda r: "kind=space" in r.url and r.request.headers.get("hx-request")
    ):
        page.select_option("#kind", "space")
    page.wait_for_function(
        "() => { const c = document.querySelectorAll('#calendar table.cal tbody tr');"
        " return c.length === 8 && [...c].every(e => e.dataset.kind === 'space'); }"
    )
    with page.expect_response(
        lambda r: "min_capacity=100" in r.url and r.request.headers.get("hx-request")
    ):
        page.fill("#min_capacity", "100")
    page.wait_for_function(
        "() => document.querySelectorAll('#calendar table.cal tbody tr').length === 1"
    )
    rows = page.locator(ROWS)
    assert rows.count() == 1
    assert rows.get_attribute("data-kind") == "space"
    assert rows.locator("th").inner_text().startswith(BIG_HALL)
    assert page.evaluate("() => window.__marker") == 1, "the filter reloaded the whole page"
    query = parse_qs(urlsplit(page.url).query)
    assert query.get("kind") == ["space"]
    assert query.get("min_capacity") == ["100"]


def test_language_switch_to_arabic_and_back(page: Any, login: Any) -> None:
    login(page)
    page.goto(HUB_PATH)
    html = page.locator("html")
    assert html.get_attribute("lang") == "fr"
    assert html.get_attribute("dir") == "ltr"
    try:
        _switch_language(page, "ar")
        assert urlsplit(page.url).path == HUB_PATH
        assert html.get_attribute("lang") == "ar"
        assert html.get_attribute("dir") == "rtl"
        assert page.locator("h1").inner_text() == HUB_AR
        assert page.input_value("#language-select") == "ar"
        # The resource names follow the language too.
        assert page.locator(NAMES).filter(has_text="القاعة الكبرى متعددة الاستعمالات").is_visible()
    finally:
        # Back to French, also so that the manager's saved language is French again for the others.
        _switch_language(page, "fr")
    assert html.get_attribute("lang") == "fr"
    assert html.get_attribute("dir") == "ltr"
    assert page.locator("h1").inner_text() == HUB_FR


def test_sign_out_ends_the_session(page: Any, login: Any) -> None:
    login(page)
    page.goto("/hubs")
    assert urlsplit(page.url).path == "/hubs"
    with page.expect_navigation():
        page.click("form.logout button[type=submit]")
    assert urlsplit(page.url).path == "/login"
    assert page.locator("form.logout").count() == 0
    page.goto("/hubs")
    parts = urlsplit(page.url)
    assert parts.path == "/login"
    assert parse_qs(parts.query).get("next") == ["/hubs"]
    assert page.get_by_role("link", name=HUB_FR).count() == 0


def test_no_request_leaves_the_app_origin(page: Any, login: Any) -> None:
    login(page)
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto(HUB_PATH, wait_until="networkidle")
    with page.expect_response(lambda r: "kind=space" in r.url):
        page.select_option("#kind", "space")
    page.wait_for_load_state("networkidle")
    paths = {urlsplit(url).path for url in urls}
    assert {HUB_PATH, "/static/js/htmx.min.js", "/static/css/app.css"} <= paths, urls
    hosts = {urlsplit(url).hostname for url in urls if not url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, [u for u in urls if urlsplit(u).hostname != "127.0.0.1"]


def test_arabic_hub_page_fits_a_phone(browser: Any, live_server: str) -> None:
    context = browser.new_context(
        base_url=live_server,
        viewport={"width": 390, "height": 844},
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        locale="ar-MA",
    )
    context.set_default_timeout(5_000)
    try:
        page = context.new_page()
        page.goto("/login")
        _switch_language(page, "ar")
        assert page.locator("html").get_attribute("dir") == "rtl"
        page.fill("#email", MANAGER)
        page.fill("#password", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("form[action='/login'] button[type=submit]")
        page.goto(HUB_PATH, wait_until="networkidle")
        assert page.locator("html").get_attribute("lang") == "ar"
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.locator("h1").inner_text() == HUB_AR
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "hub_ar_mobile.png"), full_page=True)
        widths = page.evaluate(
            "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        assert widths["scroll"] <= widths["inner"], f"horizontal scrolling on a phone: {widths}"
        too_wide = page.evaluate(
            "() => [...document.querySelectorAll('body *')]"
            ".filter(e => { const r = e.getBoundingClientRect();"
            " return r.width > 0 && (r.right > window.innerWidth + 1 || r.left < -1); })"
            ".map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className)"
        )
        assert too_wide == [], f"elements overflow the viewport: {too_wide}"
    finally:
        context.close()


def test_login_page_rejects_an_external_next(page: Any) -> None:
    page.goto("/login?next=https://evil.example/steal")
    assert page.input_value("form[action='/login'] input[name=next]") == "/hubs"
    page.fill("#email", MANAGER)
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    parts = urlsplit(page.url)
    assert parts.hostname == "127.0.0.1"
    assert parts.path == "/hubs"


def test_hub_page_keeps_filters_on_reload(page: Any, login: Any) -> None:
    """The pushed URL is a real page: loading it directly renders the same filtered list."""
    login(page)
    page.goto(f"{HUB_PATH}?kind=space&min_capacity=100")
    assert page.input_value("#kind") == "space"
    assert page.input_value("#min_capacity") == "100"
    names = page.locator(NAMES).all_inner_texts()
    assert [name.splitlines()[0].strip() for name in names] == [BIG_HALL]
    assert re.fullmatch(r"\S.*", page.locator("#calendar-title").inner_text())
