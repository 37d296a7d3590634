"""Code in a push is hostile, at build time and at run time (issue 9). Each test names the attack
it makes on a real platform (control up as root: firewall on, real Docker, real builds)."""
from __future__ import annotations

import json
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.support import copy_app

SHADOW = Path("/etc/shadow")
DECOY, DECOY_GATEWAY = "10.232.250.0/24", "10.232.250.1"  # in the platform's pool (conftest)


def host_addresses(platform) -> list[str]:
    """Addresses of the host that stay put while the test runs: the LAN address, docker0's, and
    the gateway of another network of this platform (another app's). Other bridges on this
    shared machine come and go; a connection to one that went would leave the host as egress."""
    import docker

    client = docker.from_env()
    out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True,
                         check=True).stdout
    found = {line.split()[1]: line.split()[3].split("/")[0] for line in out.splitlines()}
    decoy = client.networks.list(names=[f"paas-{platform.instance}-decoy"])
    if not decoy:
        client.networks.create(
            f"paas-{platform.instance}-decoy", driver="bridge",
            labels={"paas.instance": platform.instance},
            ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=DECOY)]))
    lan = [a for name, a in found.items() if not name.startswith(("lo", "docker", "br-", "paas"))]
    # docker0's too, when it is there (a second daemon on this shared machine may remove it).
    return [*lan, *([found["docker0"]] if "docker0" in found else []), DECOY_GATEWAY]


def arm(platform, fixture: str, dest: Path) -> Path:
    """The fixture app told where to aim: the admin token's path, the API and router ports."""
    repo = copy_app(fixture, dest, platform.env)
    (repo / "target-token-path").write_text(str(platform.home / "admin-token"))
    (repo / "target-ports").write_text(f"{platform.api_port},{platform.http_port}")
    (repo / "target-addresses").write_text(" ".join(host_addresses(platform)))
    platform.git("add", "-A", cwd=repo)
    platform.git("commit", "-qm", "aim", cwd=repo)
    return repo


def reports(text: str, label: str) -> list[str]:
    return [l.split(f"REPORT {label} ", 1)[1].strip() for l in text.splitlines()
            if f"REPORT {label} " in l]


def connections(lines: list[str]) -> dict[str, str]:
    return dict(l.removeprefix("connect ").split(" ", 1) for l in lines if l.startswith("connect "))


def assert_walled_off(platform, found: dict[str, str]) -> None:
    """The API port answers on no host address; the router's port does (the probe works)."""
    assert found, "the probe reported nothing"
    assert any(a.startswith(DECOY_GATEWAY + ":") for a in found) and len(found) >= 4, found
    api = {a: r for a, r in found.items() if a.endswith(f":{platform.api_port}")}
    router = {a: r for a, r in found.items() if a.endswith(f":{platform.http_port}")}
    assert api and all(r != "open" for r in api.values()), {a: r for a, r in api.items() if r == "open"}
    assert router and all(r == "open" for r in router.values()), router


def api_get(platform, path: str) -> str:
    req = urllib.request.Request(platform.api_url + path,
                                 headers={"Authorization": f"Bearer {platform.token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read().decode()


@pytest.fixture(scope="module")
def hostile_build(platform, tmp_path_factory):
    app = "hostile"
    assert platform.paas("apps:create", app).returncode == 0
    repo = arm(platform, "hostile-build", tmp_path_factory.mktemp("hb") / app)
    platform.paas("git:remote", "-a", app, cwd=repo)
    pushed = platform.git("push", "paas", "main", cwd=repo)
    return app, pushed


def test_symlinked_build_results_leak_nothing_and_fail_the_build(platform, hostile_build):
    """Attack: after the buildpack wrote its results, build code (an npm build script) replaces
    them with links to $PAAS_HOME/admin-token and /etc/shadow (and plants the same links in
    /app, /cache, /env, /tmp). The platform used to read the results on the host through the
    link and hand the token back as the build's `buildpack`."""
    app, pushed = hostile_build
    assert pushed.returncode != 0
    rejected = next(l for l in pushed.stderr.splitlines() if "[remote rejected]" in l)
    assert "as a link or special file where a result file belongs; refused" in rejected
    token = platform.token
    secret_lines = [l for l in SHADOW.read_text().splitlines() if l.strip()]
    builds = json.loads(api_get(platform, f"/api/v1/apps/{app}/builds"))
    build_id = (builds[0] if isinstance(builds, list) else builds["builds"][0])["id"]
    output = platform.paas("builds:output", "-a", app, str(build_id)).stdout
    info = api_get(platform, f"/api/v1/apps/{app}")
    for seen in (pushed.stderr, json.dumps(builds), output, info):
        assert token not in seen
        assert not any(line in seen for line in secret_lines)
    assert "as a link or special file" in output


@pytest.mark.parametrize("phase", ["setup", "install"])
def test_build_code_runs_unprivileged_on_a_read_only_root(hostile_build, phase):
    """Attack: build code (a local package's setup.py, an npm postinstall) as root with Docker's
    default capabilities, writing anywhere in the container."""
    _, pushed = hostile_build
    said = reports(pushed.stderr, phase)
    assert "uid=1000" in said and "CapEff:0000000000000000" in said and "NoNewPrivs:1" in said
    if phase == "install":
        assert "rootfs=readonly" in said


@pytest.mark.parametrize("phase", ["setup", "install"])
def test_build_code_cannot_reach_the_api_or_any_host_port(platform, hostile_build, phase):
    """Attack: build code connects to the API (and every other host port) on every gateway
    address and every address of the host."""
    _, pushed = hostile_build
    assert_walled_off(platform, connections(reports(pushed.stderr, phase)))


def test_a_fork_bomb_in_a_build_stops_at_the_pids_limit(hostile_build):
    """Attack: build code forks without end to starve the host."""
    _, pushed = hostile_build
    [forks] = [l for l in reports(pushed.stderr, "install") if l.startswith("forks=")]
    count, stopped = re.fullmatch(r"forks=(\d+) stopped=(\S+)", forks).groups()
    assert int(count) < 1024 and stopped == "11"  # EAGAIN: the pids cgroup said no


def test_huge_build_output_is_cut(hostile_build):
    """Attack: build code prints without end (6 MB, then a 100 kB line with no newline)."""
    _, pushed = hostile_build
    assert "The build printed more than 4 MiB; the rest of its output is not kept or shown" \
        in pushed.stderr
    assert len(pushed.stderr) < 6 * 1024 * 1024


@pytest.fixture(scope="module")
def hostile_run(platform, tmp_path_factory):
    app = "rooted"
    assert platform.paas("apps:create", app).returncode == 0
    repo = arm(platform, "hostile-run", tmp_path_factory.mktemp("hr") / app)
    platform.paas("git:remote", "-a", app, cwd=repo)
    pushed = platform.git("push", "paas", "main", cwd=repo)
    assert pushed.returncode == 0, pushed.stderr[-3000:]
    return app, pushed


def test_user_root_in_a_dockerfile_never_runs_as_uid_0(platform, hostile_run):
    """Attack: a Dockerfile that says USER root, so that the app runs as uid 0."""
    app, pushed = hostile_run
    assert "USER root in the Dockerfile: paas runs the app as uid 1000 instead" in pushed.stderr
    status, body = platform.get(app)
    assert status == 200, body
    said = reports(body, "app")
    assert "uid=1000 gid=1000" in said and "CapEff:0000000000000000" in said
    assert "NoNewPrivs:1" in said


def test_an_app_cannot_reach_the_api_or_any_host_port(platform, hostile_run):
    """Attack: app code connects to the API (and every other host port) on its gateway, on
    docker0 and on every other address of the host."""
    app, _ = hostile_run
    status, body = platform.get(app, "/probe")
    assert status == 200, body
    assert_walled_off(platform, connections(reports(body, "app")))


def test_a_dockerfile_run_step_cannot_reach_the_api_or_any_host_port(platform, hostile_run):
    """Attack: a Dockerfile RUN step connects to the API on every host address. (RUN steps run
    as the image's user with Docker's default capabilities: the classic builder has no options
    for them; README, Security. They do run on the build's own network, behind the firewall.)"""
    _, pushed = hostile_run
    assert_walled_off(platform, connections(reports(pushed.stderr, "run-step")))


def test_user_0_0_in_a_dockerfile_never_runs_as_uid_0(platform, tmp_path):
    """Attack: USER 0:0 (numeric root, root's group) instead of USER root."""
    app = "rooted0"
    assert platform.paas("apps:create", app).returncode == 0
    repo = arm(platform, "hostile-run-uid0", tmp_path / app)
    platform.paas("git:remote", "-a", app, cwd=repo)
    pushed = platform.git("push", "paas", "main", cwd=repo)
    assert pushed.returncode == 0, pushed.stderr[-3000:]
    assert "USER 0:0 in the Dockerfile: paas runs the app as uid 1000 instead" in pushed.stderr
    status, body = platform.get(app)
    assert status == 200 and "REPORT app uid=1000 gid=1000" in body, body
