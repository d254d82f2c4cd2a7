"""The hub manager's settings, resources and closures pages in a real browser: closing the hub
on a public holiday pre-filled from the ``holidays`` package cancels the one booking it hits;
new opening hours list the bookings they would break; axe-core and a 360 px phone, in Arabic
and French.

Bookings are made through the API with the demo people's tokens, on the module's own server.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from hub_booking.domain.holidays import of_year
from tests.e2e.checks import AXE, AXE_MISSING, overflow, serious_violations
from tests.e2e.demo_bookings import MANAGER, REP1, ZONE, _get, _post
from tests.servers import create_tokens

pytestmark = pytest.mark.e2e

HUB = "/manage/hubs/fes-meknes"
ATLAS = "Salle de formation Atlas"
SEBOU = "Salle de formation Sebou"


@pytest.fixture(scope="module")
def api(live_server: str, e2e_env: dict[str, str]) -> dict[str, Any]:
    """Tokens of the representative and the manager, the hub's id and its resources."""
    tokens = create_tokens([REP1, MANAGER], e2e_env, name="settings e2e")
    hubs = _get(live_server, "/api/v1/hubs", tokens[MANAGER])["items"]
    hub = next(h for h in hubs if h["slug"] == "fes-meknes")
    listed = _get(live_server, f"/api/v1/hubs/{hub['id']}/resources?limit=100", tokens[MANAGER])
    me = _get(live_server, "/api/v1/me", tokens[REP1])
    return {
        "tokens": tokens,
        "resources": {r["name_fr"]: r["id"] for r in listed["items"]},
        "association": me["memberships"][0]["association_id"],
    }


def book(live_server: str, api: dict[str, Any], room: str, day: date, hour: int, title: str) -> int:
    start = datetime.combine(day, time(hour), tzinfo=ZONE)
    body = {
        "association_id": api["association"],
        "title": title,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "attendees": 4,
        "items": [{"resource_id": api["resources"][room], "quantity": 1}],
    }
    return _post(live_server, "/api/v1/bookings", api["tokens"][REP1], body)["id"]


def status(live_server: str, api: dict[str, Any], booking_id: int) -> str:
    return _get(live_server, f"/api/v1/bookings/{booking_id}", api["tokens"][MANAGER])["status"]


def next_fixed_holiday() -> tuple[int, str, date]:
    """The next national (fixed-date) holiday at least two days away, on a day the demo hub
    opens (not a Sunday): (year, key, day)."""
    today = datetime.now(ZONE).date()
    for year in (today.year, today.year + 1, today.year + 2):
        for holiday in of_year(year, "fr"):
            soon = holiday.first >= today + timedelta(days=2)
            if soon and not holiday.estimated and holiday.first.weekday() != 6:
                return year, holiday.key, holiday.first
    raise AssertionError("no holiday found")


@pytest.fixture
def person(signed_in: Any) -> Any:
    """A signed-in page in a language and at a width (a fresh context each), the manager's."""

    def open_as(email: str = MANAGER, language: str = "fr", width: int = 1280, axe: bool = False):
        return signed_in(email, language, width, axe)

    return open_as


def test_a_holiday_prefilled_from_the_package_lists_and_cancels_the_one_booking_it_hits(
    person: Any, live_server: str, api: dict[str, Any]
) -> None:
    year, key, day = next_fixed_holiday()
    hit = book(live_server, api, SEBOU, day, 10, "Atelier du jour férié")
    spared = book(
        live_server,
        api,
        SEBOU,
        day + timedelta(days=1 if day.weekday() != 5 else 2),
        10,
        "Le lendemain",
    )
    page = person()
    page.goto(f"{HUB}/closures?year={year}")
    box = page.locator(f"#holiday-{key}")
    assert box.is_visible()
    box.check()
    with page.expect_navigation():
        page.click("#close-holidays")
    rows = page.locator("#impact ul.impact-list > li")
    assert rows.count() == 1
    assert "Atelier du jour férié" in rows.first.inner_text()
    assert status(live_server, api, hit) == "approved"  # listed, not yet cancelled
    with page.expect_navigation():
        page.click("#confirm")
    assert page.url.endswith(f"{HUB}/closures")
    assert "1 réservation a été annulée" in page.locator("#flash").inner_text()
    assert status(live_server, api, hit) == "cancelled"
    assert status(live_server, api, spared) == "approved"
    assert page.locator("#closure-list li.manage-item").count() >= 1
    page.goto(f"{HUB}/closures?year={year}")
    assert page.locator(f"#holiday-{key}").count() == 0  # now marked "already closed"


def test_new_opening_hours_list_the_bookings_they_would_break(
    person: Any, live_server: str, api: dict[str, Any]
) -> None:
    today = datetime.now(ZONE).date()
    wednesday = today + timedelta(days=(2 - today.weekday()) % 7 + 7)
    early = book(live_server, api, ATLAS, wednesday, 9, "Réunion matinale")
    late = book(live_server, api, ATLAS, wednesday, 15, "Réunion de l'après-midi")
    page = person()
    page.goto(f"{HUB}/settings")
    page.fill("#wed_from_1", "14:00")
    page.fill("#wed_to_1", "20:00")
    with page.expect_navigation():
        page.click("#save")
    impact = page.locator("#impact")
    assert impact.is_visible()
    assert "Réunion matinale" in impact.inner_text()
    assert "Réunion de l" not in impact.inner_text()
    assert page.input_value("#wed_from_1") == "14:00"  # what was typed is kept
    with page.expect_navigation():
        page.click("#confirm")
    assert page.locator("#flash").inner_text().strip()
    assert page.input_value("#wed_from_1") == "14:00"
    assert status(live_server, api, early) == "approved"  # kept: only listed
    assert status(live_server, api, late) == "approved"


def _my_pages(page: Any, api: dict[str, Any]) -> dict[str, str]:
    atlas = api["resources"][ATLAS]
    return {
        "settings": f"{HUB}/settings",
        "resources": f"{HUB}/resources",
        "new resource": f"{HUB}/resources/new",
        "edit resource": f"{HUB}/resources/{atlas}/edit",
        "closures": f"{HUB}/closures",
    }


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_axe_finds_no_serious_violation_and_nothing_overflows_a_phone(
    person: Any, live_server: str, api: dict[str, Any], language: str
) -> None:
    assert AXE.exists(), AXE_MISSING
    found: dict[str, Any] = {}
    for width in (1280, 360):
        page = person(language=language, width=width, axe=True)
        states = list(_my_pages(page, api).items())
        for name, address in states:
            page.goto(address)
            _check(page, f"{name} @{width}", width, found)
        page.goto(f"{HUB}/settings")
        page.fill("#mon_from_1", "nonsense")
        with page.expect_navigation():
            page.click("#save")
        _check(page, f"settings with errors @{width}", width, found)
        page.goto(f"{HUB}/closures")
        page.fill("#start_date", "2099-01-05")
        page.fill("#end_date", "2099-01-01")
        with page.expect_navigation():
            page.click("#add-closure")
        _check(page, f"closure with errors @{width}", width, found)
    assert found == {}


def _check(page: Any, name: str, width: int, found: dict[str, Any]) -> None:
    violations = serious_violations(page)
    if violations:
        found[name] = violations
    if width == 360 and (too_wide := overflow(page)):
        found[f"{name} overflow"] = too_wide
