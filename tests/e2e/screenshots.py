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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.e2e.demo_bookings import REP1, DemoWeek, make_week  # noqa: E402
from tests.servers import Server, free_port, run_cli, server_env  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo-password-2026"
Action = Callable[[Any, DemoWeek], None]


def settle(page: Any, _: DemoWeek) -> None:
    page.wait_for_load_state("networkidle")


# (file name without .png, address, language, viewport width, actions)
SHOTS: list[tuple[str, str, str, int, list[Action]]] = [
    ("week-fr", "/hubs/fes-meknes?date={monday}", "fr", 1366, [settle]),
    ("week-ar", "/hubs/fes-meknes?date={monday}", "ar", 1366, [settle]),
    ("my-bookings-fr", "/bookings", "fr", 1100, [settle]),
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
