"""The manager's approval queue, today's desk and history in a real browser: deciding inline,
the representative seeing the outcomes, bulk approval, check-in, axe-core and phones.

The module's server gets its requests through the API (the demo people's own tokens): the
demo hub's big hall, sound system and video cameras need a manager's approval.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from tests.e2e.checks import AXE, AXE_MISSING, overflow, serious_violations
from tests.e2e.demo_bookings import MANAGER, REP1, REP2, REP3, ZONE, next_monday
from tests.servers import create_tokens

pytestmark = pytest.mark.e2e

HUB = "fes-meknes"
QUEUE = f"/manage/hubs/{HUB}/requests"
TODAY = f"/manage/hubs/{HUB}/today"
HISTORY = f"/manage/hubs/{HUB}/audit"


@dataclass(frozen=True)
class Requests:
    approve: int
    reject: int
    bulk: list[int]
    series: list[int]
    checkin: int
    checkin_day: date


def _post(base_url: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{base_url}/api/v1/bookings",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _get(base_url: str, path: str, token: str) -> Any:
    request = urllib.request.Request(base_url + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def made(live_server: str, e2e_env: dict[str, str]) -> Requests:
    """Pending requests (one a day in the week after next, a series, two wanting the same
    cameras) and one approved booking to check in."""
    tokens = create_tokens([REP1, REP2, REP3, MANAGER], e2e_env, name="e2e requests")
    hubs = _get(live_server, "/api/v1/hubs", tokens[MANAGER])["items"]
    hub = next(h for h in hubs if h["slug"] == HUB)
    listed = _get(live_server, f"/api/v1/hubs/{hub['id']}/resources?limit=100", tokens[MANAGER])
    ids = {r["name_fr"]: r["id"] for r in listed["items"]}
    monday = next_monday() + timedelta(days=7)

    def book(who: str, day: int, hour: int, title: str, item: str, **extra: Any) -> Any:
        me = _get(live_server, "/api/v1/me", tokens[who])
        start = datetime.combine(monday + timedelta(days=day), time(hour), tzinfo=ZONE)
        body = {
            "association_id": me["memberships"][0]["association_id"],
            "title": title,
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "attendees": 12,
            "items": [{"resource_id": ids[item], "quantity": 1}],
            **extra,
        }
        return _post(live_server, tokens[who], body)

    hall, sound, camera = "Grande salle polyvalente", "Sonorisation", "Caméra vidéo"
    approve = book(REP1, 0, 9, "Assemblée à approuver", hall)["id"]
    reject = book(REP1, 1, 9, "Soirée à refuser", hall)["id"]
    bulk = [book(REP2, d, 14, f"Concert {d}", sound)["id"] for d in (2, 3, 4)]
    series = book(
        REP3, 0, 16, "Tournage hebdomadaire", camera, recurrence={"rrule": "FREQ=WEEKLY;COUNT=3"}
    )
    book(REP2, 0, 17, "Interview filmée", camera)  # wants a camera at the same time
    checkin = book(REP3, 5, 10, "Permanence du samedi", "Salle de formation Sebou")
    assert checkin["status"] == "approved"
    return Requests(
        approve,
        reject,
        bulk,
        [o["id"] for o in series["occurrences"]],
        checkin["id"],
        monday + timedelta(days=5),
    )


@pytest.fixture
def person(signed_in: Any) -> Any:
    """Open a signed-in page in a language and at a width (a fresh context each)."""
    return signed_in


def pages_of(made: Requests) -> dict[str, str]:
    return {
        "requests": QUEUE,
        "today": f"{TODAY}?date={made.checkin_day.isoformat()}",
        "print": f"{TODAY}?date={made.checkin_day.isoformat()}&print=1",
        "history": HISTORY,
        "history with errors": f"{HISTORY}?booking=abc&from=2027-13-01",
    }


# Read-only checks first: the other tests decide on the requests.


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_axe_finds_no_serious_violation_on_the_manager_pages(
    person: Any, made: Requests, language: str
) -> None:
    assert AXE.exists(), AXE_MISSING
    found = {}
    for width in (1280, 360):
        page = person(MANAGER, language, width=width, axe=True)
        for name, address in pages_of(made).items():
            page.goto(address)
            violations = serious_violations(page)
            if violations:
                found[f"{name} @{width}px"] = violations
    assert found == {}


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_no_manager_page_overflows_a_360_px_phone(
    person: Any, made: Requests, language: str
) -> None:
    page = person(MANAGER, language, width=360)
    for name, address in pages_of(made).items():
        page.goto(address)
        assert overflow(page) is None, name


def test_the_queue_shows_series_and_competing_requests(person: Any, made: Requests) -> None:
    page = person(MANAGER)
    page.goto(QUEUE)
    first = page.locator(f"#request-{made.series[0]}")
    assert "1 sur 3" in first.inner_text() or "1 of 3" in first.inner_text()
    assert first.locator("ul.rivals li").count() == 1
    assert "Interview filmée" in first.locator("ul.rivals").inner_text()


def test_a_manager_decides_inline_and_the_representative_sees_both_outcomes(
    person: Any, made: Requests
) -> None:
    page = person(MANAGER)
    page.goto(QUEUE)
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate("() => { window.__marker = 1; }")
    row = page.locator(f"#request-{made.approve}")
    row.locator("form[action$='/approve'] button").click()
    page.wait_for_selector(f"#request-{made.approve}.decided")
    assert page.locator(f"#request-{made.approve} .outcome.ok").is_visible()

    refused = page.locator(f"#request-{made.reject}")
    refused.locator("form[action$='/reject'] button").click()  # no reason yet
    page.wait_for_selector(f"#reason-{made.reject}[aria-invalid='true']")
    assert page.locator(f"#reason-{made.reject}-error").is_visible()
    page.fill(f"#reason-{made.reject}", "La salle est réservée pour le Conseil régional.")
    page.locator(f"#request-{made.reject} form[action$='/reject'] button").click()
    page.wait_for_selector(f"#request-{made.reject}.decided")
    assert page.evaluate("() => window.__marker") == 1  # no page load: rows were swapped

    rep = person(REP1)
    rep.goto("/bookings")
    approved = rep.locator("li.booking-row", has_text="Assemblée à approuver")
    assert approved.locator(".badge.status-approved").is_visible()
    rejected = rep.locator("li.booking-row", has_text="Soirée à refuser")
    assert rejected.locator(".badge.status-rejected").is_visible()
    assert "Conseil régional" in rejected.locator(".reason").inner_text()


def test_bulk_approval_of_three(person: Any, made: Requests) -> None:
    page = person(MANAGER)
    page.goto(QUEUE)
    page.wait_for_function("() => window.htmx !== undefined")
    for booking_id in made.bulk:
        page.check(f"#select-{booking_id}")
    page.click("#bulk-approve-button")
    page.wait_for_selector(".bulk-report")
    report = page.locator(".bulk-report")
    assert report.locator("li.ok").count() == 3
    assert report.locator("li.error").count() == 0
    for booking_id in made.bulk:
        assert page.locator(f"#request-{booking_id}").count() == 0  # no longer waiting


def test_check_in_from_today(person: Any, made: Requests) -> None:
    page = person(MANAGER)
    page.goto(f"{TODAY}?date={made.checkin_day.isoformat()}")
    page.wait_for_function("() => window.htmx !== undefined")
    visit = page.locator(f"#visit-{made.checkin}")
    visit.locator("form[action$='/check-in'] button").click()
    page.wait_for_selector(f"#visit-{made.checkin}.checked-in")
    assert page.locator(f"#visit-{made.checkin} .checked").is_visible()
    page.reload()
    assert page.locator(f"#visit-{made.checkin}.checked-in .checked").is_visible()
    page.goto(f"{TODAY}?date={made.checkin_day.isoformat()}&print=1")
    assert page.locator("header.site").count() == 0
    assert page.locator(f"#visit-{made.checkin} .checked").is_visible()
