"""The dashboard in real Chromium (issue 6), against a real platform: sign in, see the deployed
app, set a config var through the form and get the app's new answer through nginx, roll back
with the button, see state change without a reload, watch a log line arrive live, sign out.
Screenshots of every page go to test-artifacts/dashboard/."""
from __future__ import annotations

import contextlib
import re
import secrets

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support import ROOT

ARTIFACTS = ROOT / "test-artifacts" / "dashboard"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VALUE = "from the dashboard <b>bold?</b> & more"


@pytest.fixture
def browser_page(platform):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(90_000)  # a config change or rollback is a whole deploy
        page.requests, page.problems = [], []
        page.on("request", lambda r: page.requests.append(r.url))
        page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        try:
            yield page
        finally:
            browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def flash(page):
    return page.locator(".flash").first


def test_dashboard_in_chromium(platform, tmp_path, browser_page):
    page, app, base = browser_page, "dash", platform.api_url
    platform.deploy(app, "flask-hello", tmp_path)                                  # v1

    page.goto(base + "/")
    expect(page).to_have_url(base + "/sign-in?next=/")
    shot(page, "01-sign-in")
    page.fill("#token", "not-a-token")
    page.click("button:has-text('Sign in')")
    expect(flash(page)).to_have_text("That token is not valid.")
    assert page.problems == ["Failed to load resource: the server responded with a status of "
                             "401 (UNAUTHORIZED)"]  # the refused sign-in itself
    page.problems.clear()
    page.fill("#token", platform.token)
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(base + "/")
    row = page.locator(f"tr[data-app='{app}']")
    expect(row.locator(".state")).to_have_text("running")
    expect(row).to_contain_text("v1")
    expect(row).to_contain_text("web 1/1")
    shot(page, "02-apps")

    row.locator("a.app-name").click()
    expect(page).to_have_url(f"{base}/apps/{app}")
    expect(page.locator("#status .state")).to_have_text("running")
    expect(page.locator("#processes")).to_contain_text("web.1")
    shot(page, "03-app")

    page.fill("#config-key", "GREETING")
    page.fill("#config-value", VALUE)
    page.click("button:has-text('Set (makes a release)')")
    expect(flash(page).locator("p")).to_have_text(f"Set GREETING: restarted {app}, now v2.")
    expect(page.locator("tr[data-version='v2']")).to_contain_text("current")
    expect(page.locator("tr[data-version='v2']")).to_contain_text("admin")
    assert platform.get(app, "/env/GREETING") == (200, VALUE)
    assert page.locator("#config").inner_text().count(VALUE) == 0  # masked until revealed
    page.click("a:has-text('Reveal values')")
    expect(page.locator("pre.config-value")).to_have_text(VALUE)
    assert page.locator("pre.config-value b").count() == 0  # shown as text, not markup
    shot(page, "04-config-set")

    page.click("tr[data-version='v1'] button:has-text('Roll back to v1')")
    expect(flash(page).locator("p")).to_have_text(
        f"Rollback to v1: {app} is now v3 (undo: roll back to v2).")
    expect(page.locator("tr[data-version='v3']")).to_contain_text("current")
    assert platform.get(app, "/env/GREETING") == (200, "")
    shot(page, "05-rolled-back")

    # State follows changes made elsewhere, without a reload.
    page.goto(base + "/")
    row = page.locator(f"tr[data-app='{app}']")
    expect(row).to_contain_text("v3")
    changed = platform.paas("config:set", "FROM_CLI=1", "-a", app)
    assert changed.returncode == 0, changed.stderr
    expect(row).to_contain_text("v4", timeout=20_000)

    page.goto(f"{base}/apps/{app}")
    page.click("#builds a:has-text('#')")
    expect(page.locator("#build-output")).to_contain_text("----->")
    shot(page, "06-build")

    page.goto(f"{base}/apps/{app}")
    page.click("a:has-text('Live logs')")
    expect(page.locator("#stream-state")).to_have_text("live")
    expect(page.locator("#log-tail")).to_contain_text("paas[deploy]: v4 is live")
    marker = "LIVE_" + secrets.token_hex(4).upper()
    assert platform.get(app, f"/env/{marker}")[0] == 200
    expect(page.locator("#log-tail .line", has_text=marker)).to_have_count(1, timeout=20_000)
    shot(page, "07-logs")

    missing = page.goto(f"{base}/apps/ghost")
    assert missing.status == 404
    expect(page.locator(".error-page .message")).to_have_text("no such app: ghost")
    shot(page, "08-not-found")
    assert page.problems == ["Failed to load resource: the server responded with a status of "
                             "404 (NOT FOUND)"]  # the page above, which says so itself
    page.problems.clear()

    page.goto(base + "/")
    page.click("button:has-text('Sign out')")
    expect(flash(page)).to_have_text("Signed out.")
    shot(page, "09-signed-out")
    page.goto(f"{base}/apps/{app}")
    expect(page).to_have_url(f"{base}/sign-in?next=/apps/{app}")

    assert [u for u in page.requests if not u.startswith(base + "/")] == []  # no CDN, nothing outside
    assert page.problems == []  # no script errors, no CSP violations, no failed loads


GUNICORN_THREADS = 16  # streams per round: the API has PAAS_API_STREAMS + 16 threads; that a
# stream gives its slot back is also tested against the cap in tests/security/test_api_exposure.py


def test_abandoned_log_streams_give_their_threads_back(platform):
    """Every thread held by a stream whose client went away: if they were kept, the second
    round of streams would find no thread to serve them."""
    app = "quiet"
    assert platform.paas("apps:create", app).returncode == 0
    with httpx.Client(base_url=platform.api_url, timeout=30) as client:
        form = client.get("/sign-in").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        signed = client.post("/sign-in", data={"token": platform.token, "csrf_token": csrf})
        assert signed.status_code == 303
        for _ in range(2):
            with contextlib.ExitStack() as streams:
                for _ in range(GUNICORN_THREADS):
                    resp = streams.enter_context(client.stream("GET", f"/apps/{app}/logs/stream"))
                    assert resp.headers["content-type"].startswith("text/event-stream")
                    assert next(resp.iter_raw()).startswith(b"retry: ")
        assert client.get("/").status_code == 200
