"""make up's order (issue 10): the state is migrated before anything starts, so a downgrade is
refused with both versions and the way back, and nothing is started, stopped or written."""
from __future__ import annotations

import os

import pytest

from paas.adapters import migrations as m
from paas.render import supervise as render
from paas.server import control


def test_make_up_on_newer_state_refuses_and_touches_nothing(tmp_path, capsys, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    steps = [*m.MIGRATIONS, m.Migration("from the future", m.sql("CREATE TABLE future (x);"))]
    m.migrate(home / "paas.db", migrations=steps)
    before = sorted(p.name for p in home.iterdir())
    monkeypatch.setenv("PAAS_HOME", str(home))
    monkeypatch.setenv("PAAS_SUPERVISE", "1")

    def no_docker(*_a, **_k):
        raise AssertionError("make up went on past a refused downgrade")
    monkeypatch.setattr("paas.server.lifecycle.up", no_docker)
    monkeypatch.setattr(control, "start_api", no_docker)

    assert control.main(["up"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("paas: this paas (")
    assert f"state version {m.code_version()}) is older than the state in {home} " \
           f"(state version {len(steps)})" in err
    assert f"ls {home / 'backups'}" in err
    assert sorted(p.name for p in home.iterdir()) == before  # no token, no nginx dir


def test_uninstall_without_a_terminal_or_confirm_removes_nothing(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("PAAS_HOME", str(home))
    monkeypatch.delenv("CONFIRM", raising=False)
    monkeypatch.setattr("sys.stdin", open(os.devnull))
    with pytest.raises(SystemExit, match="CONFIRM=yes"):
        control.main(["uninstall"])
    assert home.exists()


def test_router_and_api_specs():
    mounts = render.Mounts(home="/srv/p", nginx_dir="/srv/p/nginx", certs_dir="/srv/p/certs",
                           docker_socket="/run/docker.sock", files=("/etc/ca.pem",))
    router = render.router_spec("i1", "paas-i1/router:abc", "abc", mounts)
    spec_hash = router["labels"].pop("paas.spec")
    assert len(spec_hash) == 16
    assert router == {
        "image": "paas-i1/router:abc", "name": "paas-i1-router",
        "labels": {"paas.instance": "i1", "paas.role": "control-router", "paas.inputs": "abc"},
        "network_mode": "host", "pid_mode": "host",
        "restart_policy": {"Name": "unless-stopped"}, "detach": True,
        "log_config": {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "2"}},
        "command": ["nginx", "-p", "/srv/p/nginx", "-c", "/srv/p/nginx/nginx.conf",
                    "-e", "/srv/p/nginx/logs/error.log", "-g", "daemon off;"],
        "stop_signal": "SIGQUIT",
        "volumes": {"/srv/p/nginx": {"bind": "/srv/p/nginx", "mode": "rw"},
                    "/srv/p/certs": {"bind": "/srv/p/certs", "mode": "ro"}},
    }
    api = render.api_spec("i1", "paas-i1/api:def", "def", mounts, {"PAAS_HOME": "/srv/p"},
                          "127.0.0.1:7070", "/srv/p/logs", 80)
    assert api["volumes"] == {
        "/srv/p": {"bind": "/srv/p", "mode": "rw"},
        "/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"},
        "/etc/ca.pem": {"bind": "/etc/ca.pem", "mode": "ro"}}
    assert api["environment"] == {"PAAS_HOME": "/srv/p", "PAAS_NGINX": "nginx",
                                  "PAAS_SUPERVISE": "1",
                                  "DOCKER_HOST": "unix:///var/run/docker.sock"}
    assert api["command"][:3] == ["gunicorn", "--bind", "127.0.0.1:7070"]
    assert api["command"][api["command"].index("--threads") + 1] == "80"
    assert api["restart_policy"] == {"Name": "unless-stopped"} and api["name"] == "paas-i1-api"
    # Another setting, another spec: make up replaces the container; the same one leaves it.
    again = render.api_spec("i1", "paas-i1/api:def", "def", mounts, {"PAAS_HOME": "/srv/p"},
                            "127.0.0.1:7070", "/srv/p/logs", 80)
    other = render.api_spec("i1", "paas-i1/api:def", "def", mounts,
                            {"PAAS_HOME": "/srv/p", "PAAS_DRAIN_SECONDS": "3"}, "127.0.0.1:7070",
                            "/srv/p/logs", 80)
    assert again["labels"]["paas.spec"] == api["labels"]["paas.spec"]
    assert other["labels"]["paas.spec"] != api["labels"]["paas.spec"]
    assert spec_hash != api["labels"]["paas.spec"]


def test_input_hashes_change_only_with_their_inputs():
    assert render.digest({"a": b"1", "b": b"2"}) == render.digest({"b": b"2", "a": b"1"})
    assert render.digest({"a": b"1"}) != render.digest({"a": b"2"})
    assert render.digest({"a": b"1"}) != render.digest({"b": b"1"})
    assert render.docker_socket("unix:///tmp/d.sock") == "/tmp/d.sock"
    assert render.docker_socket("tcp://1.2.3.4:2375") == "/var/run/docker.sock"
    assert render.docker_socket("") == "/var/run/docker.sock"


def test_requirements_from_pyproject():
    text = '[build-system]\nrequires = ["setuptools>=68"]\n[project]\ndependencies = ["flask>=3"]\n'
    assert render.requirements(text) == "flask>=3\nsetuptools>=68\n"


def test_uninstall_refuses_a_directory_that_is_not_a_state(tmp_path, monkeypatch):
    home = tmp_path / "not-paas"
    home.mkdir()
    (home / "precious.txt").write_text("keep me")
    monkeypatch.setenv("PAAS_HOME", str(home))
    monkeypatch.setenv("CONFIRM", "yes")
    with pytest.raises(SystemExit, match="not a paas state directory"):
        control.main(["uninstall"])
    assert (home / "precious.txt").read_text() == "keep me"


def test_uninstall_empties_a_paas_home_that_is_a_mount_point_and_leaves_the_mount(tmp_path, monkeypatch):
    from paas.server import lifecycle

    home = tmp_path / "home"
    (home / "repos" / "a.git").mkdir(parents=True)
    (home / "paas.db").write_text("x")
    (home / "link").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.setattr(lifecycle.os.path, "ismount", lambda p: p == home)
    lifecycle._remove_home(home)
    assert home.is_dir() and list(home.iterdir()) == []
    assert (tmp_path / "elsewhere").is_dir()  # a link in it is removed, not followed
    monkeypatch.setattr(lifecycle.os.path, "ismount", lambda p: False)
    lifecycle._remove_home(home)
    assert not home.exists()


def test_uninstall_names_the_newest_backup_of_each_service_and_of_the_state(tmp_path):
    from paas.server.lifecycle import last_backups

    home = tmp_path / "home"
    assert last_backups(home) == []  # no state at all
    pg = home / "backups" / "services" / "db"
    pg.mkdir(parents=True)
    for name in ("20261201T010000Z-scheduled.dump", "20261202T010000Z-manual.dump",
                 "20261203T010000Z-scheduled.dump.partial"):  # an interrupted one: not a backup
        (pg / name).write_bytes(b"PGDMP")
    (home / "backups" / "services" / "cache").mkdir()
    for name in ("pre-upgrade-20261101T000000-v0-to-v9", "pre-upgrade-20261120T000000-v9-to-v10"):
        (home / "backups" / name).mkdir()
    assert last_backups(home) == [
        "service cache: no backup",
        f"service db: {pg / '20261202T010000Z-manual.dump'}",
        f"the state before the last upgrade: "
        f"{home / 'backups' / 'pre-upgrade-20261120T000000-v9-to-v10'}",
    ]


def test_uninstall_prints_the_backups_before_it_asks(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    (home / "backups" / "services" / "db").mkdir(parents=True)
    (home / "backups" / "services" / "db" / "20261202T010000Z-manual.dump").write_bytes(b"PGDMP")
    (home / "paas.db").write_text("")
    monkeypatch.setenv("PAAS_HOME", str(home))
    monkeypatch.delenv("CONFIRM", raising=False)
    monkeypatch.setattr("sys.stdin", open(os.devnull))
    with pytest.raises(SystemExit, match="CONFIRM=yes"):
        control.main(["uninstall"])
    out = capsys.readouterr().out
    assert f"  service db: {home}/backups/services/db/20261202T010000Z-manual.dump\n" in out
    assert home.exists()
