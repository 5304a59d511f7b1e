"""
Regenerate the README screenshots at phone width (360 px) in Debian's Chromium.

Usage: start the portal with demo data (`make run`), then
    .venv/bin/pip install playwright   # once; the browser is /usr/bin/chromium
    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000]
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 360, "height": 780}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        for locale, name in (("zh-CN", "home-zh"), ("en", "home-en")):
            page = browser.new_page(viewport=PHONE, locale=locale)
            page.goto(f"{BASE}/")
            page.screenshot(path=OUT / f"{name}.png", full_page=True)
            page.close()

        page = browser.new_page(viewport=PHONE, locale="zh-CN")
        page.goto(f"{BASE}/jobs/")
        page.screenshot(path=OUT / "jobs-search.png", full_page=True)
        page.goto(f"{BASE}/jobs/?free=1-5@09:00-15:00&q=%E5%AE%A2%E6%9C%8D")
        page.screenshot(path=OUT / "jobs-fits-my-time.png", full_page=True)
        page.goto(f"{BASE}/jobs/")
        page.click("main .job-card a, main article a")
        page.wait_for_load_state()
        page.screenshot(path=OUT / "job-detail.png", full_page=True)
        page.goto(f"{BASE}/registry/")
        page.screenshot(path=OUT / "registry-index.png", full_page=True)
        page.goto(f"{BASE}/registry/440306/")
        page.screenshot(path=OUT / "registry-region.png", full_page=True)
        page.goto(f"{BASE}/registry/440306/2/")
        page.screenshot(path=OUT / "registry-edition.png", full_page=True)
        page.close()

        def logged_in(phone: str):
            page = browser.new_page(viewport=PHONE, locale="zh-CN")
            page.goto(f"{BASE}/accounts/login/")
            page.fill("input[name=username]", phone)
            page.fill("input[name=password]", "mamagang-demo")
            page.click("main form button[type=submit]")
            page.wait_for_load_state()
            return page

        page = browser.new_page(viewport=PHONE, locale="zh-CN")
        page.goto(f"{BASE}/accounts/login/")
        page.screenshot(path=OUT / "login.png", full_page=True)
        page.close()

        page = logged_in("13800000003")  # 宝安区 staff
        page.goto(f"{BASE}/staff/")
        page.screenshot(path=OUT / "staff-workspace.png", full_page=True)
        page.goto(f"{BASE}/staff/registry/")
        page.screenshot(path=OUT / "staff-queue.png", full_page=True)
        page.click("main table a, main .item-list a")
        page.wait_for_load_state()
        page.screenshot(path=OUT / "staff-entry.png", full_page=True)
        page.click("summary")
        page.screenshot(path=OUT / "menu-open.png")
        page.goto(f"{BASE}/staff/jobs/figures/")
        page.screenshot(path=OUT / "staff-job-figures.png", full_page=True)
        page.close()

        page = logged_in("13800000006")  # 天河区 staff: posts there need review
        page.goto(f"{BASE}/staff/jobs/")
        page.screenshot(path=OUT / "staff-job-queue.png", full_page=True)
        page.close()

        page = logged_in("13800000002")  # employer member
        page.goto(f"{BASE}/employer/")
        page.screenshot(path=OUT / "employer-workspace.png", full_page=True)
        page.goto(f"{BASE}/employer/registry/")
        page.screenshot(path=OUT / "employer-registry.png", full_page=True)
        page.goto(f"{BASE}/employer/jobs/")
        page.screenshot(path=OUT / "employer-jobs.png", full_page=True)
        page.goto(f"{BASE}/employer/applications/")
        page.screenshot(path=OUT / "employer-applications.png", full_page=True)
        page.click("main a.job-row-title")
        page.wait_for_load_state()
        page.screenshot(path=OUT / "employer-application.png", full_page=True)
        page.goto(f"{BASE}/employer/employments/")
        page.screenshot(path=OUT / "employer-employments.png", full_page=True)
        page.close()

        page = logged_in("13800000001")  # a mother
        page.goto(f"{BASE}/me/")
        page.screenshot(path=OUT / "me-home.png", full_page=True)
        page.goto(f"{BASE}/me/profile/availability/")
        page.screenshot(path=OUT / "me-availability.png", full_page=True)
        page.goto(f"{BASE}/me/jobs/")
        page.screenshot(path=OUT / "me-jobs.png", full_page=True)
        page.goto(f"{BASE}/me/applications/")
        page.click("main a.me-row-title")
        page.wait_for_load_state()
        page.screenshot(path=OUT / "me-application.png", full_page=True)
        page.close()

        page = logged_in("13800000003")  # 宝安区 staff: applicants
        page.goto(f"{BASE}/staff/applicants/survey/")
        page.screenshot(path=OUT / "staff-demand-survey.png", full_page=True)
        page.goto(f"{BASE}/staff/applicants/children/")
        page.screenshot(path=OUT / "staff-child-queue.png", full_page=True)
        page.goto(f"{BASE}/staff/subsidies/")
        page.screenshot(path=OUT / "staff-subsidy-queue.png", full_page=True)
        page.goto(f"{BASE}/staff/subsidies/runs/")
        page.screenshot(path=OUT / "staff-subsidy-runs.png", full_page=True)
        page.goto(f"{BASE}/staff/subsidies/bases/")
        page.click("main table a")
        page.wait_for_load_state()
        page.screenshot(path=OUT / "staff-base.png", full_page=True)
        page.close()

        page = logged_in("13800000004")  # 深圳市 admin: dashboard and policies
        page.goto(f"{BASE}/staff/subsidies/dashboard/")
        # Long pages: the first screens are enough for the README.
        top = {"x": 0, "y": 0, "width": PHONE["width"], "height": 1400}
        page.screenshot(path=OUT / "staff-subsidy-dashboard.png", full_page=True, clip=top)
        page.goto(f"{BASE}/staff/subsidies/policies/")
        page.click("main table a, main .item-list a")
        page.wait_for_load_state()
        page.screenshot(path=OUT / "staff-policy.png", full_page=True, clip=top)
        page.close()

        page = logged_in("13800000002")  # employer: subsidy claims
        page.goto(f"{BASE}/employer/subsidies/")
        page.screenshot(path=OUT / "employer-claims.png", full_page=True)
        page.click("main .card a")
        page.wait_for_load_state()
        page.screenshot(path=OUT / "employer-claim.png", full_page=True)
        page.close()
        browser.close()
    print(f"Screenshots written to {OUT}")


if __name__ == "__main__":
    main()
