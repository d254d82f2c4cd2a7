"""``make screenshots``: the demo served for real, a week of bookings, and chromium's pictures.

    .venv/bin/python tests/e2e/screenshots.py [--out docs/screenshots]

Starts ``hub-booking serve`` on a fresh SQLite database with the demo data (tests/servers.py),
books a believable week through the API (tests/e2e/demo_bookings.py), signs in as the first
demo representative and writes one PNG per entry of ``SHOTS``. Add a page by adding an entry:
its name, its address (``{monday}``, ``{hub}`` and the resource ids by French name are filled
in) and the actions to run there before the picture. Only 127.0.0.1 is contacted; chromium is
Debian's own (/usr/bin/chromium), never a downloaded one.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.e2e.demo_bookings import (  # noqa: E402
    MANAGER,
    REP1,
    REP2,
    REP3,
    ZONE,
    DemoWeek,
    make_week,
)
from tests.servers import Server, free_port, run_cli, server_env  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo-password-2026"
Action = Callable[[Any, DemoWeek], None]


def settle(page: Any, _: DemoWeek) -> None:
    page.wait_for_load_state("networkidle")


def manager_closures(page: Any, _: DemoWeek) -> None:
    """The closures page as the hub's manager, the year's holidays pre-filled: the first
    ticked, and the first estimated one ticked and moved a day later."""
    sign_in(page, MANAGER)
    page.goto("/manage/hubs/fes-meknes/closures")
    page.locator("input[name=holiday]").first.check()
    estimated = page.locator("li.holiday.estimated").first
    if estimated.count():
        estimated.locator("input[name=holiday]").check()
        estimated.locator("select").select_option("1")


def manager_requests(page: Any, week: DemoWeek) -> None:
    """The approval queue as the hub's manager, with a few more pending requests (the sound
    system and the cameras need approval; two ask for a camera at the same time)."""
    wanted = [  # (who, day, hour, title, resource, weeks)
        (REP2, 1, 15, "Concert solidaire", "Sonorisation", 1),
        (REP3, 2, 10, "Tournage du documentaire", "Caméra vidéo", 3),
        (REP1, 2, 11, "Interview filmée", "Caméra vidéo", 1),
    ]
    for who, day, hour, title, resource, weeks in wanted:
        auth = {"Authorization": f"Bearer {week.tokens[who]}"}
        me = page.request.get("/api/v1/me", headers=auth).json()
        start = datetime.combine(week.monday + timedelta(days=day), time(hour), tzinfo=ZONE)
        body: dict[str, Any] = {
            "association_id": me["memberships"][0]["association_id"],
            "title": title,
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "attendees": 15,
            "items": [{"resource_id": week.resources[resource], "quantity": 1}],
        }
        if weeks > 1:
            body["recurrence"] = {"rrule": f"FREQ=WEEKLY;COUNT={weeks}"}
        page.request.post("/api/v1/bookings", data=body, headers=auth)
    sign_in(page, MANAGER)
    page.goto("/manage/hubs/fes-meknes/requests")


def booking_form_clash(page: Any, week: DemoWeek) -> None:
    """The booking form opened on a taken time (another association's Monday afternoon in
    the Atlas room): the live check shows the clash, then the suggestions asked for."""
    start = datetime.combine(week.monday, time(14), tzinfo=ZONE)
    query = urlencode(
        {
            "resource_id": week.resources["Salle de formation Atlas"],
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
        }
    )
    page.goto(f"/bookings/new?{query}")
    page.fill("#title", "Atelier d'écriture")
    page.locator("#booking-check #show-suggestions").wait_for(state="visible")
    page.wait_for_timeout(1000)  # the check the typing asks for (debounced) comes back first
    page.wait_for_load_state("networkidle")
    page.click("#show-suggestions")
    page.locator("#booking-check button.suggestion").first.wait_for(state="visible")


def manager_calendar(page: Any, week: DemoWeek) -> None:
    """The hub's calendar as its manager sees it: every title and association."""
    sign_in(page, MANAGER)
    page.goto(f"/manage/hubs/fes-meknes/calendar?date={week.monday.isoformat()}")


# (file name without .png, address, language, viewport width, actions)
SHOTS: list[tuple[str, str, str, int, list[Action]]] = [
    ("week-fr", "/hubs/fes-meknes?date={monday}", "fr", 1366, [settle]),
    ("week-ar", "/hubs/fes-meknes?date={monday}", "ar", 1366, [settle]),
    ("my-bookings-fr", "/bookings", "fr", 1100, [settle]),
    ("approval-queue-fr", "/manage", "fr", 1100, [manager_requests, settle]),
    ("closures-fr", "/manage", "fr", 1100, [manager_closures, settle]),
    ("booking-form-fr", "/hubs", "fr", 1100, [booking_form_clash, settle]),
    ("manager-calendar-fr", "/manage", "fr", 1366, [manager_calendar, settle]),
]


def sign_in(page: Any, email: str = REP1) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")


def take(out: Path, base_url: str, week: DemoWeek) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        try:
            for name, address, language, width, actions in SHOTS:
                context = browser.new_context(
                    base_url=base_url, viewport={"width": width, "height": 900}, locale=language
                )
                context.add_cookies([{"name": "hb_lang", "value": language, "url": base_url}])
                page = context.new_page()
                sign_in(page)
                page.goto(
                    address.format(
                        monday=week.monday.isoformat(), hub=week.hub_id, **week.resources
                    )
                )
                for action in actions:
                    action(page, week)
                path = out / f"{name}.png"
                page.screenshot(path=str(path), full_page=True)
                written.append(path)
                context.close()
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hub_booking_shots_") as tmp:
        port = free_port()
        env = server_env(
            f"sqlite:///{Path(tmp) / 'demo.sqlite3'}",
            Path(tmp) / "var",
            {"HUB_BOOKING_BASE_URL": f"http://127.0.0.1:{port}", "HUB_BOOKING_LANGUAGE": "fr"},
        )
        run_cli(["seed-demo"], env)
        with Server(env, Path(tmp) / "server.log", port=port) as server:
            week = make_week(server.url, env)
            for path in take(args.out, server.url, week):
                print(f"written {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
