"""
The browser journeys (issue 7): Playwright drives Debian's Chromium against `live_server`.

Every test module here is marked `e2e` and `django_db(transaction=True)`. A journey asks for
`reference_data` (what the migrations seed, recreated after each flush, plus Shenzhen's
regions) and `new_page` (a fresh browser context at the test's viewport; each call is a new
person with own cookies). Console errors, page errors, failed requests and HTTP errors of the
live server fail the test at teardown. See `helpers.check` for the per-page checks.
"""

import os
from pathlib import Path

import pytest

from tests.conftest import skip_for_missing_service

from . import helpers

CHROMIUM = os.environ.get("MAMAGANG_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORTS = {
    "phone": {
        "viewport": {"width": 360, "height": 740},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        skip_for_missing_service("Chromium", f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    """ "phone" (360×740, touch) or "desktop" (1280×800): every journey runs at both."""
    return request.param


@pytest.fixture
def new_page(browser, viewport, live_server, request):
    """
    Return a factory: each call opens a fresh context (own cookies) at the test's viewport
    and returns its page. Problems any of its pages meet fail the test at teardown.
    """
    label = f"{request.node.originalname}-{viewport}"
    contexts = []
    problems: list[str] = []
    downloads: set[str] = set()

    def watch(page):
        def on_console(msg):
            if msg.type == "error":
                problems.append(f"console error on {page.url}: {msg.text}")

        def on_response(response):
            if response.status >= 400 and response.url.startswith(live_server.url):
                problems.append(f"HTTP {response.status} {response.request.method} {response.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: problems.append(f"page error on {page.url}: {exc}"))
        page.on(
            "requestfailed",
            lambda req: problems.append(("request failed", req.method, req.url, req.failure or "")),
        )
        page.on("response", on_response)
        page.on("download", lambda download: downloads.add(download.url))

    def _new_page():
        context = browser.new_context(
            **VIEWPORTS[viewport],
            accept_downloads=True,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            base_url=live_server.url,
        )
        context.set_default_timeout(15_000)
        context.on("page", watch)
        contexts.append(context)
        page = context.new_page()
        helpers.label(page, label, viewport)
        return page

    yield _new_page

    for context in contexts:
        context.close()
    found = []
    for problem in problems:
        if isinstance(problem, tuple):
            _, method, url, failure = problem
            # A link that downloads a file aborts its navigation: that is no failure.
            if url in downloads and "ERR_ABORTED" in failure:
                continue
            problem = f"request failed: {method} {url} ({failure})"
        found.append(problem)
    if found:
        pytest.fail("The browser met problems:\n  " + "\n  ".join(found), pytrace=False)


@pytest.fixture
def reference_data(transactional_db) -> dict:
    """
    What the data migrations seed (a transactional test's flush removed it): the role
    groups with their permissions and the subsidy types. Plus Shenzhen's regions (4403)
    with their ancestors, returned by code.
    """
    from tests.conftest import load_shipped_regions, seed_reference_rows

    seed_reference_rows()
    return load_shipped_regions("4403")
