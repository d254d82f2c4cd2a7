"""In a real browser: an admin invites someone and copies the one-time link; the invitee
chooses a password (a short one is refused next to the field) and lands signed in. The
admin pages for people and the invitation page pass axe-core and fit a phone, in ar and fr.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.checks import AXE, AXE_MISSING, DEMO_PASSWORD, new_context, serious_violations

pytestmark = pytest.mark.e2e

ADMIN = "admin@demo.hub-booking.ma"


def new_page(browser: Any, live_server: str, *, width: int = 1280, language: str = "fr") -> Any:
    # axe-core is injected as a script tag
    context = new_context(
        browser, live_server, language=language, width=width, axe=True, mobile=False
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    return context.new_page()


def invite(page: Any, email: str, name: str) -> str:
    """On the invitations page, invite ``email`` as a member of the first association."""
    page.goto("/admin/invitations")
    page.fill("#email", email)
    page.fill("#name", name)
    page.select_option("#association_id", index=1)
    with page.expect_navigation():
        page.click("form[action='/admin/invitations'] button[type=submit]")
    page.wait_for_selector("#issued-url")
    return page.input_value("#issued-url")


def test_an_invitee_sets_a_password_from_the_copied_link_and_lands_signed_in(
    browser: Any, live_server: str, login: Any
) -> None:
    admin = new_page(browser, live_server)
    invitee = new_page(browser, live_server)
    try:
        login(admin, ADMIN, DEMO_PASSWORD)
        link = invite(admin, "nadia@example.org", "Nadia Bennani")
        admin.click("button.copy-link")
        admin.wait_for_selector("#issued-url-copied:not([hidden])")
        assert admin.evaluate("navigator.clipboard.readText()") == link
        assert "nadia@example.org" in admin.inner_text("#invitation-list")

        invitee.goto(link)
        assert invitee.input_value("#username") == "nadia@example.org"
        invitee.fill("#password", "short")
        with invitee.expect_navigation():
            invitee.click("form[action^='/invitations/'] button[type=submit]")
        assert invitee.is_visible("#password-error")
        assert invitee.get_attribute("#password", "aria-invalid") == "true"
        invitee.fill("#password", "a long enough password")
        with invitee.expect_navigation():
            invitee.click("form[action^='/invitations/'] button[type=submit]")
        assert invitee.url.endswith("/hubs")
        assert invitee.inner_text("header.site .user-name") == "Nadia Bennani"
        # The link worked once.
        assert invitee.goto(link).status == 404
    finally:
        admin.context.close()
        invitee.context.close()


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_axe_finds_no_serious_violation_on_the_people_pages(
    browser: Any, live_server: str, login: Any, language: str
) -> None:
    assert AXE.exists(), AXE_MISSING
    found: dict[str, list[str]] = {}
    for width in (1280, 360):
        admin = new_page(browser, live_server, width=width, language=language)
        visitor = new_page(browser, live_server, width=width, language=language)
        try:
            login(admin, ADMIN, DEMO_PASSWORD)
            link = invite(admin, f"axe.{language}.{width}@example.org", "Axe")
            found.update(_check(admin, f"invitations with a link @{width}"))
            admin.goto("/admin/users?q=axe")
            found.update(_check(admin, f"users @{width}"))
            with admin.expect_navigation():
                admin.click("#user-results a[href^='/admin/users/']")
            found.update(_check(admin, f"one user @{width}"))
            with admin.expect_navigation():
                admin.click("form[action$='/reset'] button[type=submit]")
            found.update(_check(admin, f"one user with a reset link @{width}"))
            with admin.expect_navigation():
                admin.click("form[action$='/memberships'] button[type=submit] >> nth=-1")
            found.update(_check(admin, f"one user with an error @{width}"))
            visitor.goto(link)
            found.update(_check(visitor, f"invitation page @{width}"))
        finally:
            admin.context.close()
            visitor.context.close()
    assert found == {}


WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().width > window.innerWidth)
  .slice(-4).map(e => e.tagName + '#' + e.id + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().width))"""


def _check(page: Any, name: str) -> dict[str, list[str]]:
    """axe-core's serious and critical findings, and no sideways scrolling."""
    problems = list(serious_violations(page))
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.evaluate("() => window.innerWidth")
    if width > viewport:
        wide = page.evaluate(WIDE)
        problems.append(f"overflow: {width}px wide in {viewport}px: {wide}")
    return {name: problems} if problems else {}
