"""The API's limits in process: the cap on long-lived requests, noticing a client that left,
the run timeout and the settings that set them (issue 9: "sixteen slow requests hang the whole
API", "`paas run` has no timeout")."""
from __future__ import annotations

import socket

import pytest

from paas.errors import InvalidInput
from paas.server.limits import LongRequests, client_gone, is_long
from paas.settings import Settings
from tests.unit.cli_harness import api, run  # noqa: F401  (fixture)


def call(app, method="POST", path="/api/v1/apps/x/config", query=""):
    seen = []
    body = app({"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query},
               lambda status, headers: seen.append(status))
    return seen[0], body


def test_long_requests_beyond_the_cap_get_503_and_closing_frees_a_slot():
    limited = LongRequests(lambda env, start: start("200 OK", []) or [b"ok"], cap=2)
    first, second = call(limited)[1], call(limited)[1]
    status, body = call(limited)
    assert status.startswith("503") and b'"id": "busy"' in b"".join(body)
    assert call(limited, "GET", "/api/v1/health")[0] == "200 OK"  # short ones still go
    first.close()
    first.close()  # a second close frees nothing more
    assert call(limited)[0] == "200 OK"
    assert call(limited)[0].startswith("503")
    second.close()


def test_which_requests_count_as_long():
    env = lambda m, p, q="": {"REQUEST_METHOD": m, "PATH_INFO": p, "QUERY_STRING": q}
    assert is_long(env("GET", "/api/v1/apps/x/logs", "lines=5&tail=1"))
    assert is_long(env("POST", "/git/x.git/git-receive-pack"))
    assert is_long(env("GET", "/apps/x/logs/stream"))
    assert is_long(env("PATCH", "/api/v1/apps/x/config"))
    assert not is_long(env("GET", "/api/v1/apps/x/logs", "tail=0"))
    assert not is_long(env("GET", "/git/x.git/info/refs", "service=git-upload-pack"))
    assert not is_long(env("GET", "/api/v1/health"))


def test_a_stream_notices_that_its_client_left():
    ours, theirs = socket.socketpair()
    try:
        assert not client_gone({"gunicorn.socket": ours})
        theirs.close()
        assert client_gone({"gunicorn.socket": ours})
    finally:
        ours.close()
    assert not client_gone({})


def test_run_takes_a_timeout_an_hour_by_default(api, capsys):  # noqa: F811
    _, _, services = api
    services.apps.create("hello")
    services.deployer.deploy_push("hello", "a" * 40, lambda _: None)
    assert run(api, ["run", "-a", "hello", "--", "true"], capsys)[0] == 0
    assert run(api, ["run", "-a", "hello", "--timeout", "5", "--", "true"], capsys)[0] == 0
    code, _, err = run(api, ["run", "-a", "hello", "--timeout", "0", "--", "true"], capsys)
    assert code == 1 and "--timeout" in err
    assert api[2].processes.scheduler.engine.run_timeouts == [3600, 5]


def test_a_one_off_stopped_at_its_timeout_says_so(api):  # noqa: F811
    _, _, services = api
    services.apps.create("hello")
    services.deployer.deploy_push("hello", "a" * 40, lambda _: None)
    engine = services.processes.scheduler.engine
    engine.one_off_status = 124
    lines: list[str] = []
    assert services.processes.run("hello", ["sleep", "9"], lines.append, timeout=2) == 124
    assert lines[-1] == " !     stopped after 2 s (paas run --timeout)"
    with pytest.raises(InvalidInput):
        services.processes.run("hello", ["true"], lines.append, timeout=86401)


@pytest.mark.parametrize("env, message", [
    ({"PAAS_API_BIND": "example.com"}, "PAAS_API_BIND: 'example.com' is not an IP address"),
    ({"PAAS_MAX_PUSH": "lots"}, "PAAS_MAX_PUSH: 'lots' is not a size"),
    ({"PAAS_API_STREAMS": "0"}, "PAAS_API_STREAMS: '0' is not a number from 1 to 1000"),
])
def test_bad_limits_are_refused_at_start(tmp_path, env, message):
    with pytest.raises(InvalidInput) as refused:
        Settings.from_env({"PAAS_HOME": str(tmp_path), **env})
    assert refused.value.message.startswith(message)


def test_the_defaults_keep_the_api_private(tmp_path):
    settings = Settings.from_env({"PAAS_HOME": str(tmp_path)})
    assert (settings.api_listen, settings.api_local) == ("127.0.0.1:7070", "127.0.0.1:7070")
    assert settings.max_push == 500 * 1024 ** 2 and settings.api_threads == 80
    wide = Settings.from_env({"PAAS_HOME": str(tmp_path), "PAAS_API_BIND": "0.0.0.0",
                              "PAAS_MAX_PUSH": "2g"})
    assert (wide.api_listen, wide.api_local, wide.max_push) == \
        ("0.0.0.0:7070", "127.0.0.1:7070", 2 * 1024 ** 3)
    assert Settings.from_env(wide.to_env()) == wide


def test_a_silent_operation_stream_lets_go_of_a_client_that_left(tmp_path):
    """The attack: start `paas run` of a command that prints nothing for an hour, then hang up,
    many times. Each stream must give its slot (and thread) back, while the command runs on."""
    import http.client
    import json
    import threading
    import time

    from werkzeug.serving import make_server

    from paas.server.app import create_app
    from tests.fakes import FakeEngine, fake_services

    gate = threading.Event()

    class SilentEngine(FakeEngine):
        def run_once(self, spec, on_line, timeout=None):
            on_line("started")
            gate.wait(timeout=30)
            return 0

    services = fake_services(tmp_path / "home", engine=SilentEngine())
    token = services.tokens.ensure_admin(services.settings.token_file)
    services.apps.create("hello")
    services.deployer.deploy_push("hello", "a" * 40, lambda _: None)
    app = create_app(services.settings, services)
    limiter = app.wsgi_app
    while not isinstance(limiter, LongRequests):
        limiter = limiter.app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        conn.request("POST", "/api/v1/apps/hello/run", json.dumps({"command": ["sleep", "9"]}),
                      {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                       "Accept": "application/x-ndjson"})
        resp = conn.getresponse()
        assert json.loads(resp.readline()) == {"line": "started"}
        assert limiter.active == 1
        resp.close()
        conn.close()  # the client hangs up; the command is still running
        deadline = time.monotonic() + 5
        while limiter.active and time.monotonic() < deadline:
            time.sleep(0.05)
        assert limiter.active == 0 and not gate.is_set()
    finally:
        gate.set()
        server.shutdown()


def test_the_router_and_health_checks_follow_the_api_bind(tmp_path):
    """A specific PAAS_API_BIND: gunicorn listens there, and the router's upstream for
    PAAS_API_HOST and the health checks go there too (not to a loopback nobody listens on)."""
    from paas.services.router import Router
    from tests.fakes import FakeProxy

    one = Settings.from_env({"PAAS_HOME": str(tmp_path), "PAAS_API_BIND": "10.1.2.3",
                             "PAAS_API_HOST": "paas.example.com", "PAAS_API_PORT": "7171"})
    assert (one.api_listen, one.api_url) == ("10.1.2.3:7171", "http://10.1.2.3:7171")
    six = Settings.from_env({"PAAS_HOME": str(tmp_path), "PAAS_API_BIND": "::1"})
    assert (six.api_listen, six.api_url) == ("[::1]:7070", "http://[::1]:7070")
    from paas.adapters.sqlite_store import SqliteStore
    text = Router(one, FakeProxy(), SqliteStore(tmp_path / "paas.db"), lambda: None).render_control()
    assert "10.1.2.3:7171" in text and "127.0.0.1:7171" not in text
