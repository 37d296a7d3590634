"""Day-two operations on a running app (issue 3): logs, run, domains, resources, hardening,
network isolation, and the message for a web process bound to 127.0.0.1."""
from __future__ import annotations

import json
import subprocess
import time

import docker

from tests.support import commit_all, http_get


def web_container(platform, app):
    """The newest web container (an old one may still be draining)."""
    client = docker.from_env()
    found = client.containers.list(filters={"label": [f"paas.instance={platform.instance}",
                                                       f"paas.app={app}", "paas.process=web"]})
    return max(found, key=lambda c: c.attrs["Created"])


def test_logs_run_domains_resources(platform, tmp_path):
    app = "ops"
    repo = platform.deploy(app, "flask-worker", tmp_path)
    assert platform.paas("ps:scale", "worker=1", cwd=repo).returncode == 0
    time.sleep(2)

    logs = platform.paas("logs", "-n", "200", cwd=repo).stdout
    assert "app[worker.1]: worker tick" in logs and "paas[deploy]: v1 is live" in logs
    assert "paas[scale]: formation web=1 worker=1" in logs
    follow = subprocess.Popen([*platform.paas_cmd(), "logs", "-n", "1", "-t", "-a", app],
                              env=platform.env, stdout=subprocess.PIPE, text=True)
    try:
        seen = [follow.stdout.readline() for _ in range(3)]
    finally:
        follow.kill()
    assert sum("worker tick" in line for line in seen) >= 2, seen

    run = platform.paas("run", "--", "python", "-c",
                        "import os, sys; print('dyno', os.environ['DYNO'], os.getuid()); sys.exit(7)",
                        cwd=repo)
    assert run.returncode == 7 and run.stdout == "dyno run.1 1000\n"

    assert platform.paas("domains:add", "www.example.test", cwd=repo).returncode == 0
    status, body = http_get(platform.router_url, host="www.example.test")
    assert status == 200 and "hello from v1" in body
    assert platform.paas("domains", "--json", cwd=repo).stdout.count("www.example.test") == 1
    assert platform.paas("apps:create", "ops-other").returncode == 0
    taken = platform.paas("domains:add", "www.example.test", "-a", "ops-other")
    assert taken.returncode == 1 and "already used by ops" in taken.stderr
    bad = platform.paas("domains:add", "bad_domain;", cwd=repo)
    assert bad.returncode == 1 and "invalid domain" in bad.stderr
    assert platform.paas("domains:remove", "www.example.test", cwd=repo).returncode == 0
    assert http_get(platform.router_url, host="www.example.test")[0] == 404

    assert platform.paas("resources:set", "memory=128m", "cpus=0.5", cwd=repo).returncode == 0
    host_config = web_container(platform, app).attrs["HostConfig"]
    assert host_config["Memory"] == 128 * 1024 * 1024 and host_config["NanoCpus"] == 500_000_000
    assert host_config["PidsLimit"] == 1024
    bad = platform.paas("resources:set", "memory=lots", cwd=repo)
    assert bad.returncode == 1 and "invalid memory" in bad.stderr
    assert json.loads(platform.paas("resources", "--json", cwd=repo).stdout) == {
        "*": {"memory": "128m", "cpus": "0.5"}}
    assert "hello from v1" in platform.get(app)[1]


def test_containers_are_hardened_and_apps_isolated(platform, tmp_path):
    platform.deploy("iso-a", "flask-hello", tmp_path)
    platform.deploy("iso-b", "flask-hello", tmp_path)
    web = web_container(platform, "iso-a")
    config, host = web.attrs["Config"], web.attrs["HostConfig"]
    assert config["User"] == "1000:1000"
    assert host["CapDrop"] == ["ALL"] and host["SecurityOpt"] == ["no-new-privileges"]
    assert host["Init"] is True and host["RestartPolicy"]["Name"] == "unless-stopped"
    assert host["LogConfig"]["Config"] == {"max-size": "10m", "max-file": "3"}
    networks = web.attrs["NetworkSettings"]["Networks"]
    assert list(networks) == [f"paas-{platform.instance}-iso-a"]
    # Nothing of an app is published on the host: nginx reaches it at its network address.
    assert not host.get("PortBindings") and not any((web.attrs["NetworkSettings"]["Ports"] or {}).values())

    b_ip = list(web_container(platform, "iso-b").attrs["NetworkSettings"]["Networks"].values())[0]["IPAddress"]
    probe = ("import socket, sys\n"
             f"s = socket.socket(); s.settimeout(2)\n"
             f"sys.exit(0 if s.connect_ex(('{b_ip}', 5000)) else 1)")
    reach = platform.paas("run", "-a", "iso-a", "--", "python", "-c", probe)
    assert reach.returncode == 0, "iso-a reached iso-b's container directly"


def test_web_bound_to_loopback_fails_fast_with_the_fix(platform, tmp_path):
    app = "loopy"
    repo = platform.deploy(app, "flask-hello", tmp_path)
    (repo / "Procfile").write_text("web: gunicorn app:app --bind 127.0.0.1:$PORT\n")
    commit_all(repo, platform.env, "binds loopback")
    started = time.monotonic()
    result = platform.git("push", "paas", "main", cwd=repo)
    assert result.returncode != 0
    assert "it listens on 127.0.0.1:5000" in result.stderr and "bind 0.0.0.0:$PORT instead" in result.stderr
    assert time.monotonic() - started < 45
    assert "hello from v1" in platform.get(app)[1]


def test_declared_health_check_gates_the_deploy(platform, tmp_path):
    app = "checked"
    repo = platform.deploy(app, "flask-checked", tmp_path)
    assert "hello from checked" in platform.get(app)[1]
    (repo / "app.py").write_text((repo / "app.py").read_text().replace('READY = "ready"', 'READY = "warming up"'))
    commit_all(repo, platform.env, "never ready")
    result = platform.git("push", "paas", "main", cwd=repo)
    assert result.returncode != 0
    assert "health check /ready answered without 'ready'" in result.stderr
    assert "hello from checked" in platform.get(app)[1]
