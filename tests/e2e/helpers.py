"""
What every journey does on every page: `check` it, log in, open the phone menu.

Pages come from the `new_page` fixture (tests/e2e/conftest.py); URLs are
`live_server.url + path`.
"""

import re
from pathlib import Path

from django.conf import settings

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "e2e"
BLOCKING_IMPACTS = {"serious", "critical"}

# Elements that stick out to the right of the viewport, for the overflow message.
_OVERFLOWING_JS = """
(width) => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 0.5 && box.width > 0) {
      let name = el.tagName.toLowerCase();
      if (el.id) name += '#' + el.id;
      if (el.classList.length) name += '.' + [...el.classList].join('.');
      out.push(`${name} (right edge ${Math.round(box.right)} px)`);
      if (out.length >= 8) break;
    }
  }
  return out;
}
"""

# Whether the focused element shows a focus indicator (outline or box-shadow ring).
_FOCUS_SHOWN_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const ring = style.boxShadow && style.boxShadow !== 'none';
  return {shown: outline || ring, name: el.outerHTML.slice(0, 120)};
}
"""


def label(page, prefix: str, viewport: str) -> None:
    """Name the page's screenshots `<prefix>-<name>.png` (the `new_page` fixture does it)."""
    page.context.e2e_prefix = prefix
    page.context.e2e_viewport = viewport


def viewport_of(page) -> str:
    """ "phone" or "desktop": the viewport the page was opened at."""
    return page.context.e2e_viewport


def is_phone(page) -> bool:
    return viewport_of(page) == "phone"


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot `var/e2e/<test>-<viewport>-<name>.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^\w.-]+", "-", name).strip("-")
    path = SCREENSHOTS / f"{page.context.e2e_prefix}-{slug}.png"
    page.screenshot(path=path, full_page=True)
    return path


def check(page, name: str) -> None:
    """
    Check the page as it stands: `<html lang>` set, no horizontal overflow, no serious or
    critical axe-core violations, and focus visible on the first focusable elements. Saves
    a full-page screenshot first, so a failing page can be looked at.
    """
    page.wait_for_load_state("load")
    screenshot(page, name)
    where = f"{name} ({page.url})"

    lang = page.evaluate("document.documentElement.getAttribute('lang')")
    assert lang, f"{where}: <html> has no lang attribute"

    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    inner_width = page.evaluate("window.innerWidth")
    if scroll_width > min(width, inner_width):
        culprits = page.evaluate(_OVERFLOWING_JS, width)
        raise AssertionError(
            f"{where}: the page is {scroll_width} px wide, wider than the {width} px viewport;"
            f" sticking out: {', '.join(culprits) or '?'}"
        )

    violations = axe_violations(page)
    assert not violations, f"{where}: axe-core found serious/critical violations:\n  " + (
        "\n  ".join(violations)
    )

    assert_focus_visible(page, where)


def axe_violations(page) -> list[str]:
    """Serious and critical axe-core violations, one line per element."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    lines = []
    for violation in results.response.get("violations", []):
        if violation.get("impact") not in BLOCKING_IMPACTS:
            continue
        for node in violation.get("nodes", []):
            target = " ".join(str(t) for t in node.get("target", []))
            lines.append(
                f"[{violation['impact']}] {violation['id']}: {target} — {violation['help']}"
            )
    return lines


def assert_focus_visible(page, where: str = "", presses: int = 3) -> None:
    """Tab through the first elements from the top and require a visible focus indicator."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    try:
        for _ in range(presses):
            page.keyboard.press("Tab")
            state = page.evaluate(_FOCUS_SHOWN_JS)
            if state is None:
                break
            assert state["shown"], f"{where}: no visible focus on {state['name']}"
    finally:
        page.evaluate("document.activeElement && document.activeElement.blur()")


def open_menu_if_collapsed(page) -> None:
    """On the phone the navigation sits in a collapsed <details>: open it like a user."""
    summary = page.locator("details.nav-menu > summary")
    if summary.count() and summary.is_visible():
        menu = page.locator("details.nav-menu")
        if menu.get_attribute("open") is None:
            summary.click()
        page.locator("details.nav-menu nav").wait_for(state="visible")


def login(page, base_url: str, username: str, password: str) -> None:
    """Log in through the login form (username is the mobile number) and wait for the result."""
    page.goto(base_url.rstrip("/") + "/accounts/login/")
    page.get_by_label("手机号").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/accounts/login/" not in page.url, f"login as {username} failed: still on {page.url}"
