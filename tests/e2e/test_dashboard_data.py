"""The dashboard's data parts in real Chromium (issue 12): the app page shows the app's volume
and linked service, and the Services page (from the top bar) lists the service with its state
and linked app. Screenshots go to test-artifacts/dashboard/."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.test_dashboard import browser_page, shot  # noqa: F401  (the fixture)
from tests.e2e.test_data import ok


def test_volumes_and_services_on_the_dashboard(platform, browser_page):  # noqa: F811
    page, app, base = browser_page, "dashdata", platform.api_url
    ok(platform.paas("apps:create", app))
    ok(platform.paas("storage:mount", "uploads:/app/uploads", "-a", app))
    ok(platform.paas("services:create", "redis", "dashcache"))
    ok(platform.paas("services:link", "dashcache", "-a", app))

    page.goto(base + "/sign-in")
    page.fill("#token", platform.token)
    page.click("button:has-text('Sign in')")
    page.goto(f"{base}/apps/{app}")
    data = page.locator("#data")
    expect(data.locator("tr[data-volume='uploads']")).to_contain_text("/app/uploads")
    service = data.locator("tr[data-service='dashcache']")
    expect(service).to_contain_text("redis")
    expect(service.locator(".state")).to_have_text("running")
    expect(service).to_contain_text("REDIS_URL")
    shot(page, "20-app-data")

    page.click("header nav a:has-text('Services')")
    expect(page).to_have_url(base + "/services")
    row = page.locator("tr[data-service='dashcache']")
    expect(row.locator(".state")).to_have_text("running")
    expect(row).to_contain_text(app)
    password = platform.paas("services:info", "dashcache", "--json")
    assert "redis://" not in page.content() and password.returncode == 0
    shot(page, "21-services")
    assert page.problems == []
