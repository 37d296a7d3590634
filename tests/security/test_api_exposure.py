"""The control plane, tried against a real platform (`make up`'s gunicorn and nginx): where it
listens, and whether slow clients can take it down (issue 9: "the API listens on 0.0.0.0",
"sixteen slow requests hang the whole API")."""
from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request

import pytest

from tests.support import start_platform, stop_platform


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    p = start_platform(tmp_path_factory.mktemp("sec-api"), "api", settings={
        "PAAS_API_STREAMS": "56", "PAAS_ACME_DIRECTORY": ""})
    created = p.paas("apps:create", "quiet")
    assert created.returncode == 0, created.stderr
    yield p
    stop_platform(p)


def host_addresses() -> list[str]:
    """Every IPv4 address of this host but loopback: eth0, docker0, the apps' bridges."""
    out = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
    return [line.split()[3].split("/")[0] for line in out.splitlines()
            if not line.split()[3].startswith("127.")]


def test_the_api_listens_on_loopback_only(platform):
    """The attack: reach the API from an app container through its gateway, docker0 or the
    host's own address. Nothing listens there."""
    addresses = host_addresses()
    assert addresses, "no non-loopback address to try"
    for address in addresses:
        with socket.socket() as sock:
            sock.settimeout(2)
            assert sock.connect_ex((address, platform.api_port)) != 0, address
    with socket.create_connection(("127.0.0.1", platform.api_port), timeout=2):
        pass


def open_tail(platform) -> socket.socket:
    """A log tail that reads nothing, as a slow or malicious client would hold it."""
    sock = socket.create_connection(("127.0.0.1", platform.api_port), timeout=10)
    sock.sendall((f"GET /api/v1/apps/quiet/logs?tail=1 HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Bearer {platform.token}\r\n\r\n").encode())
    return sock


def status_of(sock: socket.socket) -> int:
    head = b""
    while b"\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return int(head.split(b" ", 2)[1]) if head else 0


def timed_get(platform, path: str) -> tuple[int, float]:
    req = urllib.request.Request(platform.api_url + path,
                                 headers={"Authorization": f"Bearer {platform.token}"})
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()
            return resp.status, time.monotonic() - start
    except urllib.error.HTTPError as err:
        return err.code, time.monotonic() - start


def test_fifty_open_streams_do_not_starve_short_requests(platform):
    """The attack: open many log tails and never read them. Health and a config read still
    answer within 1 s; past PAAS_API_STREAMS a stream gets 503, not a hung thread; streams
    whose clients left give their slots back."""
    tails = [open_tail(platform) for _ in range(50)]
    try:
        assert [status_of(s) for s in tails] == [200] * 50
        for path in ("/api/v1/health", "/api/v1/apps/quiet/config", "/api/v1/apps"):
            status, took = timed_get(platform, path)
            assert status == 200 and took < 1.0, (path, status, took)
        more = [open_tail(platform) for _ in range(6)]
        tails += more
        assert [status_of(s) for s in more] == [200] * 6
        busy = open_tail(platform)
        assert status_of(busy) == 503
        busy.close()
        status, took = timed_get(platform, "/api/v1/health")
        assert status == 200 and took < 1.0
    finally:
        for sock in tails:
            sock.close()
    deadline = time.monotonic() + 15
    while True:  # each tail notices its client left at its next poll
        again = open_tail(platform)
        code = status_of(again)
        again.close()
        if code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert code == 200


def test_run_has_a_default_timeout(platform):
    """`paas run` without --timeout asks for the default hour; the API refuses none or more
    than a day rather than letting a one-off hold a thread forever."""
    req = urllib.request.Request(
        platform.api_url + "/api/v1/apps/quiet/run", method="POST",
        data=json.dumps({"command": ["sleep", "1"], "timeout": 10 ** 9}).encode(),
        headers={"Authorization": f"Bearer {platform.token}", "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=10)
    assert refused.value.code == 422
    assert "timeout must be a number of seconds from 1 to 86400" in refused.value.read().decode()


def test_the_running_platforms_secrets_are_private(platform):
    """`make up` as root with umask 022: nothing in PAAS_HOME that holds a secret is readable
    by another user of the host."""
    import os
    import stat

    def mode(name: str) -> int:
        return stat.S_IMODE(os.stat(platform.home / name).st_mode)

    assert mode(".") == 0o700
    for name in ("paas.db", "admin-token", "dashboard-secret"):
        assert mode(name) == 0o600, name


def test_an_app_token_is_scoped_on_the_running_platform(platform, tmp_path):
    """The attack, end to end through gunicorn: an app token clones another app's repository,
    reads its config, and mints itself an admin token."""
    assert platform.paas("apps:create", "other").returncode == 0
    made = platform.paas("tokens:create", "quiet-dev", "--app", "quiet")
    assert made.returncode == 0, made.stderr
    dev = made.stdout.strip()
    env = {**platform.env, "PAAS_TOKEN": dev}
    base = f"http://paas:{dev}@127.0.0.1:{platform.api_port}/git"
    theirs = subprocess.run(["git", "clone", f"{base}/other.git", str(tmp_path / "x")], env=env,
                            capture_output=True, text=True, timeout=60)
    assert theirs.returncode != 0 and "no such app: other" in theirs.stderr
    own = subprocess.run(["git", "ls-remote", f"{base}/quiet.git"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert own.returncode == 0, own.stderr
    config = subprocess.run([*platform.paas_cmd(), "config", "-a", "other"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert config.returncode == 1 and config.stderr == "paas: no such app: other\n"
    mint = subprocess.run([*platform.paas_cmd(), "tokens:create", "root", "--admin"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert mint.returncode == 1 and "only an admin token may" in mint.stderr
