"""The API's contract: the OpenAPI document matches the routes; nothing but health is open;
errors are `{"id", "message"}` with the right status; tokens work as named, hashed keys."""
from __future__ import annotations

import json
import re

import pytest

from paas.errors import InvalidInput
from paas.server.app import create_app
from paas.server.openapi import OPERATIONS
from tests.fakes import fake_services


@pytest.fixture
def client(tmp_path):
    services = fake_services(tmp_path / "home")
    token = services.tokens.ensure_admin(services.settings.token_file)
    app = create_app(services.settings, services)
    c = app.test_client()
    c.auth = {"Authorization": f"Bearer {token}"}
    c.flask_app = app
    return c


def api_routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            found |= {(m.lower(), path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def documented(client) -> dict:
    return client.get("/api/v1/openapi.json", headers=client.auth).get_json()


def test_openapi_matches_the_routes(client):
    doc = documented(client)
    assert {(m, p) for p, ops in doc["paths"].items() for m in ops} == api_routes(client.flask_app)
    assert doc["openapi"].startswith("3.")
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["responses"]["default"] == {"$ref": "#/components/responses/default"}
            if method in ("post", "patch"):
                assert op["requestBody"]["content"]["application/json"]["schema"], (method, path)
            for ref in re.findall(r'"\$ref": "#/components/(\w+)/(\w+)"', json.dumps(op)):
                assert ref[1] in doc["components"][ref[0]], ref


def test_the_documented_examples_are_accepted(client):
    """The quick operations here; tests/unit/test_api_progress.py sends the streaming ones."""
    for op in OPERATIONS:
        if op.example is not None and not op.streams:
            url = "/api/v1" + op.path.replace("{name}", "hello")
            resp = client.open(url, method=op.method.upper(), json=op.example, headers=client.auth)
            assert resp.status_code == op.status, (op.path, resp.get_json())


def test_every_route_but_health_needs_a_token(client):
    for method, path in sorted(api_routes(client.flask_app)):
        url = "/api/v1" + re.sub(r"{\w+}", "1", path)
        resp = client.open(url, method=method.upper())
        if path == "/health":
            assert resp.status_code == 200
        else:
            assert resp.status_code == 401, (method, path)
            assert resp.get_json()["id"] == "unauthorized"
    wrong = client.get("/api/v1/apps", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_every_app_route_names_the_unknown_app(client):
    for method, path in sorted(api_routes(client.flask_app)):
        if not path.startswith("/apps/{name}"):
            continue
        url = "/api/v1" + path.replace("{name}", "ghost").replace("{build_id}", "1")
        resp = client.open(url, method=method.upper(), json={}, headers=client.auth)
        assert (resp.status_code, resp.get_json()) == (404, {
            "id": "not_found", "message": "no such app: ghost"}), (method, path)
        bad = client.open(url.replace("ghost", "Bad.Name"), method=method.upper(), json={},
                          headers=client.auth)
        assert bad.status_code == 422 and "invalid app name" in bad.get_json()["message"]


def test_error_shapes_and_statuses(client):
    h = client.auth
    assert client.post("/api/v1/apps", json={"name": "Bad"}, headers=h).status_code == 422
    assert client.post("/api/v1/apps", json={"name": "ok"}, headers=h).status_code == 201
    conflict = client.post("/api/v1/apps", json={"name": "ok"}, headers=h)
    assert conflict.status_code == 409 and conflict.get_json() == {
        "id": "conflict", "message": "app 'ok' already exists"}
    text = client.post("/api/v1/apps", data="name=x", headers=h)
    assert text.status_code == 415 and text.get_json()["id"] == "unsupported_media_type"
    big = client.post("/api/v1/apps", data="x" * (2 * 1024 * 1024), headers={**h, "Content-Type": "application/json"})
    assert big.status_code == 413 and big.get_json()["id"] == "too_large"
    assert client.get("/api/v1/nope", headers=h).get_json()["id"] == "not_found"
    assert client.delete("/api/v1/apps", headers=h).get_json()["id"] == "method_not_allowed"


@pytest.mark.parametrize("body,status,message", [
    ('{"name": ', 400, "the body is not valid JSON: Expecting value: line 1 column 10 (char 9)"),
    (b'{"name": "\xff"}', 400, "the body is not valid JSON"),
    ("", 400, "the body is not valid JSON"),
    ('["x"]', 422, "expected a JSON object"),
    ('{"name": "x", "nmae": "y"}', 422, "unknown field 'nmae' (expected: name)"),
    ('{"name": 7}', 422, "invalid app name"),
])
def test_bad_bodies(client, body, status, message):
    resp = client.post("/api/v1/apps", data=body, headers={**client.auth, "Content-Type": "application/json"})
    assert resp.status_code == status and resp.get_json()["message"].startswith(message)
    assert resp.get_json()["id"] == {400: "bad_request", 422: "invalid_params"}[status]
    assert client.get("/api/v1/apps", headers=client.auth).get_json() == []


def test_bad_queries_and_values(client):
    h = client.auth
    client.post("/api/v1/apps", json={"name": "hello"}, headers=h)
    for url in ("/api/v1/apps/hello/releases?limit=x", "/api/v1/apps/hello/releases?limit=0",
                "/api/v1/apps/hello/logs?lines=-1", "/api/v1/apps/hello/logs?tail=maybe",
                "/api/v1/apps/hello/releases/v0"):
        assert client.get(url, headers=h).status_code == 422, url
    cases = [
        ("patch", "/config", {"A": 1}, 422, "config values must be strings"),
        ("patch", "/config", {"1A": "x"}, 422, "invalid config key '1A'"),
        ("post", "/ps/scale", {"web": "2"}, 422, "whole numbers"),
        ("post", "/ps/scale", {"web": 99}, 422, "invalid scale 'web=99'"),
        ("post", "/ps/restart", {"type": 3}, 422, "type must be a process type"),
        ("patch", "/resources", {"limits": {"memory": "lots"}}, 422, "invalid memory 'lots'"),
        ("patch", "/resources", {"process": "a b", "limits": {"memory": "1g"}}, 422,
         "invalid process type 'a b'"),
        ("post", "/releases/rollback", {"verson": "v1"}, 422, "unknown field 'verson'"),
        ("post", "/releases/rollback", {}, 409, "hello has no release to roll back from"),
        ("post", "/ps/scale", {"web": 1}, 409, "hello has no release yet"),
        ("post", "/run", {"command": ["ls"]}, 409, "hello has no release yet"),
        ("post", "/builds", {}, 409, "hello has no pushed code to build"),
        ("post", "/domains", {"domain": "bad_domain;"}, 422, "invalid domain"),
        ("delete", "/domains/www.example.test", None, 404, "hello has no domain www.example.test"),
    ]
    for method, path, body, status, message in cases:
        resp = client.open(f"/api/v1/apps/hello{path}", method=method.upper(), json=body, headers=h)
        assert resp.status_code == status and message in resp.get_json()["message"], (path, body)
    assert client.get("/api/v1/apps/hello/config", headers=h).get_json() == {}
    assert client.get("/api/v1/apps/hello/resources", headers=h).get_json() == {}


def test_optional_bodies_may_be_empty(client):
    """A bare POST (curl -X POST) means the defaults where every field is optional."""
    h = client.auth
    client.post("/api/v1/apps", json={"name": "hello"}, headers=h)
    bare = client.post("/api/v1/apps/hello/releases/rollback", headers=h)
    assert bare.status_code == 409 and bare.get_json()["id"] == "conflict"
    assert client.post("/api/v1/apps/hello/ps/scale", headers=h).status_code == 415


def test_named_tokens(client):
    h = client.auth
    made = client.post("/api/v1/tokens", json={"name": "ci", "admin": True}, headers=h)
    assert made.status_code == 201
    ci = {"Authorization": f"Bearer {made.get_json()['token']}"}
    assert client.get("/api/v1/apps", headers=ci).status_code == 200
    assert [t["name"] for t in client.get("/api/v1/tokens", headers=h).get_json()] == ["admin", "ci"]
    assert client.post("/api/v1/tokens", json={"name": "ci", "admin": True},
                       headers=h).status_code == 409
    assert client.post("/api/v1/tokens", json={"name": "Bad Name"}, headers=h).status_code == 422
    itself = client.delete("/api/v1/tokens/ci", headers=ci)
    assert itself.status_code == 403 and itself.get_json() == {
        "id": "forbidden", "message": "a token cannot revoke itself: use another token"}
    assert client.delete("/api/v1/tokens/admin", headers=ci).status_code == 403
    assert client.delete("/api/v1/tokens/ci", headers=h).status_code == 200
    assert client.get("/api/v1/apps", headers=ci).status_code == 401
    assert client.delete("/api/v1/tokens/ci", headers=h).status_code == 404


def test_releases_record_the_token_name(client):
    services = client.flask_app.extensions["paas"]
    ci = {"Authorization": "Bearer " + client.post("/api/v1/tokens", json={"name": "ci", "admin": True},
                                                   headers=client.auth).get_json()["token"]}
    client.post("/api/v1/apps", json={"name": "hello"}, headers=ci)
    services.deployer.deploy_push("hello", "a" * 40, lambda _: None)
    client.patch("/api/v1/apps/hello/config", json={"A": "1"}, headers=ci)
    [latest, _] = client.get("/api/v1/apps/hello/releases", headers=ci).get_json()
    assert latest["created_by"] == "ci" and latest["description"] == "Set A config vars"
    assert len(client.get("/api/v1/apps/hello/releases?limit=1", headers=ci).get_json()) == 1


def test_run_refuses_a_command_that_is_not_a_list_of_strings(tmp_path):
    # Found by schemathesis: {"command": -8.7e15} was a 500 (iterating a float).
    services = fake_services(tmp_path / "home")
    services.apps.create("hello")
    for command in (-8713424999130452.0, "ls", {"a": 1}, [1], None):
        with pytest.raises(InvalidInput, match="give the command to run"):
            services.processes.run("hello", command, lambda _: None)
