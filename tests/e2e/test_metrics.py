"""Issue 15 end to end: a real platform, a real app behind the real nginx. A known load with a
known share of 500s and a slow route is reported exactly by `paas metrics --json`; the deploy is
a marker at its release's time; an app allocating memory up to its limit shows memory climbing
and an OOM kill; the dashboard's charts render in Chromium (screenshot in test-artifacts/)."""
from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager

import httpx
from playwright.sync_api import expect, sync_playwright

from tests.support import ROOT, copy_app

ARTIFACTS = ROOT / "test-artifacts" / "metrics"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LIMIT = 160 * 1024 * 1024
SLOW_MS = 300


def metrics(platform, app) -> dict:
    result = platform.paas("metrics", "-a", app, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def poll(platform, app, done, timeout: float, what: str) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = metrics(platform, app)
        if done(doc):
            return doc
        time.sleep(2)
    raise AssertionError(f"{what} within {timeout:.0f}s; last: {json.dumps(doc)[:2000]}")


def load(platform, app, paths) -> None:
    """One keep-alive client; a request that meets a connection closed by a reload is sent once
    more on a new one (RFC 9112 §9.3.1), every other failure counts."""
    with httpx.Client(base_url=platform.router_url, headers={"Host": f"{app}.localhost"},
                      timeout=10, transport=httpx.HTTPTransport(retries=1)) as client:
        for path in paths:
            status = client.get(path).status_code
            assert status == (500 if path == "/fail" else 200), (path, status)


def memory(doc) -> list[int]:
    return [m for m in doc["processes"].get("web", {}).get("memory_bytes", []) if m is not None]


def test_metrics_of_a_real_app(platform, tmp_path):
    app = "metered"
    assert platform.paas("apps:create", app).returncode == 0
    assert platform.paas("resources:set", "-a", app, "memory=160m").returncode == 0
    repo = copy_app("flask-metrics", tmp_path / app, platform.env)
    assert platform.paas("git:remote", "-a", app, cwd=repo).returncode == 0
    platform.push(repo)

    paths = ["/fail" if i % 10 == 0 else "/slow" if i % 20 == 5 else "/" for i in range(300)]
    load(platform, app, paths)
    doc = poll(platform, app, lambda d: sum(d["requests"]) >= len(paths), 60,
               "every request counted")
    assert sum(doc["requests"]) == 300 and sum(doc["status"]["5xx"]) == 30
    assert sum(doc["status"]["2xx"]) == 270
    assert max(p for p in doc["latency_ms"]["total"]["p99"] if p is not None) >= SLOW_MS
    assert max(p for p in doc["latency_ms"]["upstream"]["p99"] if p is not None) >= SLOW_MS

    # The apps list, in the CLI and the dashboard: the last 5 minutes hold all 300 requests.
    listed = json.loads(platform.paas("apps", "--json").stdout)
    assert next(a for a in listed if a["name"] == app)["rates"] == {
        "requests_per_minute": 60.0, "error_rate": 0.1}
    assert re.search(rf"^{app} +60 +10\.0%$", platform.paas("apps").stdout, re.M)
    with signed_in(platform) as page:
        cells = page.locator(f'tr[data-app="{app}"] td.rate')
        expect(cells.nth(0)).to_have_text("60.0")
        expect(cells.nth(1)).to_have_text("10.0%")
        page.locator("#apps").screenshot(path=str(ARTIFACTS / "apps-list.png"))

    # The deploy is a marker at its release's time.
    releases = json.loads(platform.paas("releases", "-a", app, "--json").stdout)
    v1 = next(r for r in releases if r["version"] == 1)
    marker = next(m for m in doc["releases"] if m["version"] == 1)
    created = v1["created_at"]
    assert abs(marker["at"] - (created if isinstance(created, (int, float)) else
                               _epoch(created))) < 1

    # Memory: a baseline minute, then a worker allocating until the kernel kills it.
    doc = poll(platform, app, lambda d: memory(d), 60, "a memory figure")
    limits = [v for v in doc["processes"]["web"]["memory_limit_bytes"] if v is not None]
    assert limits[-1] == LIMIT  # the current minute may have no sample yet
    baseline_minute = max(m for m, v in zip(doc["minutes"], doc["processes"]["web"]["memory_bytes"])
                          if v is not None)
    while time.time() < baseline_minute + 62:  # the allocation's peak lands in a later minute
        time.sleep(1)
    load(platform, app, ["/alloc"])
    doc = poll(platform, app, lambda d: sum(d["processes"]["web"]["oom_kills"]) >= 1, 120,
               "an OOM kill")
    figures = doc["processes"]["web"]
    series = memory(doc)
    assert max(series) > 0.6 * LIMIT and series[0] < max(series), series
    assert max(figures["cpu_percent"][i] or 0 for i in range(len(doc["minutes"]))) > 0

    text = platform.paas("metrics", "-a", app).stdout
    assert "web oom kills" in text and "p99 ms" in text

    # The dashboard's charts in Chromium.
    with signed_in(platform) as page:
        page.goto(f"{platform.api_url}/apps/{app}")
        charts = page.locator("#metrics svg.chart")
        expect(charts).to_have_count(4)
        box = charts.first.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 60
        assert page.locator("#metrics polyline.c-line").count() >= 4
        expect(page.locator("#metrics .c-marker").first).to_be_visible()
        page.locator("#metrics").screenshot(path=str(ARTIFACTS / "app-metrics.png"))
        page.screenshot(path=str(ARTIFACTS / "app-page.png"), full_page=True)


@contextmanager
def signed_in(platform):
    """A Chromium page signed in to the dashboard, on the apps list; no script error by the
    end."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            problems = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(platform.api_url + "/sign-in")
            page.fill("#token", platform.token)
            page.click("button:has-text('Sign in')")
            expect(page.locator("#apps")).to_be_visible()
            yield page
            assert problems == []
        finally:
            browser.close()


def _epoch(text: str) -> float:
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
