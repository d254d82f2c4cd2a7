"""The hub calendar and "my bookings" in a real browser: Arabic mirrored, phones, htmx
navigation with the back button, cancelling one date of a series, and axe-core's verdict.

The module's server gets a believable week of bookings through the API (demo_bookings.py);
everything the tested people do goes through the pages.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.checks import AXE, AXE_MISSING, overflow, serious_violations
from tests.e2e.demo_bookings import MANAGER, MEMBER1, REP1, DemoWeek, make_week

pytestmark = pytest.mark.e2e

HUB = "/hubs/fes-meknes"


@pytest.fixture(scope="module")
def week(live_server: str, e2e_env: dict[str, str]) -> DemoWeek:
    return make_week(live_server, e2e_env)


@pytest.fixture
def person(signed_in: Any) -> Any:
    """A way to open a signed-in page in a language and at a width (fresh context each)."""
    return signed_in


def pages_of(week: DemoWeek) -> dict[str, str]:
    """One address per page type made here."""
    series = week.bookings["Atelier couture"]
    return {
        "hubs": "/hubs",
        "week": f"{HUB}?date={week.monday}",
        "day": f"{HUB}?view=day&date={week.monday}",
        "bookings": "/bookings",
        "past": "/bookings?tab=past",
        "detail": f"/bookings/{series[2]}",
        "cancel": f"/bookings/{series[2]}/cancel",
    }


def test_arabic_week_is_right_to_left_with_the_first_column_on_the_right(
    person: Any, week: DemoWeek
) -> None:
    boxes = {}
    for language in ("ar", "fr"):
        page = person(REP1, language)
        page.goto(f"{HUB}?date={week.monday}")
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        header = page.locator("table.cal thead th")
        first, monday, sunday = (header.nth(i).bounding_box() for i in (0, 1, 7))
        boxes[language] = (first, monday, sunday)
        digits = page.locator("table.cal thead").inner_text()
        assert re.search(r"\d", digits)
        assert not re.search("[\u0660-\u0669]", digits)  # Latin digits, as in Morocco
    first, monday, sunday = boxes["ar"]
    assert first["x"] > monday["x"] > sunday["x"]  # resources on the right, Monday next to them
    first, monday, sunday = boxes["fr"]
    assert first["x"] < monday["x"] < sunday["x"]


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_no_page_overflows_a_360_px_phone(person: Any, week: DemoWeek, language: str) -> None:
    page = person(REP1, language, width=360)
    for name, address in pages_of(week).items():
        page.goto(address)
        assert overflow(page) is None, name
    page.goto(f"{HUB}?date={week.monday}")  # one resource at a time, with its switcher
    rows = page.locator("table.cal tbody tr")
    assert sum(rows.nth(i).is_visible() for i in range(rows.count())) == 1
    assert page.locator("#resource").is_visible()


def test_htmx_navigation_swaps_only_the_grid_and_back_restores_the_week(
    person: Any, week: DemoWeek
) -> None:
    page = person(REP1)
    page.goto(f"{HUB}?date={week.monday}")
    page.wait_for_function("() => window.htmx !== undefined")
    title = page.locator("#calendar-title").inner_text()
    page.evaluate("() => { window.__marker = 1; }")
    with page.expect_response(lambda r: "date=" in r.url and r.request.headers.get("hx-request")):
        page.click(".cal-nav a[rel=next]")
    page.wait_for_function(
        f"() => document.querySelector('#calendar-title').innerText !== {title!r}"
    )
    assert page.evaluate("() => window.__marker") == 1, "the whole page was reloaded"
    after = parse_qs(urlsplit(page.url).query)["date"][0]
    assert after > week.monday.isoformat()
    assert page.locator("header.site").count() == 1
    assert page.locator("#calendar").count() == 1

    page.go_back()
    page.wait_for_function(
        f"() => document.querySelector('#calendar-title').innerText === {title!r}"
    )
    assert parse_qs(urlsplit(page.url).query)["date"] == [week.monday.isoformat()]
    assert page.locator("#calendar").count() == 1


def test_a_member_cancels_one_date_of_a_series_from_my_bookings(
    person: Any, week: DemoWeek
) -> None:
    series = week.bookings["Atelier couture"]
    page = person(MEMBER1)  # a member of the association that booked it
    page.goto("/bookings")
    group = page.locator("li.series").filter(has_text="Atelier couture")
    with page.expect_navigation():
        group.locator(f'a[href="/bookings/{series[1]}"]').click()
    with page.expect_navigation():
        page.click(f'a[href="/bookings/{series[1]}/cancel"]')
    assert page.locator("#scope-this").is_checked()
    page.check("#scope-this")
    with page.expect_navigation():
        page.click("form[action$='/cancel'] button[type=submit]")
    assert urlsplit(page.url).path == f"/bookings/{series[1]}"
    assert "1 réservation a été annulée." in page.locator("#flash").inner_text()
    assert page.locator(".status-line .badge").inner_text() == "Annulée"
    page.reload()
    assert page.locator("#flash").inner_text().strip() == ""  # shown once
    badges = page.locator("ol.occurrence-list li .badge").all_inner_texts()
    assert badges == ["Approuvée", "Annulée", "Approuvée", "Approuvée"]


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_axe_finds_no_serious_violation_on_any_page(
    person: Any, week: DemoWeek, language: str
) -> None:
    assert AXE.exists(), AXE_MISSING
    found = {}
    for width in (1280, 360):
        page = person(REP1, language, width=width, axe=True)
        for name, address in pages_of(week).items():
            page.goto(address)
            violations = serious_violations(page)
            if violations:
                found[f"{name} @{width}px"] = violations
    assert found == {}


def manager_pages(week: DemoWeek) -> dict[str, str]:
    """The manager's calendar (week, day) and the form on behalf of an association."""
    base = f"/manage{HUB}"
    return {
        "manager week": f"{base}/calendar?date={week.monday}",
        "manager day": f"{base}/calendar?view=day&date={week.monday}",
        "on behalf": f"{base}/bookings/new",
    }


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_manager_calendar_passes_axe_and_fits_a_360_px_phone(
    person: Any, week: DemoWeek, language: str
) -> None:
    assert AXE.exists(), AXE_MISSING
    found: dict[str, Any] = {}
    for width in (1280, 360):
        page = person(MANAGER, language, width=width, axe=True)
        for name, address in manager_pages(week).items():
            page.goto(address)
            assert page.locator("main").count() == 1, (name, page.url)
            if width == 360 and (fits := overflow(page)):
                found[f"{name} overflows @360px"] = fits
            violations = serious_violations(page)
            if violations:
                found[f"{name} @{width}px"] = violations
    assert found == {}
    page = person(MANAGER, language)
    page.goto(manager_pages(week)["manager week"])
    assert "Atelier couture" in page.locator("table.cal").inner_text()  # titles, in full
