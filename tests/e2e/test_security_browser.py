"""The pages work under the Content-Security-Policy: a real browser reports no violation.

Chromium logs every blocked inline script, style, ``eval`` or foreign load to the console
("Refused to ... because it violates the following Content Security Policy directive"), and
fires ``securitypolicyviolation`` events in the page; both are collected while a person goes
through every existing page, htmx filters and the language switch included.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e

HUB_PATH = "/hubs/fes-meknes"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def violations(page: Any) -> list[str]:
    """CSP complaints of the console and of the page's own events, for the whole test."""
    found: list[str] = []

    def on_console(message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            found.append(text)

    page.on("console", on_console)
    page.add_init_script(RECORD_VIOLATIONS)
    return found


def _page_violations(page: Any) -> list[str]:
    return list(page.evaluate("window.__cspViolations || []"))


def test_no_csp_violation_on_any_page(page: Any, login: Any, violations: list[str]) -> None:
    page.goto("/login")
    page.wait_for_function("() => window.htmx !== undefined")
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    assert page.evaluate("htmx.config.allowEval") is False
    login(page)
    seen = []
    for path in ("/hubs", HUB_PATH, "/account/tokens", "/account/password", "/no-such-page"):
        page.goto(path)
        seen += _page_violations(page)
    # htmx at work: a live filter swaps the list in place.
    page.goto(HUB_PATH)
    page.wait_for_function("() => window.htmx !== undefined")
    with page.expect_response(lambda r: HUB_PATH in r.url and "kind=equipment" in r.url):
        page.select_option("#kind", "equipment")
    page.wait_for_timeout(300)
    seen += _page_violations(page)
    assert violations == []
    assert seen == []


def test_language_switch_returns_to_the_page_htmx_left(
    page: Any, login: Any, violations: list[str]
) -> None:
    """The switch's script, now a static file, still sends the URL the filters pushed."""
    login(page)
    page.goto(HUB_PATH)
    page.wait_for_function("() => window.htmx !== undefined")
    with page.expect_response(lambda r: "kind=equipment" in r.url):
        page.select_option("#kind", "equipment")
    page.wait_for_function("location.search.includes('kind=equipment')")
    page.select_option("#language-select", "ar")
    with page.expect_navigation():
        page.click("form.lang button[type=submit]")
    parts = urlsplit(page.url)
    assert parts.path == HUB_PATH
    assert "kind=equipment" in parts.query
    assert page.get_attribute("html", "lang") == "ar"
    assert violations == []
    assert _page_violations(page) == []


def test_security_headers_reach_the_browser(page: Any, live_server: str) -> None:
    response = page.goto("/login")
    headers = response.all_headers()
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
