"""The booking form in a real browser: a room with a projector, a clash and its suggestion, a
weekly series booked with "skip", the same booking without JavaScript, and phone widths.

Other associations' bookings that make the clashes are written through the API with a
representative's Bearer token; everything the tested person does goes through the pages.
Each test uses its own weeks, as the module shares one server and database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from hub_booking.i18n import format_datetime
from hub_booking.zones import get_zone
from tests.e2e.checks import AXE, AXE_MISSING, DEMO_PASSWORD, new_context, serious_violations
from tests.servers import create_tokens

pytestmark = pytest.mark.e2e

ZONE = get_zone("Africa/Casablanca")
REP = "rep1@demo.hub-booking.ma"  # the person booking
MANAGER = "manager@demo.hub-booking.ma"  # books on behalf of associations
OTHER = "rep2@demo.hub-booking.ma"  # another association, whose bookings make the clashes
ATLAS = "Salle de formation Atlas"
PROJECTOR = "Vidéoprojecteur"
BOOKED = re.compile(r"/bookings/(\d+)$")


@pytest.fixture(scope="module")
def other_token(e2e_env: dict[str, str], live_server: str) -> str:
    return create_tokens([OTHER], e2e_env, name="e2e-booking-form")[OTHER]


@pytest.fixture
def rep(page: Any, login: Any) -> Any:
    login(page, REP, DEMO_PASSWORD)
    return page


@pytest.fixture
def ids(rep: Any) -> dict[str, int]:
    """Resource ids of the demo hub by French name, and the hub's id under "hub"."""
    hub = next(
        h for h in rep.request.get("/api/v1/hubs").json()["items"] if h["slug"] == "fes-meknes"
    )
    found = rep.request.get(f"/api/v1/hubs/{hub['id']}/resources?limit=100").json()["items"]
    return {"hub": hub["id"], **{r["name_fr"]: r["id"] for r in found}}


def tuesday(weeks_ahead: int) -> date:
    """A Tuesday some weeks from now (the demo hub is closed on Sundays)."""
    today = datetime.now(ZONE).date()
    return today + timedelta(days=(1 - today.weekday()) % 7 + 7 * weeks_ahead)


def instant(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC).isoformat()


def free_cell(resource_id: int, day: date, hour: int, minutes: int = 60) -> str:
    """The link a free cell of the hub calendar opens."""
    start = datetime.combine(day, time(hour), tzinfo=ZONE)
    query = {
        "resource_id": resource_id,
        "starts_at": start.astimezone(UTC).isoformat(),
        "ends_at": (start + timedelta(minutes=minutes)).astimezone(UTC).isoformat(),
    }
    return "/bookings/new?" + urlencode(query)


def book_as_other(page: Any, token: str, resource_id: int, day: date, hour: int) -> None:
    bearer = {"Authorization": f"Bearer {token}"}
    me = page.request.get("/api/v1/me", headers=bearer).json()
    body = {
        "association_id": me["memberships"][0]["association_id"],
        "title": "Réunion d'une autre association",
        "starts_at": instant(day, hour),
        "ends_at": instant(day, hour + 1),
        "items": [{"resource_id": resource_id, "quantity": 1}],
    }
    answer = page.request.post("/api/v1/bookings", data=body, headers=bearer)
    assert answer.status == 201, answer.text()


def booked(page: Any) -> dict[str, Any]:
    """The booking the form redirected to, read back through the API."""
    match = BOOKED.search(page.url)
    assert match, page.url
    return page.request.get(f"/api/v1/bookings/{match.group(1)}").json()


def wait_checked(page: Any, selector: str) -> None:
    page.locator(f"#booking-check {selector}").first.wait_for(state="visible")


def test_a_representative_books_a_room_with_a_projector_from_a_free_cell(
    rep: Any, ids: dict[str, int]
) -> None:
    day = tuesday(3)
    rep.goto(f"/hubs/fes-meknes?view=day&date={day.isoformat()}")
    start = datetime.combine(day, time(10), tzinfo=ZONE).astimezone(UTC)
    cell = rep.locator(f"#r{ids[ATLAS]} a.fr[href*='starts_at={start:%Y-%m-%dT%H:%M:%SZ}']")
    with rep.expect_navigation():
        cell.click()
    wait_checked(rep, "#check-ok")  # checked as soon as it opened: the room is free
    assert rep.locator("#resource_id").input_value() == str(ids[ATLAS])
    assert (rep.input_value("#date"), rep.input_value("#start")) == (day.isoformat(), "10:00")
    rep.fill("#end", "11:30")
    rep.fill("#title", "Atelier budget participatif")
    rep.fill(f"#qty_{ids[PROJECTOR]}", "1")
    with rep.expect_navigation():
        rep.click("#book")
    made = booked(rep)
    assert (made["starts_at"], made["ends_at"]) == (instant(day, 10), instant(day, 11, 30))
    assert sorted((i["resource_id"], i["quantity"]) for i in made["items"]) == sorted(
        [(ids[ATLAS], 1), (ids[PROJECTOR], 1)]
    )
    assert rep.locator("#flash").inner_text().strip()  # the booking's page says it is made


def test_a_clash_shows_suggestions_and_one_click_books_one(
    rep: Any, ids: dict[str, int], other_token: str
) -> None:
    day = tuesday(4)
    book_as_other(rep, other_token, ids[ATLAS], day, 10)
    rep.goto(free_cell(ids[ATLAS], day, 10))
    rep.fill("#title", "Formation des bénévoles")
    wait_checked(rep, "#check-clashes")
    assert rep.locator("#suggestions button.suggestion").count() == 0  # asked for, not typed
    rep.click("#show-suggestions")
    wait_checked(rep, "#suggestions button.suggestion")
    suggestion = rep.locator("#suggestions button.suggestion").first
    value = suggestion.get_attribute("value")
    assert value is not None
    assert value.startswith("slot:")
    with rep.expect_navigation():
        suggestion.click()
    made = booked(rep)
    assert made["starts_at"] == value.removeprefix("slot:").split("/")[0]
    assert made["title"] == "Formation des bénévoles"


def test_a_weekly_series_with_one_clash_is_previewed_then_booked_skipping_it(
    rep: Any, ids: dict[str, int], other_token: str
) -> None:
    first, taken = tuesday(6), tuesday(7)
    book_as_other(rep, other_token, ids[ATLAS], taken, 15)
    rep.goto(free_cell(ids[ATLAS], first, 15))
    rep.fill("#title", "Cours d'alphabétisation")
    rep.check("#repeat-weekly")
    rep.fill("#count", "4")
    rep.locator("#count").dispatch_event("change")
    wait_checked(rep, "#occurrences")
    states = rep.locator("#occurrences li").evaluate_all(
        "items => items.map(i => [i.dataset.date, i.classList.contains('clash')])"
    )
    assert states == [
        [(first + timedelta(weeks=n)).isoformat(), first + timedelta(weeks=n) == taken]
        for n in range(4)
    ]
    rep.check("#on_conflict-skip")
    wait_checked(rep, "#check-skipped")
    label = format_datetime(
        datetime.combine(taken, time(15), tzinfo=ZONE), ZONE, "fr", "EEEE d MMMM y"
    )
    assert label in rep.locator("#check-skipped").inner_text()
    with rep.expect_navigation():
        rep.click("#book")
    made = booked(rep)
    assert made["series_id"] is not None
    window = urlencode(
        {
            "resource_id": ids[ATLAS],
            "from": instant(first, 0),
            "to": instant(taken + timedelta(weeks=3), 0),
        }
    )
    mine = [
        b["starts_at"][:10]
        for b in rep.request.get(f"/api/v1/bookings?{window}").json()["items"]
        if b["series_id"] == made["series_id"]
    ]
    assert mine == [(first + timedelta(weeks=n)).isoformat() for n in (0, 2, 3)]


@pytest.fixture
def no_js(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, locale="fr-FR", java_script_enabled=False)
    context.set_default_timeout(5_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def test_the_same_booking_works_without_javascript(
    no_js: Any, login: Any, other_token: str
) -> None:
    login(no_js, REP, DEMO_PASSWORD)
    hub = next(
        h for h in no_js.request.get("/api/v1/hubs").json()["items"] if h["slug"] == "fes-meknes"
    )
    found = no_js.request.get(f"/api/v1/hubs/{hub['id']}/resources?limit=100").json()["items"]
    names = {r["name_fr"]: r["id"] for r in found}
    day = tuesday(12)
    no_js.goto(free_cell(names[ATLAS], day, 11))
    no_js.fill("#title", "Assemblée générale")
    no_js.fill(f"#qty_{names[PROJECTOR]}", "1")
    with no_js.expect_navigation():
        no_js.click("#check-now")  # the check without JavaScript: the whole page again
    assert no_js.locator("#booking-check #check-ok").is_visible()
    with no_js.expect_navigation():
        no_js.click("#book")
    assert booked(no_js)["starts_at"] == instant(day, 11)
    # The same slot again: refused on the form, with suggestions one click away.
    book_as_other(no_js, other_token, names[ATLAS], day, 14)
    no_js.goto(free_cell(names[ATLAS], day, 14))
    no_js.fill("#title", "Permanence juridique")
    with no_js.expect_navigation():
        no_js.click("#book")
    assert no_js.locator("#error-summary").is_visible()
    with no_js.expect_navigation():
        no_js.locator("#suggestions button.suggestion").first.click()
    assert booked(no_js)["title"] == "Permanence juridique"


def test_no_horizontal_scroll_at_360_pixels(
    rep: Any, ids: dict[str, int], other_token: str
) -> None:
    rep.set_viewport_size({"width": 360, "height": 740})
    day = tuesday(15)
    book_as_other(rep, other_token, ids[ATLAS], day + timedelta(weeks=1), 9)
    rep.goto(free_cell(ids[ATLAS], day, 9))
    rep.fill("#title", "Une réunion au titre assez long pour passer à la ligne sur un téléphone")
    rep.check("#repeat-weekly")
    rep.locator("#count").dispatch_event("change")
    wait_checked(rep, "#suggestions")
    for path in (
        None,
        f"/find?date={day.isoformat()}&equipment={ids[PROJECTOR]}",
        "/bookings/new?starts_at=nonsense",
    ):
        if path:
            rep.goto(path)
        width = rep.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, (path, width)


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_axe_finds_no_serious_violation_on_the_form_and_find_pages(
    browser: Any, live_server: str, login: Any, other_token: str, language: str
) -> None:
    assert AXE.exists(), AXE_MISSING
    found: dict[str, list[str]] = {}
    day = tuesday(18 if language == "ar" else 20)
    for width in (1280, 360):
        context = new_context(
            browser, live_server, language=language, width=width, axe=True, mobile=False
        )
        page = context.new_page()
        try:
            login(page, REP, DEMO_PASSWORD)
            hub = next(
                h
                for h in page.request.get("/api/v1/hubs").json()["items"]
                if h["slug"] == "fes-meknes"
            )
            rooms = page.request.get(f"/api/v1/hubs/{hub['id']}/resources?limit=100").json()[
                "items"
            ]
            atlas = next(r["id"] for r in rooms if r["name_fr"] == ATLAS)
            if width == 1280:
                book_as_other(page, other_token, atlas, day + timedelta(weeks=1), 16)
            page.goto(free_cell(atlas, day, 16))
            page.check("#repeat-weekly")
            page.locator("#count").dispatch_event("change")
            wait_checked(page, "#show-suggestions")
            found.update(_axe(page, f"form with a live conflict @{width}"))
            page.click("#show-suggestions")
            wait_checked(page, "#suggestions button.suggestion")
            found.update(_axe(page, f"form with suggestions @{width}"))
            with page.expect_navigation():
                page.click("#book")  # no title: the form again, with its error summary
            found.update(_axe(page, f"refused form @{width}"))
            page.goto(f"/find?date={day.isoformat()}&from=14:00&to=18:00")
            found.update(_axe(page, f"find @{width}"))
        finally:
            context.close()
    assert found == {}


def _axe(page: Any, name: str) -> dict[str, list[str]]:
    violations = serious_violations(page)
    return {name: violations} if violations else {}


def test_a_manager_books_on_behalf_of_an_association_overriding_the_rules(
    page: Any, login: Any, ids: dict[str, int]
) -> None:
    login(page, MANAGER, DEMO_PASSWORD)
    day = tuesday(22)
    page.goto(f"/manage/hubs/fes-meknes/calendar?view=day&date={day.isoformat()}")
    start = datetime.combine(day, time(10), tzinfo=ZONE).astimezone(UTC)
    with page.expect_navigation():
        page.click(f"#r{ids[ATLAS]} a.fr[href*='starts_at={start:%Y-%m-%dT%H:%M:%SZ}']")
    assert page.url.split("?")[0].endswith("/manage/hubs/fes-meknes/bookings/new")
    page.select_option("#association_id", index=1)
    page.fill("#title", "Journée portes ouvertes")
    page.fill("#end", "23:00")  # after closing time: a rule of the hub
    page.check("#override")
    with page.expect_navigation():
        page.click("#book")  # no reason: refused beside the field
    assert page.locator("#override_reason-error").is_visible()
    page.fill("#override_reason", "Journée portes ouvertes annuelle, validée par la région")
    with page.expect_navigation():
        page.click("#book")
    made = booked(page)
    assert (made["starts_at"], made["ends_at"]) == (instant(day, 10), instant(day, 23))
