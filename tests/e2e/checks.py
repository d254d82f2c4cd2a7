"""Helpers shared by the browser tests: axe-core's verdict, the phone-width overflow check and
signed-in browser contexts (the ``signed_in`` fixture of conftest.py builds on these)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEMO_PASSWORD = "demo-password-2026"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_MISSING = "tests/e2e/vendor/axe.min.js is missing: run `make vendor-axe`"
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ")}`);
}"""
OVERFLOW = """() => ({
  scroll: document.scrollingElement.scrollWidth,
  inner: window.innerWidth,
  wide: [...document.querySelectorAll("body *")]%s
    .filter(e => { const r = e.getBoundingClientRect();
                   return r.width > 0 && (r.right > window.innerWidth + 1 || r.left < -1); })
    .map(e => e.tagName + (e.id ? "#" + e.id : "") + "." + e.className).slice(0, 5),
})"""
# Elements wider than the screen, but those inside a container that scrolls on its own.
SKIP_SCROLLERS = '\n    .filter(e => !e.closest(".table-wrap"))'


def serious_violations(page: Any) -> list[str]:
    """Inject axe-core and return its serious and critical violations (the CSP is bypassed)."""
    assert AXE.exists(), AXE_MISSING
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


def overflow(page: Any, *, skip_scrollers: bool = False) -> dict[str, Any] | None:
    """What sticks out sideways (scroll width and wide elements), or None when the page fits."""
    found = page.evaluate(OVERFLOW % (SKIP_SCROLLERS if skip_scrollers else ""))
    return found if found["scroll"] > found["inner"] or found["wide"] else None


def new_context(
    browser: Any,
    base_url: str,
    *,
    language: str = "fr",
    width: int = 1280,
    axe: bool = False,
    mobile: bool = True,
    timeout: float = 5_000,
) -> Any:
    """A fresh context in a language (``hb_lang``) at a width; phones below 600 px if ``mobile``."""
    phone = {"is_mobile": width < 600, "has_touch": width < 600} if mobile else {}
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": width, "height": 800},
        bypass_csp=axe,  # axe is injected inline: the page's own scripts obey the CSP
        **phone,
    )
    context.set_default_timeout(timeout)
    context.add_cookies([{"name": "hb_lang", "value": language, "url": base_url}])
    return context


def sign_in(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign ``page`` in through the login form."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
