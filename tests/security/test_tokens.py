"""Token roles, tried as an attacker holding an app token would (issue 9: "every token is an
admin"). Every route in the OpenAPI document is tried, so a route added later is covered."""
from __future__ import annotations

import re

import pytest

from paas.server.app import create_app
from tests.fakes import fake_services

FILL = {"version": "v1", "domain": "www.example.com", "build_id": "1", "volume": "data"}


@pytest.fixture
def api(tmp_path):
    services = fake_services(tmp_path / "home")
    admin = services.tokens.ensure_admin(services.settings.token_file)
    for app in ("mine", "theirs"):
        services.apps.create(app)
    services.store.replace_config("theirs", {"SECRET": "theirs-secret"})
    client = create_app(services.settings, services).test_client()
    client.services = services
    client.admin = {"Authorization": f"Bearer {admin}"}
    made = client.post("/api/v1/tokens", json={"name": "dev", "apps": ["mine"]},
                       headers=client.admin).get_json()
    client.dev = {"Authorization": f"Bearer {made['token']}"}
    return client


def operations(api):
    doc = api.get("/api/v1/openapi.json", headers=api.admin).get_json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            body = (op.get("requestBody", {}).get("content", {}).get("application/json", {})
                    .get("example"))
            yield method.upper(), path, body


def url(path: str, app: str) -> str:
    return "/api/v1" + re.sub(r"\{(\w+)\}", lambda m: app if m[1] == "name" else FILL.get(m[1], "x1"),
                             path)


def test_the_document_lists_the_app_routes(api):
    paths = {p for _m, p, _b in operations(api)}
    assert "/apps/{name}/config" in paths and "/tokens" in paths and len(paths) > 20


def test_an_app_token_gets_404_for_every_route_of_another_app(api):
    """The attack: read or change another app's config, logs, releases, domains... with a token
    made for one app. Each answer is the 404 of an app that does not exist."""
    for method, path, body in operations(api):
        if not path.startswith("/apps/{name}"):
            continue
        theirs = api.open(url(path, "theirs"), method=method, json=body or {}, headers=api.dev)
        assert theirs.status_code == 404, (method, path, theirs.get_json())
        assert theirs.get_json() == {"id": "not_found", "message": "no such app: theirs"}, path
        ghost = api.open(url(path, "ghost"), method=method, json=body or {}, headers=api.admin)
        assert ghost.status_code == 404 and ghost.get_json()["message"] == "no such app: ghost"
    assert api.services.store.get_config("theirs") == {"SECRET": "theirs-secret"}
    assert api.services.store.get_app("theirs") is not None


def test_an_app_token_may_use_its_own_app_but_not_destroy_it(api):
    for method, path, body in operations(api):
        if not path.startswith("/apps/{name}") or (method, path) == ("DELETE", "/apps/{name}"):
            continue
        resp = api.open(url(path, "mine"), method=method, json=body or {}, headers=api.dev)
        answer = resp.get_json(silent=True)
        assert resp.status_code not in (401, 403), (method, path, answer)
        assert not (isinstance(answer, dict) and answer.get("message") == "no such app: mine")
    destroy = api.delete("/api/v1/apps/mine", headers=api.dev)
    assert destroy.status_code == 403 and "only an admin token" in destroy.get_json()["message"]
    assert api.services.store.get_app("mine") is not None


def test_everything_but_app_routes_is_admin_only(api):
    """The attack: mint an admin token, revoke the admin's tokens, create apps or replace the
    control plane's certificate with an app token."""
    open_to_all = {("GET", "/apps"), ("GET", "/openapi.json"), ("GET", "/token"),
                   ("GET", "/health")}
    for method, path, body in operations(api):
        if path.startswith("/apps/{name}"):
            continue
        resp = api.open(url(path, "dev"), method=method, json=body or {}, headers=api.dev)
        expected = 200 if (method, path) in open_to_all else 403
        assert resp.status_code == expected, (method, path, resp.get_json())
    names = [t["name"] for t in api.get("/api/v1/tokens", headers=api.admin).get_json()]
    assert names == ["admin", "dev"]
    assert api.services.store.get_app("ci") is None


def test_an_app_token_lists_only_its_apps(api):
    assert [a["name"] for a in api.get("/api/v1/apps", headers=api.dev).get_json()] == ["mine"]
    assert len(api.get("/api/v1/apps", headers=api.admin).get_json()) == 2
    assert api.get("/api/v1/token", headers=api.dev).get_json() == {
        "name": "dev", "role": "app", "apps": ["mine"]}


def test_tokens_need_a_role_and_existing_apps(api):
    def make(body):
        return api.post("/api/v1/tokens", json=body, headers=api.admin)
    neither = make({"name": "x"})
    assert neither.status_code == 422 and "either an admin token or names its apps" in \
        neither.get_json()["message"]
    assert make({"name": "x", "admin": True, "apps": ["mine"]}).status_code == 422
    assert make({"name": "x", "apps": ["ghost"]}).get_json() == {
        "id": "not_found", "message": "no such app: ghost"}
    assert make({"name": "x", "apps": ["../etc"]}).status_code == 422
    assert make({"name": "x", "apps": "mine"}).status_code == 422


def test_revoking_a_token_revokes_the_tokens_it_made(api):
    """The attack: a leaked admin token mints a spare before it is revoked."""
    ops = api.post("/api/v1/tokens", json={"name": "ops", "admin": True}, headers=api.admin)
    ops_h = {"Authorization": f"Bearer {ops.get_json()['token']}"}
    spare = api.post("/api/v1/tokens", json={"name": "spare", "admin": True}, headers=ops_h)
    spare_h = {"Authorization": f"Bearer {spare.get_json()['token']}"}
    child = api.post("/api/v1/tokens", json={"name": "child", "apps": ["mine"]}, headers=spare_h)
    assert child.status_code == 201
    # spare cannot revoke ops: that would revoke spare itself
    assert api.delete("/api/v1/tokens/ops", headers=spare_h).status_code == 403
    gone = api.delete("/api/v1/tokens/ops", headers=api.admin)
    assert gone.get_json() == {"revoked": "ops", "also_revoked": ["child", "spare"]}
    for h in (ops_h, spare_h):
        assert api.get("/api/v1/apps", headers=h).status_code == 401
    names = [t["name"] for t in api.get("/api/v1/tokens", headers=api.admin).get_json()]
    assert names == ["admin", "dev"]


def test_a_tokens_last_use_is_recorded(api):
    before = {t["name"]: t for t in api.get("/api/v1/tokens", headers=api.admin).get_json()}
    assert before["dev"]["last_used"] is None and before["dev"]["created_by"] == "admin"
    api.get("/api/v1/apps", headers=api.dev)
    after = {t["name"]: t for t in api.get("/api/v1/tokens", headers=api.admin).get_json()}
    assert after["dev"]["last_used"] is not None
    assert after["dev"]["role"] == "app" and after["dev"]["apps"] == ["mine"]


def test_the_dashboard_hides_other_apps_from_an_app_token(api):
    from tests.unit.test_dashboard import post, sign_in

    sign_in(api, _token(api))
    home = api.get("/").get_data(as_text=True)
    assert "mine" in home and "theirs" not in home and "Create app" not in home
    assert "app token: mine" in home
    assert api.get("/apps/theirs").status_code == 404
    assert api.get("/apps/theirs/logs").status_code == 404
    assert api.get("/apps/mine").status_code == 200
    assert "Destroy app" not in api.get("/apps/mine").get_data(as_text=True)
    assert post(api, "/apps/theirs/config", key="A", value="1").status_code == 404
    assert post(api, "/apps", name="new").status_code == 403
    assert api.services.store.get_app("new") is None
    assert api.services.store.get_config("theirs") == {"SECRET": "theirs-secret"}


def _token(api) -> str:
    return api.dev["Authorization"].removeprefix("Bearer ")


def test_every_dashboard_page_of_another_app_is_404_for_an_app_token(api):
    """The same rule over the dashboard's own routes, walked from its URL map."""
    import re as _re

    from tests.unit.test_dashboard import csrf_of, sign_in

    sign_in(api, _token(api))
    csrf = csrf_of(api.get("/apps/mine"))
    seen = 0
    for rule in api.application.url_map.iter_rules():
        if rule.rule.startswith("/api/") or "<name>" not in rule.rule:
            continue
        path = _re.sub(r"<(?:int:)?(\w+)>", lambda m: "theirs" if m[1] == "name" else "1",
                       rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = api.open(path, method=method, data={"csrf_token": csrf, "key": "A",
                                                      "value": "1", "confirm": "theirs"})
            assert resp.status_code == 404, (method, rule.rule, resp.status_code)
            seen += 1
    assert seen >= 10
    assert api.services.store.get_app("theirs") is not None
    assert api.services.store.get_config("theirs") == {"SECRET": "theirs-secret"}


def test_the_cli_makes_and_lists_scoped_tokens(tmp_path, capsys):
    import httpx

    from paas.cli.main import main

    services = fake_services(tmp_path / "home")
    admin = services.tokens.ensure_admin(services.settings.token_file)
    services.apps.create("mine")
    services.apps.create("theirs")
    app = create_app(services.settings, services)

    def paas(*argv, token=admin):
        env = {"HOME": str(tmp_path / "user"), "PAAS_API_URL": "http://paas.test",
               "PAAS_TOKEN": token, "PATH": "/usr/bin:/bin"}
        code = main(list(argv), env=env, transport=httpx.WSGITransport(app=app))
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, _ = paas("tokens:create", "dev", "--app", "mine")
    assert code == 0
    dev = out.strip()
    listed = paas("tokens")[1]
    assert any(line.split()[:3] == ["dev", "app", "mine"] for line in listed.splitlines())
    listed_apps = paas("apps", token=dev)[1]
    assert "mine" in listed_apps and "theirs" not in listed_apps
    code, _, err = paas("config", "-a", "theirs", token=dev)
    assert code == 1 and err == "paas: no such app: theirs\n"
    code, _, err = paas("tokens:create", "more", "--admin", token=dev)
    assert code == 1 and "only an admin token may" in err


def test_tokens_made_before_roles_stay_admin_tokens(tmp_path):
    """Upgrading must not lock the operator out: every token of older state could do
    everything, and stays an admin token (revoke the ones that should not)."""
    import sqlite3

    from paas.adapters.migrations import MIGRATIONS, migrate
    from paas.adapters.sqlite_store import SqliteStore
    from paas.services.auth import Tokens, digest

    home = tmp_path / "home"
    home.mkdir()
    step = next(i for i, m in enumerate(MIGRATIONS) if m.name.startswith("token roles"))
    migrate(home / "paas.db", migrations=MIGRATIONS[:step])
    db = sqlite3.connect(home / "paas.db")
    db.execute("INSERT INTO tokens VALUES ('ci', ?, 1.0)", (digest("old-ci-token"),))
    db.commit()
    db.close()
    tokens = Tokens(SqliteStore(home / "paas.db"))
    who = tokens.authenticate("old-ci-token")
    assert who is not None and who.admin and who.name == "ci"
