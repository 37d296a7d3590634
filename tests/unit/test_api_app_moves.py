"""apps:export / apps:import over the API: round trip, admin only, hostile bodies refused."""
from __future__ import annotations

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
    c.store = services.store
    return c


def _tar(client, body, target="moved", mimetype="application/x-tar", headers=None):
    return client.put(f"/api/v1/app-imports/{target}", data=body,
                      headers=client.auth if headers is None else headers, content_type=mimetype)


def test_export_then_import_under_a_new_name(client):
    client.store.add_app("web")
    client.store.replace_config("web", {"SECRET": "s"})
    client.store.add_domain("web", "web.example.com")
    resp = client.get("/api/v1/apps/web/export", headers=client.auth)
    assert resp.status_code == 200 and resp.mimetype == "application/x-tar"
    archive = resp.data
    taken = _tar(client, archive, target="web")
    assert taken.status_code == 409
    clash = _tar(client, archive)
    assert clash.status_code == 409 and "already belongs to app 'web'" in clash.get_json()["message"]
    client.store.remove_domain("web", "web.example.com")
    made = _tar(client, archive)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert {k: body[k] for k in ("app", "releases", "current_release", "services", "volumes",
                                 "images")} == {"app": "moved", "releases": 0,
                                                "current_release": None, "services": [],
                                                "volumes": [], "images": 0}
    assert client.store.get_config("moved") == {"SECRET": "s"}


def test_hostile_bodies_are_refused_with_nothing_created(client):
    assert _tar(client, b"garbage").status_code == 422
    assert _tar(client, b"{}", mimetype="application/json").status_code == 415
    assert _tar(client, b"x", target="Bad.Name").status_code == 422
    assert client.store.list_apps() == []


def test_an_app_token_exports_its_own_app_only_and_imports_nothing(client):
    client.store.add_app("web")
    token = client.put("/api/v1/tokens/ci", json={"apps": ["web"]}, headers=client.auth)
    if token.status_code >= 400:
        token = client.post("/api/v1/tokens", json={"name": "ci", "apps": ["web"]},
                            headers=client.auth)
    secret = token.get_json().get("token")
    mine = {"Authorization": f"Bearer {secret}"}
    client.store.add_app("other")
    assert client.get("/api/v1/apps/web/export", headers=mine).status_code == 200
    assert client.get("/api/v1/apps/other/export", headers=mine).status_code == 404
    assert _tar(client, b"x", headers=mine).status_code == 403
