"""The dashboard's contract over fake Docker, nginx and git: every route but sign-in, health and
static files needs a session (or, under /api/v1, a token); forms need a CSRF token of the live
session; bad input gets a page saying why and changes nothing; user text is escaped."""
from __future__ import annotations

import base64
import json
import re
import time
import zlib

import pytest

from paas.server.app import create_app
from paas.services import logs as logs_module
from tests.fakes import fake_services

SHA1 = "1" * 40
OPEN = {("GET", "/sign-in"), ("POST", "/sign-in"), ("GET", "/api/v1/health"),
        ("GET", "/static/<path:filename>"), ("GET", "/assets/<path:filename>")}
XSS = "<script>alert(1)</script>"


@pytest.fixture
def dash(tmp_path):
    services = fake_services(tmp_path / "home")
    token = services.tokens.ensure_admin(services.settings.token_file)
    app = create_app(services.settings, services)
    client = app.test_client()
    client.token, client.services, client.flask_app = token, services, app
    return client


def csrf_of(resp) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', resp.get_data(as_text=True)).group(1)


def sign_in(client, token: str | None = None):
    form = client.get("/sign-in")
    resp = client.post("/sign-in", data={"token": token or client.token, "csrf_token": csrf_of(form)})
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return client.get("/")


def post(client, path: str, csrf: str | None = None, **form):
    csrf = csrf if csrf is not None else csrf_of(client.get("/"))
    return client.post(path, data={**form, "csrf_token": csrf}, follow_redirects=True)


def flashes(resp) -> list[str]:
    return [re.sub(r"\s+", " ", m).strip() for m in
            re.findall(r'<div class="flash[^"]*"[^>]*>(.*?)</div>', resp.get_data(as_text=True), re.S)]


def deployed(client, name: str = "hello"):
    client.services.apps.create(name)
    client.services.deployer.deploy_push(name, SHA1, lambda _: None)


def url_for_rule(rule: str) -> str:
    return re.sub(r"<path:\w+>", "dashboard.css", re.sub(r"<(?:int:)?(\w+)>", "1", rule))


def test_every_route_but_sign_in_health_and_static_is_refused_without_a_session(dash):
    seen_open = set()
    for rule in dash.flask_app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = dash.open(url_for_rule(rule.rule), method=method)
            if (method, rule.rule) in OPEN:
                seen_open.add((method, rule.rule))
                assert resp.status_code not in (302, 303, 401), (method, rule.rule)
            elif rule.rule.startswith("/api/v1/"):
                assert resp.status_code == 401, (method, rule.rule)
                assert resp.get_json()["id"] == "unauthorized"
            else:
                assert resp.status_code == 303, (method, rule.rule, resp.status_code)
                assert resp.headers["Location"].startswith("/sign-in"), (method, rule.rule)
    assert seen_open == OPEN
    # A bearer token is the API's; it opens no dashboard page.
    bearer = dash.get("/", headers={"Authorization": f"Bearer {dash.token}"})
    assert bearer.status_code == 303


def test_sign_in_sign_out_and_the_cookie(dash):
    bad = dash.post("/sign-in", data={"token": "nope", "csrf_token": csrf_of(dash.get("/sign-in"))})
    assert bad.status_code == 401 and "That token is not valid." in flashes(bad)[0]
    assert dash.get("/").status_code == 303
    form = dash.get("/sign-in?next=/apps/hello")
    assert 'name="next" value="/apps/hello"' in form.get_data(as_text=True)
    resp = dash.post("/sign-in", data={"token": dash.token, "csrf_token": csrf_of(form),
                                        "next": "/apps/hello"})
    assert resp.status_code == 303 and resp.headers["Location"] == "/apps/hello"
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("paas-t1=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    payload = cookie.split("=", 1)[1].split(";")[0].lstrip(".").split(".")[0]
    session = json.loads(zlib.decompress(base64.urlsafe_b64decode(payload + "==")))
    assert session["token"] == "admin" and dash.token not in json.dumps(session)

    page = dash.get("/")
    assert page.status_code == 200 and "signed in as <strong>admin</strong>" in page.get_data(as_text=True)
    for header, value in {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}.items():
        assert page.headers[header] == value
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    old_cookie = dash.get_cookie("paas-t1").value
    out = post(dash, "/sign-out")
    assert out.request.path == "/sign-in" and "Signed out." in flashes(out)[0]
    assert dash.get("/").status_code == 303
    # The signed cookie from before sign-out, replayed, is refused too.
    dash.set_cookie("paas-t1", old_cookie)
    replayed = dash.get("/")
    assert replayed.status_code == 303 and replayed.headers["Location"].startswith("/sign-in")


def test_next_never_leaves_the_site(dash):
    form = dash.get("/sign-in")
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        resp = dash.post("/sign-in", data={"token": dash.token, "csrf_token": csrf_of(form),
                                            "next": target})
        assert resp.headers["Location"] == "/", target
        form = dash.get("/")


def test_forms_need_the_sessions_csrf_token(dash):
    sign_in(dash)
    missing = dash.post("/apps", data={"name": "x"})
    assert missing.status_code == 400 and "The CSRF token is missing." in missing.get_data(as_text=True)
    forged = dash.post("/apps", data={"name": "x", "csrf_token": "forged"})
    assert forged.status_code == 400
    as_json = dash.post("/apps", json={"name": "x", "csrf_token": csrf_of(dash.get("/"))})
    assert as_json.status_code == 415 and "expected a form" in as_json.get_data(as_text=True)
    assert dash.services.apps.list() == []
    # The API under /api/v1 takes its bearer token and no CSRF token.
    api = dash.post("/api/v1/apps", json={"name": "x"}, headers={"Authorization": f"Bearer {dash.token}"})
    assert api.status_code == 201


def test_a_csrf_token_from_a_signed_out_session_is_refused(dash):
    old = csrf_of(sign_in(dash))
    post(dash, "/sign-out")
    sign_in(dash)
    replayed = dash.post("/apps", data={"name": "x", "csrf_token": old})
    assert replayed.status_code == 400
    assert "The CSRF tokens do not match." in replayed.get_data(as_text=True)
    assert dash.services.apps.list() == []


def test_an_idle_session_expires_and_live_parts_do_not_keep_it_alive(dash):
    sign_in(dash)
    with dash.session_transaction() as s:
        s["seen"] = seen = time.time() - 60
    assert dash.get("/live/apps").status_code == 200
    with dash.session_transaction() as s:
        assert s["seen"] == seen  # the page polling by itself is not use
    dash.flask_app.config["PAAS_SESSION_IDLE_SECONDS"] = 30
    polled = dash.get("/live/apps")  # the page's script finds out first, then reloads the page
    assert polled.status_code == 303 and polled.headers["Location"] == "/sign-in"
    expired = dash.get("/apps/hello")
    assert expired.status_code == 303
    assert expired.headers["Location"] == "/sign-in?next=/apps/hello"
    page = dash.get(expired.headers["Location"])
    assert "Your session expired after 30 s without use; sign in again." in flashes(page)[0]
    assert dash.get("/").status_code == 303


def test_a_revoked_token_ends_its_sessions(dash):
    sign_in(dash, dash.services.tokens.create("cd", admin=True))
    dash.services.tokens.revoke("cd", "admin")
    resp = dash.get("/", follow_redirects=True)
    assert resp.request.path == "/sign-in"
    assert "The token cd was revoked; sign in with a valid token." in flashes(resp)[0]

    sign_in(dash, dash.services.tokens.create("ci", admin=True))
    dash.services.tokens.revoke("ci", "admin")
    dash.services.tokens.create("ci", admin=True)  # a new token of the same name is not the old one
    assert dash.get("/").status_code == 303


def test_config_and_rollback_through_the_forms_are_releases_by_the_sessions_token(dash):
    deployed(dash)
    sign_in(dash, dash.services.tokens.create("ci", apps=["hello"]))
    page = dash.get("/apps/hello")
    assert 'data-version="v1"' in page.get_data(as_text=True)
    done = post(dash, "/apps/hello/config", key="GREETING", value="hi\r\nthere")
    assert done.request.path == "/apps/hello"
    assert flashes(done)[0].startswith("<p>Set GREETING: restarted hello, now v2.</p>")
    assert "Launching v2" in flashes(done)[0]
    v2 = dash.services.store.current_release("hello")
    assert (v2.version, v2.created_by, v2.config) == (2, "ci", {"GREETING": "hi\nthere"})
    assert "hi\nthere" not in done.get_data(as_text=True)  # masked until revealed
    assert "hi\nthere" in dash.get("/apps/hello?reveal=1").get_data(as_text=True)

    bad = post(dash, "/apps/hello/config", key="1BAD", value="x")
    assert "invalid config key &#39;1BAD&#39;" in flashes(bad)[0]
    assert dash.services.store.current_release("hello").version == 2

    back = post(dash, "/apps/hello/rollback", version="v1")
    assert "Rollback to v1: hello is now v3 (undo: roll back to v2)." in flashes(back)[0]
    assert dash.services.store.current_release("hello").config == {}
    unset = post(dash, "/apps/hello/config/unset", key="NOPE")
    assert flashes(unset)[0].startswith("<p>Unset NOPE: restarted hello, now v4.</p>")
    expired = post(dash, "/apps/hello/rollback", version="v9")
    assert "no release v9 of hello" in flashes(expired)[0]


def test_domains_are_added_and_removed_through_the_forms(dash):
    deployed(dash)
    deployed(dash, "other")
    sign_in(dash)
    added = post(dash, "/apps/hello/domains", domain=" www.example.com ")
    assert added.request.path == "/apps/hello" and flashes(added)[0].startswith("<p>Added www.example.com.</p>")
    assert dash.services.store.list_domains("hello") == ["www.example.com"]
    assert "www.example.com" in dash.services.deployer.router.proxy.files["hello"]
    taken = post(dash, "/apps/other/domains", domain="www.example.com")
    assert "www.example.com" in flashes(taken)[0] and dash.services.store.list_domains("other") == []
    removed = post(dash, "/apps/hello/domains/remove", domain="www.example.com")
    assert flashes(removed)[0].startswith("<p>Removed www.example.com.</p>")
    assert dash.services.store.list_domains("hello") == []
    missing = post(dash, "/apps/hello/domains/remove", domain="www.example.com")
    assert "hello has no domain www.example.com" in flashes(missing)[0]
    assert post(dash, "/apps/ghost/domains", domain="a.example.com").status_code == 404


def test_create_and_destroy_an_app(dash):
    sign_in(dash)
    made = post(dash, "/apps", name="fresh")
    assert made.request.path == "/apps/fresh" and "Created fresh." in flashes(made)[0]
    assert "never deployed" in made.get_data(as_text=True)
    taken = post(dash, "/apps", name="fresh")
    assert taken.request.path == "/" and "app &#39;fresh&#39; already exists" in flashes(taken)[0]
    kept = post(dash, "/apps/fresh/destroy", confirm="other")
    assert "Not destroyed: type fresh to confirm." in flashes(kept)[0]
    assert dash.services.store.get_app("fresh") is not None
    gone = post(dash, "/apps/fresh/destroy", confirm="fresh")
    assert gone.request.path == "/" and "Destroyed fresh" in flashes(gone)[0]
    assert dash.services.store.get_app("fresh") is None


def test_html_in_an_app_name_or_a_config_value_is_escaped(dash):
    deployed(dash)
    sign_in(dash)
    refused = post(dash, "/apps", name=XSS)
    text = refused.get_data(as_text=True)
    assert "invalid app name &#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39;" in text
    assert XSS not in text and dash.services.apps.list()[0].name == "hello"
    post(dash, "/apps/hello/config", key="EVIL", value=XSS)
    shown = dash.get("/apps/hello?reveal=1").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and XSS not in shown
    img = "<img src=x onerror=alert(1)>"
    page = dash.get(f"/apps/{img}")
    assert page.status_code == 422 and img not in page.get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.get_data(as_text=True)


def test_unknown_apps_bad_names_and_builds_get_pages_saying_so(dash):
    sign_in(dash)
    ghost = dash.get("/apps/ghost")
    assert ghost.status_code == 404 and "no such app: ghost" in ghost.get_data(as_text=True)
    assert ghost.mimetype == "text/html"
    assert post(dash, "/apps/ghost/config", key="A", value="1").status_code == 404
    assert dash.get("/apps/ghost/logs/stream").status_code == 404
    bad = dash.get("/apps/Bad_Name")
    assert bad.status_code == 422 and "invalid app name &#39;Bad_Name&#39;" in bad.get_data(as_text=True)
    deployed(dash)
    assert dash.get("/apps/hello/builds/1").status_code == 200
    missing = dash.get("/apps/hello/builds/99")
    assert missing.status_code == 404 and "no build 99 of hello" in missing.get_data(as_text=True)


def test_a_body_over_the_limit_is_refused_and_changes_nothing(dash):
    deployed(dash)
    sign_in(dash)
    csrf = csrf_of(dash.get("/"))
    big = dash.post("/apps/hello/config", data={"key": "A", "value": "x" * 70_000, "csrf_token": csrf})
    assert big.status_code == 413 and "over the dashboard&#39;s limit of 64 KiB" in big.get_data(as_text=True)
    assert dash.services.store.current_release("hello").version == 1


def test_live_parts_render_the_state(dash):
    deployed(dash)
    sign_in(dash)
    apps = dash.get("/live/apps").get_json()["apps"]
    assert 'data-app="hello"' in apps and "state-running" in apps and "web 1/1" in apps
    parts = dash.get("/apps/hello/live").get_json()
    assert set(parts) == {"status", "processes", "releases", "builds", "metrics"}
    assert "v1 serving" in parts["status"] and "web.1" in parts["processes"]
    assert "#1" in parts["builds"] and "Deploy 1111111" in parts["releases"]


def test_log_stream_sends_lines_as_events_and_resumes_after_the_last_id(dash, monkeypatch):
    monkeypatch.setattr(logs_module, "FOLLOW_POLL", 0)
    deployed(dash)
    sign_in(dash)
    [web] = dash.services.deployer.scheduler.engine.running()
    dash.services.deployer.scheduler.engine.output[web.id] = [
        ("2030-01-01T00:00:01Z", "first <b>"), ("2030-01-01T00:00:02Z", "second")]
    dash.flask_app.config["PAAS_LOG_STREAM_SECONDS"] = 0.05
    resp = dash.get("/apps/hello/logs/stream")
    assert resp.mimetype == "text/event-stream" and resp.headers["Cache-Control"] == "no-store"
    body = resp.get_data(as_text=True)
    assert body.startswith("retry: 2000\n\n")
    assert ("id: 2030-01-01T00:00:01.000000+00:00\n"
            "data: 2030-01-01T00:00:01.000000+00:00 app[web.1]: first <b>\n\n") in body
    resumed = dash.get("/apps/hello/logs/stream",
                       headers={"Last-Event-ID": "2030-01-01T00:00:01.000000+00:00"})
    events = [l for l in resumed.get_data(as_text=True).splitlines() if l.startswith("data:")]
    assert events == ["data: 2030-01-01T00:00:02.000000+00:00 app[web.1]: second"]
    assert dash.get("/apps/hello/logs/stream?lines=0").status_code == 422


def test_the_session_key_is_made_once_and_kept_private(dash, tmp_path):
    key_file = dash.services.settings.home / "dashboard-secret"
    assert key_file.stat().st_mode & 0o777 == 0o600
    again = create_app(dash.services.settings, dash.services)
    assert again.secret_key == dash.flask_app.secret_key == key_file.read_text().strip()
