"""End-to-end fixtures: the real app served by ``hub-booking serve``, driven by Debian's chromium.

Everything is module-scoped (see ``browser``). The server runs as a subprocess
(``tests/servers.py``) on its own SQLite database (seeded with the demo data) in a temporary
directory, so these tests never touch the database of the rest of the suite. The browser is
Debian's ``/usr/bin/chromium`` launched through Playwright's *sync* API; the tests are plain
``def`` functions, so pytest-asyncio's event loop never runs while Playwright does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.checks import DEMO_PASSWORD, new_context, sign_in
from tests.servers import Server, free_port, run_cli, server_env

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_TIMEOUT = 20.0
MANAGER = "manager@demo.hub-booking.ma"


@pytest.fixture(scope="module")
def e2e_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of the served app: its own SQLite file and var dir, no scheduler."""
    if os.environ.get("HUB_BOOKING_TEST_DATABASE") == "postgres":
        pytest.skip("browser tests use their own SQLite database; they run in the SQLite pass only")
    if not Path(CHROMIUM).exists():  # `make test` installs it: its absence is a failure
        pytest.fail(f"{CHROMIUM} is not installed: run `make chromium` (Debian's package)")
    root = tmp_path_factory.mktemp("e2e")
    port = free_port()
    overrides = {"HUB_BOOKING_LANGUAGE": "fr", "HUB_BOOKING_BASE_URL": f"http://127.0.0.1:{port}"}
    return server_env(f"sqlite:///{root / 'e2e.sqlite3'}", root / "var", overrides)


@pytest.fixture(scope="module")
def live_server(e2e_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Seed the demo data, serve the app on the port of its base URL, yield that URL."""
    run_cli(["seed-demo"], e2e_env)
    base_url = e2e_env["HUB_BOOKING_BASE_URL"]
    log_path = tmp_path_factory.mktemp("e2e-log") / "server.log"
    port = int(base_url.rsplit(":", 1)[1])
    with Server(e2e_env, log_path, port=port, timeout=STARTUP_TIMEOUT) as server:
        yield server.url


@pytest.fixture(scope="module")
def browser(live_server: str) -> Iterator[Any]:
    """One headless chromium for the e2e module (never downloaded: Debian's own).

    Module-scoped on purpose: while sync Playwright is started, the main thread looks as if an
    asyncio loop were running (Playwright's, driven through greenlets), so ``asyncio.run`` in
    the rest of the suite would fail. Stopping it when the module ends gives the thread back.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    """A fresh page in a fresh context (no cookies carried over between tests)."""
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(5_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def login(live_server: str) -> Any:
    """Sign ``page`` in through the login form (as the hub manager by default)."""

    def log_in(page: Any, email: str = MANAGER, password: str = DEMO_PASSWORD) -> None:
        sign_in(page, email, password)
        assert "/login" not in page.url, f"sign-in as {email} failed: still on {page.url}"

    return log_in


@pytest.fixture
def signed_in(browser: Any, live_server: str) -> Iterator[Any]:
    """Open a signed-in page in a language and at a width (a fresh context each, closed after).

    ``axe=True`` bypasses the CSP so that axe-core can be injected; ``mobile`` and ``timeout``
    are passed on to ``checks.new_context``.
    """
    contexts: list[Any] = []

    def open_as(
        email: str, language: str = "fr", width: int = 1280, axe: bool = False, **options: Any
    ) -> Any:
        context = new_context(
            browser, live_server, language=language, width=width, axe=axe, **options
        )
        contexts.append(context)
        page = context.new_page()
        sign_in(page, email)
        return page

    yield open_as
    for context in contexts:
        context.close()
