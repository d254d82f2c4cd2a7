"""Calendar feeds in a real browser: creating one from the hub calendar, the URL shown once
with its subscribe links and a working Copy button, revoking after a confirmation, and
axe-core's verdict on /account/feeds in Arabic and French."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.checks import serious_violations
from tests.e2e.conftest import MANAGER

pytestmark = pytest.mark.e2e

HUB = "/hubs/fes-meknes"


@pytest.fixture
def person(signed_in: Any) -> Any:
    """The demo manager signed in, in a language (axe needs the CSP bypassed to be injected)."""
    return lambda language: signed_in(MANAGER, language, axe=True, mobile=False)


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_a_hub_feed_from_the_calendar_then_revoked_with_axe_on_every_step(
    person: Any, language: str
) -> None:
    page = person(language)
    page.goto(HUB)
    with page.expect_navigation():
        page.click("section.feed-links button[type=submit]")
    assert page.url.endswith("/account/feeds")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    url = page.input_value("#feed-url")
    assert url.startswith("http://127.0.0.1:")
    assert url.endswith(".ics")
    webcal = page.get_attribute("#new-feed a[href^='webcal:']", "href")
    assert webcal == "webcal://" + url.split("://", 1)[1]
    assert page.locator("#new-feed a[href^='https://calendar.google.com/']").count() == 1
    assert page.locator("#new-feed a[href^='https://outlook.live.com/']").count() == 1
    assert serious_violations(page) == []
    page.goto("/account/feeds")  # shown once: gone when the page is read again
    assert page.locator("#feed-url").count() == 0
    assert serious_violations(page) == []
    page.click("#feed-list tbody tr:first-child a[href$='/revoke']")
    assert serious_violations(page) == []
    with page.expect_navigation():
        page.click("form[action$='/revoke'] button[type=submit]")
    assert page.locator("#flash .flash").count() == 1
    response = page.request.get(url)
    assert response.status == 404


def test_the_copy_button_copies_the_address(person: Any) -> None:
    page = person("fr")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/account/feeds")
    with page.expect_navigation():
        page.click("form[action='/account/feeds'] button[type=submit]")
    button = page.locator("#new-feed button.copy-link")
    assert button.is_visible()  # hidden without JavaScript: the field is selected by hand
    button.click()
    page.locator("#feed-url-copied").wait_for(state="visible")
    assert page.evaluate("navigator.clipboard.readText()") == page.input_value("#feed-url")
