"""The `swarm` scheduler on a real Docker Swarm: a manager and a worker, each a dockerd of its
own in a network namespace (tests/swarm_cluster.py), the platform on this host pointed at the
manager (DOCKER_HOST), its registry on the bridge. One cluster and one platform for the module."""
from __future__ import annotations

import json
import os
import signal
import shutil
import subprocess
import urllib.error
import urllib.request
import time
from pathlib import Path

import pytest

from tests.load import Load
from tests.support import commit_all, remove_host_rules, start_platform
from tests.swarm_cluster import Cluster

STACK = "paas/stack:trixie"
DATASTORE_IMAGES = ("paas/redis:build", "paas/redis:8.0")
CERTS_D = Path("/etc/docker/certs.d")


@pytest.fixture(scope="module")
def swarm(tmp_path_factory):
    # The datastore images the single-host tests built, when there are: otherwise
    # services:create builds them on the manager.
    present = [i for i in DATASTORE_IMAGES if subprocess.run(
        ["docker", "image", "inspect", i], capture_output=True).returncode == 0]
    cluster = Cluster().start(2, images=(STACK, *present))
    registry_port = 25000 + os.getpid() % 5000
    platform = start_platform(tmp_path_factory.mktemp("swarm"), "swarm", drain_seconds=2, settings={
        "PAAS_SCHEDULER": "swarm", "PAAS_SWARM_ADDR": cluster.host_addr,
        "PAAS_REGISTRY_PORT": str(registry_port), "DOCKER_HOST": cluster.manager.host})
    try:
        yield platform, cluster
    finally:
        platform.control("down")
        pid_file = platform.home / "registry" / "registry.pid"
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text()), signal.SIGTERM)
            except ProcessLookupError:
                pass
        shutil.rmtree(CERTS_D / f"{cluster.host_addr}:{registry_port}", ignore_errors=True)
        remove_host_rules(platform.instance)
        cluster.stop()


def web_tasks(cluster: Cluster, app: str) -> dict[str, str]:
    """web process name -> the node id its running task is on, from the manager; of the
    newest release per slot (a replaced release's services may wait in standby)."""
    m = cluster.manager
    out, newest = {}, {}
    for line in m.docker("service", "ls", "-q", "--filter", f"label=paas.app={app}",
                         "--filter", "label=paas.process=web").stdout.split():
        tasks = m.docker("service", "ps", line, "--filter", "desired-state=running",
                         "--format", "{{.ID}}").stdout.split()
        for task in tasks:
            info = json.loads(m.docker("inspect", task).stdout)[0]
            if info["Status"]["State"] == "running":
                labels = info["Spec"]["ContainerSpec"]["Labels"]
                name, release = f"web.{labels['paas.index']}", int(labels["paas.release"])
                if release >= newest.get(name, 0):
                    out[name], newest[name] = info["NodeID"], release
    return out


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout}s: {what}")


@pytest.fixture(scope="module")
def spread(swarm, tmp_path_factory):
    """An app with web=2, its processes on both nodes."""
    platform, cluster = swarm
    repo = platform.deploy("spread", "flask-hello", tmp_path_factory.mktemp("apps"))
    platform.wait_for("spread", "hello from v1")
    ok(platform, repo, "ps:scale", "web=2")
    return repo


def ok(platform, repo, *argv) -> str:
    result = platform.paas(*argv, cwd=repo)
    assert result.returncode == 0, result.stderr
    return result.stdout


def routed(platform, app: str) -> str:
    return "".join(p.read_text() for p in (platform.home / "nginx").rglob(f"*{app}*") if p.is_file())


def test_web_spreads_over_the_nodes_from_the_registry(swarm, spread):
    platform, cluster = swarm
    nodes = web_tasks(cluster, "spread")
    assert sorted(nodes) == ["web.1", "web.2"] and len(set(nodes.values())) == 2, nodes
    # The worker pulled the app's image by digest from the platform's registry, over TLS.
    worker = cluster.nodes[1].docker("images", "--digests", "--format",
                                     "{{.Repository}}@{{.Digest}}").stdout.split()
    assert any(ref.startswith(f"{cluster.host_addr}:") and "/paas/spread@sha256:" in ref
               for ref in worker), worker
    ps = json.loads(ok(platform, spread, "ps", "--json"))["processes"]
    assert sorted(p["node"] for p in ps) == sorted(n.addr for n in cluster.nodes), ps
    text = routed(platform, "spread")
    assert cluster.nodes[0].addr in text and cluster.nodes[1].addr in text, text
    with Load(platform.http_port, "spread.localhost", clients=8) as load:
        wait_until(lambda: load.result.ok > 200, 60, "200 answers")
        result = load.stop()
    assert result.failed == 0, result.errors[:5]


def test_nodes_lists_both_and_prints_a_join_command(swarm, spread):
    platform, cluster = swarm
    listed = json.loads(ok(platform, spread, "nodes", "--json"))
    assert sorted(n["address"] for n in listed) == sorted(n.addr for n in cluster.nodes)
    assert [n["role"] for n in listed] == ["manager", "worker"]
    assert all(n["state"] == "ready" and n["availability"] == "active" for n in listed), listed
    assert sum(n["processes"] for n in listed) == 2
    command = ok(platform, spread, "nodes:join-command")
    assert "BEGIN CERTIFICATE" in command and f"{cluster.host_addr}:" in command
    assert f"docker swarm join --token SWMTKN-" in command and f"{cluster.manager.addr}:2377" in command
    bad = platform.paas("nodes:drain", "nosuchnode", cwd=spread)
    assert bad.returncode == 1 and "no such node: nosuchnode" in bad.stderr
    # The swarm the platform made notices a dead node after 3 heartbeats of 2 s, not of 5 s.
    spec = json.loads(cluster.manager.docker("info", "--format",
                                             "{{json .Swarm.Cluster.Spec}}").stdout)
    assert spec["Dispatcher"]["HeartbeatPeriod"] == 2_000_000_000, spec


def test_logs_come_from_every_node(swarm, spread):
    platform, cluster = swarm
    for _ in range(20):
        platform.get("spread")
    logs = wait_until(lambda: (lambda out: out if "app[web.1]" in out and "app[web.2]" in out else "")(
        ok(platform, spread, "logs", "-n", "200")), 30, "log lines of web.1 and web.2")
    assert '"GET / HTTP/1.0" 200' in logs or '"GET / HTTP/1.1" 200' in logs, logs[-2000:]


def test_zero_downtime_on_swarm(swarm, tmp_path):
    """Pushes, config changes, a restart, scaling 1 -> 4 -> 2 and a rollback under load: the
    single-host suite's promise, across nodes."""
    platform, cluster = swarm
    app = "steady"
    repo = platform.deploy(app, "flask-worker", tmp_path)
    platform.wait_for(app, "hello from v1")
    with Load(platform.http_port, f"{app}.localhost", clients=8) as load:
        for n in (2, 3, 4):
            app_py = repo / "app.py"
            app_py.write_text(app_py.read_text().replace(f"v{n - 1}", f"v{n}"))
            commit_all(repo, platform.env, f"v{n}")
            platform.push(repo)
        ok(platform, repo, "config:set", "A=1")
        ok(platform, repo, "ps:restart")
        ok(platform, repo, "ps:scale", "web=4", "worker=1")
        on = set(web_tasks(cluster, app).values())
        ok(platform, repo, "ps:scale", "web=2")
        ok(platform, repo, "releases:rollback")
        result = load.stop()
    print(f"\nswarm zero-downtime: {result.ok} ok, {result.failed} failed, {result.retried} retried")
    assert result.failed == 0, result.errors[:5]
    assert len(on) == 2, "web=4 should use both nodes"
    # Rolled back from v5 (config:set A=1) to v4: the same code, without A.
    assert platform.get(app)[1].strip() == "hello from v4"
    assert platform.get(app, "/env/A") == (200, "")
    ps = json.loads(ok(platform, repo, "ps", "--json"))["processes"]
    assert sorted(p["name"] for p in ps if p["state"] == "running") == ["web.1", "web.2", "worker.1"]
    ok(platform, repo, "apps:destroy", "--confirm", app)
    assert cluster.manager.docker("service", "ls", "-q", "--filter", f"label=paas.app={app}").stdout == ""


def test_drain_moves_processes_with_zero_failed_requests(swarm, spread):
    platform, cluster = swarm
    worker = json.loads(ok(platform, spread, "nodes", "--json"))[1]["id"]
    with Load(platform.http_port, "spread.localhost", clients=8) as load:
        ok(platform, spread, "nodes:drain", worker[:12])
        result = load.stop()
    print(f"\ndrain: {result.ok} ok, {result.failed} failed")
    assert result.failed == 0, result.errors[:5]
    nodes = web_tasks(cluster, "spread")
    assert len(nodes) == 2 and worker not in nodes.values(), nodes
    assert cluster.nodes[1].addr not in routed(platform, "spread")
    assert json.loads(ok(platform, spread, "nodes", "--json"))[1]["availability"] == "drain"
    ok(platform, spread, "nodes:activate", worker)
    # Back on both nodes: web.2 starts again where there is least.
    ok(platform, spread, "ps:scale", "web=1")
    ok(platform, spread, "ps:scale", "web=2")
    # ps:scale returns while the retired web.2 still drains (its task runs on until then, and
    # web_tasks keys by index): poll until only the new slots' tasks are left.
    wait_until(lambda: len(set(web_tasks(cluster, "spread").values())) == 2, 30,
               "web.1 and web.2 on both nodes again")


def call(platform, app: str, method: str, path: str, body: bytes | None = None) -> tuple[int, str]:
    req = urllib.request.Request(f"{platform.router_url}{path}", method=method, data=body,
                                 headers={"Host": f"{app}.localhost"})
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_a_volume_and_a_service_stay_on_the_managers_node(swarm, tmp_path):
    """A local volume exists on one node: every process of an app that mounts one runs on the
    manager's node, where paas makes it; Redis is a server there too. Unmounted, the app spreads
    again and reaches Redis from the other node over its overlay network."""
    platform, cluster = swarm
    app = "keeper"
    repo = platform.deploy(app, "data-app", tmp_path)
    platform.wait_for(app, "data app v1")
    manager = json.loads(ok(platform, repo, "nodes", "--json"))[0]["id"]
    ok(platform, repo, "services:create", "redis", "kcache")
    ok(platform, repo, "storage:mount", "files:/data")
    ok(platform, repo, "services:link", "kcache")
    ok(platform, repo, "ps:scale", "web=2")
    assert set(web_tasks(cluster, app).values()) == {manager}
    assert call(platform, app, "POST", "/files/hello.txt", b"kept")[0] == 200
    # Both web processes (round robin) read the same volume.
    assert {call(platform, app, "GET", "/files/hello.txt") for _ in range(6)} == {(200, "kept")}
    assert call(platform, app, "POST", "/counter")[1] == "1\n"

    volumes = json.loads(ok(platform, repo, "storage", "--json"))
    assert [(v["name"], v["path"], v["node"]) for v in volumes] == [
        ("files", "/data", cluster.manager.addr)]
    assert cluster.manager.addr in ok(platform, repo, "storage")
    listed = json.loads(ok(platform, repo, "services", "--json"))
    assert [(s["name"], s["state"], s["node"]) for s in listed] == [
        ("kcache", "running", cluster.manager.addr)]

    # A push keeps both: the new release starts on the same node, with the same volume.
    (repo / "app.py").write_text((repo / "app.py").read_text().replace('"v1"', '"v2"'))
    commit_all(repo, platform.env, "v2")
    platform.push(repo)
    platform.wait_for(app, "data app v2")
    assert set(web_tasks(cluster, app).values()) == {manager}
    assert call(platform, app, "GET", "/files/hello.txt") == (200, "kept")

    ok(platform, repo, "storage:unmount", "files")
    wait_until(lambda: len(set(web_tasks(cluster, app).values())) == 2, 30,
               "web.1 and web.2 spread over both nodes once unmounted")
    counts = [call(platform, app, "POST", "/counter") for _ in range(6)]
    assert [c[0] for c in counts] == [200] * 6, counts
    assert counts[-1][1] == "7\n"
    ok(platform, repo, "apps:destroy", "--confirm", app)
    ok(platform, repo, "services:destroy", "kcache", "--confirm", "kcache")


def test_a_rollback_takes_the_standby_service_back_without_a_boot(swarm, tmp_path):
    """Swarm cannot pause a task: the replaced release's web service keeps running, unrouted,
    shown as standby; a rollback routes to that same service again and creates none."""
    platform, cluster = swarm
    app = "standby"
    repo = platform.deploy(app, "flask-hello", tmp_path)
    platform.wait_for(app, "hello from v1")
    (repo / "app.py").write_text((repo / "app.py").read_text().replace("v1", "v2"))
    commit_all(repo, platform.env, "v2")
    pushed = platform.push(repo)
    assert "keeping 1 old web container(s) in standby" in pushed.stderr
    platform.wait_for(app, "hello from v2")

    def states():
        ps = json.loads(ok(platform, repo, "ps", "--json"))["processes"]
        return sorted((p["release"], p["state"]) for p in ps)
    wait_until(lambda: states() == [(1, "standby"), (2, "running")], 30, "v1 in standby")
    services = set(cluster.manager.docker("service", "ls", "-q", "--filter",
                                          f"label=paas.app={app}").stdout.split())
    assert len(services) == 2
    assert routed(platform, app).count(" max_fails=") == 1  # v1 waits unrouted

    back = platform.paas("releases:rollback", "v1", cwd=repo)
    assert back.returncode == 0, back.stderr
    assert "resuming web.1 from standby" in back.stdout + back.stderr
    assert "hello from v1" in platform.get(app)[1]
    after = set(cluster.manager.docker("service", "ls", "-q", "--filter",
                                       f"label=paas.app={app}").stdout.split())
    assert after == services  # the same two services: v1 serving again, v2 now in standby
    wait_until(lambda: states() == [(1, "running"), (2, "standby")], 30, "v2 in standby")
    ok(platform, repo, "apps:destroy", "--confirm", app)


def test_a_task_on_a_worker_runs_hardened(swarm, spread):
    """What issue 9 gives a container on one host, a Swarm task on another node has too: a
    non-root user, no capabilities, no-new-privileges, a pids limit."""
    platform, cluster = swarm
    worker = cluster.nodes[1]
    ids = worker.docker("ps", "-q", "--filter", "label=paas.app=spread").stdout.split()
    assert ids, "a web process of spread runs on the worker"
    info = json.loads(worker.docker("inspect", ids[0]).stdout)[0]
    assert info["HostConfig"]["PidsLimit"] == 1024
    assert info["HostConfig"]["CapDrop"] == ["ALL"] and info["Config"]["User"] == "1000:1000"
    pids = worker.docker("top", ids[0], "-eo", "pid").stdout.split()[1:]
    init = str(info["State"]["Pid"])
    statuses = {pid: dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text()
                          .splitlines() if ":\t" in line) for pid in pids}
    app_pids = [pid for pid in statuses if pid != init]
    assert app_pids, statuses
    for pid in app_pids:
        status = statuses[pid]
        assert status["NoNewPrivs"] == "1" and int(status["CapEff"], 16) == 0, (pid, status)
        assert status["Uid"].split()[0] == "1000", (pid, status)


def test_a_node_stops_no_request_fails_and_the_router_follows(swarm, spread):
    """Its engine stops (its containers finish what they serve), then the node is gone from the
    network for good: Swarm starts its process on the manager, the router follows."""
    platform, cluster = swarm
    manager = json.loads(ok(platform, spread, "nodes", "--json"))[0]["id"]
    assert len(set(web_tasks(cluster, "spread").values())) == 2
    with Load(platform.http_port, "spread.localhost", clients=8) as load:
        wait_until(lambda: load.result.ok > 50, 30, "answers before the failure")
        died = time.monotonic()
        cluster.stop_engine(cluster.nodes[1], graceful=True)

        def both_on_manager():
            ps = json.loads(ok(platform, spread, "ps", "--json"))["processes"]
            running = sorted(p["name"] for p in ps if p["state"] == "running")
            return (running == ["web.1", "web.2"] and set(web_tasks(cluster, "spread").values()) == {manager}
                    and cluster.nodes[1].addr not in routed(platform, "spread")
                    and routed(platform, "spread").count(cluster.manager.addr) == 2)
        wait_until(both_on_manager, 60, "both web processes running on the manager and routed")
        followed = time.monotonic() - died
        wait_until(lambda: load.result.ok > 50, 30, "")
        result = load.stop()
    print(f"\nnode failure: router followed in {followed:.1f}s; {result.ok} ok, {result.failed} failed")
    assert result.failed == 0, result.errors[:5]
    assert followed < 30
