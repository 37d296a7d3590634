"""Versions are visible (issue 10): /api/v1/health and the Paas-Version header name the
server's release and state version; `paas version` prints both sides; the CLI warns once when
they differ."""
from __future__ import annotations

from paas import __version__
from paas.adapters.migrations import code_version
from paas.domain.versions import mismatch, parse
from tests.unit.cli_harness import api, run  # noqa: F401 (api is a fixture)


def test_parse_and_compare():
    assert parse("0.2.0") == parse("0.2") == (0, 2)
    assert parse("1.10.0+local") == (1, 10)
    assert parse("dev") is None
    assert mismatch("0.2.0", "0.2") is None
    assert mismatch("0.0.0+unknown", "0.2.0").startswith("warning: this paas CLI (0.0.0+unknown) is older")
    assert "is newer than the server (0.1.0)" in mismatch("0.2.0", "0.1.0")
    assert mismatch("0.10.0", "0.9.0").startswith("warning: this paas CLI (0.10.0) is newer")
    assert mismatch("garbled", "0.2.0") is None


def test_health_names_release_and_state_version(api):
    app, _, services = api
    resp = app.test_client().get("/api/v1/health")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "version": __version__,
                               "state_version": code_version()}
    assert resp.headers["Paas-Version"] == __version__
    assert __version__ == "0.2.0"  # pyproject's version, read from the installed metadata


def test_every_answer_carries_the_version_header(api):
    app, _, _ = api
    resp = app.test_client().get("/api/v1/apps")  # a 401 too
    assert resp.status_code == 401
    assert resp.headers["Paas-Version"] == __version__


def test_paas_version_prints_both(api, capsys):
    code, out, err = run(api, ["version"], capsys)
    assert code == 0, err
    assert out.splitlines() == [f"CLI:           {__version__}",
                                f"Server:        {__version__} at http://paas.test",
                                f"State version: {code_version()}"]
    assert err == ""


def test_paas_version_logged_out(api, capsys, tmp_path):
    code, out, err = run(api, ["version"], capsys, env={"HOME": str(tmp_path / "nobody")})
    assert code == 0
    assert out.splitlines()[0] == f"CLI:    {__version__}"
    assert out.splitlines()[1].startswith("Server: unknown (")


def test_cli_warns_once_when_the_server_differs(api, capsys, monkeypatch):
    import paas.server.app as server_app
    monkeypatch.setattr(server_app, "__version__", "9.0.0")
    run(api, ["apps:create", "hello"], capsys)
    # apps:info makes several requests; the warning comes once.
    code, out, err = run(api, ["apps:info", "-a", "hello"], capsys)
    assert code == 0
    assert err.count("warning:") == 1
    assert f"paas: warning: this paas CLI ({__version__}) is older than the server (9.0.0)" in err
    code, out, err = run(api, ["apps", "--json"], capsys)
    assert "warning" in err and '"hello"' in out  # stderr only: JSON output stays parseable


def test_no_warning_when_versions_match(api, capsys):
    code, _, err = run(api, ["apps"], capsys)
    assert code == 0 and "warning" not in err
