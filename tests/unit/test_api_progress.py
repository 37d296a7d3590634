"""Long operations through the API: every one the OpenAPI document marks as streaming streams
its progress as JSON lines when asked (with its documented example body), and answers one JSON
object with `output` otherwise; errors keep their status until the stream has begun."""
from __future__ import annotations

import json
import threading

import pytest

from paas.server.app import create_app
from paas.server.openapi import OPERATIONS
from tests.fakes import FakeAcme, FakeEngine, FakeSelfCheck, fake_services

NDJSON = {"Accept": "application/x-ndjson"}
SHA1, SHA2 = "a" * 40, "b" * 40


class GatedEngine(FakeEngine):
    """When gated, a one-off writes a line, then waits until the test has seen it."""

    def __init__(self) -> None:
        super().__init__()
        self.gated = False
        self.gate = threading.Event()
        self.waited: bool | None = None

    def run_once(self, spec, on_line, timeout=None):
        if not self.gated:
            return super().run_once(spec, on_line, timeout)
        on_line("first line")
        self.waited = self.gate.wait(timeout=10)
        on_line("second line")
        return 3


@pytest.fixture
def api(tmp_path):
    engine = GatedEngine()
    services = fake_services(tmp_path / "home", engine=engine, acme=FakeAcme(),
                             self_check=FakeSelfCheck())
    token = services.tokens.ensure_admin(services.settings.token_file)
    client = create_app(services.settings, services).test_client()
    client.auth = {"Authorization": f"Bearer {token}"}
    client.services, client.engine = services, engine
    client.post("/api/v1/apps", json={"name": "hello"}, headers=client.auth)
    for sha in (SHA1, SHA2):
        services.deployer.deploy_push("hello", sha, lambda _: None)
    services.repos.heads["hello"] = SHA2
    return client


def events(resp) -> list[dict]:
    assert resp.status_code == 200 and resp.mimetype == "application/x-ndjson"
    return [json.loads(line) for line in resp.get_data(as_text=True).splitlines()]


# Datastore operations need a datastore first: tests/unit/test_datastores_api.py streams them.
STREAMING = [op for op in OPERATIONS if op.streams and not op.path.startswith("/services")]


def test_the_documented_streaming_operations():
    assert sorted((op.method, op.path) for op in STREAMING) == [
        ("delete", "/apps/{name}/storage/mounts/{volume}"),
        ("patch", "/apps/{name}/config"), ("patch", "/apps/{name}/resources"),
        ("post", "/apps/{name}/builds"), ("post", "/apps/{name}/certs/auto"),
        ("post", "/apps/{name}/ps/restart"),
        ("post", "/apps/{name}/ps/scale"), ("post", "/apps/{name}/releases/rollback"),
        ("post", "/apps/{name}/run"), ("post", "/apps/{name}/storage/mounts")]


@pytest.mark.parametrize("op", STREAMING, ids=lambda op: f"{op.method} {op.path}")
def test_each_streams_when_asked_and_answers_once_otherwise(api, op):
    url = "/api/v1" + op.path.replace("{name}", "hello").replace("{volume}", "uploads")
    if "{volume}" in op.path:  # unmounting needs a mounted volume
        api.services.storage.mount("hello", "uploads:/data", "admin", lambda _: None)
    streamed = events(api.open(url, method=op.method.upper(), json=op.example,
                               headers={**api.auth, **NDJSON}))
    *lines, verdict = streamed
    assert lines and all(set(e) == {"line"} for e in lines), streamed
    assert set(verdict) == {"result"}, verdict
    if "{volume}" in op.path:
        api.services.storage.mount("hello", "uploads:/data", "admin", lambda _: None)
    elif op.path.endswith("/storage/mounts"):  # mounting it twice is refused
        api.services.storage.unmount("hello", "uploads", "admin", lambda _: None)
    plain = api.open(url, method=op.method.upper(), json=op.example, headers=api.auth)
    assert plain.status_code == op.status and plain.mimetype == "application/json"
    answer = plain.get_json()
    assert isinstance(answer["output"], list) and set(answer) - {"output"} == set(verdict["result"])
    release = verdict["result"].get("release", verdict["result"])
    makes_release = op.path.removeprefix("/apps/{name}") in (
        "/releases/rollback", "/config", "/builds", "/storage/mounts", "/storage/mounts/{volume}")
    assert (release.get("status") == "succeeded") == makes_release, verdict


def test_lines_leave_before_the_operation_ends(api):
    api.engine.gated = True
    resp = api.post("/api/v1/apps/hello/run", json={"command": ["ls"]},
                    headers={**api.auth, **NDJSON}, buffered=False)
    chunks = iter(resp.response)
    assert json.loads(next(chunks)) == {"line": "first line"}
    assert api.engine.waited is None  # the one-off still waits for us
    api.engine.gate.set()
    rest = [json.loads(c) for c in chunks]
    assert rest == [{"line": "second line"}, {"result": {"exit": 3}}]
    assert api.engine.waited is True


def test_an_error_before_any_progress_keeps_its_status(api):
    h = {**api.auth, **NDJSON}
    cases = [("/ps/scale", {"nope": 1}, 422, "no such process type 'nope'"),
             ("/releases/rollback", {"version": "v9"}, 404, "no release v9 of hello"),
             ("/ps/restart", {"type": "nope"}, 422, "no such process type 'nope'")]
    for path, body, status, message in cases:
        resp = api.post(f"/api/v1/apps/hello{path}", json=body, headers=h)
        assert resp.status_code == status and resp.mimetype == "application/json"
        assert message in resp.get_json()["message"]


def test_an_error_after_progress_is_the_streams_last_line(api):
    api.services.repos.files["Procfile"] = b"web: gunicorn app:app\nrelease: ./migrate\n"
    api.services.deployer.deploy_push("hello", "c" * 40, lambda _: None)  # v3 runs it, ok
    api.engine.one_off_status = 4
    streamed = events(api.patch("/api/v1/apps/hello/config", json={"A": "1"},
                                headers={**api.auth, **NDJSON}))
    assert {"line": "-----> Running release command: ./migrate"} in streamed
    assert streamed[-1] == {"error": {"id": "deploy_failed", "message": (
        "v4 failed: the release command exited with status 4; the running release is unchanged")}}
    plain = api.patch("/api/v1/apps/hello/config", json={"A": "1"}, headers=api.auth)
    assert plain.status_code == 422 and "       ran ./migrate" in plain.get_json()["output"]
    assert api.get("/api/v1/apps/hello/config", headers=api.auth).get_json() == {}


def test_a_build_deploys_the_pushed_head_again(api):
    streamed = events(api.post("/api/v1/apps/hello/builds", headers={**api.auth, **NDJSON}))
    lines = [e["line"] for e in streamed[:-1]]
    assert "-----> Launching v3 (web)" in lines and lines[-1].endswith("deployed")
    release = streamed[-1]["result"]
    assert (release["version"], release["commit"], release["description"], release["status"]) == (
        3, SHA2, "Deploy bbbbbbb", "succeeded")
    builds = api.get("/api/v1/apps/hello/builds", headers=api.auth).get_json()
    assert [b["commit"] for b in builds] == [SHA2, SHA2, SHA1]
