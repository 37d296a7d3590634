"""The API's contract: the OpenAPI document matches the routes; nothing but health is open;
errors are `{"id", "message"}` with the right status; tokens work as named, hashed keys."""
from __future__ import annotations

import re

import pytest

from paas.server.app import create_app
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


def test_openapi_matches_the_routes(client):
    doc = client.get("/api/v1/openapi.json", headers=client.auth).get_json()
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == api_routes(client.flask_app)
    assert doc["openapi"].startswith("3.")


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


def test_error_shapes_and_statuses(client):
    h = client.auth
    assert client.post("/api/v1/apps", json={"name": "Bad"}, headers=h).status_code == 422
    assert client.post("/api/v1/apps", json={"name": "ok"}, headers=h).status_code == 201
    conflict = client.post("/api/v1/apps", json={"name": "ok"}, headers=h)
    assert conflict.status_code == 409 and conflict.get_json() == {
        "id": "conflict", "message": "app 'ok' already exists"}
    missing = client.get("/api/v1/apps/ghost", headers=h)
    assert missing.status_code == 404 and missing.get_json()["message"] == "no such app: ghost"
    text = client.post("/api/v1/apps", data="name=x", headers=h)
    assert text.status_code == 415 and text.get_json()["id"] == "unsupported_media_type"
    big = client.post("/api/v1/apps", data="x" * (2 * 1024 * 1024), headers={**h, "Content-Type": "application/json"})
    assert big.status_code == 413 and big.get_json()["id"] == "too_large"
    assert client.get("/api/v1/nope", headers=h).get_json()["id"] == "not_found"


def test_named_tokens(client):
    h = client.auth
    made = client.post("/api/v1/tokens", json={"name": "ci"}, headers=h)
    assert made.status_code == 201
    ci = {"Authorization": f"Bearer {made.get_json()['token']}"}
    assert client.get("/api/v1/apps", headers=ci).status_code == 200
    assert [t["name"] for t in client.get("/api/v1/tokens", headers=h).get_json()] == ["admin", "ci"]
    assert client.post("/api/v1/tokens", json={"name": "ci"}, headers=h).status_code == 409
    assert client.post("/api/v1/tokens", json={"name": "Bad Name"}, headers=h).status_code == 422
    assert client.delete("/api/v1/tokens/ci", headers=ci).status_code == 409  # not itself
    assert client.delete("/api/v1/tokens/admin", headers=ci).status_code == 409
    assert client.delete("/api/v1/tokens/ci", headers=h).status_code == 200
    assert client.get("/api/v1/apps", headers=ci).status_code == 401
    assert client.delete("/api/v1/tokens/ci", headers=h).status_code == 404


def test_releases_record_the_token_name(client):
    services = client.flask_app.extensions["paas"]
    ci = {"Authorization": "Bearer " + client.post("/api/v1/tokens", json={"name": "ci"},
                                                   headers=client.auth).get_json()["token"]}
    client.post("/api/v1/apps", json={"name": "hello"}, headers=ci)
    services.deployer.deploy_push("hello", "a" * 40, lambda _: None)
    client.patch("/api/v1/apps/hello/config", json={"A": "1"}, headers=ci)
    [latest, _] = client.get("/api/v1/apps/hello/releases", headers=ci).get_json()
    assert latest["created_by"] == "ci" and latest["description"] == "Set A config vars"
