"""The dashboard's smaller holes (issue 9): an open redirect after sign-in, sign-outs forgotten
at a restart, config pages a cache may keep, and a session cookie sent over plain HTTP."""
from __future__ import annotations

import pytest

from paas.server.app import create_app
from tests.fakes import fake_services
from tests.unit.test_dashboard import csrf_of, dash, post, sign_in  # noqa: F401  (fixture)


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "//evil.example",
                                    "/\\evil.example", "https://evil.example", " /x",
                                    "/\r/evil.example"])
def test_sign_in_never_redirects_off_site(dash, target):  # noqa: F811
    form = dash.get("/sign-in")
    resp = dash.post("/sign-in", data={"token": dash.token, "next": target,
                                       "csrf_token": csrf_of(form)})
    assert resp.status_code == 303 and resp.headers["Location"] == "/", target


def test_a_copied_cookie_stays_dead_after_sign_out_and_a_restart(dash):  # noqa: F811
    """The attack: copy the session cookie, wait for the user to sign out and the platform to
    restart (memory gone), then use the copy."""
    sign_in(dash)
    cookie = dash.get_cookie(dash.flask_app.config["SESSION_COOKIE_NAME"])
    post(dash, "/sign-out")
    restarted = create_app(dash.services.settings, dash.services).test_client()
    restarted.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    resp = restarted.get("/")
    assert resp.status_code == 303 and resp.headers["Location"].startswith("/sign-in")
    # and a fresh process with a fresh store object sees it as well
    again = fake_services(dash.services.settings.home)
    assert again.tokens.session_ended(cookie_sid(dash, cookie)) is True


def cookie_sid(dash, cookie) -> str:
    serializer = dash.flask_app.session_interface.get_signing_serializer(dash.flask_app)
    return serializer.loads(cookie.value)["sid"]


def test_config_pages_and_api_answers_are_not_cached(dash):  # noqa: F811
    dash.services.apps.create("hello")
    sign_in(dash)
    assert dash.get("/apps/hello").headers["Cache-Control"] == "no-store"
    api = dash.get("/api/v1/apps/hello/config", headers={"Authorization": f"Bearer {dash.token}"})
    assert api.headers["Cache-Control"] == "no-store"


def test_the_session_cookie_is_secure_over_https(dash):  # noqa: F811
    # as the router sends it: HTTPS outside, X-Forwarded-Proto inside
    https = {"headers": {"X-Forwarded-Proto": "https", "Referer": "https://localhost/sign-in"},
             "base_url": "https://localhost"}
    form = dash.get("/sign-in", **https)
    resp = dash.post("/sign-in", data={"token": dash.token, "csrf_token": csrf_of(form)}, **https)
    cookie = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("paas-")]
    assert cookie and "Secure" in cookie[0] and "HttpOnly" in cookie[0]
    plain = dash.flask_app.test_client()
    form = plain.get("/sign-in")
    resp = plain.post("/sign-in", data={"token": dash.token, "csrf_token": csrf_of(form)})
    assert resp.status_code == 303 and "Secure" not in resp.headers["Set-Cookie"]  # loopback over plain HTTP still works
