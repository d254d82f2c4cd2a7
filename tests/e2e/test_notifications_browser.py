"""Notifications and the waitlist in a real browser: joining from the booking form's
conflict answer, the offer told in the header and on /notifications, confirmed in one click;
marking read with htmx refreshes the header's counter; axe-core finds nothing serious on
/notifications, /account/notifications and the waitlist pages, in Arabic and French."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

import pytest

from tests.e2e.checks import AXE, AXE_MISSING, serious_violations
from tests.e2e.demo_bookings import REP1, REP2, ZONE, DemoWeek, _post, make_week

pytestmark = pytest.mark.e2e

ROOM = "Salle de formation Atlas"


@pytest.fixture(scope="module")
def week(live_server: str, e2e_env: dict[str, str]) -> DemoWeek:
    return make_week(live_server, e2e_env)


@pytest.fixture
def person(signed_in: Any) -> Any:
    def open_as(email: str, language: str = "fr", width: int = 1280, axe: bool = False) -> Any:
        # not a phone context; a loaded machine: axe alone takes seconds
        return signed_in(email, language, width, axe, mobile=False, timeout=15_000)

    return open_as


def waited(week: DemoWeek, page: Any) -> str:
    """REP2 joins the waitlist of REP1's Monday training from the booking form; the entry."""
    start = datetime.combine(week.monday, time(9), tzinfo=ZONE)
    query = (
        f"?hub=fes-meknes&resource_id={week.resources[ROOM]}"
        f"&starts_at={start.isoformat()}&ends_at={(start + timedelta(hours=2)).isoformat()}"
    )
    page.goto("/bookings/new" + query.replace("+", "%2B"))
    page.fill("#title", "Réunion des parents")
    join = page.locator("#waitlist-join button")
    join.wait_for()
    with page.expect_navigation():
        join.click()
    assert re.search(r"/waitlist/\d+$", page.url), page.url
    return page.url.rsplit("/", 1)[1]


def test_an_offer_from_the_waitlist_is_told_and_confirmed_in_one_click(
    person: Any, week: DemoWeek
) -> None:
    page = person(REP2)
    entry = waited(week, page)
    assert "Quitter la liste d’attente" in page.content()
    training = week.bookings["Formation des bénévoles"][0]
    _post(
        page.url.split("/waitlist")[0], f"/api/v1/bookings/{training}/cancel", week.tokens[REP1], {}
    )
    page.goto("/hubs")
    assert page.locator("#unread-count .badge").is_visible()
    page.goto("/notifications")
    offer = page.get_by_role("link", name=re.compile("Un créneau que vous attendiez est libre"))
    with page.expect_navigation():
        offer.click()
    assert page.url.endswith(f"/waitlist/{entry}")
    with page.expect_navigation():
        page.click("#confirm-offer")
    assert re.search(r"/bookings/\d+$", page.url), page.url
    assert "Réunion des parents" in page.content()


def test_marking_all_read_refreshes_the_list_and_the_header(person: Any, week: DemoWeek) -> None:
    page = person(REP2)
    page.goto("/notifications")
    # The demo week's decisions leave this representative unread news (a precondition).
    assert page.locator("#unread-count .badge").count(), "no unread news to mark read"
    page.click("#notification-list button:has-text('Tout marquer comme lu')")
    page.locator("#notification-list li.is-unread").first.wait_for(state="detached")
    page.locator("#unread-count .badge").wait_for(state="detached")
    assert "/notifications" in page.url


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_axe_finds_no_serious_violation_on_the_notification_pages(
    person: Any, week: DemoWeek, language: str
) -> None:
    assert AXE.exists(), AXE_MISSING
    found = {}
    for width in (1280, 360):
        page = person(REP2, language, width=width, axe=True)
        for address in ("/notifications", "/account/notifications", "/waitlist"):
            page.goto(address)
            violations = serious_violations(page)
            if violations:
                found[f"{address} @{width}px"] = violations
    assert found == {}
